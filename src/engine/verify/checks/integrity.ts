import {shortDigest} from '../../../oci/digest.js'
import {attestationSubject} from '../../tree.js'
import type {ImageNode, TreeNode} from '../../../oci/types.js'
import {createLimiter} from '../../limit.js'
import {entryPlatform, imageBlobs, imageNodes, indexEntries, isAttestation, platformLabel} from '../../tree-entries.js'
import type {CheckContext, CheckResult} from '../types.js'
import {checkResult} from './result.js'

/**
 * dangling-manifest: an index entry whose manifest the source does not have, as the tree marked it
 * while reading (every other entry's manifest was just read, so nothing is asked again).
 */
export function checkDanglingManifest(context: CheckContext): CheckResult[] {
  const id = 'dangling-manifest'
  const missing = indexEntries(context.tree.root).filter((node) => node.kind === 'other' && node.missing === 'manifest')
  if (missing.length === 0) return [checkResult(context, id, 'pass', "every index entry's manifest exists.")]
  return missing.map((node) => {
    const label = isAttestation(node) ? 'attestation' : platformLabel(entryPlatform(node))
    return checkResult(
      context,
      id,
      isAttestation(node) ? 'warn' : 'fail',
      `the index lists a ${label} manifest ${shortDigest(node.descriptor.digest)} that the registry does not have, so pulls on ${label} hosts fail with \`manifest unknown\`; usually a child deleted or garbage-collected after the index was pushed: push the image again.`,
      label,
    )
  })
}

/**
 * missing-blob (with --blobs): a layer blob the registry does not have; each blob is asked for
 * once. Configs were read whole to build the tree, so they are known to exist.
 */
export async function checkMissingBlobs(context: CheckContext): Promise<CheckResult[]> {
  const id = 'missing-blob'
  if (!context.options.blobs) {
    const unreadable = unreadableResults(context)
    return unreadable.length > 0 ? unreadable : [checkResult(context, id, 'skip', 'not requested (--blobs).')]
  }
  const images = imageNodes(context.tree.root)
  const present = new Map<string, boolean>(images.map((node) => [node.config.digest, true]))
  const digests = [...new Set(images.flatMap((node) => node.layers.map((layer) => layer.digest)))].filter((digest) => !present.has(digest))
  const limit = createLimiter(context.options.blobConcurrency ?? 8)
  const exists = await Promise.all(digests.map((digest) => limit(() => context.source.blobExists(digest))))
  for (const [position, digest] of digests.entries()) present.set(digest, exists[position])
  return [...images.map((node) => blobResult(context, node, present)), ...unreadableResults(context)]
}

/** Images that could not be read at all (index entries, or the tag's own image): reported whether or not --blobs asked for HEADs. */
function unreadableResults(context: CheckContext): CheckResult[] {
  const id = 'missing-blob'
  const {root} = context.tree
  const fix = 'usually garbage collection after the tag was overwritten, or an interrupted push: push the image again.'
  const why = (node: TreeNode): string => context.unreadable.get(node.descriptor.digest)!.replace(/\.$/, '')
  if (context.unreadable.has(root.descriptor.digest)) {
    return [
      checkResult(
        context,
        id,
        'fail',
        `the tag's image ${shortDigest(root.descriptor.digest)} cannot be read (${why(root)}), so every pull fails with \`blob unknown\`; ${fix}`,
      ),
    ]
  }
  return indexEntries(root)
    .filter((node) => context.unreadable.has(node.descriptor.digest))
    .map((node) => {
      const label = isAttestation(node) ? 'attestation' : platformLabel(entryPlatform(node))
      const sentence = `the ${label} image ${shortDigest(node.descriptor.digest)} cannot be read (${why(node)}), so pulls on ${label} hosts fail with \`blob unknown\`; ${fix}`
      return checkResult(context, id, isAttestation(node) ? 'warn' : 'fail', sentence, label)
    })
}

function blobResult(context: CheckContext, node: ImageNode, present: Map<string, boolean>): CheckResult {
  const id = 'missing-blob'
  const blobs = imageBlobs(node)
  const missing = blobs.filter((blob) => !present.get(blob.descriptor.digest))
  const attestation = isAttestation(node)
  const label = attestation
    ? `attestation of ${shortDigest(attestationSubject(node.descriptor) || '?')}`
    : platformLabel(entryPlatform(node))
  if (missing.length === 0)
    return checkResult(context, id, 'pass', `all ${blobs.length} blobs of ${label} exist.`, attestation ? undefined : label)
  const list = missing.map((blob) => `${blob.kind} ${shortDigest(blob.descriptor.digest)}`).join(', ')
  if (attestation) {
    return checkResult(
      context,
      id,
      'warn',
      `the ${label} misses ${list}: pulls still work, but SBOM and provenance cannot be read; push the image again.`,
    )
  }
  return checkResult(
    context,
    id,
    'fail',
    `the ${label} image misses ${list}, so pulls on ${label} hosts fail with \`blob unknown\`; usually garbage collection after the tag was overwritten, or an interrupted push: push the image again.`,
    label,
  )
}

type Family = 'oci' | 'docker'

function family(mediaType: string): Family | undefined {
  if (mediaType.startsWith('application/vnd.oci.image.')) return 'oci'
  if (mediaType.startsWith('application/vnd.docker.')) return 'docker'
  return undefined
}

const FAMILY_NAME: Record<Family, string> = {oci: 'OCI', docker: 'Docker'}

/** mixed-media-types (warning): an OCI index pointing at Docker manifests or the reverse, or an image mixing both. */
export function checkMixedMediaTypes(context: CheckContext): CheckResult[] {
  const id = 'mixed-media-types'
  const {root} = context.tree
  const findings: string[] = []
  const rootFamily = family(root.descriptor.mediaType)
  if (root.kind === 'index' && rootFamily) {
    const others = indexEntries(root).filter(
      (node) => !isAttestation(node) && family(node.descriptor.mediaType) && family(node.descriptor.mediaType) !== rootFamily,
    )
    if (others.length > 0) {
      const kind = FAMILY_NAME[family(others[0].descriptor.mediaType)!]
      findings.push(
        `the ${FAMILY_NAME[rootFamily]} index points at ${kind} manifests (${others.map((node) => platformLabel(entryPlatform(node))).join(', ')})`,
      )
    }
  }
  for (const node of imageNodes(root)) {
    if (isAttestation(node)) continue
    const own = family(node.descriptor.mediaType)
    const mixed = imageBlobs(node).filter((blob) => family(blob.descriptor.mediaType) && own && family(blob.descriptor.mediaType) !== own)
    if (own && mixed.length > 0)
      findings.push(
        `the ${platformLabel(entryPlatform(node))} ${FAMILY_NAME[own]} manifest has ${FAMILY_NAME[family(mixed[0].descriptor.mediaType)!]} ${mixed[0].kind} media types`,
      )
  }
  if (findings.length === 0) return [checkResult(context, id, 'pass', 'the media types are of one format.')]
  return [
    checkResult(
      context,
      id,
      'warn',
      `${findings.join('; ')}: strict clients and some registries reject such mixes; push the whole image in one format (e.g. \`skopeo copy --all --format oci\`).`,
    ),
  ]
}

/** attestation-orphan (warning): an attestation whose subject is not in the index. */
export function checkAttestationOrphan(context: CheckContext): CheckResult[] {
  const id = 'attestation-orphan'
  const entries = indexEntries(context.tree.root)
  const digests = new Set(entries.map((node) => node.descriptor.digest))
  const orphans = entries.filter((node) => isAttestation(node) && !digests.has(attestationSubject(node.descriptor) ?? ''))
  if (orphans.length === 0) return [checkResult(context, id, 'pass', 'every attestation describes an image in the index.')]
  return orphans.map((node) => {
    const subject = attestationSubject(node.descriptor)
    return checkResult(
      context,
      id,
      'warn',
      `the attestation ${shortDigest(node.descriptor.digest)} describes ${subject ? shortDigest(subject) : 'no image'}, which is not in the index: its SBOM/provenance belongs to another build; usually an index re-assembled without rebuilding the attestations.`,
    )
  })
}

/** digest-mismatch: the tag points elsewhere than the build said (--expect-digest, --metadata-file). */
export function checkDigestMismatch(context: CheckContext): CheckResult[] {
  const id = 'digest-mismatch'
  const expected = context.options.expectDigest
  if (!expected) return [checkResult(context, id, 'skip', 'no expected digest (--expect-digest, --metadata-file).')]
  const actual = context.tree.root.descriptor.digest
  if (actual === expected) return [checkResult(context, id, 'pass', `the tag points to the expected ${shortDigest(expected)}.`)]
  return [
    checkResult(
      context,
      id,
      'fail',
      `the tag points to ${shortDigest(actual)}, not the expected ${shortDigest(expected)}, so users pull another image than the one built; usually a tag moved by a concurrent build or a push to another repository: push again, or deploy by digest.`,
    ),
  ]
}
