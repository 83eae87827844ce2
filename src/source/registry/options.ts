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
  /** Folder with Docker's config.json (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string
  /** Manifests and configs by digest on disk; with one, a manifest by tag is asked for with HEAD first. */
  cache?: ContentCache
  /** A 429 asking to wait longer than this is not waited for but thrown as 'rate-limited' (default 60 000). */
  maxRetryAfterMs?: number
  /** Receives one line per request and retry for --debug; never given credentials. */
  debug?: (line: string) => void
}
