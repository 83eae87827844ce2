/**
 * A signal given to a registry read stops it wherever it waits: on a response, in a retry's
 * back-off, in a Retry-After wait, on a token server. Each case runs against a local HTTP server
 * (Node only) that answers as the case needs, and checks that the call rejects with an
 * AbortError at once and that the server sees no request after the abort.
 */
import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {afterEach, describe, expect, it, vi} from 'vitest'

import {AbortError} from '../../../src/oci/abort.js'
import {parseReference} from '../../../src/oci/reference.js'
import {createRegistryClient} from '../../../src/source/registry/client.js'
import {dockerKeychain} from '../../../src/source/registry/credentials.js'
import type {RegistryOptions} from '../../../src/source/registry/options.js'
import {OCI_INDEX, indexBytes, sha256} from '../../helpers/registry-mocks.js'
import {closeRegistryClients, registrySource} from '../../helpers/registry-client.js'
import {tempDir} from '../../helpers/temp-dir.js'

/** Generous for a loaded machine; an abort that did not reach the wait would take the 30 s of the wait. */
const PROMPT_MS = 2000

let server: Server | undefined
afterEach(async () => {
  vi.restoreAllMocks()
  await closeRegistryClients()
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

/** A registry on 127.0.0.1 answered by `handle`; returns its host and the request lines it saw. */
async function registry(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<{host: string; seen: string[]}> {
  const seen: string[] = []
  server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`)
    handle(request, response)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return {host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen}
}

/** Aborts `controller` once the server has seen `requests` requests; resolves with how long the call took after that. */
async function abortAfter(
  seen: string[],
  requests: number,
  controller: AbortController,
  call: Promise<unknown>,
): Promise<{error: unknown; afterAbortMs: number}> {
  const settled = call.then(
    () => undefined,
    (error: unknown) => error,
  )
  while (seen.length < requests) await new Promise((resolve) => setTimeout(resolve, 5))
  const aborted = performance.now()
  controller.abort(new Error('stop'))
  const error = await settled
  return {error, afterAbortMs: performance.now() - aborted}
}

const manifest = indexBytes()
const DIGEST = sha256(manifest)

function source(host: string, options: RegistryOptions = {}) {
  return registrySource(parseReference(`${host}/app:1`), options)
}

describe('a registry read given a signal', () => {
  it('rejects with an AbortError carrying the reason when aborted while waiting for a response', async () => {
    const {host, seen} = await registry(() => {}) // never answers
    const controller = new AbortController()
    const {error, afterAbortMs} = await abortAfter(seen, 1, controller, source(host).fetchManifest('1', {signal: controller.signal}))
    expect(error).toBeInstanceOf(AbortError)
    expect((error as AbortError).message).toBe('aborted: stop')
    expect(((error as AbortError).cause as Error).message).toBe('stop')
    expect(afterAbortMs).toBeLessThan(PROMPT_MS)
    expect(seen).toEqual(['GET /v2/app/manifests/1'])
    // A reason that already is an AbortError is kept, not wrapped into "aborted: aborted: …".
    const again = new AbortController()
    const wrapped = source(host).fetchManifest('1', {signal: again.signal})
    setTimeout(() => again.abort(new AbortError('stop')), 50)
    await expect(wrapped).rejects.toThrow(/^aborted: stop$/)
  })

  it('makes no request when the signal has already aborted', async () => {
    const {host, seen} = await registry((_request, response) => response.end())
    const signal = AbortSignal.abort()
    await expect(source(host).blobExists(DIGEST, {signal})).rejects.toBeInstanceOf(AbortError)
    await expect(source(host).listTags({signal})).rejects.toBeInstanceOf(AbortError)
    expect(seen).toEqual([])
  })

  it("stops in a retry's back-off and sends no retry", async () => {
    const {host, seen} = await registry((_request, response) => response.writeHead(503).end())
    // The back-off is random (full jitter): fixed at half its bound, 15 s.
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const controller = new AbortController()
    const call = source(host, {retryBaseDelayMs: 30_000}).manifestExists(DIGEST, {signal: controller.signal})
    const {error, afterAbortMs} = await abortAfter(seen, 1, controller, call)
    expect(error).toBeInstanceOf(AbortError)
    expect(afterAbortMs).toBeLessThan(PROMPT_MS)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toHaveLength(1)
  })

  it('stops in a Retry-After wait', async () => {
    const {host, seen} = await registry((_request, response) => response.writeHead(429, {'retry-after': '30'}).end())
    const controller = new AbortController()
    const call = source(host).fetchBlob(DIGEST, undefined, {signal: controller.signal})
    const {error, afterAbortMs} = await abortAfter(seen, 1, controller, call)
    expect(error).toBeInstanceOf(AbortError)
    expect(afterAbortMs).toBeLessThan(PROMPT_MS)
    expect(seen).toHaveLength(1)
  })

  it('stops while a response body is still arriving', async () => {
    const {host, seen} = await registry((_request, response) => {
      response.writeHead(200, {'content-type': OCI_INDEX, 'content-length': String(manifest.length)})
      response.write(manifest.subarray(0, 10)) // and the rest never comes
    })
    const controller = new AbortController()
    const {error} = await abortAfter(seen, 1, controller, source(host).fetchManifest(DIGEST, {signal: controller.signal}))
    expect(error).toBeInstanceOf(AbortError)
  })

  it('ends a blob stream with an AbortError mid-body, and closes its connection', async () => {
    let closed = false
    const {host} = await registry((_request, response) => {
      response.once('close', () => (closed = true))
      response.writeHead(200, {'content-length': '1000000'})
      response.write(Buffer.alloc(1000)) // and the rest never comes
    })
    const controller = new AbortController()
    const blob = await source(host).openBlob(sha256('a layer'), {signal: controller.signal})
    const read = (async () => {
      for await (const _chunk of blob) controller.abort(new Error('stop'))
    })()
    await expect(read).rejects.toBeInstanceOf(AbortError)
    while (!closed) await new Promise((resolve) => setTimeout(resolve, 5))
  })

  it('stops on a token server that does not answer', async () => {
    const {host, seen} = await registry((request, response) => {
      if (request.url?.startsWith('/token')) return // never answers
      response.writeHead(401, {'www-authenticate': `Bearer realm="http://${host}/token",service="test"`}).end()
    })
    const controller = new AbortController()
    const {error, afterAbortMs} = await abortAfter(seen, 2, controller, source(host).fetchManifest('1', {signal: controller.signal}))
    expect(error).toBeInstanceOf(AbortError)
    expect(afterAbortMs).toBeLessThan(PROMPT_MS)
    expect(seen.map((line) => line.split('?')[0])).toEqual(['GET /v2/app/manifests/1', 'GET /token'])
  })

  it("goes on when another caller's abort ends a token fetch it shared", async () => {
    let tokens = 0
    const {host, seen} = await registry((request, response) => {
      if (request.url?.startsWith('/token')) {
        // The first token answer comes late: the caller that asked for it gives up first.
        setTimeout(() => response.end(JSON.stringify({token: `t${++tokens}`})), tokens === 0 ? 300 : 0)
        return
      }
      if (request.headers.authorization === undefined)
        return response.writeHead(401, {'www-authenticate': `Bearer realm="http://${host}/token",service="test"`}).end()
      response.writeHead(200, {'content-type': OCI_INDEX, 'docker-content-digest': DIGEST}).end(manifest)
    })
    const client = createRegistryClient()
    try {
      const repository = client.repository(parseReference(`${host}/app:1`))
      // One 401 first, so both callers then share the challenge and ask for one token.
      await repository.blobExists(DIGEST).catch(() => undefined)
      const first = new AbortController()
      const firstCall = repository.fetchManifest('1', {signal: first.signal})
      const secondCall = repository.fetchManifest('1')
      while (!seen.some((line) => line.startsWith('GET /token'))) await new Promise((resolve) => setTimeout(resolve, 5))
      first.abort()
      await expect(firstCall).rejects.toBeInstanceOf(AbortError)
      expect((await secondCall).digest).toBe(DIGEST)
    } finally {
      await client.close()
    }
  })

  it('watches one signal for many requests without a listener each (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const {host, seen} = await registry(() => {}) // never answers
      const controller = new AbortController()
      const repository = source(host)
      const calls = Array.from({length: 30}, (_, i) =>
        repository.blobExists(sha256(`blob ${i}`), {signal: controller.signal}).catch((error: unknown) => error),
      )
      while (seen.length < 16) await new Promise((resolve) => setTimeout(resolve, 5))
      controller.abort()
      for (const error of await Promise.all(calls)) expect(error).toBeInstanceOf(AbortError)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('kills a credential helper that has not answered, and rejects once it has exited', async () => {
    const configDir = await tempDir('cancel-helper')
    const binDir = join(configDir, 'bin')
    await mkdir(binDir)
    const helper = join(binDir, 'docker-credential-slow')
    // Only node and sh: unit tests run with nothing else on PATH.
    await writeFile(helper, `#!/bin/sh\necho $$ > "${configDir}/pid"\nexec "${process.execPath}" -e "setTimeout(() => {}, 30000)"\n`)
    await chmod(helper, 0o755)
    await writeFile(join(configDir, 'config.json'), JSON.stringify({credHelpers: {'registry.lan': 'slow'}}))
    const path = process.env.PATH
    process.env.PATH = `${binDir}:${path}`
    try {
      const controller = new AbortController()
      const lookUp = dockerKeychain({configDir}).get('registry.lan', {signal: controller.signal})
      let pid = 0
      while (!pid) {
        pid = Number(await readFile(join(configDir, 'pid'), 'utf8').catch(() => '')) || 0
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      controller.abort()
      await expect(lookUp).rejects.toBeInstanceOf(AbortError)
      expect(() => process.kill(pid, 0)).toThrow()
    } finally {
      process.env.PATH = path
    }
  })
})
