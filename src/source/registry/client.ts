import {DEFAULT_MAX_MANIFEST_BYTES} from '../../oci/digest.js'
import type {Reference} from '../../oci/reference.js'
import {AuthCache} from './auth.js'
import {CredentialStore} from './credentials.js'
import type {RegistryOptions} from './options.js'
import {RegistrySource, type SourceClient} from './registry-source.js'
import type {CacheStats, ContentCache} from '../cache.js'
import {Transport, transportSettings, type RateLimitState} from './transport.js'

/**
 * Everything one run learns while talking to registries, owned by one object: connection pools,
 * the scheme insecure hosts answered on, auth challenges, bearer tokens and credential look-ups.
 * Sources opened through one client share all of it (one 401 and one token per repository, one
 * credential-helper run per registry); two clients in one process share nothing. `close()`
 * releases the pools and forgets the rest.
 */
export class RegistryClient implements SourceClient {
  readonly transport: Transport
  readonly auth: AuthCache
  readonly credentials: CredentialStore
  readonly maxManifestBytes: number
  readonly cache?: ContentCache

  constructor(readonly options: RegistryOptions = {}) {
    this.transport = new Transport(transportSettings(options))
    this.auth = new AuthCache(this.transport)
    this.credentials = new CredentialStore(options.dockerConfigDir)
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES
    if (options.cache) this.cache = options.cache
  }

  /** Requests made so far (by method), the cache's counters, and the last rate-limit headers per registry host. */
  stats(): RegistryStats {
    const {requests, byMethod, rateLimit} = this.transport.counts
    return {requests, byMethod: {...byMethod}, ...(this.cache ? {cache: this.cache.stats()} : {}), rateLimit: {...rateLimit}}
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

export interface RegistryStats {
  requests: number
  byMethod: Record<string, number>
  cache?: CacheStats
  rateLimit: Record<string, RateLimitState>
}

/** A registry client with its own pools, tokens and credential look-ups; close it when done. */
export function createRegistryClient(options: RegistryOptions = {}): RegistryClient {
  return new RegistryClient(options)
}
