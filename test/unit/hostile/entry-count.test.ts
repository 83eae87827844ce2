import tar from 'tar-stream'
import {describe, expect, it} from 'vitest'

import {layerReadOptionsFromFlags} from '../../../src/cli/layer-flags.js'
import {DEFAULT_LAYER_LIMITS, LayerLimitError} from '../../../src/engine/layers/limits.js'
import {readImageFilesystems} from '../../../src/engine/layers/read-image.js'
import type {ImageSource} from '../../../src/source/source.js'
import type {Descriptor, ImageNode} from '../../../src/oci/types.js'
import {collectPack, sha256} from '../../../scripts/fixtures/image-builder.js'
import {Readable} from 'node:stream'

async function emptyFiles(count: number, prefix: string): Promise<Buffer> {
  const pack = tar.pack()
  const done = collectPack(pack)
  for (let i = 0; i < count; i++) pack.entry({name: `${prefix}${i}`, mode: 0o644}, Buffer.alloc(0))
  pack.finalize()
  return done
}

function sourceOf(blobs: Map<string, Buffer>): ImageSource {
  return {
    displayName: 'memory',
    defaultReference: 'latest',
    maxManifestBytes: 1 << 22,
    openBlob: async (digest: string) => Readable.from([blobs.get(digest)!]),
    fetchManifest: () => {
      throw new Error('unused')
    },
    manifestExists: () => {
      throw new Error('unused')
    },
    fetchBlob: () => {
      throw new Error('unused')
    },
    blobExists: () => {
      throw new Error('unused')
    },
    close: async () => {},
  } as unknown as ImageSource
}

async function imageOf(blobs: Map<string, Buffer>, layers: Buffer[]): Promise<ImageNode> {
  const descriptors: Descriptor[] = layers.map((bytes) => {
    const digest = sha256(bytes)
    blobs.set(digest, bytes)
    return {mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: bytes.length}
  })
  return {
    kind: 'image',
    descriptor: {mediaType: 'x', digest: 'sha256:i', size: 1},
    config: {digest: 'sha256:c', size: 1, mediaType: 'x', os: 'linux', architecture: 'amd64'},
    layers: descriptors,
    compressedSize: 0,
  }
}

describe('the number of tar entries is bounded', () => {
  it('has a documented default', () => {
    expect(DEFAULT_LAYER_LIMITS.maxEntries).toBe(2_000_000)
    expect(
      layerReadOptionsFromFlags({'max-decompressed': 1, 'max-ratio': 1, 'layer-concurrency': 1, 'max-entries': 7}).limits?.maxEntries,
    ).toBe(7)
  })

  it('counts entries over all layers of the run and stops with the flag to raise', async () => {
    const blobs = new Map<string, Buffer>()
    const image = await imageOf(blobs, [await emptyFiles(600, 'a'), await emptyFiles(600, 'b')])
    const reading = readImageFilesystems(sourceOf(blobs), [image], {limits: {maxEntries: 1000}, concurrency: 1})
    await expect(reading).rejects.toThrow(LayerLimitError)
    await expect(readImageFilesystems(sourceOf(blobs), [image], {limits: {maxEntries: 1000}, concurrency: 1})).rejects.toThrow(
      /^layer sha256:[0-9a-f]{12}: the layers hold more than 1000 tar entries in total \(raise --max-entries if the image is genuine\)$/,
    )
    const fs = (await readImageFilesystems(sourceOf(blobs), [image], {limits: {maxEntries: 1200}})).get('sha256:i')!
    expect([...fs.files()]).toHaveLength(1200)
  })
})
