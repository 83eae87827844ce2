import {AbortError, type AbortOptions} from '../../oci/abort.js'
import {DEFAULT_MAX_MANIFEST_BYTES} from '../../oci/digest.js'
import type {Reference} from '../../oci/reference.js'
import type {ContentCache} from '../cache.js'
import {AuthCache} from './auth.js'
import {CredentialStore, dockerKeychain} from './credentials.js'
import type {RegistryOptions} from './options.js'
import {RegistrySource, type SourceClient} from './registry-source.js'
import type {ClientStats} from './stats.js'
import {Transport, transportSettings} from './transport.js'

/** Manifest confirmations a client keeps: far more than the distinct manifests of a large audit, and a bound on memory. */
const MAX_PRESENCE_CHECKS = 100_000

/**
 * A registry client: `repository(ref)` opens a repository to read, `stats()` tells what was sent,
 * `close()` releases everything. What it learns while talking to registries (connection pools,
 * the scheme insecure hosts answered on, auth challenges, bearer tokens, credential look-ups)
 * stays inside it: sources opened through one client share all of it (one 401 and one token per
 * repository, one credential-helper run per registry); two clients in one process share nothing.
 * The content cache (`options.cache`) belongs to the caller, who opened it: the client reads and
 * fills it, and counts what it sent in `stats()`.
 */
export class RegistryClient {
  readonly #shared: SharedState

  constructor(options: RegistryOptions = {}) {
    this.#shared = new SharedState(options)
  }

  /** Largest manifest or config its sources accept, in bytes (RegistryOptions.maxManifestBytes). */
  get maxManifestBytes(): number {
    return this.#shared.maxManifestBytes
  }

  /** Requests sent so far (by method), the cache's figures and each registry's last rate-limit headers. */
  stats(): ClientStats {
    return this.#shared.transport.stats.snapshot(this.#shared.cache?.stats())
  }

  /** A repository of a registry, read through this client; `closesClient` hands the client's life to the source. */
  repository(ref: Reference, options: {closesClient?: boolean} = {}): RegistrySource {
    return new RegistrySource(ref, this.#shared, options.closesClient ?? false)
  }

  /** Closes its connection pools and forgets tokens, challenges and credentials; requests in flight fail. */
  close(): Promise<void> {
    return this.#shared.close()
  }
}

/** A registry client with its own pools, tokens and credential look-ups; close it when done. */
export function createRegistryClient(options: RegistryOptions = {}): RegistryClient {
  return new RegistryClient(options)
}

/** What the sources of one client share: the parts a RegistryClient keeps to itself. */
class SharedState implements SourceClient {
  readonly transport: Transport
  readonly auth: AuthCache
  readonly credentials: CredentialStore
  readonly maxManifestBytes: number
  readonly cache?: ContentCache
  private readonly reads = new Map<string, Promise<unknown>>()
  private readonly presence = new Map<string, Promise<boolean>>()

  constructor(options: RegistryOptions) {
    this.transport = new Transport(transportSettings(options))
    this.auth = new AuthCache(this.transport)
    this.credentials = new CredentialStore(
      options.keychain ?? (options.dockerConfigDir === undefined ? undefined : dockerKeychain({configDir: options.dockerConfigDir})),
    )
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES
    this.cache = options.cache
  }

  inFlight<T>(key: string, read: (options: AbortOptions) => Promise<T>, {signal}: AbortOptions = {}): Promise<T> {
    return this.shared(key, this.reads as Map<string, Promise<T>>, read, signal)
  }

  /**
   * Whether a manifest (`registry/repository@digest`) is in its repository: `check()` once per key,
   * and a `true` kept for the client's life (a run); this is what lets the content cache answer
   * for it. A `false` or a failure is not kept, so the next caller asks again (a GET may yet
   * find it). At most MAX_PRESENCE_CHECKS are kept, the oldest dropped first.
   */
  manifestPresent(key: string, check: (options: AbortOptions) => Promise<boolean>, {signal}: AbortOptions = {}): Promise<boolean> {
    return this.shared(key, this.presence, check, signal, (present) => present)
  }

  notePresent(key: string): void {
    void this.manifestPresent(key, () => Promise.resolve(true))
  }

  async close(): Promise<void> {
    this.auth.clear()
    this.credentials.clear()
    this.presence.clear()
    await this.transport.close()
  }

  /**
   * The promise under `key` in `memo`, or `start`'s, kept while in flight (and afterwards when
   * `keep` says so). A caller waits on its own signal; when the read it shares was aborted by
   * another caller's signal, it starts the read again under its own.
   */
  private async shared<T>(
    key: string,
    memo: Map<string, Promise<T>>,
    start: (options: AbortOptions) => Promise<T>,
    signal: AbortSignal | undefined,
    keep: (value: T) => boolean = () => false,
  ): Promise<T> {
    for (;;) {
      let pending = memo.get(key)
      if (!pending) {
        const started = start({signal})
        pending = started
        memo.set(key, started)
        const forget = (): void => {
          if (memo.get(key) === started) memo.delete(key)
        }
        started.then((value) => keep(value) || forget(), forget)
        if (memo.size > MAX_PRESENCE_CHECKS) memo.delete(memo.keys().next().value!)
      }
      try {
        return await this.transport.aborts.race(pending, signal)
      } catch (error) {
        if (!(error instanceof AbortError) || signal?.aborted) throw error
        if (memo.get(key) === pending) memo.delete(key)
      }
    }
  }
}
