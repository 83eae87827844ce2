/** How to talk to registries; the CLI fills it from flags and environment. */
export interface RegistryOptions {
  /** Hosts (with port, as in references) reached over plain HTTP besides localhost, 127.0.0.0/8 and ::1. */
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
  /** Receives one line per request and retry for --debug; never given credentials. */
  debug?: (line: string) => void
}
