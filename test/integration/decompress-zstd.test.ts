/** zstd layers compressed by the real `zstd` tool (frames, bombs, windows, corruption): needs `zstd`. */
import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {errorExitCode} from '../../src/api/exit-codes.js'
import {sniffCompression} from '../../src/engine/layers/decompress.js'
import {LayerLimitError} from '../../src/engine/layers/limits.js'
import {decompress, noise} from '../helpers/layer-streams.js'

const zstd = (bytes: Buffer, ...args: string[]): Buffer => execFileSync('zstd', ['-q', '-c', ...args], {input: bytes, maxBuffer: 1 << 30})

describe('zstd layers', () => {
  const data = Buffer.concat([noise(300_000), Buffer.alloc(500_000, 7), noise(100_000)])

  it('are recognised by magic bytes', () => {
    expect(sniffCompression(zstd(Buffer.from('x')))).toBe('zstd')
  })

  it('inflate to the same content, whatever the chunking', async () => {
    expect((await decompress(zstd(data))).equals(data)).toBe(true)
    expect((await decompress(zstd(data), {}, 7)).equals(data)).toBe(true)
  })

  it('decodes several zstd frames, with checksums and skippable frames between them', async () => {
    const skippable = Buffer.alloc(8 + 5)
    skippable.writeUInt32LE(0x184d2a5e, 0)
    skippable.writeUInt32LE(5, 4)
    const frames = Buffer.concat([zstd(data.subarray(0, 400_000), '--check'), skippable, zstd(data.subarray(400_000), '--no-check', '-19')])
    expect((await decompress(frames)).equals(data)).toBe(true)
  })

  it('refuses a zstd bomb by ratio while still decoding block by block', async () => {
    const bomb = zstd(Buffer.alloc(64 * 1024 * 1024))
    expect(bomb.length).toBeLessThan(10_000)
    const error = await decompress(bomb, {maxRatio: 100, ratioGraceBytes: 4 * 1024 * 1024}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LayerLimitError)
    expect((error as LayerLimitError).kind).toBe('layer-limit')
    expect(errorExitCode(error)).toBe(3)
  })

  it('refuses by default the 128 MiB window of zstd --long, which the decoder cannot follow', async () => {
    await expect(decompress(zstd(noise(100_000), '--long=27'))).rejects.toThrow(
      /zstd window of 128 MiB is larger than the 32 MiB archcheck decodes \(compressed with zstd --long or --ultra\?\)/,
    )
  })

  it('refuses a zstd window larger than allowed before allocating it', async () => {
    await expect(decompress(zstd(noise(4 * 1024 * 1024), '--no-content-size'), {maxZstdWindowBytes: 1024 * 1024})).rejects.toThrow(
      /zstd window of \d+ MiB is larger than the 1 MiB archcheck decodes/,
    )
  })

  it('report corrupt data as a bad layer', async () => {
    const z = zstd(data)
    await expect(decompress(z.subarray(0, z.length - 100))).rejects.toThrow(/corrupt zstd data/)
  })
})
