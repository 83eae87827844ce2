import {createServer, type Server} from 'node:http'
import {createServer as createTcpServer, type AddressInfo} from 'node:net'

import nock from 'nock'
import {Agent} from 'undici'
import {describe, expect, it} from 'vitest'

import type {RegistryOptions} from '../../../src/source/registry/options.js'
import {parseReference} from '../../../src/oci/reference.js'
import type {RegistrySource} from '../../../src/source/registry/registry-source.js'
import {registrySource} from '../../helpers/registry-client.js'
import {
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  THROUGH_NOCK,
  indexBytes,
  rejection,
  sha256,
  useNock,
} from '../../helpers/registry-mocks.js'

const REGISTRY = 'https://registry.example'

function source(options: RegistryOptions = {}, spec = 'registry.example/my/app:1.2'): RegistrySource {
  return registrySource(parseReference(spec), {...THROUGH_NOCK, retryBaseDelayMs: 1, ...options})
}

const manifestPath = '/v2/my/app/manifests/1.2'

/** An error as node's sockets raise it; nock 14 emits a plain object on node:http requests not at all. */
const systemError = (message: string, code: string): Error => Object.assign(new Error(message), {code})

describe('registry faults', () => {
  useNock()

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    const bytes = indexBytes()
    nock(REGISTRY)
      .get(manifestPath)
      .reply(429, {errors: [{code: 'TOOMANYREQUESTS'}]}, {'retry-after': '1'})
    nock(REGISTRY).get(manifestPath).reply(200, bytes, {'content-type': OCI_INDEX})
    const started = Date.now()
    const fetched = await source().fetchManifest()
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(fetched).toMatchObject({digest: sha256(bytes), mediaType: OCI_INDEX})
    expect(Buffer.from(fetched.bytes).equals(bytes)).toBe(true)
    expect(nock.pendingMocks()).toEqual([])
  })

  it('gives up after the retries with the rate limit and when to retry, from Hub-style headers', async () => {
    const headers = {'retry-after': '0', 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600'}
    nock('https://registry-1.docker.io').get('/v2/library/alpine/manifests/latest').times(3).reply(429, '', headers)
    const error = await rejection(source({maxRetries: 2}, 'alpine').fetchManifest())
    expect(error.kind).toBe('rate-limited')
    expect(error.message).toBe('docker.io rate limit reached (0 of 100 pulls left per 6 h) (after 2 retries); retry after 0 s')
  })

  it('does not sit out a Retry-After beyond the cap: fails at once saying when to retry', async () => {
    nock(REGISTRY).get(manifestPath).reply(429, '', {'retry-after': '3600'})
    const started = Date.now()
    const error = await rejection(source().fetchManifest())
    expect(Date.now() - started).toBeLessThan(1000)
    expect(error.message).toContain('retry after 3600 s')
  })

  it('retries 502/503/504 with backoff and then succeeds', async () => {
    const bytes = indexBytes()
    nock(REGISTRY).get(manifestPath).reply(502).get(manifestPath).reply(503).get(manifestPath).reply(504)
    nock(REGISTRY).get(manifestPath).reply(200, bytes, {'content-type': OCI_INDEX})
    const lines: string[] = []
    const fetched = await source({debug: (line) => lines.push(line)}).fetchManifest()
    expect(lines.filter((line) => /retry \d in/.test(line))).toHaveLength(3)
    expect(fetched).toMatchObject({digest: sha256(bytes), mediaType: OCI_INDEX})
    expect(nock.pendingMocks()).toEqual([])
  })

  it('reports a server error once retries are used up', async () => {
    nock(REGISTRY).get(manifestPath).times(2).reply(503)
    const error = await rejection(source({maxRetries: 1}).fetchManifest())
    expect(error.kind).toBe('server-error')
    expect(error.message).toBe('registry.example failed to serve tag 1.2 of registry.example/my/app: server error 503 (after 1 retry)')
  })

  it('retries a connection reset', async () => {
    const bytes = indexBytes()
    nock(REGISTRY).get(manifestPath).replyWithError(systemError('socket hang up', 'ECONNRESET'))
    nock(REGISTRY).get(manifestPath).reply(200, bytes, {'content-type': OCI_INDEX})
    expect((await source().fetchManifest()).digest).toBe(sha256(bytes))
  })

  it('refuses an announced Content-Length over the cap before reading', async () => {
    nock(REGISTRY).get(manifestPath).reply(200, Buffer.alloc(2048, 0x20), {'content-type': OCI_INDEX, 'content-length': '2048'})
    const error = await rejection(source({maxManifestBytes: 1024}).fetchManifest())
    expect(error.message).toContain('larger than 1024 bytes (the registry announced 2048)')
  })

  it('rejects a Content-Type that disagrees with the body mediaType', async () => {
    nock(REGISTRY).get(manifestPath).reply(200, indexBytes(), {'content-type': DOCKER_MANIFEST})
    const error = await rejection(source().fetchManifest())
    expect(error.kind).toBe('media-type-mismatch')
    expect(error.message).toBe(
      `manifest 1.2 of registry.example/my/app was served as ${DOCKER_MANIFEST} but declares mediaType ${OCI_INDEX}`,
    )
  })

  it('takes the media type from Content-Type for an OCI manifest without mediaType', async () => {
    const bytes = Buffer.from(JSON.stringify({schemaVersion: 2, config: {}, layers: []}))
    nock(REGISTRY)
      .get(manifestPath)
      .reply(200, bytes, {'content-type': `${OCI_MANIFEST}; charset=utf-8`})
    expect((await source().fetchManifest()).mediaType).toBe(OCI_MANIFEST)
  })

  it('calls truncated JSON malformed', async () => {
    const bytes = indexBytes().subarray(0, 40)
    nock(REGISTRY)
      .get(manifestPath)
      .reply(200, bytes, {'content-type': OCI_INDEX, 'docker-content-digest': sha256(bytes)})
    const error = await rejection(source().fetchManifest())
    expect(error.kind).toBe('malformed')
    expect(error.message).toBe('manifest 1.2 of registry.example/my/app is not valid JSON (truncated or corrupt, 40 bytes)')
  })

  it('explains that schema 1 is unsupported, by Content-Type or by schemaVersion, also when signed', async () => {
    const schema1 = Buffer.from(JSON.stringify({schemaVersion: 1, name: 'my/app', tag: '1.2', fsLayers: []}))
    // A signed schema 1 manifest's Docker-Content-Digest is that of its payload without the signatures.
    const payloadDigest = sha256(schema1.subarray(0, 20))
    nock(REGISTRY).get(manifestPath).reply(200, schema1, {
      'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws',
      'docker-content-digest': payloadDigest,
    })
    nock(REGISTRY).get(manifestPath).reply(200, schema1, {'content-type': 'application/json', 'docker-content-digest': payloadDigest})
    nock(REGISTRY).get(manifestPath).reply(200, schema1, {'content-type': 'application/json'})
    for (let i = 0; i < 3; i++) {
      const error = await rejection(source().fetchManifest())
      expect(error.message).toBe(
        'registry.example/my/app@1.2: schema 1 manifests are deprecated and unsupported; re-push the image with a current client',
      )
    }
  })

  it('explains an unverifiable TLS certificate and how to opt out', async () => {
    nock(REGISTRY).get(manifestPath).replyWithError(systemError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'))
    const error = await rejection(source().fetchManifest())
    expect(error.kind).toBe('tls')
    expect(error.message).toBe(
      'TLS certificate of registry.example could not be verified: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); use --insecure-registry registry.example only if you trust it',
    )
  })

  it('suggests --insecure-registry when the server does not speak TLS', async () => {
    nock(REGISTRY)
      .get(manifestPath)
      .replyWithError(systemError('80CC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER'))
    const error = await rejection(source().fetchManifest())
    expect(error.kind).toBe('tls')
    expect(error.message).toBe(
      'TLS handshake with registry.example failed (ERR_SSL_WRONG_VERSION_NUMBER: the server does not seem to speak TLS); if it is a plain-HTTP registry, use --insecure-registry registry.example',
    )
  })

  it('falls back to GET when a registry refuses HEAD (405)', async () => {
    const digest = sha256('x')
    nock(REGISTRY).head(`/v2/my/app/manifests/${digest}`).reply(405).get(`/v2/my/app/manifests/${digest}`).reply(404)
    expect(await source().manifestExists(digest)).toBe(false)
  })

  it('times out a registry slower than the timeout, saying after how long', async () => {
    nock(REGISTRY).get(manifestPath).delay(2000).reply(200, indexBytes(), {'content-type': OCI_INDEX})
    const started = Date.now()
    const error = await rejection(source({timeoutMs: 200}).fetchManifest())
    expect(Date.now() - started).toBeLessThan(1500)
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe('GET https://registry.example/v2/my/app/manifests/1.2 timed out after 0.2 s')
  })
})

describe('registry over real sockets (loopback, plain HTTP)', () => {
  async function listen(server: Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as AddressInfo).port
  }

  it('speaks plain HTTP to 127.0.0.1 and reuses one keep-alive connection', async () => {
    const bytes = indexBytes()
    const sockets = new Set<unknown>()
    const server = createServer((request, response) => {
      sockets.add(request.socket)
      response.writeHead(200, {'content-type': OCI_INDEX, 'docker-content-digest': sha256(bytes)}).end(bytes)
    })
    const port = await listen(server)
    try {
      const registry = registrySource(parseReference(`127.0.0.1:${port}/my/app:1`))
      for (let i = 0; i < 10; i++) expect((await registry.fetchManifest()).digest).toBe(sha256(bytes))
      // undici may open a second connection while the first is being released; never one per request.
      expect(sockets.size).toBeLessThanOrEqual(2)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('keeps the connection after a HEAD: an audit sends one per tag', async () => {
    const bytes = indexBytes()
    const sockets = new Set<unknown>()
    const server = createServer((request, response) => {
      sockets.add(request.socket)
      response.writeHead(200, {'content-type': OCI_INDEX, 'content-length': bytes.length, 'docker-content-digest': sha256(bytes)})
      response.end(request.method === 'HEAD' ? undefined : bytes)
    })
    const port = await listen(server)
    try {
      const registry = registrySource(parseReference(`127.0.0.1:${port}/my/app:1`))
      for (let i = 0; i < 20; i++) expect(await registry.manifestExists(sha256(bytes))).toBe(true)
      // undici alone closes the connection after each HEAD: 20 connections.
      expect(sockets.size).toBeLessThanOrEqual(2)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('retries the request that a body sent after a HEAD breaks, on another connection', async () => {
    const bytes = indexBytes()
    const head = `HTTP/1.1 200 OK\r\ncontent-type: ${OCI_INDEX}\r\ncontent-length: ${bytes.length}\r\ndocker-content-digest: ${sha256(bytes)}\r\n\r\n`
    const seen: string[] = []
    let connections = 0
    // A misbehaving server: a HEAD's body comes late, once the next request is already on the kept
    // connection (sent when that request arrives, so no timer decides the order); a GET is answered
    // after 60 ms.
    const server = createTcpServer((socket) => {
      const connection = ++connections
      let received = ''
      let owesHeadBody = false
      socket.on('data', (data) => {
        received += data.toString('latin1')
        for (let end = received.indexOf('\r\n\r\n'); end >= 0; end = received.indexOf('\r\n\r\n')) {
          const method = received.slice(0, received.indexOf(' '))
          received = received.slice(end + 4)
          seen.push(`${connection} ${method}`)
          if (owesHeadBody) socket.write(bytes)
          owesHeadBody = method === 'HEAD'
          if (method === 'HEAD') socket.write(head)
          else setTimeout(() => socket.destroyed || socket.write(Buffer.concat([Buffer.from(head), bytes])), 60)
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    // One connection, so the GET takes the one the HEAD left open.
    const dispatcher = new Agent({connections: 1})
    const lines: string[] = []
    try {
      const registry = registrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {
        dispatcher,
        retryBaseDelayMs: 1,
        debug: (line) => lines.push(line),
      })
      expect(await registry.manifestExists(sha256(bytes))).toBe(true)
      expect((await registry.fetchManifest(sha256(bytes))).digest).toBe(sha256(bytes))
      expect(seen).toEqual(['1 HEAD', '1 GET', '2 GET'])
      expect(lines.filter((line) => line.includes('retry 1 in'))).toEqual([
        expect.stringMatching(
          /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/my\/app\/manifests\/sha256:\w+ failed \(HTTPParserError\) after \d+ ms; retry 1 in \d+ ms$/,
        ),
      ])
    } finally {
      await dispatcher.close()
      server.close()
    }
  })

  it('stops reading an oversized manifest at the cap instead of buffering it', async () => {
    const offered = 256 * 1024 * 1024
    let written = 0
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const server = createServer((_request, response) => {
      response.writeHead(200, {'content-type': OCI_INDEX})
      const pump = (): void => {
        while (written < offered && !response.destroyed) {
          written += chunk.length
          if (!response.write(chunk)) return void response.once('drain', pump)
        }
        response.end()
      }
      pump()
    })
    const port = await listen(server)
    try {
      const registry = registrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {maxManifestBytes: 256 * 1024})
      const error = await rejection(registry.fetchManifest())
      expect(error.kind).toBe('too-large')
      expect(error.message).toBe(`manifest 1 of 127.0.0.1:${port}/my/app: larger than 262144 bytes`)
      // Only what fits in socket buffers was sent: the client stopped reading and closed the connection.
      expect(written).toBeLessThan(32 * 1024 * 1024)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('errors a blob stream that stalls longer than the timeout, and lets a slow but steady one finish', async () => {
    const layer = Buffer.alloc(40 * 1024, 1)
    const server = createServer((request, response) => {
      response.writeHead(200)
      let sent = 0
      const steady = request.url?.endsWith(sha256(layer))
      const timer = setInterval(() => {
        response.write(layer.subarray(sent, sent + 4096))
        sent += 4096
        if (sent >= layer.length) {
          clearInterval(timer)
          // The stalling variant never ends its body.
          if (steady) response.end()
        }
      }, 50)
      response.on('close', () => clearInterval(timer))
    })
    const port = await listen(server)
    try {
      // 10 chunks 50 ms apart: 500 ms in all, longer than the timeout but never idle for it.
      const registry = registrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {timeoutMs: 300})
      let received = 0
      for await (const chunk of await registry.openBlob(sha256(layer))) received += (chunk as Buffer).length
      expect(received).toBe(layer.length)

      const stalled = await registry.openBlob(sha256('stalls'))
      const error = await rejection(
        (async () => {
          for await (const chunk of stalled) void chunk
        })(),
      )
      expect(error.kind).toBe('timeout')
      expect(error.message).toContain('no data for 0.3 s')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('stops the download when the reader of a blob stream stops early', async () => {
    let closed!: () => void
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve
    })
    const server = createServer((_request, response) => {
      response.writeHead(200)
      const chunk = Buffer.alloc(64 * 1024, 3)
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump)
      }
      response.on('close', closed)
      pump()
    })
    const port = await listen(server)
    try {
      const stream = await registrySource(parseReference(`127.0.0.1:${port}/my/app:1`)).openBlob(sha256('endless'))
      for await (const chunk of stream) {
        expect((chunk as Buffer).length).toBeGreaterThan(0)
        break
      }
      await connectionClosed
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('fetches a manifest again when the connection breaks mid-body, and says so when it keeps breaking', async () => {
    const bytes = indexBytes()
    let requests = 0
    const server = createServer((_request, response) => {
      requests++
      response.writeHead(200, {'content-type': OCI_INDEX, 'content-length': String(bytes.length)})
      if (requests === 1 || requests >= 3) {
        response.write(bytes.subarray(0, 10))
        setTimeout(() => response.socket?.destroy(), 20)
      } else {
        response.end(bytes)
      }
    })
    const port = await listen(server)
    try {
      const registry = registrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {retryBaseDelayMs: 1})
      expect((await registry.fetchManifest()).digest).toBe(sha256(bytes))
      expect(requests).toBe(2)

      const error = await rejection(registrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {maxRetries: 0}).fetchManifest())
      expect([error.kind, error.message]).toEqual([
        'network',
        `connection to 127.0.0.1:${port} broke while receiving the response (UND_ERR_SOCKET)`,
      ])
      const stream = await registrySource(parseReference(`127.0.0.1:${port}/my/app:1`)).openBlob(sha256('cut short'))
      const streamError = await rejection(
        (async () => {
          for await (const chunk of stream) void chunk
        })(),
      )
      expect(streamError.kind).toBe('network')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('says the connection was refused', async () => {
    const server = createServer()
    const port = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    const error = await rejection(registrySource(parseReference(`localhost:${port}/my/app`), {retryBaseDelayMs: 1}).fetchManifest())
    expect(error.kind).toBe('network')
    expect(error.message).toBe(`cannot connect to localhost:${port}: connection refused`)
  })

  it('times out a request still waiting for a connection, when its timeout ends, not when a connection frees', async () => {
    const bytes = indexBytes()
    const server = createServer((_request, response) => {
      setTimeout(() => response.writeHead(200, {'content-type': OCI_INDEX, 'docker-content-digest': sha256(bytes)}).end(bytes), 1500)
    })
    const port = await listen(server)
    // One connection, shared by two clients: the patient one holds it for 1.5 s.
    const dispatcher = new Agent({connections: 1})
    try {
      const reference = parseReference(`127.0.0.1:${port}/my/app:1`)
      const holding = registrySource(reference, {dispatcher, timeoutMs: 5000}).fetchManifest()
      await new Promise((resolve) => setTimeout(resolve, 50))
      const started = Date.now()
      const error = await rejection(registrySource(reference, {dispatcher, timeoutMs: 200, maxRetries: 0}).fetchManifest())
      expect(error.kind).toBe('timeout')
      expect(Date.now() - started).toBeLessThan(1000)
      expect((await holding).digest).toBe(sha256(bytes))
    } finally {
      await dispatcher.destroy()
      server.closeAllConnections()
      server.close()
    }
  })

  it('times out a body that stalls after the headers', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, {'content-type': OCI_INDEX})
      response.write('{"schemaVersion": 2,')
    })
    const port = await listen(server)
    try {
      const error = await rejection(registrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {timeoutMs: 300}).fetchManifest())
      expect(error.kind).toBe('timeout')
      expect(error.message).toContain('timed out after 0.3 s')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
