import {Readable} from 'node:stream'

import {RegistryError} from '../../oci/errors.js'
import {type LayerCounter, LayerLimitError} from './limits.js'

export type Compression = 'gzip' | 'zstd' | 'none'

/** What the bytes are: decided by magic numbers, whatever the media type says, as containerd and moby do. */
export function sniffCompression(first: Uint8Array): Compression {
  if (first[0] === 0x1f && first[1] === 0x8b) return 'gzip'
  if (first[0] === 0x28 && first[1] === 0xb5 && first[2] === 0x2f && first[3] === 0xfd) return 'zstd'
  return 'none'
}

/** Pull-style reader over a chunk stream: exact byte counts for headers, pass-through for payloads. */
class ByteReader {
  private buffer: Uint8Array = new Uint8Array(0)
  private done = false

  constructor(private readonly chunks: AsyncIterator<Uint8Array>) {}

  /** Ensures `n` buffered bytes; false when the stream ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffer.length < n && !this.done) {
      const next = await this.chunks.next()
      if (next.done) this.done = true
      else this.buffer = this.buffer.length ? Buffer.concat([this.buffer, next.value]) : next.value
    }
    return this.buffer.length >= n
  }

  peek(n: number): Uint8Array {
    return this.buffer.subarray(0, n)
  }

  take(n: number): Uint8Array {
    const bytes = this.buffer.subarray(0, n)
    this.buffer = this.buffer.subarray(n)
    return bytes
  }

  /** Up to `max` bytes without copying; undefined at the end. */
  async takeSome(max: number): Promise<Uint8Array | undefined> {
    if (!(await this.fill(1))) return undefined
    return this.take(Math.min(max, this.buffer.length))
  }
}

/** Counts compressed bytes as they are read. */
async function* counted(source: AsyncIterable<Uint8Array>, counter: LayerCounter): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counter.consumed(chunk.length)
    yield chunk
  }
}

/**
 * Decompresses a layer blob as a stream of tar bytes, whatever its compression (found from the
 * magic bytes), within the budget's limits. Memory stays bounded: gzip through node:zlib with
 * backpressure, zstd block by block (at most one 128 KiB block of output at a time, plus the window).
 */
export async function* decompressLayer(
  blob: AsyncIterable<Uint8Array>,
  counter: LayerCounter,
  options: {label: string; maxZstdWindowBytes: number},
): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(counted(blob, counter)[Symbol.asyncIterator]())
  await reader.fill(4)
  const compression = sniffCompression(reader.peek(4))
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    for (let piece = await reader.takeSome(1 << 20); piece; piece = await reader.takeSome(1 << 20)) yield piece
  }
  const output = compression === 'gzip' ? gunzip(rest(), options.label) : compression === 'zstd' ? zstdDecode(reader, options) : rest()
  for await (const chunk of output) {
    counter.produced(chunk.length)
    yield chunk
  }
}

async function* gunzip(input: AsyncIterable<Uint8Array>, label: string): AsyncGenerator<Uint8Array> {
  const {createGunzip} = await import('node:zlib')
  const {pipeline} = await import('node:stream')
  const gunzipStream = createGunzip({chunkSize: 64 * 1024})
  // pipeline destroys both sides on error, and the source when the consumer stops early.
  const out = pipeline(Readable.from(input), gunzipStream, () => {})
  try {
    for await (const chunk of out) yield chunk as Uint8Array
  } catch (error) {
    if (error instanceof RegistryError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code?.startsWith('Z_'))
      throw new RegistryError(`${label}: corrupt gzip data (${(error as Error).message})`, 'bad-layer', {cause: error})
    throw error
  }
}

const ZSTD_MAGIC = 0xfd2fb528

async function* zstdDecode(reader: ByteReader, options: {label: string; maxZstdWindowBytes: number}): AsyncGenerator<Uint8Array> {
  const {Decompress} = await import('fzstd')
  const {label} = options
  const corrupt = (why: string): RegistryError => new RegistryError(`${label}: corrupt zstd data (${why})`, 'bad-layer')
  let output: Uint8Array[] = []
  const decoder = new Decompress((data) => {
    if (data.length) output.push(data)
  })
  const push = (bytes: Uint8Array, final = false): void => {
    try {
      decoder.push(bytes, final)
    } catch (error) {
      throw corrupt((error as Error).message)
    }
  }
  const need = async (n: number): Promise<void> => {
    if (!(await reader.fill(n))) throw corrupt('truncated')
  }
  const passThrough = async (length: number): Promise<void> => {
    for (let remaining = length; remaining > 0;) {
      const piece = await reader.takeSome(remaining)
      if (!piece) throw corrupt('truncated')
      push(piece)
      remaining -= piece.length
    }
  }

  // Frames are walked header by header so that each push decodes at most one block: the window is
  // checked before the decoder allocates it, and output is handed on (with backpressure) per block.
  while (await reader.fill(1)) {
    await need(4)
    const magic = Buffer.from(reader.peek(4)).readUInt32LE(0)
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      await need(8)
      const size = Buffer.from(reader.peek(8)).readUInt32LE(4)
      push(reader.take(8))
      await passThrough(size)
      continue
    }
    if (magic !== ZSTD_MAGIC) throw corrupt('bad frame magic')
    await need(5)
    const descriptor = reader.peek(5)[4]
    const singleSegment = (descriptor >> 5) & 1
    const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]
    const contentSizeBytes = [singleSegment, 2, 4, 8][descriptor >> 6]
    const headerLength = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes
    await need(headerLength)
    const header = Buffer.from(reader.peek(headerLength))
    let window: number
    if (singleSegment) {
      const at = headerLength - contentSizeBytes
      window =
        contentSizeBytes === 8
          ? Number(header.readBigUInt64LE(at))
          : contentSizeBytes === 4
            ? header.readUInt32LE(at)
            : contentSizeBytes === 2
              ? header.readUInt16LE(at) + 256
              : header[at]
    } else {
      const exponent = header[5] >> 3
      const base = 2 ** (10 + exponent)
      window = base + (base / 8) * (header[5] & 7)
    }
    if (window > options.maxZstdWindowBytes) {
      throw new LayerLimitError(
        `${label}: zstd window of ${Math.round(window / 1024 ** 2)} MiB is larger than the ${Math.round(options.maxZstdWindowBytes / 1024 ** 2)} MiB archcheck decodes (compressed with zstd --long or --ultra?)`,
      )
    }
    const hasChecksum = (descriptor >> 2) & 1
    push(reader.take(headerLength))
    for (let last = false; !last;) {
      await need(3)
      const blockHeader = Buffer.from(reader.peek(3))
      const value = blockHeader[0] | (blockHeader[1] << 8) | (blockHeader[2] << 16)
      last = (value & 1) === 1
      const type = (value >> 1) & 3
      if (type === 3) throw corrupt('reserved block type')
      push(reader.take(3))
      await passThrough(type === 1 ? 1 : value >>> 3)
      if (output.length) {
        const ready = output
        output = []
        yield* ready
      }
    }
    if (hasChecksum) {
      await need(4)
      push(reader.take(4))
    }
  }
  push(new Uint8Array(0), true)
  yield* output
}
