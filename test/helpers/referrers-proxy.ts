/**
 * An HTTP proxy on 127.0.0.1 in front of the test registry that adds the OCI 1.1 referrers API,
 * which Debian's distribution 2.8 lacks: `GET /v2/NAME/referrers/DIGEST` answers an image index of
 * the descriptors in the registry's fallback tag `sha256-<hex>` (an empty index when there is
 * none), filtered by `?artifactType=` (with `OCI-Filters-Applied`), `pageSize` per page with
 * `Link: <…>; rel="next"`. `synthetic` replaces the list by that many made-up descriptors (a
 * hostile registry). Everything else passes through unchanged.
 */
import {createHash} from 'node:crypto'
import {Agent, createServer, request as httpRequest} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface ReferrersProxy {
  /** `127.0.0.1:PORT` of the proxy. */
  host: string
  /** Path and query of every referrers request, in arrival order. */
  readonly referrerRequests: string[]
  pageSize: number
  /** False: ignore `?artifactType=` and say nothing of it, as a registry may. */
  applyFilter: boolean
  synthetic?: number
  close(): Promise<void>
}

const REFERRERS_PATH = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/
const INDEX = 'application/vnd.oci.image.index.v1+json'

interface DescriptorJson {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
}

export async function startReferrersProxy(target: string): Promise<ReferrersProxy> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
  const agent = new Agent({keepAlive: true})
  const referrerRequests: string[] = []

  const fallbackDescriptors = (name: string, digest: string): Promise<DescriptorJson[]> =>
    new Promise((resolve, reject) => {
      const path = `/v2/${name}/manifests/${digest.replace(':', '-')}`
      const request = httpRequest(
        {host: targetHost, port: targetPort, method: 'GET', path, headers: {accept: INDEX}, agent},
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => {
            if (response.statusCode !== 200) return resolve([])
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as {manifests: DescriptorJson[]}).manifests)
          })
          response.on('error', reject)
        },
      )
      request.on('error', reject)
      request.end()
    })

  const synthetic = (count: number): DescriptorJson[] =>
    Array.from({length: count}, (_, i) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${createHash('sha256').update(String(i)).digest('hex')}`,
      size: 100,
      artifactType: 'application/example',
    }))

  const server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy')
    const referrers = incoming.method === 'GET' ? REFERRERS_PATH.exec(url.pathname) : null
    if (!referrers) {
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
    referrerRequests.push(`${url.pathname}${url.search}`)
    const listed =
      proxy.synthetic === undefined ? fallbackDescriptors(referrers[1], referrers[2]) : Promise.resolve(synthetic(proxy.synthetic))
    listed.then(
      (all) => {
        const artifactType = proxy.applyFilter ? url.searchParams.get('artifactType') : null
        const filtered = artifactType === null ? all : all.filter((descriptor) => descriptor.artifactType === artifactType)
        const start = Number(url.searchParams.get('page') ?? 0)
        const page = filtered.slice(start * proxy.pageSize, (start + 1) * proxy.pageSize)
        const headers: Record<string, string> = {'content-type': INDEX}
        if (artifactType !== null) headers['oci-filters-applied'] = 'artifactType'
        if ((start + 1) * proxy.pageSize < filtered.length) {
          const next = new URLSearchParams(url.searchParams)
          next.set('page', String(start + 1))
          headers.link = `<${url.pathname}?${next.toString()}>; rel="next"`
        }
        outgoing.writeHead(200, headers).end(JSON.stringify({schemaVersion: 2, mediaType: INDEX, manifests: page}))
      },
      (error: Error) => outgoing.writeHead(502).end(error.message),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as AddressInfo
  const proxy: ReferrersProxy = {
    host: `127.0.0.1:${port}`,
    referrerRequests,
    pageSize: 1,
    applyFilter: true,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
  return proxy
}
