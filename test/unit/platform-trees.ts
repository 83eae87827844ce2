/** Hand-built image trees (plain objects) for resolution and rendering tests. */
import {MediaType} from '../../src/oci/media-types.js'
import type {ImageNode, ImageTree, IndexNode, TreeNode} from '../../src/oci/types.js'
import type {Platform} from '../../src/oci/platform/types.js'

let counter = 0
export const digest = () => `sha256:${(++counter).toString(16).padStart(64, '0')}`

export const platform = (spec: string): Platform => {
  const [os, architecture, variant] = spec.split('/')
  return {os, architecture, ...(variant ? {variant} : {})}
}

/** An image entry declaring `declared` (undefined: no platform in the index), its config saying `config`. */
export function image(declared: string | undefined, config = declared ?? 'linux/amd64', extra: Partial<ImageNode> = {}): ImageNode {
  const c = platform(config)
  return {
    kind: 'image',
    descriptor: {
      mediaType: MediaType.ociManifest,
      digest: extra.descriptor?.digest ?? digest(),
      size: 500,
      ...(declared ? {platform: platform(declared)} : {}),
    },
    config: {digest: digest(), size: 100, mediaType: MediaType.ociConfig, ...c},
    layers: [],
    compressedSize: 0,
    ...extra,
  }
}

export function windows(osVersion: string): ImageNode {
  const node = image('windows/amd64')
  node.descriptor.platform = {os: 'windows', architecture: 'amd64', osVersion}
  node.config.osVersion = osVersion
  return node
}

export function attestation(subject: ImageNode): ImageNode {
  return image('unknown/unknown', 'unknown/unknown', {attestationFor: subject.descriptor.digest})
}

export function tree(children: TreeNode[], mediaType: string = MediaType.ociIndex): ImageTree {
  const root: IndexNode = {kind: 'index', descriptor: {mediaType, digest: digest(), size: 1000}, children}
  return {reference: 'registry.test/app:1', root}
}
