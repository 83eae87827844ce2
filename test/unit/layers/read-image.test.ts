import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import type {ImageSource} from '../../../src/source/source.js'
import type {Descriptor, ImageNode} from '../../../src/oci/types.js'
import {type LayerProgress, readImageFilesystems} from '../../../src/engine/layers/read-image.js'
import {makeElf} from '../../../scripts/fixtures/elf.js'
import {type LayerFile, makeTar, sha256} from '../../../scripts/fixtures/image-builder.js'

/** An in-memory source that counts blob reads and how many streams are open at once. */
class MemorySource implements ImageSource {
  readonly displayName = 'memory'
  readonly defaultReference = 'latest'
  readonly maxManifestBytes = 4 * 1024 * 1024
  readonly opened = new Map<string, number>()
  open = 0
  maxOpen = 0
  constructor(private readonly blobs: Map<string, Buffer>) {}
  async openBlob(digest: string): Promise<Readable> {
    this.opened.set(digest, (this.opened.get(digest) ?? 0) + 1)
    this.open++
    this.maxOpen = Math.max(this.maxOpen, this.open)
    const bytes = this.blobs.get(digest)!
    const source = this
    return Readable.from(
      (async function* () {
        try {
          for (let i = 0; i < bytes.length; i += 1000) {
            await new Promise((resolve) => setTimeout(resolve, 1))
            yield bytes.subarray(i, i + 1000)
          }
        } finally {
          source.open--
        }
      })(),
    )
  }
  fetchManifest(): never {
    throw new Error('unused')
  }
  manifestExists(): never {
    throw new Error('unused')
  }
  fetchBlob(): never {
    throw new Error('unused')
  }
  blobExists(): never {
    throw new Error('unused')
  }
  async close(): Promise<void> {}
}

async function layer(blobs: Map<string, Buffer>, files: LayerFile[]): Promise<Descriptor> {
  const bytes = gzipSync(await makeTar(files))
  const digest = sha256(bytes)
  blobs.set(digest, bytes)
  return {mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: bytes.length}
}

const image = (digest: string, layers: Descriptor[]): ImageNode => ({
  kind: 'image',
  descriptor: {mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1},
  config: {digest: 'sha256:c', size: 1, mediaType: 'x', os: 'linux', architecture: 'amd64'},
  layers,
  compressedSize: 0,
})

describe('readImageFilesystems', () => {
  it("reads a layer shared by several images once, and applies each image's layers in order", async () => {
    const blobs = new Map<string, Buffer>()
    const base = await layer(blobs, [
      {path: 'bin/sh', content: makeElf('amd64')},
      {path: 'etc/os', content: 'x', mode: 0o644},
    ])
    const amd = await layer(blobs, [{path: 'app', content: makeElf('amd64')}])
    const arm = await layer(blobs, [
      {path: 'app', content: makeElf('arm64')},
      {path: 'etc/.wh.os', content: ''},
    ])
    const source = new MemorySource(blobs)
    const progress: LayerProgress[] = []
    const result = await readImageFilesystems(source, [image('sha256:amd', [base, amd]), image('sha256:arm', [base, arm])], {
      onProgress: (p) => progress.push(p),
    })
    expect([...source.opened.values()]).toEqual([1, 1, 1])
    expect([...result.get('sha256:amd')!.files()].map((f) => f.path).sort()).toEqual(['/app', '/bin/sh', '/etc/os'])
    expect([...result.get('sha256:arm')!.files()].map((f) => f.path).sort()).toEqual(['/app', '/bin/sh'])
    const done = progress.filter((p) => p.done)
    expect(done.map((p) => [p.digest, p.bytesRead])).toEqual(expect.arrayContaining([base, amd, arm].map((l) => [l.digest, l.size])))
    expect(done).toHaveLength(3)
  })

  it('keeps at most `concurrency` layer streams open', async () => {
    const blobs = new Map<string, Buffer>()
    const layers = []
    for (let i = 0; i < 6; i++) layers.push(await layer(blobs, [{path: `f${i}`, content: Buffer.alloc(20_000, i)}]))
    const source = new MemorySource(blobs)
    await readImageFilesystems(source, [image('sha256:i', layers)], {concurrency: 2})
    expect(source.maxOpen).toBe(2)
  })

  it('fails on a corrupt layer, naming it, and stops reading the others', async () => {
    const blobs = new Map<string, Buffer>()
    const good = []
    for (let i = 0; i < 4; i++) good.push(await layer(blobs, [{path: `f${i}`, content: Buffer.alloc(200_000, i)}]))
    const corrupt = Buffer.from(gzipSync(Buffer.alloc(5000, 1)))
    corrupt.fill(0xee, 10, 30)
    blobs.set('sha256:bad', corrupt)
    const source = new MemorySource(blobs)
    const reading = readImageFilesystems(
      source,
      [image('sha256:i', [{mediaType: 'x', digest: 'sha256:bad', size: corrupt.length}, ...good])],
      {concurrency: 2},
    )
    await expect(reading).rejects.toThrow(/^layer sha256:bad: corrupt gzip data/)
    expect(source.opened.size).toBeLessThan(5)
  })
})
