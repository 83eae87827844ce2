import {DEFAULT_MAX_MANIFEST_BYTES} from '../../oci/digest.js'
import type {Reference} from '../../oci/reference.js'
import type {ContentCache} from '../cache.js'
import {AuthCache} from './auth.js'
import {CredentialStore} from './credentials.js'
import type {RegistryOptions} from './options.js'
import {RegistrySource, type SourceClient} from './registry-source.js'
import type {ClientStats} from './stats.js'
import {Transport, transportSettings} from './transport.js'

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

  constructor(readonly options: RegistryOptions = {}) {
    this.transport = new Transport(transportSettings(options))
    this.auth = new AuthCache(this.transport)
    this.credentials = new CredentialStore(options.dockerConfigDir)
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

  /** A repository of a registry, read through this client; `closesClient` hands the client's life to the source. */
  repository(ref: Reference, options: {closesClient?: boolean} = {}): RegistrySource {
    return new RegistrySource(ref, this, options.closesClient ?? false)
  }

  async close(): Promise<void> {
    this.auth.clear()
    this.credentials.clear()
    await this.transport.close()
  }
}

/** A registry client with its own pools, tokens and credential look-ups; close it when done. */
export function createRegistryClient(options: RegistryOptions = {}): RegistryClient {
  return new RegistryClient(options)
}
