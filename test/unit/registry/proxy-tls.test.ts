import {execFile, execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {createServer as createTlsServer} from 'node:https'
import {connect, type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {parseReference} from '../../../src/oci/reference.js'
import {closeRegistryClients, registrySource} from '../../helpers/registry-client.js'
import {OCI_INDEX, indexBytes, rejection, sha256} from './helpers.js'

const execFileAsync = promisify(execFile)
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']
const servers: Server[] = []
let certDir: string

async function listen(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** An HTTP proxy that sends every CONNECT tunnel to 127.0.0.1:port, whatever host it names. */
function tunnellingProxy(port: number, tunnels: string[] = []): Server {
  const proxy = createServer()
  proxy.on('connect', (request, client, head) => {
    tunnels.push(request.url ?? '')
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  return proxy
}

/** The dispatcher reads the proxy variables when it is created: set them, then start a fresh pool. */
async function useProxyEnvironment(values: Record<string, string>): Promise<void> {
  await closeRegistryClients()
  for (const name of PROXY_VARIABLES) delete process.env[name]
  Object.assign(process.env, values)
}

describe('proxies from the environment and TLS verification, over real sockets', () => {
  const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]))

  beforeAll(() => {
    certDir = mkdtempSync(join(tmpdir(), 'archcheck-tls-'))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=registry.example',
        '-addext',
        'subjectAltName=DNS:registry.example',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
        '-days',
        '1',
      ],
      {stdio: 'ignore'},
    )
  })

  afterEach(async () => {
    await closeRegistryClients()
    for (const name of PROXY_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      server.close()
    }
  })

  afterAll(() => rmSync(certDir, {recursive: true, force: true}))

  it('sends plain-HTTP registry requests through HTTP_PROXY', async () => {
    const bytes = indexBytes()
    const seen: string[] = []
    const proxy = createServer((request, response) => {
      seen.push(request.url ?? '')
      response.writeHead(200, {'content-type': OCI_INDEX}).end(bytes)
    })
    // Tunnels are refused, as proxies that allow only some ports do: the HTTPS attempt fails fast.
    proxy.on('connect', (request, client) => {
      seen.push(`CONNECT ${request.url}`)
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    })
    const proxyPort = await listen(proxy)
    await useProxyEnvironment({HTTP_PROXY: `http://127.0.0.1:${proxyPort}`})
    const registry = registrySource(parseReference('registry.example/my/app:1'), {insecureRegistries: ['registry.example']})
    expect((await registry.fetchManifest()).digest).toBe(sha256(bytes))
    expect((await registry.fetchManifest()).digest).toBe(sha256(bytes))
    // An insecure registry is tried over HTTPS first, then over plain HTTP, which is remembered.
    expect(seen).toEqual([
      'CONNECT registry.example:443',
      'http://registry.example/v2/my/app/manifests/1',
      'http://registry.example/v2/my/app/manifests/1',
    ])
  })

  it('tunnels HTTPS through HTTPS_PROXY and refuses a certificate it cannot verify, with a clear message', async () => {
    const tlsPort = await listen(
      createTlsServer(
        {key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem'))},
        (_request, response) => {
          response.writeHead(200, {'content-type': OCI_INDEX}).end(indexBytes())
        },
      ),
    )
    const tunnels: string[] = []
    const proxyPort = await listen(tunnellingProxy(tlsPort, tunnels))
    await useProxyEnvironment({HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`})
    const error = await rejection(registrySource(parseReference('registry.example/my/app:1'), {maxRetries: 0}).fetchManifest())
    expect(tunnels).toContain('registry.example:443')
    expect(error.kind).toBe('tls')
    expect(error.message).toMatch(
      /^TLS certificate of registry\.example could not be verified: .+; use --insecure-registry registry\.example only if you trust it$/,
    )
  })

  it('trusts a certificate authority from NODE_EXTRA_CA_CERTS', async () => {
    const bytes = indexBytes()
    const tlsPort = await listen(
      createTlsServer(
        {key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem'))},
        (_request, response) => {
          response.writeHead(200, {'content-type': OCI_INDEX}).end(bytes)
        },
      ),
    )
    const proxyPort = await listen(tunnellingProxy(tlsPort))
    // NODE_EXTRA_CA_CERTS is read at start-up, so a child process fetches.
    const script = `import {createRegistryClient} from './src/source/registry/client.ts'
      import {parseReference} from './src/oci/reference.ts'
      const client = createRegistryClient()
      const manifest = await client.repository(parseReference('registry.example/my/app:1')).fetchManifest()
      console.log(manifest.digest)
      await client.close()`
    const {stdout} = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: {...process.env, NODE_EXTRA_CA_CERTS: join(certDir, 'cert.pem'), HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`},
    })
    expect(stdout.trim()).toBe(sha256(bytes))
  })

  it('accepts the unverifiable certificate of a registry named insecure, and only of that one', async () => {
    const bytes = indexBytes()
    const tlsPort = await listen(
      createTlsServer(
        {key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem'))},
        (_request, response) => {
          response.writeHead(200, {'content-type': OCI_INDEX}).end(bytes)
        },
      ),
    )
    const proxyPort = await listen(tunnellingProxy(tlsPort))
    await useProxyEnvironment({HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`})
    const insecure = registrySource(parseReference('registry.example/my/app:1'), {insecureRegistries: ['registry.example']})
    expect((await insecure.fetchManifest()).digest).toBe(sha256(bytes))
    const other = await rejection(
      registrySource(parseReference('other.example/my/app:1'), {insecureRegistries: ['registry.example'], maxRetries: 0}).fetchManifest(),
    )
    expect(other.kind).toBe('tls')
  })

  it('falls back to plain HTTP for a registry named insecure that does not speak TLS', async () => {
    const bytes = indexBytes()
    const plainRequests: string[] = []
    // One plain-HTTP server: reached through the tunnel for HTTPS (where it cannot handshake), and as HTTP_PROXY.
    const plainPort = await listen(
      createServer((request, response) => {
        plainRequests.push(request.url ?? '')
        response.writeHead(200, {'content-type': OCI_INDEX}).end(bytes)
      }),
    )
    const tunnels: string[] = []
    const tunnelPort = await listen(tunnellingProxy(plainPort, tunnels))
    await useProxyEnvironment({HTTPS_PROXY: `http://127.0.0.1:${tunnelPort}`, HTTP_PROXY: `http://127.0.0.1:${plainPort}`})
    const lines: string[] = []
    const registry = registrySource(parseReference('registry.lan:5000/my/app:1'), {
      insecureRegistries: ['registry.lan:5000'],
      maxRetries: 0,
      debug: (line) => lines.push(line),
    })
    expect((await registry.fetchManifest()).digest).toBe(sha256(bytes))
    expect(tunnels).toEqual(['registry.lan:5000'])
    expect(plainRequests).toEqual(['http://registry.lan:5000/v2/my/app/manifests/1'])
    expect(lines.some((line) => line.startsWith('registry.lan:5000 (insecure): HTTPS failed'))).toBe(true)
  })

  it('goes direct for hosts in NO_PROXY', async () => {
    const seen: string[] = []
    const proxyPort = await listen(
      createServer((request, response) => {
        seen.push(request.url ?? '')
        response.writeHead(500).end()
      }),
    )
    await useProxyEnvironment({HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: 'registry.invalid'})
    const error = await rejection(
      registrySource(parseReference('registry.invalid/my/app:1'), {
        insecureRegistries: ['registry.invalid'],
        maxRetries: 0,
      }).fetchManifest(),
    )
    expect(seen).toEqual([])
    expect(error.message).toMatch(/^cannot resolve host registry\.invalid/)
  })
})
