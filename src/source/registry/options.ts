import type {Dispatcher} from 'undici'

import type {ContentCache} from '../cache.js'
import type {Keychain} from './credentials.js'

/**
 * Proxies for registry requests, as curl and Docker read them from HTTP(S)_PROXY and NO_PROXY:
 * `httpsProxy` for HTTPS registries, `httpProxy` for plain-HTTP ones (and for HTTPS when
 * `httpsProxy` is absent), `noProxy` a comma-separated list of hosts reached directly.
 */
export interface ProxySettings {
  httpProxy?: string
  httpsProxy?: string
  noProxy?: string
}

/**
 * How to talk to registries. Nothing here is read from the process environment: the CLI fills it
 * from its flags and environment; a program using the library gets only what it passes.
 */
export interface RegistryOptions {
  /**
   * Hosts (`host` for every port, `host:port` for one) reached as Docker reaches its insecure
   * registries: HTTPS without certificate verification, else plain HTTP. Loopback registries always
   * use plain HTTP. Nothing else is insecure (the CLI adds $ARCHCHECK_INSECURE_REGISTRIES).
   */
  insecureRegistries?: string[]
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number
  /** Largest manifest or config accepted, in bytes (default 4 MiB). */
  maxManifestBytes?: number
  /** Retries on 429/502/503/504 and connection resets (default 3). */
  maxRetries?: number
  /** First retry waits up to this many milliseconds, doubling each time (default 500). */
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
  /**
   * Proxies to send requests through (default none; the CLI passes HTTP(S)_PROXY and NO_PROXY).
   * Ignored when `dispatcher` is given.
   */
  proxy?: ProxySettings
  /**
   * Where credentials for a registry come from (default none: every registry is read
   * anonymously). `dockerKeychain()` reads Docker's config.json and credential helpers.
   */
  keychain?: Keychain
  /** Shorthand for `keychain: dockerKeychain({configDir})`: Docker's config.json in this folder. */
  dockerConfigDir?: string
  /** Receives one line per request and retry for --debug; never given credentials. */
  debug?: (line: string) => void
}
