/**
 * The test proxy: an HTTP proxy on 127.0.0.1 in front of a registry that records every request
 * (method, path, kind, status) so a test can assert how many requests a command made, and that,
 * by its options, behaves like the registries archcheck meets beyond Debian's distribution 2.8:
 * - `latencyMs`: added before each request is forwarded (a WAN-like round trip for benchmarks);
 * - `holds`: requests never forwarded, in flight until the proxy closes (a stalled registry);
 * - `tagPages`: tag lists paged as the distribution spec says (2.8 ignores `n` and `last`);
 * - `referrers`: the OCI 1.1 referrers API (2.8 has none), read from the fallback tag;
 * - `rateLimit`: Docker Hub's rate-limit headers, and 429s after a number of manifest requests.
 * Every option is also a property a test can change between requests. Point archcheck at
 * `proxy.host` instead of the registry: references then read `127.0.0.1:PROXYPORT/repo:tag`, and
 * the registry builds its Location headers from the forwarded Host, so uploads through the proxy
 * work too.
 */
import {createHash} from 'node:crypto'
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
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

export interface TagPaging {
  /** Most tags a page holds, whatever `n` the client asks for (default: as many as it asks). */
  maxPageSize?: number
  /** When set (`http://127.0.0.1:PORT`), next links are absolute URLs on this origin (a hostile registry). */
  nextOrigin?: string
}

export interface ReferrersEmulation {
  /** Descriptors per page; more pages are linked with `Link: <…?page=N>; rel="next"`. */
  pageSize: number
  /** False: ignore `?artifactType=` and say nothing of it, as a registry may (default true). */
  applyFilter?: boolean
  /** Replaces the list by this many made-up descriptors (a hostile registry). */
  synthetic?: number
}

export interface RateLimit {
  /** Pulls in the rate-limit window (default 100); each GET of a manifest is one. */
  pullLimit?: number
  /** Manifest requests served before every further one gets a 429. */
  after?: number
  /** Retry-After of those 429s, in seconds (default 3600). */
  retryAfterSeconds?: number
}

export interface ProxyOptions {
  /** Milliseconds added before each request is forwarded (0 = none). */
  latencyMs?: number
  /** Requests this returns true for are never forwarded: they stay in flight until the proxy closes. */
  holds?: (request: ProxiedRequest) => boolean
  /** Page `GET /v2/NAME/tags/list`: sorted, those after `last`, at most `n`, a next link while more remain. */
  tagPages?: TagPaging
  /** Answer `GET /v2/NAME/referrers/DIGEST` with the descriptors of the fallback tag `sha256-<hex>`. */
  referrers?: ReferrersEmulation
  /** Send `ratelimit-limit` / `ratelimit-remaining` on every answer. */
  rateLimit?: RateLimit
}

export interface CountingProxy extends ProxyOptions {
  /** `127.0.0.1:PORT` of the proxy. */
  host: string
  latencyMs: number
  /** Every request so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[]
  /** How many requests match every field given. */
  count(filter?: RequestFilter): number
  /** Path and query of each request matching `filter`, in arrival order. */
  urls(filter?: RequestFilter): string[]
  /** `METHOD path` lines made more than once (matching `filter`), with their counts. */
  repeats(filter?: RequestFilter): Map<string, number>
  /** `METHOD path` → count, for readable assertion failures. */
  summary(filter?: RequestFilter): Record<string, number>
  /** The most requests that were in flight at once since the last reset (concurrency shows here). */
  readonly maxInFlight: number
  /** TCP connections clients opened to the proxy since the last reset (keep-alive shows here). */
  readonly connections: number
  /** Forgets recorded requests, maxInFlight, connections and rate-limit counts (e.g. after pushing through the proxy). */
  reset(): void
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

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/

interface DescriptorJson {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
}

interface Answer {
  status: number
  headers: OutgoingHttpHeaders
  body: Buffer | string
}

/** Starts a proxy in front of `target` (`host:port`, plain HTTP). Close it in afterAll/afterEach. */
export async function startCountingProxy(target: string, options: ProxyOptions = {}): Promise<CountingProxy> {
  const [targetHost, targetPort] = splitHost(target)
  const agent = new Agent({keepAlive: true})
  const requests: ProxiedRequest[] = []
  let inFlight = 0
  let maxInFlight = 0
  let connections = 0
  let manifestRequests = 0
  let pulls = 0

  const rateLimitHeaders = (): Record<string, string> => {
    if (!proxy.rateLimit) return {}
    const limit = proxy.rateLimit.pullLimit ?? 100
    return {'ratelimit-limit': `${limit};w=21600`, 'ratelimit-remaining': `${Math.max(0, limit - pulls)};w=21600`}
  }

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse, record: ProxiedRequest): void => {
    const upstream = httpRequest(
      {host: targetHost, port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers, agent},
      (response) => {
        record.status = response.statusCode
        outgoing.writeHead(response.statusCode ?? 502, {...response.headers, ...rateLimitHeaders()})
        response.pipe(outgoing)
      },
    )
    upstream.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, {'content-type': 'text/plain'})
      outgoing.end(`counting proxy: ${error.message}`)
    })
    incoming.pipe(upstream)
  }

  /** A whole GET from the registry, for the answers the proxy composes itself. */
  const fetchUpstream = (
    path: string,
    headers: IncomingHttpHeaders,
  ): Promise<{status: number; headers: IncomingHttpHeaders; body: Buffer}> =>
    new Promise((resolve, reject) => {
      const request = httpRequest({host: targetHost, port: targetPort, method: 'GET', path, headers, agent}, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => resolve({status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks)}))
        response.on('error', reject)
      })
      request.on('error', reject)
      request.end()
    })

  const tagPage = async (incoming: IncomingMessage, paging: TagPaging, repository: string): Promise<Answer> => {
    const url = new URL(incoming.url ?? '/', 'http://proxy')
    const answer = await fetchUpstream(url.pathname, incoming.headers)
    if (answer.status !== 200) return answer
    const all = ((JSON.parse(answer.body.toString('utf8')) as {tags: string[] | null}).tags ?? []).sort()
    const asked = Number(url.searchParams.get('n') ?? all.length) || all.length
    const n = Math.min(asked, paging.maxPageSize ?? asked)
    const last = url.searchParams.get('last')
    const after = last === null ? all : all.filter((tag) => tag > last)
    const page = after.slice(0, n)
    const headers: Record<string, string> = {'content-type': 'application/json'}
    if (after.length > page.length) {
      const next = `/v2/${repository}/tags/list?n=${n}&last=${encodeURIComponent(page.at(-1)!)}`
      headers.link = `<${paging.nextOrigin ?? ''}${next}>; rel="next"`
    }
    return {status: 200, headers, body: JSON.stringify({name: repository, tags: page})}
  }

  const fallbackDescriptors = async (repository: string, digest: string): Promise<DescriptorJson[]> => {
    const answer = await fetchUpstream(`/v2/${repository}/manifests/${digest.replace(':', '-')}`, {accept: OCI_INDEX})
    if (answer.status !== 200) return []
    return (JSON.parse(answer.body.toString('utf8')) as {manifests: DescriptorJson[]}).manifests
  }

  const syntheticDescriptors = (count: number): DescriptorJson[] =>
    Array.from({length: count}, (_, i) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${createHash('sha256').update(String(i)).digest('hex')}`,
      size: 100,
      artifactType: 'application/example',
    }))

  const referrersPage = async (incoming: IncomingMessage, emulation: ReferrersEmulation, record: ProxiedRequest): Promise<Answer> => {
    const url = new URL(incoming.url ?? '/', 'http://proxy')
    const all =
      emulation.synthetic === undefined
        ? await fallbackDescriptors(record.repository!, record.reference!)
        : syntheticDescriptors(emulation.synthetic)
    const artifactType = (emulation.applyFilter ?? true) ? url.searchParams.get('artifactType') : null
    const filtered = artifactType === null ? all : all.filter((descriptor) => descriptor.artifactType === artifactType)
    const start = Number(url.searchParams.get('page') ?? 0)
    const page = filtered.slice(start * emulation.pageSize, (start + 1) * emulation.pageSize)
    const headers: Record<string, string> = {'content-type': OCI_INDEX}
    if (artifactType !== null) headers['oci-filters-applied'] = 'artifactType'
    if ((start + 1) * emulation.pageSize < filtered.length) {
      const next = new URLSearchParams(url.searchParams)
      next.set('page', String(start + 1))
      headers.link = `<${url.pathname}?${next.toString()}>; rel="next"`
    }
    return {status: 200, headers, body: JSON.stringify({schemaVersion: 2, mediaType: OCI_INDEX, manifests: page})}
  }

  /** The answer the proxy composes itself, or undefined to forward the request as it came. */
  const composed = (incoming: IncomingMessage, record: ProxiedRequest): Promise<Answer> | undefined => {
    if (record.kind === 'manifest') {
      manifestRequests++
      const after = proxy.rateLimit?.after
      if (after !== undefined && manifestRequests > after) {
        const body = JSON.stringify({errors: [{code: 'TOOMANYREQUESTS', message: 'pull rate limit'}]})
        const headers = {'retry-after': String(proxy.rateLimit?.retryAfterSeconds ?? 3600), 'content-type': 'application/json'}
        return Promise.resolve({status: 429, headers, body: incoming.method === 'HEAD' ? '' : body})
      }
      if (incoming.method === 'GET') pulls++
    }
    if (incoming.method !== 'GET') return undefined
    if (record.kind === 'tags' && proxy.tagPages) return tagPage(incoming, proxy.tagPages, record.repository!)
    if (record.kind === 'referrers' && proxy.referrers && SHA256_DIGEST.test(record.reference ?? ''))
      return referrersPage(incoming, proxy.referrers, record)
    return undefined
  }

  const handle = (incoming: IncomingMessage, outgoing: ServerResponse, record: ProxiedRequest): void => {
    const answer = composed(incoming, record)
    if (!answer) return forward(incoming, outgoing, record)
    incoming.resume()
    answer.then(
      ({status, headers, body}) => {
        record.status = status
        outgoing.writeHead(status, {...headers, ...rateLimitHeaders()}).end(body)
      },
      (error: Error) => {
        if (!outgoing.headersSent) outgoing.writeHead(502, {'content-type': 'text/plain'})
        outgoing.end(`counting proxy: ${error.message}`)
      },
    )
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
      setTimeout(() => handle(incoming, outgoing, record), proxy.latencyMs)
    } else {
      handle(incoming, outgoing, record)
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
    ...options,
    host: `127.0.0.1:${port}`,
    requests,
    latencyMs: options.latencyMs ?? 0,
    count: (filter) => select(filter).length,
    urls: (filter) => select(filter).map((request) => request.url),
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
      manifestRequests = 0
      pulls = 0
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
