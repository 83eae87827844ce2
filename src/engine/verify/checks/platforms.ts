import {shortDigest} from '../../../oci/digest.js'
import type {TreeNode} from '../../../oci/types.js'
import {formatPlatform} from '../../../oci/platform/normalize.js'
import type {Resolution} from '../../resolve/resolution.js'
import type {Platform} from '../../../oci/platform/types.js'
import {entryPlatform, platformEntries, platformKey, platformLabel} from '../../tree-entries.js'
import type {CheckContext, CheckResult} from '../types.js'
import {checkResult} from './result.js'
import {matchingConfigPlatform} from '../../config-platform.js'

const BUILDX_FIX = (platform: string): string => `build it with \`docker buildx build --platform ${platform},…\` (or add it to the index)`

const withoutStop = (sentence: string): string => sentence.replace(/\.$/, '')

/** The tag's own image when it could not be read (its config gone). */
function unreadableRoot(context: CheckContext): TreeNode | undefined {
  const {root} = context.tree
  return context.unreadable.has(root.descriptor.digest) ? root : undefined
}

/**
 * The image a refused pull failed on because it is gone (manifest or config): the tag's own image,
 * or the entry the client picked. Entries the client would not pick (artifacts, unknown types)
 * are not it: a host they "serve" has no image.
 */
function missingPick(context: CheckContext, resolution: Resolution): TreeNode | undefined {
  const picked = resolution.candidates.find((candidate) => candidate.rank === 1)?.node
  return unreadableRoot(context) ?? (picked?.kind === 'other' && picked.missing ? picked : undefined)
}

/**
 * platform-missing: a required platform resolves to nothing, or (a single image of another
 * platform, a client's last resort) to an image that cannot run there. An index entry whose
 * config contradicts it is left to config-mismatch.
 */
export function checkPlatformMissing(context: CheckContext): CheckResult[] {
  return context.resolutions.map((resolution) => {
    const platform = formatPlatform(resolution.host)
    const id = 'platform-missing'
    const unreadable = resolution.verdict === 'no-match' ? missingPick(context, resolution) : undefined
    if (unreadable) {
      const what = unreadable === context.tree.root ? "the tag's image" : `the ${platformLabel(entryPlatform(unreadable))} entry`
      return checkResult(context, id, 'skip', `${what} cannot be read: see dangling-manifest and missing-blob.`, platform)
    }
    if (resolution.verdict === 'no-match') {
      const said = resolution.clientMessage ? `: "${resolution.clientMessage}"` : ''
      return checkResult(
        context,
        id,
        'fail',
        `${context.options.client} refuses to pull the tag on ${platform} hosts${said}; ${BUILDX_FIX(platform)}.`,
        platform,
      )
    }
    if (resolution.verdict === 'wrong-arch' && !resolution.chosen?.platformMismatch) {
      return checkResult(
        context,
        id,
        'fail',
        `${withoutStop(resolution.message)}; the tag has no ${platform} image: ${BUILDX_FIX(platform)}.`,
        platform,
      )
    }
    if (resolution.verdict === 'wrong-arch' && resolution.chosen) {
      // The entry is there; that it holds another platform's image is config-mismatch's failure, and a
      // pass must not repeat its prediction of `exec format error`.
      return checkResult(
        context,
        id,
        'pass',
        `the index has a ${platform} entry (${shortDigest(resolution.chosen.descriptor.digest)}); what it holds is judged by config-mismatch.`,
        platform,
      )
    }
    return checkResult(context, id, 'pass', resolution.message, platform)
  })
}

/** platform-fallback: a required platform is served only through an older variant or 32-bit mode. */
export function checkPlatformFallback(context: CheckContext): CheckResult[] {
  return context.resolutions.map((resolution) => {
    const platform = formatPlatform(resolution.host)
    const id = 'platform-fallback'
    if (resolution.verdict === 'no-match') return checkResult(context, id, 'skip', `nothing resolves for ${platform}.`, platform)
    if (resolution.verdict !== 'fallback') return checkResult(context, id, 'pass', `${platform} hosts get no fallback image.`, platform)
    if (context.options.allowFallback) {
      return checkResult(context, id, 'pass', `${withoutStop(resolution.message)}; allowed by --allow-fallback.`, platform)
    }
    return checkResult(
      context,
      id,
      'fail',
      `${withoutStop(resolution.message)}; ${BUILDX_FIX(platform)}, or pass --allow-fallback.`,
      platform,
    )
  })
}

/** config-mismatch: an image whose config os/architecture/variant disagrees with its index entry. */
export function checkConfigMismatch(context: CheckContext): CheckResult[] {
  const id = 'config-mismatch'
  const {root} = context.tree
  if (root.kind === 'image') {
    return [
      checkResult(
        context,
        id,
        'pass',
        'a single image: no index entry to disagree with its config.',
        platformLabel(matchingConfigPlatform(root)),
      ),
    ]
  }
  const results = platformEntries(root, context.options.client).flatMap((node) => {
    if (node.kind !== 'image') return []
    const declared = platformLabel(entryPlatform(node))
    const disagreement = node.platformMismatch
    if (!disagreement) return [checkResult(context, id, 'pass', `the ${declared} entry's config says ${declared}.`, declared)]
    const actual = platformLabel(disagreement.config)
    return [
      checkResult(
        context,
        id,
        'fail',
        `the ${declared} entry (${shortDigest(node.descriptor.digest)}) holds a ${actual} image, so ${declared} hosts pull it and get \`exec format error\`; usually an index assembled from the wrong images (\`docker manifest create\`) or a final stage built \`FROM --platform=$BUILDPLATFORM\`.`,
        declared,
      ),
    ]
  })
  return results.length > 0 ? results : [checkResult(context, id, 'skip', 'no image entry could be read to compare with its config.')]
}

/** single-platform: the tag is one image, not an index, so every host pulls the same architecture. */
export function checkSinglePlatform(context: CheckContext): CheckResult[] {
  const id = 'single-platform'
  const {root} = context.tree
  if (unreadableRoot(context)) return [checkResult(context, id, 'skip', "the tag's image cannot be read: see missing-blob.")]
  if (root.kind !== 'image') return [checkResult(context, id, 'pass', 'the tag is a multi-platform index.')]
  const own = platformLabel(matchingConfigPlatform(root))
  const required = context.options.require.map((platform) => formatPlatform(platform))
  if (!context.options.allowSinglePlatform) {
    return [
      checkResult(
        context,
        id,
        'fail',
        `the tag is a single ${own} image, not an index, so every host pulls ${own}; build with \`docker buildx build --platform ${required.join(',')} --push\` or pass --allow-single-platform.`,
        own,
      ),
    ]
  }
  const unserved = context.resolutions
    .filter((resolution) => resolution.verdict !== 'ok')
    .map((resolution) => formatPlatform(resolution.host))
  if (unserved.length > 0) {
    return [
      checkResult(
        context,
        id,
        'fail',
        `the tag is a single ${own} image, but ${unserved.join(', ')} is required too; build those platforms or require only ${own}.`,
        own,
      ),
    ]
  }
  return [checkResult(context, id, 'pass', `the tag is a single ${own} image, allowed by --allow-single-platform.`, own)]
}

/** duplicate-platform: two index entries for one platform; which one a host gets depends on the client. */
export function checkDuplicatePlatform(context: CheckContext): CheckResult[] {
  const id = 'duplicate-platform'
  const groups = new Map<string, {platform: Platform; digests: string[]}>()
  for (const node of platformEntries(context.tree.root, context.options.client)) {
    const platform = entryPlatform(node)!
    const key = platformKey(platform)
    const group = groups.get(key) ?? {platform, digests: []}
    group.digests.push(node.descriptor.digest)
    groups.set(key, group)
  }
  const duplicates = [...groups.values()].filter((group) => group.digests.length > 1)
  const results = duplicates.map(({platform, digests}) => {
    const label = platformLabel(platform)
    const same = new Set(digests).size === 1
    const what = same
      ? `the same manifest ${digests.length} times`
      : `${digests.length} different images (${digests.map((digest) => shortDigest(digest)).join(', ')})`
    return checkResult(
      context,
      id,
      'fail',
      `the index lists ${what} for ${label}: Docker and containerd take the first, other clients may take another, so ${label} hosts can get different images; usually an index amended with \`docker manifest create --amend\` or \`imagetools create --append\`: rebuild it.`,
      label,
    )
  })
  // Entries of different platforms can still tie for a host (e.g. differing only in os.features).
  const reported = new Set(results.map((result) => result.platform))
  for (const resolution of context.resolutions) {
    const chosen = resolution.chosen ? platformLabel(entryPlatform(resolution.chosen)) : undefined
    if (resolution.verdict !== 'ambiguous' || !chosen || reported.has(chosen)) continue
    reported.add(chosen)
    results.push(
      checkResult(
        context,
        id,
        'fail',
        `${withoutStop(resolution.message)}; which one a host gets depends on the client: keep one entry per platform.`,
        chosen,
      ),
    )
  }
  return results.length > 0 ? results : [checkResult(context, id, 'pass', 'each platform has one entry.')]
}

/** unexpected-platform (with --forbid-extra): an entry for a platform outside the required set. */
export function checkUnexpectedPlatform(context: CheckContext): CheckResult[] {
  const id = 'unexpected-platform'
  if (!context.options.forbidExtra) return [checkResult(context, id, 'skip', 'not requested (--forbid-extra).')]
  const allowed = new Set(context.options.require.map((platform) => formatPlatform(platform)))
  const extra = platformEntries(context.tree.root, context.options.client)
    .map((node) => ({node, platform: entryPlatform(node)}))
    .filter(({platform}) => !allowed.has(formatPlatform(platform!)))
  if (extra.length === 0)
    return [checkResult(context, id, 'pass', `the index holds only the required platforms (${[...allowed].join(', ')}).`)]
  return extra.map(({node, platform}) => {
    const label = platformLabel(platform)
    return checkResult(
      context,
      id,
      'fail',
      `the index has a ${label} entry (${shortDigest(node.descriptor.digest)}) that is not required, so ${label} hosts pull an image nobody tested; drop it from --platform or add it to --require.`,
      label,
    )
  })
}
