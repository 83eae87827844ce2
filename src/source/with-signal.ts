import type {Readable} from 'node:stream'

import type {AbortOptions} from '../oci/abort.js'
import type {Descriptor} from '../oci/types.js'
import type {FetchedManifest, ImageSource, ListReferrersOptions} from './source.js'

/**
 * `source` with `signal` given to every call: how one api call's signal reaches each read the
 * engine makes, without every engine function carrying it. A call that names a signal of its own
 * is aborted by either.
 */
export function withSignal(source: ImageSource, signal: AbortSignal | undefined): ImageSource {
  return signal ? new SignalledSource(source, signal) : source
}

class SignalledSource implements ImageSource {
  readonly displayName: string
  readonly defaultReference: string
  readonly maxManifestBytes: number
  listTags?: (options?: AbortOptions) => Promise<string[]>
  listReferrers?: (digest: string, options?: ListReferrersOptions) => Promise<Descriptor[] | undefined>

  constructor(
    private readonly inner: ImageSource,
    private readonly signal: AbortSignal,
  ) {
    this.displayName = inner.displayName
    this.defaultReference = inner.defaultReference
    this.maxManifestBytes = inner.maxManifestBytes
    if (inner.listTags) this.listTags = (options) => inner.listTags!(this.with(options))
    if (inner.listReferrers) this.listReferrers = (digest, options) => inner.listReferrers!(digest, this.with(options))
  }

  fetchManifest(reference?: string, options?: AbortOptions): Promise<FetchedManifest> {
    return this.inner.fetchManifest(reference, this.with(options))
  }

  manifestExists(digest: string, options?: AbortOptions): Promise<boolean> {
    return this.inner.manifestExists(digest, this.with(options))
  }

  fetchBlob(digest: string, maxBytes?: number, options?: AbortOptions): Promise<Uint8Array> {
    return this.inner.fetchBlob(digest, maxBytes, this.with(options))
  }

  openBlob(digest: string, options?: AbortOptions): Promise<Readable> {
    return this.inner.openBlob(digest, this.with(options))
  }

  blobExists(digest: string, options?: AbortOptions): Promise<boolean> {
    return this.inner.blobExists(digest, this.with(options))
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  private with<T extends AbortOptions>(options: T | undefined): T {
    const own = options?.signal
    return {...options, signal: own && own !== this.signal ? AbortSignal.any([this.signal, own]) : this.signal} as T
  }
}
