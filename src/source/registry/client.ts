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
 * Everything one run learns while talking to registries, owned by one object: connection pools,
 * the scheme insecure hosts answered on, auth challenges, bearer tokens and credential look-ups.
 * Sources opened through one client share all of it (one 401 and one token per repository, one
 * credential-helper run per registry); two clients in one process share nothing. `close()`
 * releases the pools and forgets the rest. The content cache (`options.cache`) belongs to the
 * caller, who opened it: the client reads and fills it, and counts what it sent in `stats()`.
 */
export class RegistryClient implements SourceClient {
  readonly transport: Transport
  readonly auth: AuthCache
  readonly credentials: CredentialStore
  readonly maxManifestBytes: number
  readonly cache?: ContentCache
  private readonly reads = new Map<string, Promise<unknown>>()
  private readonly presence = new Map<string, Promise<boolean>>()

  constructor(readonly options: RegistryOptions = {}) {
    this.transport = new Transport(transportSettings(options))
    this.auth = new AuthCache(this.transport)
    this.credentials = new CredentialStore(
      options.keychain ?? (options.dockerConfigDir === undefined ? undefined : dockerKeychain({configDir: options.dockerConfigDir})),
    )
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES
    this.cache = options.cache
  }

  /** Requests sent so far (by method), the cache's figures and each registry's last rate-limit headers. */
  stats(): ClientStats {
    return this.transport.stats.snapshot(this.cache?.stats())
  }

  /** `read()`, or the promise of the same read already in flight under `key` (forgotten once settled). */
  inFlight<T>(key: string, read: () => Promise<T>): Promise<T> {
    const pending = this.reads.get(key)
    if (pending) return pending as Promise<T>
    const started = read().finally(() => this.reads.delete(key))
    this.reads.set(key, started)
    return started
  }

  /**
   * Whether a manifest (`registry/repository@digest`) is in its repository: `check()` once per key,
   * and a `true` kept for the client's life (a run); this is what lets the content cache answer
   * for it. A `false` or a failure is not kept, so the next caller asks again (a GET may yet
   * find it). At most MAX_PRESENCE_CHECKS are kept, the oldest dropped first.
   */
  manifestPresent(key: string, check: () => Promise<boolean>): Promise<boolean> {
    const known = this.presence.get(key)
    if (known) return known
    const pending = check()
    this.presence.set(key, pending)
    const forget = (): void => {
      if (this.presence.get(key) === pending) this.presence.delete(key)
    }
    pending.then((present) => present || forget(), forget)
    if (this.presence.size > MAX_PRESENCE_CHECKS) this.presence.delete(this.presence.keys().next().value!)
    return pending
  }

  /** Records a manifest the registry has just served or named (a GET, a tag's HEAD) as present for the run. */
  notePresent(key: string): void {
    void this.manifestPresent(key, () => Promise.resolve(true))
  }

  /** A repository of a registry, read through this client; `closesClient` hands the client's life to the source. */
  repository(ref: Reference, options: {closesClient?: boolean} = {}): RegistrySource {
    return new RegistrySource(ref, this, options.closesClient ?? false)
  }

  async close(): Promise<void> {
    this.auth.clear()
    this.credentials.clear()
    this.presence.clear()
    await this.transport.close()
  }
}

/** A registry client with its own pools, tokens and credential look-ups; close it when done. */
export function createRegistryClient(options: RegistryOptions = {}): RegistryClient {
  return new RegistryClient(options)
}
