/**
 * An HTTP proxy on 127.0.0.1 in front of a registry that records every request (method, path,
 * kind, status) so a test can assert how many requests a command made, and can add latency to
 * each request (a WAN-like round trip for benchmarks). Point archcheck at `proxy.host` instead of
 * the registry: references then read `127.0.0.1:PROXYPORT/repo:tag`, and the registry builds
 * its Location headers from the forwarded Host, so uploads through the proxy work too.
 */
import {Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * What a request was for: `ping` is `GET /v2/`, `auth` anything outside `/v2/` (a token realm),
 * `upload` the blob upload endpoints; `other` the rest.
 */
export type RequestKind = 'ping' | 'manifest' | 'blob' | 'upload' | 'tags' | 'catalog' | 'referrers' | 'auth' | 'other'

export interface ProxiedRequest {
  method: string
  /** Path without the query. */
  path: string
  /** Path with the query, as sent. */
  url: string
  kind: RequestKind
  /** Repository name for repository endpoints. */
  repository?: string
  /** Tag or digest for manifest, blob and referrers endpoints. */
  reference?: string
  /** Response status; undefined while in flight or when the upstream failed. */
  status?: number
  /** performance.now() when the request reached the proxy, and when its response was finished. */
  receivedAt?: number
  finishedAt?: number
}

export interface RequestFilter {
  method?: string
  kind?: RequestKind
  repository?: string
  reference?: string
  status?: number
}

export interface CountingProxy {
  /** `127.0.0.1:PORT` of the proxy. */
  host: string
  /** Every request so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[]
  /** How many requests match every field given. */
  count(filter?: RequestFilter): number
  /** `METHOD path` lines made more than once (matching `filter`), with their counts. */
  repeats(filter?: RequestFilter): Map<string, number>
  /** `METHOD path` → count, for readable assertion failures. */
  summary(filter?: RequestFilter): Record<string, number>
  /** The most requests that were in flight at once since the last reset (concurrency shows here). */
  readonly maxInFlight: number
  /** TCP connections clients opened to the proxy since the last reset (keep-alive shows here). */
  readonly connections: number
  /** Forgets recorded requests, maxInFlight and connections (e.g. after pushing through the proxy). */
  reset(): void
  /** Milliseconds added before each request is forwarded (0 = none). */
  latencyMs: number
  /** Requests this returns true for are never forwarded: they stay in flight until the proxy closes. */
  holds?: (request: ProxiedRequest) => boolean
  close(): Promise<void>
}

const REPOSITORY_ROUTES: Array<[RegExp, RequestKind]> = [
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, 'manifest'],
  [/^\/v2\/(.+)\/blobs\/uploads(?:\/([^/]*))?$/, 'upload'],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, 'blob'],
  [/^\/v2\/(.+)\/tags\/list$/, 'tags'],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, 'referrers'],
]

/** Classifies a registry API path. */
export function classifyRequest(method: string, url: string): ProxiedRequest {
  const path = url.split('?')[0] ?? url
  const base = {method, path, url}
  if (path === '/v2/' || path === '/v2') return {...base, kind: 'ping'}
  if (path === '/v2/_catalog') return {...base, kind: 'catalog'}
  if (!path.startsWith('/v2/')) return {...base, kind: 'auth'}
  for (const [pattern, kind] of REPOSITORY_ROUTES) {
    const match = pattern.exec(path)
    if (match) return {...base, kind, repository: match[1], ...(match[2] ? {reference: match[2]} : {})}
  }
  return {...base, kind: 'other'}
}

const matches = (request: ProxiedRequest, filter: RequestFilter): boolean =>
  (Object.keys(filter) as Array<keyof RequestFilter>).every((key) => filter[key] === undefined || request[key] === filter[key])

/** Starts a proxy in front of `target` (`host:port`, plain HTTP). Close it in afterAll/afterEach. */
export async function startCountingProxy(target: string, options: {latencyMs?: number} = {}): Promise<CountingProxy> {
  const [targetHost, targetPort] = splitHost(target)
  const agent = new Agent({keepAlive: true})
  const requests: ProxiedRequest[] = []
  let inFlight = 0
  let maxInFlight = 0
  let connections = 0

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse, record: ProxiedRequest): void => {
    const upstream = httpRequest(
      {host: targetHost, port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers, agent},
      (response) => {
        record.status = response.statusCode
        outgoing.writeHead(response.statusCode ?? 502, response.headers)
        response.pipe(outgoing)
      },
    )
    upstream.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, {'content-type': 'text/plain'})
      outgoing.end(`counting proxy: ${error.message}`)
    })
    incoming.pipe(upstream)
  }

  const server = createServer((incoming, outgoing) => {
    const record: ProxiedRequest = {...classifyRequest(incoming.method ?? 'GET', incoming.url ?? '/'), receivedAt: performance.now()}
    requests.push(record)
    maxInFlight = Math.max(maxInFlight, ++inFlight)
    outgoing.once('close', () => {
      inFlight--
      record.finishedAt = performance.now()
    })
    if (proxy.holds?.(record)) {
      incoming.pause()
    } else if (proxy.latencyMs > 0) {
      incoming.pause()
      setTimeout(() => forward(incoming, outgoing, record), proxy.latencyMs)
    } else {
      forward(incoming, outgoing, record)
    }
  })
  server.on('connection', () => connections++)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as AddressInfo

  const select = (filter: RequestFilter = {}): ProxiedRequest[] => requests.filter((request) => matches(request, filter))
  const summary = (filter?: RequestFilter): Record<string, number> => {
    const counts: Record<string, number> = {}
    for (const request of select(filter))
      counts[`${request.method} ${request.path}`] = (counts[`${request.method} ${request.path}`] ?? 0) + 1
    return counts
  }
  const proxy: CountingProxy = {
    host: `127.0.0.1:${port}`,
    requests,
    latencyMs: options.latencyMs ?? 0,
    count: (filter) => select(filter).length,
    summary,
    repeats: (filter) => new Map(Object.entries(summary(filter)).filter(([, n]) => n > 1)),
    get maxInFlight() {
      return maxInFlight
    },
    get connections() {
      return connections
    },
    reset: () => {
      requests.length = 0
      maxInFlight = inFlight
      connections = 0
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
  return proxy
}

function splitHost(host: string): [string, number] {
  const index = host.lastIndexOf(':')
  if (index < 0) return [host, 80]
  return [host.slice(0, index).replace(/^\[|\]$/g, ''), Number(host.slice(index + 1))]
}

/**
 * How many requests a client made one after the other: the longest chain of requests each of
 * which reached the proxy after the previous one had been answered. Concurrent requests share a
 * round; a client that waits for each answer has as many rounds as requests. With latency added
 * (≥ 20 ms) the chain is what a slow link multiplies.
 */
export function sequentialRounds(requests: readonly ProxiedRequest[]): number {
  const ordered = [...requests].filter((r) => r.receivedAt !== undefined).sort((a, b) => a.receivedAt! - b.receivedAt!)
  const rounds: number[] = []
  ordered.forEach((request, i) => {
    let round = 1
    for (let j = 0; j < i; j++) {
      const earlier = ordered[j]
      if (earlier.finishedAt !== undefined && earlier.finishedAt <= request.receivedAt!) round = Math.max(round, rounds[j] + 1)
    }
    rounds.push(round)
  })
  return Math.max(0, ...rounds)
}
