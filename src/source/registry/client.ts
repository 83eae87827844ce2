import type {AbortOptions} from '../../oci/abort.js'
import {DEFAULT_MAX_MANIFEST_BYTES} from '../../oci/digest.js'
import type {Reference} from '../../oci/reference.js'
import type {ContentCache} from '../cache.js'
import {AuthCache} from './auth.js'
import {CredentialStore, dockerKeychain} from './credentials.js'
import type {RegistryOptions} from './options.js'
import {RegistrySource, type SourceClient} from './registry-source.js'
import {SharedWork} from './shared-work.js'
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
  private readonly reads: SharedWork<unknown>
  private readonly presence: SharedWork<boolean>

  constructor(options: RegistryOptions) {
    this.transport = new Transport(transportSettings(options))
    this.auth = new AuthCache(this.transport)
    this.credentials = new CredentialStore(
      this.transport.aborts,
      options.keychain ?? (options.dockerConfigDir === undefined ? undefined : dockerKeychain({configDir: options.dockerConfigDir})),
    )
    this.reads = new SharedWork(this.transport.aborts)
    this.presence = new SharedWork<boolean>(this.transport.aborts, (present) => present, MAX_PRESENCE_CHECKS)
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES
    this.cache = options.cache
  }

  inFlight<T>(key: string, read: (options: AbortOptions) => Promise<T>, options: AbortOptions = {}): Promise<T> {
    return this.reads.run(key, read, options) as Promise<T>
  }

  /**
   * Whether a manifest (`registry/repository@digest`) is in its repository: `check()` once per key,
   * and a `true` kept for the client's life (a run); this is what lets the content cache answer
   * for it. A `false` or a failure is not kept, so the next caller asks again (a GET may yet
   * find it). At most MAX_PRESENCE_CHECKS are kept, the oldest dropped first.
   */
  manifestPresent(key: string, check: (options: AbortOptions) => Promise<boolean>, options: AbortOptions = {}): Promise<boolean> {
    return this.presence.run(key, check, options)
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
}
