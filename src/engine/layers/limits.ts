import {RegistryError} from '../../oci/errors.js'

/** Bounds on what reading layers may cost, against decompression bombs. */
export interface LayerLimits {
  /** Decompressed bytes allowed across every layer read in one run (default 16 GiB). */
  maxTotalBytes: number
  /** Largest decompressed/compressed ratio allowed for a layer (default 200)… */
  maxRatio: number
  /** …checked once a layer has produced this many decompressed bytes (default 64 MiB): small layers of zeros are fine. */
  ratioGraceBytes: number
  /** Largest zstd window accepted (default 32 MiB): the decoder allocates it up front, and fzstd's back-references reach 32 MiB at most. */
  maxZstdWindowBytes: number
  /**
   * Tar entries allowed across every layer read in one run (default 2,000,000): each is kept in
   * memory (a few hundred bytes with its node in the merged filesystem), so millions of empty
   * files in a small layer would otherwise cost gigabytes.
   */
  maxEntries: number
}

export const DEFAULT_LAYER_LIMITS: LayerLimits = {
  maxTotalBytes: 16 * 1024 ** 3,
  maxRatio: 200,
  ratioGraceBytes: 64 * 1024 ** 2,
  maxZstdWindowBytes: 32 * 1024 ** 2,
  maxEntries: 2_000_000,
}

/** A layer that would cost more than the limits allow. Exit 3, like any image that cannot be read. */
export class LayerLimitError extends RegistryError {
  constructor(message: string) {
    super(message, 'layer-limit')
  }
}

const MiB = 1024 ** 2

/**
 * Counts bytes for one run: each layer reports what it read and what it produced, and the first
 * count past a limit throws LayerLimitError naming the layer.
 */
export class DecompressionBudget {
  private total = 0
  private entries = 0

  constructor(readonly limits: LayerLimits = DEFAULT_LAYER_LIMITS) {}

  /** Tracks one layer; call `produced(n)` for each decompressed chunk, `consumed(n)` for each compressed one. */
  forLayer(label: string): LayerCounter {
    let compressed = 0
    let decompressed = 0
    return {
      entry: () => {
        if (++this.entries > this.limits.maxEntries) {
          throw new LayerLimitError(
            `${label}: the layers hold more than ${this.limits.maxEntries} tar entries in total (raise --max-entries if the image is genuine)`,
          )
        }
      },
      consumed: (bytes: number) => {
        compressed += bytes
      },
      produced: (bytes: number) => {
        decompressed += bytes
        this.total += bytes
        if (this.total > this.limits.maxTotalBytes) {
          throw new LayerLimitError(
            `${label}: decompressed layers exceed the limit of ${Math.round(this.limits.maxTotalBytes / MiB)} MiB in total (possible decompression bomb; raise --max-decompressed if the image is genuine)`,
          )
        }
        if (decompressed > this.limits.ratioGraceBytes && decompressed > this.limits.maxRatio * Math.max(compressed, 1)) {
          throw new LayerLimitError(
            `${label}: expands more than ${this.limits.maxRatio}:1 (${Math.round(decompressed / MiB)} MiB from ${Math.max(1, Math.round(compressed / 1024))} KiB read; possible decompression bomb; raise --max-ratio if the image is genuine)`,
          )
        }
      },
    }
  }
}

export interface LayerCounter {
  /** One more tar entry kept (counted across the run, against maxEntries); absent where only bytes are counted. */
  entry?(): void
  consumed(bytes: number): void
  produced(bytes: number): void
}
