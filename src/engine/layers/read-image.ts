import type {Readable} from 'node:stream'

import {shortDigest} from '../../oci/digest.js'
import type {ImageSource} from '../../source/source.js'
import type {Descriptor, ImageNode} from '../../oci/types.js'
import {DEFAULT_HEAD_BYTES} from './binary.js'
import {decompressLayer} from './decompress.js'
import {ImageFilesystem} from './filesystem.js'
import {DecompressionBudget, DEFAULT_LAYER_LIMITS, type LayerLimits} from './limits.js'
import {type LayerEntry, readTarEntries} from './tar-entries.js'

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

  const entries = new Map<string, LayerEntry[]>()
  const queue = [...layers.values()]
  let failure: unknown
  const worker = async (): Promise<void> => {
    for (let layer = queue.shift(); layer && failure === undefined; layer = queue.shift()) {
      try {
        entries.set(layer.digest, await readLayer(source, layer, budget, options, () => failure !== undefined))
      } catch (error) {
        failure ??= error
      }
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(options.concurrency ?? 3, queue.length))}, worker))
  if (failure !== undefined) throw failure

  const result = new Map<string, ImageFilesystem>()
  for (const image of images) {
    const fs = new ImageFilesystem()
    for (const layer of image.layers) fs.applyLayer(entries.get(layer.digest)!)
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
): Promise<LayerEntry[]> {
  const label = `layer ${shortDigest(layer.digest)}`
  const blob = await source.openBlob(layer.digest)
  const counter = budget.forLayer(label)
  const progress = async function* (stream: Readable): AsyncGenerator<Uint8Array> {
    let bytesRead = 0
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (cancelled()) throw new Error('cancelled')
      bytesRead += chunk.length
      options.onProgress?.({digest: layer.digest, bytesRead, size: layer.size, done: false})
      yield chunk
    }
    options.onProgress?.({digest: layer.digest, bytesRead, size: layer.size, done: true})
  }
  const tar = decompressLayer(progress(blob), counter, {label, maxZstdWindowBytes: budget.limits.maxZstdWindowBytes})
  return readTarEntries(tar, {label, headBytes: options.headBytes ?? DEFAULT_HEAD_BYTES, onEntry: () => counter.entry?.()})
}
