import type {CacheStats} from '../cache.js'
import type {ResponseHeaders} from './headers.js'

/** What a registry says of its pull limit (Docker Hub: `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 76;w=21600`). */
export interface RateLimit {
  limit?: number
  remaining?: number
  /** The window the limit counts over, in seconds (`w=`). */
  windowSeconds?: number
}

/** What one client did so far: the summary of a run of many images shows it. */
export interface ClientStats {
  /** HTTP requests sent, each retry and redirect hop counted (token requests too). */
  requests: number
  byMethod: Record<string, number>
  /** Present when the client has a content cache. */
  cache?: CacheStats
  /** Per registry (as the user names it: `docker.io`), from the last response that carried the headers. */
  rateLimit: Record<string, RateLimit>
}

/** `100;w=21600` → {count: 100, windowSeconds: 21600}; undefined when the header is absent or not a count. */
function parseLimitHeader(value: string | null): {count: number; windowSeconds?: number} | undefined {
  const match = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(value ?? '')
  if (!match) return undefined
  return match[2] === undefined ? {count: Number(match[1])} : {count: Number(match[1]), windowSeconds: Number(match[2])}
}

/** Counters a client's transport and sources write to; one per client, so two clients never mix their figures. */
export class RequestStats {
  private requests = 0
  private readonly byMethod: Record<string, number> = {}
  private readonly rateLimits = new Map<string, RateLimit>()

  countRequest(method: string): void {
    this.requests++
    this.byMethod[method] = (this.byMethod[method] ?? 0) + 1
  }

  /** Keeps the registry's latest rate-limit headers; a response without them changes nothing. */
  noteRateLimit(registry: string, headers: ResponseHeaders): void {
    const limit = parseLimitHeader(headers.get('ratelimit-limit'))
    const remaining = parseLimitHeader(headers.get('ratelimit-remaining'))
    if (!limit && !remaining) return
    const known = this.rateLimits.get(registry) ?? {}
    const windowSeconds = limit?.windowSeconds ?? remaining?.windowSeconds ?? known.windowSeconds
    this.rateLimits.set(registry, {
      ...known,
      ...(limit ? {limit: limit.count} : {}),
      ...(remaining ? {remaining: remaining.count} : {}),
      ...(windowSeconds === undefined ? {} : {windowSeconds}),
    })
  }

  snapshot(cache?: CacheStats): ClientStats {
    const rateLimit: Record<string, RateLimit> = {}
    for (const [registry, value] of this.rateLimits) rateLimit[registry] = {...value}
    return {requests: this.requests, byMethod: {...this.byMethod}, ...(cache ? {cache} : {}), rateLimit}
  }
}
