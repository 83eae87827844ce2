import {attestationSubject} from './tree.js'
import type {Descriptor, ImageNode, TreeNode} from '../oci/types.js'
import {formatPlatform, normalizePlatform} from '../oci/platform/normalize.js'
import type {Platform} from '../oci/platform/types.js'
import {matchingConfigPlatform} from './config-platform.js'


/** The entries of the tag's index in index order; empty when the tag is a single image. */
export function indexEntries(root: TreeNode): TreeNode[] {
  return root.kind === 'index' ? root.children : []
}

/** buildx attestation manifests (SBOM, provenance): never pulled, not a platform. */
export function isAttestation(node: TreeNode): boolean {
  return attestationSubject(node.descriptor) !== undefined
}

/** The platform an entry declares, or for an entry without one (or the top image) its config's. */
export function entryPlatform(node: TreeNode): Platform | undefined {
  if (node.descriptor.platform) return normalizePlatform(node.descriptor.platform)
  if (node.kind === 'image') return matchingConfigPlatform(node)
  return undefined
}

/** `os/arch[/variant]`, with the Windows os.version when there is one: the label of a platform in every output. */
export function platformLabel(platform: Platform | undefined): string {
  if (!platform) return 'unknown'
  const base = formatPlatform(platform)
  return platform.osVersion ? `${base} (${platform.osVersion})` : base
}

/** Key under which two entries are "the same platform": normalised os/arch/variant, os.version and features. */
export function platformKey(platform: Platform): string {
  const p = normalizePlatform(platform)
  return [formatPlatform(p), p.osVersion ?? '', [...(p.osFeatures ?? [])].sort().join(',')].join('|')
}

/**
 * The entries that stand for a platform: attestations and `unknown/unknown` entries (never
 * pulled) left out, and so are entries with no platform at all (artifacts).
 */
export function platformEntries(root: TreeNode): TreeNode[] {
  return indexEntries(root).filter((node) => {
    if (isAttestation(node)) return false
    const platform = entryPlatform(node)
    return platform !== undefined && !(platform.os === 'unknown' && platform.architecture === 'unknown')
  })
}

/** Every image node in the tree (top image, index entries, nested indexes), attestations included. */
export function imageNodes(root: TreeNode): ImageNode[] {
  if (root.kind === 'image') return [root]
  if (root.kind === 'index') return root.children.flatMap((child) => imageNodes(child))
  return []
}

/** The blobs an image needs: its config, then its layers. */
export function imageBlobs(node: ImageNode): Array<{kind: 'config' | 'layer'; descriptor: Pick<Descriptor, 'digest' | 'size' | 'mediaType'>}> {
  return [
    {kind: 'config', descriptor: {digest: node.config.digest, size: node.config.size, mediaType: node.config.mediaType}},
    ...node.layers.map((layer) => ({kind: 'layer' as const, descriptor: layer})),
  ]
}
