/**
 * A proxy in front of the test registry that behaves like the registries `archcheck audit` meets:
 * - tag lists paginated as the distribution spec says (Debian's registry ignores `n` and `last`):
 *   tags sorted, those after `last`, at most `pageSize`, and `Link: <…>; rel="next"` while more remain;
 * - Docker Hub's `ratelimit-limit` / `ratelimit-remaining` headers, GETs of manifests counting as pulls;
 * - optionally, after `rateLimitAfter` manifest requests, 429 with a long Retry-After to every
 *   further manifest request.
 * Every request is recorded (method, kind, path, status) for request-count assertions.
 */
import {Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {classifyRequest, type ProxiedRequest} from './counting-proxy.js'

export interface AuditProxyOptions {
  tagPageSize?: number
  /** Manifest requests served before every further one gets a 429. */
  rateLimitAfter?: number
  /** Retry-After of those 429s, in seconds (default 3600). */
  retryAfterSeconds?: number
  /** Pulls in the rate-limit window (default 100). */
  pullLimit?: number
}

export interface AuditProxy {
  host: string
  readonly requests: ProxiedRequest[]
  count(filter: Partial<Pick<ProxiedRequest, 'method' | 'kind' | 'status'>>): number
  reset(): void
  options: AuditProxyOptions
  close(): Promise<void>
}

export async function startAuditProxy(target: string, options: AuditProxyOptions = {}): Promise<AuditProxy> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
  const agent = new Agent({keepAlive: true})
  const requests: ProxiedRequest[] = []
  let manifestRequests = 0
  let pulls = 0

  const limitHeaders = (): Record<string, string> => {
    const limit = proxy.options.pullLimit ?? 100
    return {'ratelimit-limit': `${limit};w=21600`, 'ratelimit-remaining': `${Math.max(0, limit - pulls)};w=21600`}
  }

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse, record: ProxiedRequest): void => {
    const upstream = httpRequest(
      {host: targetHost, port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers, agent},
      (response) => {
        record.status = response.statusCode
        outgoing.writeHead(response.statusCode ?? 502, {...response.headers, ...limitHeaders()})
        response.pipe(outgoing)
      },
    )
    upstream.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502)
      outgoing.end(`audit proxy: ${error.message}`)
    })
    incoming.pipe(upstream)
  }

  const paginate = async (incoming: IncomingMessage, outgoing: ServerResponse, record: ProxiedRequest): Promise<void> => {
    const url = new URL(incoming.url ?? '/', 'http://proxy')
    const response = await fetch(`http://${target}${url.pathname}`)
    const body = (await response.json()) as {name: string; tags: string[] | null}
    const all = [...(body.tags ?? [])].sort()
    const last = url.searchParams.get('last')
    const n = Math.min(Number(url.searchParams.get('n') ?? all.length) || all.length, proxy.options.tagPageSize!)
    const after = last ? all.filter((tag) => tag > last) : all
    const page = after.slice(0, n)
    const headers: Record<string, string> = {'content-type': 'application/json', ...limitHeaders()}
    if (after.length > page.length) headers.link = `<${url.pathname}?n=${n}&last=${encodeURIComponent(page.at(-1)!)}>; rel="next"`
    record.status = response.status
    outgoing.writeHead(response.status, headers)
    outgoing.end(JSON.stringify({name: body.name, tags: page}))
  }

  const server = createServer((incoming, outgoing) => {
    const record = classifyRequest(incoming.method ?? 'GET', incoming.url ?? '/')
    requests.push(record)
    if (record.kind === 'manifest') {
      manifestRequests++
      const after = proxy.options.rateLimitAfter
      if (after !== undefined && manifestRequests > after) {
        record.status = 429
        incoming.resume()
        outgoing.writeHead(429, {
          'retry-after': String(proxy.options.retryAfterSeconds ?? 3600),
          'content-type': 'application/json',
          ...limitHeaders(),
        })
        outgoing.end(
          incoming.method === 'HEAD' ? undefined : JSON.stringify({errors: [{code: 'TOOMANYREQUESTS', message: 'pull rate limit'}]}),
        )
        return
      }
      if (incoming.method === 'GET') pulls++
    }
    if (record.kind === 'tags' && proxy.options.tagPageSize !== undefined && incoming.method === 'GET') {
      incoming.resume()
      paginate(incoming, outgoing, record).catch((error: Error) => {
        if (!outgoing.headersSent) outgoing.writeHead(502)
        outgoing.end(error.message)
      })
      return
    }
    forward(incoming, outgoing, record)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as AddressInfo
  const proxy: AuditProxy = {
    host: `127.0.0.1:${port}`,
    requests,
    options: {...options},
    count: (filter) =>
      requests.filter((r) => (Object.keys(filter) as Array<keyof typeof filter>).every((key) => r[key] === filter[key])).length,
    reset: () => {
      requests.length = 0
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
