import type {Readable} from 'node:stream'

import {shortDigest} from '../../oci/digest.js'
import type {ImageSource} from '../../source/source.js'
import type {Descriptor, ImageNode} from '../../oci/types.js'
import {DEFAULT_HEAD_BYTES} from './binary.js'
import {decompressLayer} from './decompress.js'
import {ImageFilesystem} from './filesystem.js'
import {DecompressionBudget, DEFAULT_LAYER_LIMITS, LayerLimitError, type LayerLimits} from './limits.js'
import {type LayerEntries, readTarEntries} from './tar-entries.js'

export interface LayerProgress {
  digest: string
  /** Compressed bytes read so far. */
  bytesRead: number
  /** The descriptor's size. */
  size: number
  done: boolean
}

export interface ReadLayersOptions {
  limits?: Partial<LayerLimits>
  /** Bytes kept from the start of each executable file (default 4096; an ELF that needs more to show its loader gets up to 64 KiB). */
  headBytes?: number
  /** Layers read at once (default 3). */
  concurrency?: number
  onProgress?: (progress: LayerProgress) => void
}

/**
 * Builds the merged filesystem of each image. Every distinct layer is streamed once, even when
 * several images share it, with at most `concurrency` streams open; then each image applies its
 * layers in order.
 *
 * All of every layer is read: no answer is final before the last layer's last entry, since any
 * later entry can whiteout, replace or re-link the file in question.
 */
export async function readImageFilesystems(
  source: ImageSource,
  images: ImageNode[],
  options: ReadLayersOptions = {},
): Promise<Map<string, ImageFilesystem>> {
  const limits = {...DEFAULT_LAYER_LIMITS, ...options.limits}
  const budget = new DecompressionBudget(limits)
  const layers = new Map<string, Descriptor>()
  for (const image of images) for (const layer of image.layers) layers.set(layer.digest, layer)

  const entries = new Map<string, LayerEntries>()
  const queue = [...layers.values()]
  // The first layer's error, boxed: whatever was thrown, even undefined, stops the other workers.
  let failure: {error: unknown} | undefined
  const worker = async (): Promise<void> => {
    for (let layer = queue.shift(); layer && failure === undefined; layer = queue.shift()) {
      try {
        entries.set(layer.digest, await readLayer(source, layer, budget, options, () => failure !== undefined))
      } catch (error) {
        failure ??= {error}
      }
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(options.concurrency ?? 3, queue.length))}, worker))
  if (failure !== undefined) throw failure.error

  // A layer's table is dropped after the last image that uses it has applied it: a large layer's
  // entries need not outlive it alongside every filesystem built after.
  const uses = new Map<string, number>()
  for (const image of images) for (const layer of image.layers) uses.set(layer.digest, (uses.get(layer.digest) ?? 0) + 1)
  const result = new Map<string, ImageFilesystem>()
  for (const image of images) {
    const fs = new ImageFilesystem()
    for (const layer of image.layers) {
      fs.applyLayer(entries.get(layer.digest)!)
      const left = uses.get(layer.digest)! - 1
      uses.set(layer.digest, left)
      if (left === 0) entries.delete(layer.digest)
    }
    result.set(image.descriptor.digest, fs)
  }
  return result
}

/** One layer blob → its tar entries. Stops (by throwing) when `cancelled()` turns true: another layer failed. */
async function readLayer(
  source: ImageSource,
  layer: Descriptor,
  budget: DecompressionBudget,
  options: Pick<ReadLayersOptions, 'headBytes' | 'onProgress'>,
  cancelled: () => boolean = () => false,
): Promise<LayerEntries> {
  const label = `layer ${shortDigest(layer.digest)}`
  const blob = await source.openBlob(layer.digest)
  const counter = budget.forLayer(label)
  const {minBytesPerSecond, rateWindowMs} = budget.limits
  const progress = async function* (stream: Readable): AsyncGenerator<Uint8Array> {
    let bytesRead = 0
    // The stall rule, over consecutive windows: judged when a chunk arrives after a window has
    // passed (a source that sends nothing at all meets its own idle timeout instead).
    let windowStart = Date.now()
    let windowBytes = 0
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (cancelled()) throw new Error('cancelled')
      bytesRead += chunk.length
      windowBytes += chunk.length
      const elapsed = Date.now() - windowStart
      if (minBytesPerSecond > 0 && elapsed >= rateWindowMs) {
        if ((windowBytes * 1000) / elapsed < minBytesPerSecond) {
          throw new LayerLimitError(
            `${label}: ${windowBytes} bytes in ${(elapsed / 1000).toFixed(1)} s, slower than the minimum of ${formatRate(minBytesPerSecond)} (--min-rate); the source is stalling`,
          )
        }
        windowStart = Date.now()
        windowBytes = 0
      }
      options.onProgress?.({digest: layer.digest, bytesRead, size: layer.size, done: false})
      yield chunk
    }
    options.onProgress?.({digest: layer.digest, bytesRead, size: layer.size, done: true})
  }
  const tar = decompressLayer(progress(blob), counter, {label, maxZstdWindowBytes: budget.limits.maxZstdWindowBytes})
  try {
    return await readTarEntries(tar, {label, headBytes: options.headBytes ?? DEFAULT_HEAD_BYTES, onEntry: () => counter.entry?.()})
  } finally {
    // Stopped early (a limit, a bad entry, another layer failed), the generators above wait on a
    // read of the blob that may never come (a stalled server): destroying the blob ends that wait
    // and releases its connection or file.
    blob.destroy()
  }
}

function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond % 1024 === 0 ? `${bytesPerSecond / 1024} KiB/s` : `${bytesPerSecond} B/s`
}
