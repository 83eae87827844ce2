/** Layer bytes for decompression tests: chunked streams, a budgeted decompress, incompressible noise. */
import {decompressLayer} from '../../src/engine/layers/decompress.js'
import {DecompressionBudget, DEFAULT_LAYER_LIMITS, type LayerLimits} from '../../src/engine/layers/limits.js'

/** Feeds `bytes` in chunks of `chunkSize` (default 64 KiB), as a network stream would. */
export async function* chunked(bytes: Buffer, chunkSize = 65536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize)
}

export async function decompress(bytes: Buffer, limits: Partial<LayerLimits> = {}, chunkSize?: number): Promise<Buffer> {
  const budget = new DecompressionBudget({...DEFAULT_LAYER_LIMITS, ...limits})
  const out: Uint8Array[] = []
  for await (const chunk of decompressLayer(chunked(bytes, chunkSize), budget.forLayer('layer sha256:test'), {
    label: 'layer sha256:test',
    maxZstdWindowBytes: budget.limits.maxZstdWindowBytes,
  }))
    out.push(chunk)
  return Buffer.concat(out)
}

/** Bytes that do not compress. */
export const noise = (size: number): Buffer => {
  const bytes = Buffer.alloc(size)
  let x = 12345
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    bytes[i] = x >>> 16
  }
  return bytes
}
