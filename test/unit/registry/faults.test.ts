import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import nock from 'nock'
import {describe, expect, it} from 'vitest'

import {RegistryError} from '../../../src/errors.js'
import type {RegistryOptions} from '../../../src/registry/options.js'
import {parseReference} from '../../../src/registry/reference.js'
import {RegistrySource} from '../../../src/registry/registry-source.js'
import {DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, indexBytes, sha256, useNock} from './helpers.js'

const REGISTRY = 'https://registry.example'

function source(options: RegistryOptions = {}, spec = 'registry.example/my/app:1.2'): RegistrySource {
  return new RegistrySource(parseReference(spec), {retryBaseDelayMs: 1, ...options})
}

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(RegistryError)
  return error as RegistryError
}

const manifestPath = '/v2/my/app/manifests/1.2'

describe('registry faults', () => {
  useNock()

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    const bytes = indexBytes()
    nock(REGISTRY).get(manifestPath).reply(429, {errors: [{code: 'TOOMANYREQUESTS'}]}, {'retry-after': '1'})
    nock(REGISTRY).get(manifestPath).reply(200, bytes, {'content-type': OCI_INDEX})
    const started = Date.now()
    await source().fetchManifest()
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  it('gives up after the retries with the rate limit and when to retry, from Hub-style headers', async () => {
    const headers = {'retry-after': '0', 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600'}
    nock('https://registry-1.docker.io').get('/v2/library/alpine/manifests/latest').times(3).reply(429, '', headers)
    const error = await rejection(source({maxRetries: 2}, 'alpine').fetchManifest())
    expect(error.kind).toBe('rate-limited')
    expect(error.message).toBe('docker.io rate limit reached (0 of 100 pulls left per 6 h); retry after 0 s')
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
    await source({debug: (line) => lines.push(line)}).fetchManifest()
    expect(lines.filter((line) => /retry \d in/.test(line))).toHaveLength(3)
  })

  it('reports a server error once retries are used up', async () => {
    nock(REGISTRY).get(manifestPath).times(2).reply(503)
    const error = await rejection(source({maxRetries: 1}).fetchManifest())
    expect(error.kind).toBe('server-error')
    expect(error.message).toBe('registry.example failed to serve tag 1.2 of registry.example/my/app: server error 503')
  })

  it('retries a connection reset', async () => {
    const bytes = indexBytes()
    nock(REGISTRY).get(manifestPath).replyWithError({code: 'ECONNRESET', message: 'socket hang up'})
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
    expect(error.message).toBe(`manifest 1.2 of registry.example/my/app was served as ${DOCKER_MANIFEST} but declares mediaType ${OCI_INDEX}`)
  })

  it('takes the media type from Content-Type for an OCI manifest without mediaType', async () => {
    const bytes = Buffer.from(JSON.stringify({schemaVersion: 2, config: {}, layers: []}))
    nock(REGISTRY).get(manifestPath).reply(200, bytes, {'content-type': `${OCI_MANIFEST}; charset=utf-8`})
    expect((await source().fetchManifest()).mediaType).toBe(OCI_MANIFEST)
  })

  it('calls truncated JSON malformed', async () => {
    const bytes = indexBytes().subarray(0, 40)
    nock(REGISTRY).get(manifestPath).reply(200, bytes, {'content-type': OCI_INDEX, 'docker-content-digest': sha256(bytes)})
    const error = await rejection(source().fetchManifest())
    expect(error.kind).toBe('malformed')
    expect(error.message).toBe('manifest 1.2 of registry.example/my/app is not valid JSON (truncated or corrupt, 40 bytes)')
  })

  it('explains that schema 1 is unsupported, by Content-Type or by schemaVersion', async () => {
    const schema1 = Buffer.from(JSON.stringify({schemaVersion: 1, name: 'my/app', tag: '1.2', fsLayers: []}))
    nock(REGISTRY).get(manifestPath).reply(200, schema1, {'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws'})
    nock(REGISTRY).get(manifestPath).reply(200, schema1, {'content-type': 'application/json'})
    for (let i = 0; i < 2; i++) {
      const error = await rejection(source().fetchManifest())
      expect(error.message).toBe('registry.example/my/app@1.2: schema 1 manifests are deprecated and unsupported; re-push the image with a current client')
    }
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
      const registry = new RegistrySource(parseReference(`127.0.0.1:${port}/my/app:1`))
      for (let i = 0; i < 10; i++) expect((await registry.fetchManifest()).digest).toBe(sha256(bytes))
      // undici may open a second connection while the first is being released; never one per request.
      expect(sockets.size).toBeLessThanOrEqual(2)
    } finally {
      server.closeAllConnections()
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
      const registry = new RegistrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {maxManifestBytes: 256 * 1024})
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

  it('says the connection was refused', async () => {
    const server = createServer()
    const port = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    const error = await rejection(new RegistrySource(parseReference(`localhost:${port}/my/app`), {retryBaseDelayMs: 1}).fetchManifest())
    expect(error.kind).toBe('network')
    expect(error.message).toBe(`cannot connect to localhost:${port}: connection refused`)
  })

  it('times out a body that stalls after the headers', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, {'content-type': OCI_INDEX})
      response.write('{"schemaVersion": 2,')
    })
    const port = await listen(server)
    try {
      const error = await rejection(new RegistrySource(parseReference(`127.0.0.1:${port}/my/app:1`), {timeoutMs: 300}).fetchManifest())
      expect(error.kind).toBe('timeout')
      expect(error.message).toContain('timed out after 0.3 s')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
