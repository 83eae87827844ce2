import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {createServer as createTlsServer} from 'node:https'
import {connect, type AddressInfo} from 'node:net'
import {promisify} from 'node:util'

import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {parseReference} from '../../src/oci/reference.js'
import {registryOptionsFromEnvironment} from '../../src/source/registry/environment.js'
import type {ProxySettings} from '../../src/source/registry/options.js'
import {selfSignedCertificate, type CertificateFiles} from '../helpers/certificates.js'
import {runCli} from '../helpers/cli.js'
import {closeRegistryClients, registrySource} from '../helpers/registry-client.js'
import {OCI_INDEX, indexBytes, rejection, sha256} from '../helpers/registry-mocks.js'
import {tempDirSync} from '../helpers/temp-dir.js'

const execFileAsync = promisify(execFile)
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']
const servers: Server[] = []
let certDir: string
/** The registry's self-signed certificate (for `registry.example`) and its key. */
let tlsFiles: CertificateFiles
const tlsOptions = () => ({key: readFileSync(tlsFiles.key), cert: readFileSync(tlsFiles.certificate)})

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

/** The proxy settings the CLI makes of these variables (the library itself reads no environment). */
function proxyFrom(variables: Record<string, string>): ProxySettings | undefined {
  return registryOptionsFromEnvironment(variables, certDir).proxy
}

describe('proxies as the CLI takes them from the environment, and TLS verification, over real sockets', () => {
  const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]))

  beforeAll(() => {
    certDir = tempDirSync('tls')
    tlsFiles = selfSignedCertificate(certDir, {name: 'registry', commonName: 'registry.example', subjectAltName: 'DNS:registry.example'})
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
    const registry = registrySource(parseReference('registry.example/my/app:1'), {
      insecureRegistries: ['registry.example'],
      proxy: proxyFrom({HTTP_PROXY: `http://127.0.0.1:${proxyPort}`}),
    })
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
      createTlsServer(tlsOptions(), (_request, response) => {
        response.writeHead(200, {'content-type': OCI_INDEX}).end(indexBytes())
      }),
    )
    const tunnels: string[] = []
    const proxyPort = await listen(tunnellingProxy(tlsPort, tunnels))
    const proxy = proxyFrom({https_proxy: `http://127.0.0.1:${proxyPort}`})
    const error = await rejection(registrySource(parseReference('registry.example/my/app:1'), {maxRetries: 0, proxy}).fetchManifest())
    expect(tunnels).toContain('registry.example:443')
    expect(error.kind).toBe('tls')
    expect(error.message).toMatch(
      /^TLS certificate of registry\.example could not be verified: .+; use --insecure-registry registry\.example only if you trust it$/,
    )
  })

  it('trusts a certificate authority from NODE_EXTRA_CA_CERTS', async () => {
    const bytes = indexBytes()
    const tlsPort = await listen(
      createTlsServer(tlsOptions(), (_request, response) => {
        response.writeHead(200, {'content-type': OCI_INDEX}).end(bytes)
      }),
    )
    const proxyPort = await listen(tunnellingProxy(tlsPort))
    // NODE_EXTRA_CA_CERTS is read at start-up, so a child process fetches.
    const script = `import {createRegistryClient} from './src/source/registry/client.ts'
      import {parseReference} from './src/oci/reference.ts'
      const client = createRegistryClient({proxy: {httpsProxy: process.env.TEST_PROXY}})
      const manifest = await client.repository(parseReference('registry.example/my/app:1')).fetchManifest()
      console.log(manifest.digest)
      await client.close()`
    const {stdout} = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: {...process.env, NODE_EXTRA_CA_CERTS: tlsFiles.certificate, TEST_PROXY: `http://127.0.0.1:${proxyPort}`},
    })
    expect(stdout.trim()).toBe(sha256(bytes))
  })

  it('accepts the unverifiable certificate of a registry named insecure, and only of that one', async () => {
    const bytes = indexBytes()
    const tlsPort = await listen(
      createTlsServer(tlsOptions(), (_request, response) => {
        response.writeHead(200, {'content-type': OCI_INDEX}).end(bytes)
      }),
    )
    const proxyPort = await listen(tunnellingProxy(tlsPort))
    const proxy = proxyFrom({HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`})
    const insecure = registrySource(parseReference('registry.example/my/app:1'), {insecureRegistries: ['registry.example'], proxy})
    expect((await insecure.fetchManifest()).digest).toBe(sha256(bytes))
    const other = await rejection(
      registrySource(parseReference('other.example/my/app:1'), {
        insecureRegistries: ['registry.example'],
        maxRetries: 0,
        proxy,
      }).fetchManifest(),
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
    const lines: string[] = []
    const registry = registrySource(parseReference('registry.lan:5000/my/app:1'), {
      insecureRegistries: ['registry.lan:5000'],
      proxy: proxyFrom({HTTPS_PROXY: `http://127.0.0.1:${tunnelPort}`, HTTP_PROXY: `http://127.0.0.1:${plainPort}`}),
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
    const error = await rejection(
      registrySource(parseReference('registry.invalid/my/app:1'), {
        insecureRegistries: ['registry.invalid'],
        proxy: proxyFrom({HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, no_proxy: 'registry.invalid'}),
        maxRetries: 0,
      }).fetchManifest(),
    )
    expect(seen).toEqual([])
    expect(error.message).toMatch(/^cannot resolve host registry\.invalid/)
  })

  it('a library client ignores HTTP(S)_PROXY in its own process environment', async () => {
    const seen: string[] = []
    const proxyPort = await listen(
      createServer((request, response) => {
        seen.push(request.url ?? '')
        response.writeHead(200, {'content-type': OCI_INDEX}).end(indexBytes())
      }),
    )
    Object.assign(process.env, {HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`})
    const error = await rejection(registrySource(parseReference('registry.invalid/my/app:1'), {maxRetries: 0}).fetchManifest())
    // Direct: the name does not resolve; through the proxy it would have answered.
    expect(seen).toEqual([])
    expect(error.message).toMatch(/^cannot resolve host registry\.invalid/)
  })

  it('a library client ignores ARCHCHECK_INSECURE_REGISTRIES in its own process environment', async () => {
    const tlsPort = await listen(
      createTlsServer(tlsOptions(), (_request, response) => {
        response.writeHead(200, {'content-type': OCI_INDEX}).end(indexBytes())
      }),
    )
    const proxy = {httpsProxy: `http://127.0.0.1:${await listen(tunnellingProxy(tlsPort))}`}
    process.env.ARCHCHECK_INSECURE_REGISTRIES = 'registry.example'
    try {
      const error = await rejection(registrySource(parseReference('registry.example/my/app:1'), {maxRetries: 0, proxy}).fetchManifest())
      expect(error.kind).toBe('tls')
    } finally {
      delete process.env.ARCHCHECK_INSECURE_REGISTRIES
    }
  })

  it('the CLI takes HTTPS_PROXY and ARCHCHECK_INSECURE_REGISTRIES from its environment', async () => {
    const bytes = indexBytes()
    const tlsPort = await listen(
      createTlsServer(tlsOptions(), (_request, response) => {
        response.writeHead(200, {'content-type': OCI_INDEX}).end(bytes)
      }),
    )
    const tunnels: string[] = []
    const env = {HTTPS_PROXY: `http://127.0.0.1:${await listen(tunnellingProxy(tlsPort, tunnels))}`}
    const args = ['inspect', 'registry.example/my/app:1', '--raw']
    const refused = await runCli(args, {env})
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/^archcheck: TLS certificate of registry\.example could not be verified/)
    const insecure = await runCli(args, {env: {...env, ARCHCHECK_INSECURE_REGISTRIES: 'other.example, registry.example'}})
    expect(insecure.code, insecure.stderr).toBe(0)
    expect(insecure.stdoutBytes.equals(Buffer.from(bytes))).toBe(true)
    expect(tunnels.every((target) => target === 'registry.example:443')).toBe(true)
    expect(tunnels.length).toBeGreaterThanOrEqual(2)
  })
})
