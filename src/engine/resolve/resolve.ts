import {UsageError} from '../../oci/errors.js'
import {shortDigest} from '../../oci/digest.js'
import type {ImageNode, ImageTree, IndexNode, OtherNode, TreeNode} from '../../oci/types.js'
import {CLIENT_MODELS, type ClientModel, type Entry} from './clients.js'
import {PlatformMatching, toHostPlatform, windowsVersionCompatible} from '../../oci/platform/match.js'
import {formatPlatform, normalizePlatform} from '../../oci/platform/normalize.js'
import type {Candidate, ClientName, Resolution} from './resolution.js'
import type {Platform} from '../../oci/platform/types.js'
import {matchingConfigPlatform} from '../config-platform.js'

type Fit = 'native' | 'fallback' | 'none'

/** Whether the CPU runs code built for `platform`: natively, through a fallback, or not (os.version aside). */
function cpuFit(host: Platform, platform: Platform, matching: PlatformMatching): Fit {
  const strip = ({os, architecture, variant}: Platform): Platform => ({os, architecture, ...(variant ? {variant} : {})})
  const rank = matching.rank(strip(host), strip(platform))
  return rank < 0 ? 'none' : rank === 0 ? 'native' : 'fallback'
}

/** A Windows image whose os.version a Windows host of known os.version does not run (containerd's version rule). */
function windowsBuildClash(host: Platform, image: Platform): boolean {
  return host.os === 'windows' && image.os === 'windows' && !windowsVersionCompatible(host.osVersion, image.osVersion)
}

/** `unknown/unknown`, the platform buildx gives attestations: never chosen, whatever the annotations say. */
function declaresUnknownPlatform(node: TreeNode): boolean {
  const p = node.descriptor.platform
  return p?.os === 'unknown' && p.architecture === 'unknown'
}

/** What a missing image lacks, in a user's words. */
function missingWhat(node: OtherNode): string {
  return node.missing === 'config' ? 'config blob' : 'manifest'
}

/** The registry's error code a client reports when it pulls a missing image. */
function pullFailure(node: OtherNode): string {
  return node.missing === 'config' ? 'blob unknown' : 'manifest unknown'
}

/** One index entry as listed (nested indexes flattened depth first where the client follows them). */
interface Listed {
  node: TreeNode
  entry?: Entry
  rejected?: Candidate
}

/**
 * The entries a client may choose from, with a rejection reason for every other child. A nested
 * index is followed only by clients that do (containerd), and only when its declared platform,
 * if any, matches the host.
 */
function listEntries(
  children: TreeNode[],
  host: Platform,
  model: ClientModel,
  matching: PlatformMatching,
  listed: Listed[] = [],
  followed = new Set<string>(),
): Listed[] {
  for (const node of children) {
    const declared = node.descriptor.platform
    const reject = (reason: string) => listed.push({node, rejected: {node, platform: declared, accepted: false, reason}})
    if (node.kind === 'other' && node.missing && declared && !declaresUnknownPlatform(node)) {
      // Clients choose by the index alone; that the image is missing shows only when they pull it.
      listed.push({node, entry: {index: listed.length, digest: node.descriptor.digest, platform: declared, fromConfig: false}})
    } else if (node.kind === 'other') {
      reject(node.missing ? `missing from the registry (${node.note})` : `not an image manifest (${node.note})`)
    } else if (node.kind === 'index') {
      if (!model.followsNestedIndexes) {
        reject(`a nested index: ${model.describes} does not look inside`)
      } else if (declared && matching.rank(host, declared) < 0) {
        reject(`a nested index for ${formatPlatform(declared)}: not followed on ${formatPlatform(host)}`)
      } else if (followed.has(node.descriptor.digest)) {
        // Its entries are already listed: listing them again adds no choice, and a fan-out of
        // indexes pointing at the next level would list exponentially many.
        reject(`a nested index listed again: its entries are above`)
      } else {
        followed.add(node.descriptor.digest)
        reject(`a nested index: its entries follow`)
        listEntries(node.children, host, model, matching, listed, followed)
      }
    } else if (node.attestationFor !== undefined) {
      reject(`attestation manifest${node.attestationFor ? ` for ${shortDigest(node.attestationFor)}` : ''}: never pulled as an image`)
    } else if (declaresUnknownPlatform(node)) {
      reject('platform unknown/unknown: never chosen')
    } else {
      const entry = {
        index: listed.length,
        digest: node.descriptor.digest,
        platform: declared ?? matchingConfigPlatform(node),
        fromConfig: !declared,
      }
      listed.push({node, entry})
    }
  }
  return listed
}

function acceptedReason(host: Platform, model: ClientModel, entry: Entry, matching: PlatformMatching): string {
  const judged = entry.fromConfig ? ' (no platform in the index: judged by its config)' : ''
  const fit = cpuFit(host, entry.platform, matching)
  if (fit === 'native') return `matches ${formatPlatform(host)}${judged}`
  if (fit === 'fallback') return `${model.describes} falls back to it: ${fallbackKind(host, entry.platform)}${judged}`
  return `accepted by ${model.describes}${judged}`
}

function rejectedReason(host: Platform, model: ClientModel, entry: Entry, matching: PlatformMatching): string {
  const judged = entry.fromConfig ? ' (no platform in the index: judged by its config)' : ''
  if (cpuFit(host, entry.platform, matching) !== 'none')
    return `${model.describes} does not fall back to ${formatPlatform(entry.platform)}${judged}`
  return `${formatPlatform(entry.platform)} does not run on ${formatPlatform(host)}${judged}`
}

function fallbackKind(host: Platform, platform: Platform): string {
  const p = normalizePlatform(platform)
  return p.architecture === host.architecture ? 'an older variant' : '32-bit mode'
}

function describeFallback(host: Platform, platform: Platform): string {
  const h = formatPlatform(host)
  const p = formatPlatform(normalizePlatform(platform))
  if (fallbackKind(host, platform) === '32-bit mode') {
    return `${h} gets ${p}, which runs only in 32-bit mode: some CPUs lack 32-bit support (exec format error there).`
  }
  return `${h} gets ${p}, an older variant: it runs, but is not built for this CPU.`
}

function emulationHint(host: Platform, image: Platform): string {
  // binfmt emulation translates instructions, not system calls: no emulator runs another OS's image.
  if (image.os !== host.os) return `a ${host.os} host cannot run a ${image.os} image, and no emulation makes it`
  return `expect "exec format error" on ${formatPlatform(host)} unless it emulates ${image.architecture} (QEMU/binfmt)`
}

interface Choice {
  node: ImageNode
  declared: Platform
  single: boolean
  /** How the client came to it when no entry matched. */
  lastResort: boolean
  ties: Entry[]
}

/** ok / fallback / wrong-arch / ambiguous for the image a client took, with its one-sentence message. */
function judge(
  host: Platform,
  model: ClientModel,
  reference: string,
  choice: Choice,
  matching: PlatformMatching,
): Pick<Resolution, 'verdict' | 'message'> {
  const {node, declared} = choice
  const config = matchingConfigPlatform(node, declared)
  const declaredFit = cpuFit(host, declared, matching)
  const configFit = cpuFit(host, config, matching)
  const h = formatPlatform(host)
  const c = formatPlatform(config)
  const d = formatPlatform(normalizePlatform(declared))
  if (declaredFit === 'none' || configFit === 'none') {
    if (choice.single) {
      return {
        verdict: 'wrong-arch',
        message: `${reference} is a single ${c} image, not a list, and ${model.describes} pulls it anyway: ${emulationHint(host, config)}.`,
      }
    }
    if (declaredFit !== 'none') {
      return {
        verdict: 'wrong-arch',
        message: `The ${d} entry ${shortDigest(node.descriptor.digest)} holds an image whose config says ${c}: ${emulationHint(host, config)}.`,
      }
    }
    const how = choice.lastResort ? ` as a last resort (no entry fits ${h})` : ''
    if (normalizePlatform(declared).architecture === host.architecture) {
      return {
        verdict: 'wrong-arch',
        message: `${model.describes} takes ${d}${how}, a newer variant than ${h} supports: expect "illegal instruction" or "exec format error".`,
      }
    }
    return {verdict: 'wrong-arch', message: `${model.describes} takes ${d}${how}: ${emulationHint(host, config)}.`}
  }
  if (windowsBuildClash(host, config)) {
    const what = choice.single
      ? `${reference} is a single Windows ${config.osVersion} image, and ${model.describes} pulls it anyway`
      : `${model.describes} takes ${d} (${shortDigest(node.descriptor.digest)}), whose config says Windows ${config.osVersion}`
    const why = `a Windows ${host.osVersion} host cannot run that build with process isolation`
    const error = '"The container operating system does not match the host operating system"'
    return {verdict: 'wrong-arch', message: `${what}: ${why} (expect ${error}); only Hyper-V isolation runs it.`}
  }
  if (choice.ties.length > 0) {
    const all = [node.descriptor.digest, ...choice.ties.map((t) => t.digest)].map((digest) => shortDigest(digest)).join(', ')
    return {
      verdict: 'ambiguous',
      message: `${choice.ties.length + 1} entries tie for ${h} (${all}); ${model.describes} takes the first in index order, ${shortDigest(node.descriptor.digest)}.`,
    }
  }
  if (declaredFit === 'native' && configFit === 'native') {
    return {verdict: 'ok', message: `${h} gets ${d} (${shortDigest(node.descriptor.digest)}), which runs natively.`}
  }
  const worse = declaredFit === 'fallback' ? declared : config
  const mismatch = declaredFit === 'native' ? ` (the entry says ${d} but its config says ${c})` : ''
  return {verdict: 'fallback', message: describeFallback(host, worse).replace(/\.$/, `${mismatch}.`)}
}

/** A tag holding one image: every modelled client pulls it whatever its platform (Docker and Podman warn). */
function resolveSingle(tree: ImageTree, image: ImageNode, host: Platform, model: ClientModel, matching: PlatformMatching): Resolution {
  const platform = matchingConfigPlatform(image)
  const fits = matching.rank(host, platform) >= 0
  const reason = fits
    ? `the tag is a single ${formatPlatform(platform)} image`
    : `the tag is a single ${formatPlatform(platform)} image: ${model.describes} pulls it whatever its platform`
  const warning = fits ? undefined : model.singlePlatformWarning(host, platform)
  return {
    host,
    client: model.name,
    chosen: image,
    ...judge(host, model, tree.reference, {node: image, declared: platform, single: true, lastResort: false, ties: []}, matching),
    ...(warning ? {clientMessage: warning} : {}),
    candidates: [{node: image, platform, accepted: true, reason, rank: 1}],
  }
}

function resolveIndex(tree: ImageTree, index: IndexNode, host: Platform, model: ClientModel, matching: PlatformMatching): Resolution {
  const listed = listEntries(index.children, host, model, matching)
  const entries = listed.flatMap((item) => (item.entry ? [item.entry] : []))
  const accepted = entries.filter((entry) => model.rank(host, entry, matching) >= 0)
  // Array.prototype.sort is stable: equal entries keep index order, as the clients' stable sorts do.
  const sorted = [...accepted].sort((a, b) => model.compare(host, a, b, matching))
  const lastResort = sorted.length === 0 ? model.lastResort(host, entries) : undefined
  const order = lastResort ? [lastResort] : sorted
  const first = order[0]

  const candidates: Candidate[] = listed.map(({node, entry, rejected}) => {
    if (!entry) return rejected as Candidate
    const position = order.indexOf(entry)
    if (position < 0) return {node, platform: entry.platform, accepted: false, reason: rejectedReason(host, model, entry, matching)}
    const reason =
      entry === lastResort ? `no entry matches: ${model.describes} takes it as a last resort` : acceptedReason(host, model, entry, matching)
    const gone = node.kind === 'other' ? `; but its ${missingWhat(node)} is missing from the registry` : ''
    return {node, platform: entry.platform, accepted: true, reason: reason + gone, rank: position + 1}
  })

  if (!first) {
    const offered = entries.map((e) => formatPlatform(e.platform)).join(', ') || 'no runnable image'
    return {
      host,
      client: model.name,
      verdict: 'no-match',
      message: `${model.describes} refuses ${tree.reference} on ${formatPlatform(host)}: no entry fits (the list has ${offered}).`,
      clientMessage: model.noMatchMessage(host, {
        reference: tree.reference,
        indexMediaType: index.descriptor.mediaType,
        digest: index.descriptor.digest,
      }),
      candidates,
    }
  }
  const picked = listed[first.index].node
  if (picked.kind === 'other') {
    const how = lastResort ? ' as a last resort' : ''
    return {
      host,
      client: model.name,
      verdict: 'no-match',
      message: `${model.describes} picks the ${formatPlatform(first.platform)} entry ${picked.descriptor.digest}${how} on ${formatPlatform(host)}, but the registry does not have its ${missingWhat(picked)}: the pull fails.`,
      clientMessage: pullFailure(picked),
      candidates,
    }
  }
  const ties = lastResort ? [] : sorted.slice(1).filter((e) => model.compare(host, first, e, matching) === 0 && e.digest !== first.digest)
  const node = picked as ImageNode
  return {
    host,
    client: model.name,
    chosen: node,
    ...judge(host, model, tree.reference, {node, declared: first.platform, single: false, lastResort: Boolean(lastResort), ties}, matching),
    candidates,
    ...(ties.length > 0 ? {tiedWith: ties.map((t) => t.digest)} : {}),
  }
}

/**
 * Which image `client` pulls from `tree` on `host` (a specifier, `native` or a Platform), and
 * whether it will run there: every index entry judged (accepted or rejected, why, rank), the
 * client's choice, a verdict and a one-sentence message. A caller resolving many trees passes one
 * `matching` to them all, so each platform question is answered once.
 */
export function resolveForHost(
  tree: ImageTree,
  host: string | Platform,
  client: ClientName = 'docker',
  matching = new PlatformMatching(),
): Resolution {
  const model = CLIENT_MODELS[client]
  if (!model) throw new UsageError(`unknown client "${client}" (expected one of ${Object.keys(CLIENT_MODELS).join(', ')})`)
  const hostPlatform = toHostPlatform(host)
  const root = tree.root
  if (root.kind === 'image') return resolveSingle(tree, root, hostPlatform, model, matching)
  if (root.kind === 'index') return resolveIndex(tree, root, hostPlatform, model, matching)
  if (root.missing) {
    return {
      host: hostPlatform,
      client,
      verdict: 'no-match',
      message: `${tree.reference} is one image ${root.descriptor.digest} whose ${missingWhat(root)} the registry does not have (${root.note}): every pull fails.`,
      clientMessage: pullFailure(root),
      candidates: [{node: root, accepted: false, reason: root.note}],
    }
  }
  return {
    host: hostPlatform,
    client,
    verdict: 'no-match',
    message: `${tree.reference} is not an image (${root.note}).`,
    candidates: [{node: root, accepted: false, reason: root.note}],
  }
}
