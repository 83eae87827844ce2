import type {Readable} from 'node:stream'

import type {FetchedManifest, ImageSource} from '../../source/source.js'

/**
 * Reads shared by the images of one audit. Tags of a repository point, again and again, to the
 * same child manifests and configs (a release re-tagged, `1.4`, `1.4.2` and `latest` on one
 * index): a digest names the same bytes every time, so each is read (and verified) once per run
 * and repository, however many tags lead to it, and two images in flight at once wait for the same
 * read instead of making two. Kept per repository: a digest readable in one repository may be
 * missing from another, and the audit must see what each pull would see. Failures are not kept:
 * the next image asks again.
 */
export class SharedReads {
  private readonly memo: OnceMemo<unknown>

  /** At most this many reads are kept; the oldest go first (a long audit of distinct images must not grow without bound). */
  constructor(maxEntries = 4096) {
    this.memo = new OnceMemo(maxEntries)
  }

  /** `source` with its reads by digest shared under `scope` (the repository). */
  wrap(source: ImageSource, scope: string): ImageSource {
    return new SharedReadsSource(source, <T>(key: string, read: () => Promise<T>) => this.memo.once(`${scope} ${key}`, read) as Promise<T>)
  }
}

/**
 * Promises by key, each made once: a second caller gets the first one's promise, settled or in
 * flight. At most `maxEntries` are kept, the oldest dropped first. A rejected promise is dropped,
 * so the next caller asks again.
 */
export class OnceMemo<T> {
  private readonly memo = new Map<string, Promise<T>>()

  constructor(private readonly maxEntries: number) {}

  get(key: string): Promise<T> | undefined {
    return this.memo.get(key)
  }

  once(key: string, read: () => Promise<T>): Promise<T> {
    const known = this.memo.get(key)
    if (known) return known
    const pending = read()
    this.memo.set(key, pending)
    pending.catch(() => {
      if (this.memo.get(key) === pending) this.memo.delete(key)
    })
    if (this.memo.size > this.maxEntries) this.memo.delete(this.memo.keys().next().value!)
    return pending
  }
}

type Once = <T>(key: string, read: () => Promise<T>) => Promise<T>

class SharedReadsSource implements ImageSource {
  readonly displayName: string
  readonly defaultReference: string
  readonly maxManifestBytes: number

  constructor(
    private readonly inner: ImageSource,
    private readonly once: Once,
  ) {
    this.displayName = inner.displayName
    this.defaultReference = inner.defaultReference
    this.maxManifestBytes = inner.maxManifestBytes
    if (inner.listTags) this.listTags = () => inner.listTags!()
  }

  listTags?: () => Promise<string[]>

  /** By digest only: a tag may move between two reads, and asking for it is how a re-audit learns that. */
  fetchManifest(reference?: string): Promise<FetchedManifest> {
    if (reference === undefined || !reference.includes(':')) return this.inner.fetchManifest(reference)
    return this.once(`manifest ${reference}`, () => this.inner.fetchManifest(reference))
  }

  manifestExists(digest: string): Promise<boolean> {
    return this.inner.manifestExists(digest)
  }

  fetchBlob(digest: string, maxBytes?: number): Promise<Uint8Array> {
    return this.once(`blob ${digest} ${maxBytes ?? ''}`, () => this.inner.fetchBlob(digest, maxBytes))
  }

  openBlob(digest: string): Promise<Readable> {
    return this.inner.openBlob(digest)
  }

  blobExists(digest: string): Promise<boolean> {
    return this.inner.blobExists(digest)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
