// Which index entries stand for a platform, as each client reaches them: what resolve, verify and
// inspect count as "the platforms of this tag".
import {describe, expect, it} from 'vitest'

import {matchingConfigPlatform, writtenConfigPlatform} from '../../src/engine/config-platform.js'
import {ATTESTATION_DIGEST_ANNOTATION, ATTESTATION_TYPE_ANNOTATION} from '../../src/engine/tree.js'
import {entryPlatform, imageBlobs, imageNodes, platformEntries, platformKey, platformLabel} from '../../src/engine/tree-entries.js'
import {MediaType} from '../../src/oci/media-types.js'
import type {IndexNode, TreeNode} from '../../src/oci/types.js'
import {digest, image, platform, tree, windows} from './platform-trees.js'

function buildxAttestation(subject: TreeNode): TreeNode {
  const node = image('unknown/unknown', 'unknown/unknown')
  node.descriptor.annotations = {
    [ATTESTATION_TYPE_ANNOTATION]: 'attestation-manifest',
    [ATTESTATION_DIGEST_ANNOTATION]: subject.descriptor.digest,
  }
  return node
}

function nested(declared: string | undefined, children: TreeNode[]): IndexNode {
  return {
    kind: 'index',
    descriptor: {mediaType: MediaType.ociIndex, digest: digest(), size: 300, ...(declared ? {platform: platform(declared)} : {})},
    children,
  }
}

describe('platformEntries', () => {
  it('leaves out attestations, unknown/unknown entries and entries without a platform', () => {
    const amd64 = image('linux/amd64')
    const artifact = image(undefined, 'unknown/unknown')
    const {root} = tree([amd64, buildxAttestation(amd64), image('unknown/unknown', 'unknown/unknown'), artifact])
    expect(platformEntries(root)).toEqual([amd64])
  })

  it('looks inside a nested index only for containerd, and only at what its declared platform allows', () => {
    const arm64 = image('linux/arm64')
    const s390x = image('linux/s390x')
    const amd64 = image('linux/amd64')
    const {root} = tree([amd64, nested('linux/arm64', [arm64, s390x])])
    expect(platformEntries(root, 'docker')).toEqual([amd64])
    expect(platformEntries(root, 'containerd')).toEqual([amd64, arm64])
  })

  it('is empty for a single image (no index)', () => {
    const single = image(undefined, 'linux/amd64')
    expect(platformEntries(single)).toEqual([])
  })
})

describe('entryPlatform and labels', () => {
  it("takes the entry's declared platform, normalised, else the config's", () => {
    expect(entryPlatform(image('linux/arm64/v8', 'linux/arm64'))).toEqual({os: 'linux', architecture: 'arm64'})
    expect(entryPlatform(image('linux/aarch64', 'linux/arm64'))).toEqual({os: 'linux', architecture: 'arm64'})
    expect(entryPlatform(image(undefined, 'linux/arm/v7'))).toEqual({os: 'linux', architecture: 'arm', variant: 'v7'})
    expect(entryPlatform(nested(undefined, []))).toBeUndefined()
  })

  it('labels a platform with its Windows os.version, and unknown when there is none', () => {
    expect(platformLabel(entryPlatform(windows('10.0.20348.2113')))).toBe('windows/amd64 (10.0.20348.2113)')
    expect(platformLabel(undefined)).toBe('unknown')
  })

  it('keys two spellings of one platform alike and different os.versions apart', () => {
    expect(platformKey(platform('linux/arm64/v8'))).toBe(platformKey(platform('linux/arm64')))
    expect(platformKey({os: 'windows', architecture: 'amd64', osVersion: '10.0.17763.1'})).not.toBe(
      platformKey({os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.1'}),
    )
  })
})

describe('config platforms', () => {
  it("borrows the entry's variant for a config that writes none for the same architecture (buildx on arm64)", () => {
    const node = image('linux/arm/v7', 'linux/arm')
    expect(matchingConfigPlatform(node, node.descriptor.platform)).toEqual({os: 'linux', architecture: 'arm', variant: 'v7'})
    expect(writtenConfigPlatform(node)).toEqual({os: 'linux', architecture: 'arm'})
    const mismatch = image('linux/arm/v7', 'linux/amd64')
    expect(matchingConfigPlatform(mismatch, mismatch.descriptor.platform)).toEqual({os: 'linux', architecture: 'amd64'})
  })
})

describe('imageNodes and imageBlobs', () => {
  it('lists every image once, a nested index shared by two paths walked once', () => {
    const arm64 = image('linux/arm64')
    const shared = nested(undefined, [arm64])
    const amd64 = image('linux/amd64')
    const {root} = tree([amd64, shared, {...shared}])
    expect(imageNodes(root)).toEqual([amd64, arm64])
  })

  it("names an image's config, then its layers", () => {
    const layer = {mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(), size: 10}
    const node = image('linux/amd64', 'linux/amd64', {layers: [layer]})
    expect(imageBlobs(node).map((blob) => [blob.kind, blob.descriptor.digest])).toEqual([
      ['config', node.config.digest],
      ['layer', layer.digest],
    ])
  })
})
