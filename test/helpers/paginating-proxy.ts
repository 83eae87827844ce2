/**
 * An HTTP proxy on 127.0.0.1 in front of a registry that pages tag lists as the distribution spec
 * says, which Debian's distribution 2.8 does not (it ignores `n` and `last` and sends every tag
 * unsorted): for `GET /v2/NAME/tags/list?n=N&last=T` it asks the registry for the whole list and
 * answers with the tags sorted, those after `last`, at most `n`, and
 * `Link: </v2/NAME/tags/list?n=N&last=T>; rel="next"` while more remain. Everything else passes
 * through unchanged. `nextOrigin` makes the Link absolute on another origin (a hostile registry).
 */
import {Agent, createServer, request as httpRequest, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface PaginatingProxy {
  /** `127.0.0.1:PORT` of the proxy. */
  host: string
  /** Path and query of every tag-list request, in arrival order. */
  readonly tagRequests: string[]
  /** Authorization header of every tag-list request (undefined when none was sent). */
  readonly tagAuthorizations: Array<string | undefined>
  /** When set (`http://127.0.0.1:PORT`), next links are absolute URLs on this origin. */
  nextOrigin?: string
  close(): Promise<void>
}

const TAGS_PATH = /^\/v2\/(.+)\/tags\/list$/

export async function startPaginatingProxy(target: string): Promise<PaginatingProxy> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
  const agent = new Agent({keepAlive: true})
  const tagRequests: string[] = []
  const tagAuthorizations: Array<string | undefined> = []

  const upstream = (
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
  ): Promise<{status: number; headers: IncomingHttpHeaders; body: Buffer}> =>
    new Promise((resolve, reject) => {
      const request = httpRequest({host: targetHost, port: targetPort, method, path, headers, agent}, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => resolve({status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks)}))
        response.on('error', reject)
      })
      request.on('error', reject)
      request.end()
    })

  const server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy')
    const tags = incoming.method === 'GET' ? TAGS_PATH.exec(url.pathname) : null
    if (!tags) {
      const forward = httpRequest(
        {host: targetHost, port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers, agent},
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers)
          response.pipe(outgoing)
        },
      )
      forward.on('error', (error) => outgoing.writeHead(502).end(error.message))
      incoming.pipe(forward)
      return
    }
    tagRequests.push(`${url.pathname}${url.search}`)
    tagAuthorizations.push(incoming.headers.authorization)
    upstream('GET', url.pathname, incoming.headers).then(
      (answer) => {
        if (answer.status !== 200) {
          outgoing.writeHead(answer.status, answer.headers).end(answer.body)
          return
        }
        const all = ((JSON.parse(answer.body.toString('utf8')) as {tags: string[] | null}).tags ?? []).sort()
        const n = Number(url.searchParams.get('n') ?? all.length)
        const last = url.searchParams.get('last')
        const after = last === null ? all : all.filter((tag) => tag > last)
        const page = after.slice(0, n)
        const headers: Record<string, string> = {'content-type': 'application/json'}
        if (after.length > page.length) {
          const next = `/v2/${tags[1]}/tags/list?n=${n}&last=${encodeURIComponent(page.at(-1)!)}`
          headers.link = `<${proxy.nextOrigin ?? ''}${next}>; rel="next"`
        }
        outgoing.writeHead(200, headers).end(JSON.stringify({name: tags[1], tags: page}))
      },
      (error: Error) => outgoing.writeHead(502).end(error.message),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as AddressInfo
  const proxy: PaginatingProxy = {
    host: `127.0.0.1:${port}`,
    tagRequests,
    tagAuthorizations,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
  return proxy
}
