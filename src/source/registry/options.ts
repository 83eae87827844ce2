import type {Dispatcher} from 'undici'

import type {ContentCache} from '../cache.js'

/** How to talk to registries; the CLI fills it from flags and environment. */
export interface RegistryOptions {
  /**
   * Hosts (`host` for every port, `host:port` for one) reached as Docker reaches its insecure
   * registries: HTTPS without certificate verification, else plain HTTP. Loopback registries always
   * use plain HTTP. $ARCHCHECK_INSECURE_REGISTRIES adds to this list.
   */
  insecureRegistries?: string[]
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number
  /** Largest manifest or config accepted, in bytes (default 4 MiB). */
  maxManifestBytes?: number
  /** Retries on 429/502/503/504 and connection resets (default 3). */
  maxRetries?: number
  /** First retry waits up to this many milliseconds, doubling each time (default 500, or $ARCHCHECK_RETRY_BASE_MS). */
  retryBaseDelayMs?: number
  /**
   * A Retry-After (on 429, 502, 503, 504) longer than this many milliseconds is not waited for: the
   * request fails at once, a 429 as kind 'rate-limited' with `retryAfterMs` (default 60 000).
   */
  maxRetryAfterMs?: number
  /**
   * Where manifests and configs are kept by digest between runs (openContentCache). With one, a
   * manifest by tag costs a HEAD for its digest, and content already held is read from disk.
   */
  cache?: ContentCache
  /**
   * An undici Dispatcher every request is sent through instead of the client's own connection
   * pools: instrumentation, a MockAgent, a proxy of your own. Its connections, TLS verification and
   * proxying are its own (hosts named insecure still fall back to plain HTTP when HTTPS fails).
   * The caller closes it; `RegistryClient.close()` does not.
   */
  dispatcher?: Dispatcher
  /** Folder with Docker's config.json (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string
  /** Receives one line per request and retry for --debug; never given credentials. */
  debug?: (line: string) => void
}
