import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import nock from 'nock'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {parseReference} from '../../../src/oci/reference.js'
import {ContentCache} from '../../../src/source/cache.js'
import {createRegistryClient, type RegistryClient} from '../../../src/source/registry/client.js'
import type {RegistryOptions} from '../../../src/source/registry/options.js'
import {OCI_INDEX, THROUGH_NOCK, indexBytes, rejection, sha256, useNock} from '../../helpers/registry-mocks.js'

const HUB = 'https://registry-1.docker.io'
const REGISTRY = 'https://registry.example'
const HUB_LIMITS = {'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600'}

let dir: string
let debugLines: string[]
const clients: RegistryClient[] = []

function client(options: RegistryOptions = {}): RegistryClient {
  const made = createRegistryClient({
    ...THROUGH_NOCK,
    retryBaseDelayMs: 1,
    dockerConfigDir: dir,
    debug: (line) => debugLines.push(line),
    ...options,
  })
  clients.push(made)
  return made
}

describe('rate limits', () => {
  useNock()
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archcheck-ratelimit-'))
    debugLines = []
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
    await rm(dir, {recursive: true, force: true})
  })

  it('fails at once on a 429 whose Retry-After is past the bound: rate-limited, retryAfterMs set, not retried', async () => {
    // .once(): a retry would find no interceptor and fail as a network error instead.
    nock(HUB)
      .get('/v2/library/alpine/manifests/3')
      .once()
      .reply(
        429,
        {errors: [{code: 'TOOMANYREQUESTS'}]},
        {'retry-after': '3600', 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600'},
      )
    const started = Date.now()
    const error = await rejection(client().repository(parseReference('alpine:3')).fetchManifest())
    expect(Date.now() - started).toBeLessThan(1000)
    expect([error.kind, error.retryAfterMs, error.message]).toEqual([
      'rate-limited',
      3_600_000,
      'docker.io rate limit reached (0 of 100 pulls left per 6 h); retry after 3600 s',
    ])
  })

  it('takes the bound from maxRetryAfterMs: a 5 s Retry-After over a 1 s bound is not waited for', async () => {
    nock(REGISTRY).get('/v2/team/app/manifests/1').once().reply(429, '', {'retry-after': '5'})
    const started = Date.now()
    const error = await rejection(client({maxRetryAfterMs: 1000}).repository(parseReference('registry.example/team/app:1')).fetchManifest())
    expect(Date.now() - started).toBeLessThan(1000)
    expect([error.kind, error.retryAfterMs]).toEqual(['rate-limited', 5000])
  })

  it('a 429 on the HEAD of a cached read fails at once too, without a GET', async () => {
    const cache = new ContentCache({dir: join(dir, 'cache')})
    nock(REGISTRY).head('/v2/team/app/manifests/1').once().reply(429, '', {'retry-after': '120'})
    const error = await rejection(client({cache}).repository(parseReference('registry.example/team/app:1')).fetchManifest())
    expect([error.kind, error.retryAfterMs]).toEqual(['rate-limited', 120_000])
  })

  it("keeps Docker Hub's ratelimit headers per registry in stats(), the last response winning", async () => {
    const bytes = indexBytes()
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}')
    nock(HUB)
      .get('/v2/library/alpine/manifests/3')
      .reply(200, bytes, {'content-type': OCI_INDEX, ...HUB_LIMITS})
    nock(HUB)
      .get(`/v2/library/alpine/blobs/${sha256(config)}`)
      .reply(200, config, {'ratelimit-remaining': '75;w=21600'})
    nock(REGISTRY).get('/v2/team/app/manifests/1').reply(200, bytes, {'content-type': OCI_INDEX})
    const shared = client()
    const hub = shared.repository(parseReference('alpine:3'))
    await hub.fetchManifest()
    expect(shared.stats().rateLimit).toEqual({'docker.io': {limit: 100, remaining: 76, windowSeconds: 21600}})
    await hub.fetchBlob(sha256(config))
    await shared.repository(parseReference('registry.example/team/app:1')).fetchManifest()
    expect(shared.stats()).toEqual({
      requests: 3,
      byMethod: {GET: 3},
      rateLimit: {'docker.io': {limit: 100, remaining: 75, windowSeconds: 21600}},
    })
    expect(debugLines.some((line) => line.includes('(ratelimit-remaining 75;w=21600)'))).toBe(true)
  })
})

describe('reading manifests with a content cache', () => {
  useNock()
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archcheck-cache-fetch-'))
    debugLines = []
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
    await rm(dir, {recursive: true, force: true})
  })

  it('HEADs a tag for its digest, GETs by digest on a miss and serves the next read from the cache', async () => {
    const bytes = indexBytes()
    const digest = sha256(bytes)
    nock(REGISTRY).head('/v2/team/app/manifests/1').twice().reply(200, '', {'docker-content-digest': digest, 'content-type': OCI_INDEX})
    nock(REGISTRY)
      .get(`/v2/team/app/manifests/${digest}`)
      .once()
      .reply(200, bytes, {'content-type': OCI_INDEX, 'docker-content-digest': digest})
    const cached = client({cache: new ContentCache({dir: join(dir, 'cache')})})
    const source = cached.repository(parseReference('registry.example/team/app:1'))
    for (let run = 0; run < 2; run++) {
      const manifest = await source.fetchManifest()
      expect([Buffer.from(manifest.bytes).equals(bytes), manifest.digest, manifest.mediaType]).toEqual([true, digest, OCI_INDEX])
    }
    expect(cached.stats().byMethod).toEqual({HEAD: 2, GET: 1})
    expect(cached.stats().cache).toMatchObject({hits: 1, misses: 1, entriesWritten: 1})
  })

  it.each([
    ['refuses HEAD (405)', 405, {}],
    ['sends no Docker-Content-Digest', 200, {'content-type': OCI_INDEX}],
  ])('a registry that %s gets a plain GET by tag, and the manifest is cached by digest', async (_name, status, headers) => {
    const bytes = indexBytes()
    const digest = sha256(bytes)
    nock(REGISTRY).head('/v2/team/app/manifests/1').once().reply(status, '', headers)
    nock(REGISTRY).get('/v2/team/app/manifests/1').once().reply(200, bytes, {'content-type': OCI_INDEX})
    const cached = client({cache: new ContentCache({dir: join(dir, 'cache')})})
    const source = cached.repository(parseReference('registry.example/team/app:1'))
    expect((await source.fetchManifest()).digest).toBe(digest)
    // By digest now from the cache: no interceptor is left, so a request would fail.
    expect((await source.fetchManifest(digest)).digest).toBe(digest)
    expect(cached.stats().byMethod).toEqual({HEAD: 1, GET: 1})
  })

  it("a HEAD that fails with a 404 leaves the message to the GET's error document", async () => {
    nock(REGISTRY).head('/v2/team/app/manifests/1').once().reply(404)
    nock(REGISTRY)
      .get('/v2/team/app/manifests/1')
      .once()
      .reply(404, {errors: [{code: 'NAME_UNKNOWN'}]})
    const source = client({cache: new ContentCache({dir: join(dir, 'cache')})}).repository(parseReference('registry.example/team/app:1'))
    const error = await rejection(source.fetchManifest())
    expect([error.kind, error.message]).toEqual(['not-found', 'repository registry.example/team/app not found'])
  })

  it("a cached digest answers only after its repository confirms it: a 503 or no answer fails, a 404 is the GET's not found", async () => {
    const bytes = indexBytes()
    const digest = sha256(bytes)
    const cache = new ContentCache({dir: join(dir, 'cache')})
    await cache.put(digest, bytes)
    const repository = (name: string) => client({cache, maxRetries: 0}).repository(parseReference(`registry.example/${name}@${digest}`))

    nock(REGISTRY).head(`/v2/team/down/manifests/${digest}`).once().reply(503)
    expect((await rejection(repository('team/down').fetchManifest())).kind).toBe('server-error')

    nock(REGISTRY).head(`/v2/team/gone/manifests/${digest}`).once().reply(404)
    nock(REGISTRY)
      .get(`/v2/team/gone/manifests/${digest}`)
      .once()
      .reply(404, {errors: [{code: 'MANIFEST_UNKNOWN'}]})
    expect((await rejection(repository('team/gone').fetchManifest())).kind).toBe('not-found')

    // No interceptor for this repository: the request fails as the network would, and the cache does not answer.
    expect((await rejection(repository('team/unreachable').fetchManifest())).kind).toBe('network')

    // Confirmed once per client: a second read of the same digest makes no request.
    nock(REGISTRY).head(`/v2/team/app/manifests/${digest}`).once().reply(200, '', {'docker-content-digest': digest})
    const source = repository('team/app')
    for (let read = 0; read < 2; read++) expect((await source.fetchManifest()).digest).toBe(digest)
  })

  it('never caches a manifest whose bytes do not match the digest the HEAD announced', async () => {
    const bytes = indexBytes()
    const other = sha256('something else')
    nock(REGISTRY).head('/v2/team/app/manifests/1').once().reply(200, '', {'docker-content-digest': other})
    nock(REGISTRY).get(`/v2/team/app/manifests/${other}`).once().reply(200, bytes, {'content-type': OCI_INDEX})
    const cache = new ContentCache({dir: join(dir, 'cache')})
    const error = await rejection(client({cache}).repository(parseReference('registry.example/team/app:1')).fetchManifest())
    expect(error.kind).toBe('digest-mismatch')
    expect(cache.stats().entriesWritten).toBe(0)
  })
})
