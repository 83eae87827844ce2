import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {parseReference} from '../../src/oci/reference.js'
import {openContentCache} from '../../src/source/cache.js'
import {createRegistryClient, type RegistryClient} from '../../src/source/registry/client.js'
import {startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {sha256Digest, TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {pushScenario, type PushedScenario, type ScenarioSpec} from '../helpers/scenarios.js'

const REPOSITORY = 'audit-source/cached'
/** Three tags with different content: two indexes (2 and 3 platforms) and a single image. */
const TAGGED: Array<[string, ScenarioSpec]> = [
  ['1.0', {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}}],
  ['1.1', {index: {format: 'docker', entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}, {platform: 'linux/arm/v7'}]}}],
  ['2.0', {image: {platform: 'linux/s390x'}}],
]

let proxy: CountingProxy
let scenarios: PushedScenario[]
/** Every manifest and config the tags reach, by digest (what a cold walk must GET once each). */
let manifests: Set<string>
let configs: Set<string>
/** Cache look-ups a walk makes: each tag's top manifest, each child manifest, each image's config (configs repeat across tags). */
let lookups: number
/** Child manifests of the index tags: each is HEADed in its repository by a warm walk before the cache answers for it. */
let children: string[]
let dir: string
let debugLines: string[]
const clients: RegistryClient[] = []

beforeAll(async () => {
  scenarios = []
  for (const [tag, spec] of TAGGED)
    scenarios.push(await pushScenario(`audit-source-cached-${tag.replace('.', '-')}`, {...spec, repository: REPOSITORY, tag}))
  manifests = new Set(scenarios.flatMap((s) => [s.root.digest, ...s.images.map((image) => image.digest)]))
  configs = new Set(scenarios.flatMap((s) => s.images.map((image) => image.config.digest)))
  children = scenarios.flatMap((s) => (s.root.kind === 'index' ? s.images.map((image) => image.digest) : []))
  lookups = scenarios.reduce((sum, s) => sum + 1 + (s.root.kind === 'index' ? s.images.length : 0) + s.images.length, 0)
  proxy = await startCountingProxy(testRegistryHost())
})

afterAll(async () => {
  await proxy?.close()
})

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archcheck-registry-cache-'))
  debugLines = []
  proxy.reset()
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await rm(dir, {recursive: true, force: true})
})

/** A client whose cache lives in this test's directory, as the audit command opens it. */
function cachedClient(): RegistryClient {
  const cache = openContentCache({cacheDir: join(dir, 'cache')})
  const client = createRegistryClient({cache, debug: (line) => debugLines.push(line)})
  clients.push(client)
  return client
}

interface Node {
  mediaType?: string
  manifests?: Array<{digest: string}>
  config?: {digest: string}
}

/** What an audit reads of each tag: the tag, every child manifest, every config, checked against the pushed bytes. */
async function walk(client: RegistryClient): Promise<void> {
  for (const scenario of scenarios) {
    const source = client.repository(parseReference(`${proxy.host}/${REPOSITORY}:${scenario.tag}`))
    const top = await source.fetchManifest()
    expect(Buffer.from(top.bytes).equals(scenario.topBytes)).toBe(true)
    const body = JSON.parse(Buffer.from(top.bytes).toString('utf8')) as Node
    const images = body.manifests ? await Promise.all(body.manifests.map((child) => source.fetchManifest(child.digest))) : [top]
    for (const image of images) {
      expect(sha256Digest(image.bytes)).toBe(image.digest)
      const config = (JSON.parse(Buffer.from(image.bytes).toString('utf8')) as Node).config!.digest
      expect(sha256Digest(await source.fetchBlob(config))).toBe(config)
    }
  }
}

/** Cache entry path of a digest (the cache's sha256/XX/HEX layout). */
const entryPath = (digest: string): string => join(dir, 'cache', 'sha256', digest.slice(7, 9), digest.slice(7))

describe('RegistryClient with a content cache, counted at a proxy in front of docker-registry', () => {
  it('a cold walk HEADs each tag and GETs each manifest and config once; a warm walk HEADs each tag and child manifest and GETs nothing', async () => {
    const cold = cachedClient()
    await walk(cold)
    expect(proxy.summary({method: 'HEAD'})).toEqual(
      Object.fromEntries(TAGGED.map(([tag]) => [`HEAD /v2/${REPOSITORY}/manifests/${tag}`, 1])),
    )
    // Every manifest GET is by digest (the tag only ever sees a HEAD).
    expect(
      proxy.requests
        .filter((r) => r.method === 'GET' && r.kind === 'manifest')
        .map((r) => r.reference)
        .sort(),
    ).toEqual([...manifests].sort())
    expect(
      proxy.requests
        .filter((r) => r.method === 'GET' && r.kind === 'blob')
        .map((r) => r.reference)
        .sort(),
    ).toEqual([...configs].sort())
    expect(proxy.count()).toBe(TAGGED.length + manifests.size + configs.size)
    expect(cold.stats()).toMatchObject({
      requests: proxy.count(),
      byMethod: {HEAD: TAGGED.length, GET: manifests.size + configs.size},
      // The only hits of a cold walk are configs an earlier tag already brought.
      cache: {
        hits: lookups - manifests.size - configs.size,
        misses: manifests.size + configs.size,
        entriesWritten: manifests.size + configs.size,
        corrupt: 0,
      },
    })

    proxy.reset()
    const warm = cachedClient()
    await walk(warm)
    // The cache holds bytes, not existence: each manifest the walk uses is confirmed in its repository.
    expect(proxy.summary()).toEqual(
      Object.fromEntries(
        [...TAGGED.map(([tag]) => tag), ...children].map((reference) => [`HEAD /v2/${REPOSITORY}/manifests/${reference}`, 1]),
      ),
    )
    const heads = TAGGED.length + children.length
    expect(warm.stats()).toMatchObject({requests: heads, byMethod: {HEAD: heads}, cache: {hits: lookups, misses: 0}})
  })

  it('refetches a cache entry corrupted on disk (one GET), says so on debug, and writes it whole again', async () => {
    await walk(cachedClient())
    const victim = scenarios[1].image('linux/arm/v7').digest
    const original = await readFile(entryPath(victim))
    await writeFile(entryPath(victim), Buffer.concat([original.subarray(0, 20), Buffer.from('corrupted')]))

    proxy.reset()
    debugLines = []
    const warm = cachedClient()
    await walk(warm)
    expect(proxy.summary({method: 'GET'})).toEqual({[`GET /v2/${REPOSITORY}/manifests/${victim}`]: 1})
    // The refetched child's GET confirms it: no HEAD for it.
    expect(proxy.count({method: 'HEAD'})).toBe(TAGGED.length + children.length - 1)
    const corrupt = debugLines.filter((line) => line.includes('corrupt'))
    expect(corrupt).toHaveLength(1)
    expect(corrupt[0].startsWith(`${proxy.host}/${REPOSITORY}: cache entry ${victim} was corrupt (`)).toBe(true)
    expect(corrupt[0].endsWith('); deleted it; fetching it from the registry')).toBe(true)
    expect(warm.stats().cache).toMatchObject({corrupt: 1, entriesWritten: 1})
    expect((await readFile(entryPath(victim))).equals(original)).toBe(true)
  })

  it('tags on one index read at the same time share one GET (each would count against a pull limit)', async () => {
    const retags = ['1.0.0', '1.0-again']
    const registry = new TestRegistryClient(testRegistryHost())
    for (const tag of retags) await registry.pushManifest(REPOSITORY, tag, scenarios[0].bundle.top)
    proxy.reset()
    const client = cachedClient()
    const tops = await Promise.all(
      ['1.0', ...retags].map((tag) => client.repository(parseReference(`${proxy.host}/${REPOSITORY}:${tag}`)).fetchManifest()),
    )
    expect(tops.map((top) => top.digest)).toEqual([scenarios[0].root.digest, scenarios[0].root.digest, scenarios[0].root.digest])
    expect(proxy.summary({method: 'GET'})).toEqual({[`GET /v2/${REPOSITORY}/manifests/${scenarios[0].root.digest}`]: 1})
    expect(proxy.count({method: 'HEAD'})).toBe(3)
  })

  it('without a cache, a tag is one GET by tag and nothing is HEADed', async () => {
    const client = createRegistryClient({})
    clients.push(client)
    const top = await client.repository(parseReference(`${proxy.host}/${REPOSITORY}:1.0`)).fetchManifest()
    expect(top.digest).toBe(scenarios[0].root.digest)
    expect(proxy.summary()).toEqual({[`GET /v2/${REPOSITORY}/manifests/1.0`]: 1})
    expect(client.stats()).toEqual({requests: 1, byMethod: {GET: 1}, rateLimit: {}})
  })
})
