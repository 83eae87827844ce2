import {execFile, spawn} from 'node:child_process'
import {existsSync, rmSync} from 'node:fs'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {startCountingProxy, type CountingProxy, type ProxyOptions} from '../helpers/counting-proxy.js'
import {sha256Digest, TestRegistryClient} from '../helpers/registry.js'
import {startRegistryServer, sweepStaleRegistryDirs} from '../helpers/registry-server.js'
import {pushScenario, SCENARIOS, type ScenarioName} from '../helpers/scenarios.js'

const run = promisify(execFile)
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
async function waitUntilGone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  return !alive(pid)
}

describe('the global test registry', () => {
  it('answers the /v2/ ping at the injected host, also named by ARCHCHECK_TEST_REGISTRY', async () => {
    const {host} = inject('registry')
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(process.env.ARCHCHECK_TEST_REGISTRY).toBe(host)
    const response = await fetch(`http://${host}/v2/`)
    expect(response.status).toBe(200)
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
  })

  it('writes an access log line per request', async () => {
    const {host, accessLogPath} = inject('registry')
    const {readFileSync} = await import('node:fs')
    const marker = `/v2/testbed/access-log-${Date.now()}/tags/list`
    await fetch(`http://${host}${marker}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(readFileSync(accessLogPath, 'utf8')).toContain(marker)
  })
})

describe('TestRegistryClient', () => {
  const client = new TestRegistryClient()

  it('pushes a blob and a manifest that read back byte for byte', async () => {
    const blob = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}')
    const pushedBlob = await client.pushBlob('testbed/raw', blob)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {mediaType: 'application/vnd.oci.image.config.v1+json', digest: pushedBlob.digest, size: blob.length},
        layers: [],
      }),
    )
    const pushed = await client.pushManifest('testbed/raw', 'v1', {
      bytes: manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    })
    expect(pushed.digest).toBe(sha256Digest(manifest))

    const byTag = await client.getManifest('testbed/raw', 'v1')
    expect(byTag.bytes.equals(manifest)).toBe(true)
    expect(byTag.headers.get('docker-content-digest')).toBe(pushed.digest)
    expect(byTag.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json')
    expect((await client.getBlob('testbed/raw', pushedBlob.digest)).digest).toBe(pushedBlob.digest)
  })

  it('reports the registry refusing a push, with status and message', async () => {
    const bogus = {
      bytes: Buffer.from(
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:' +
          'a'.repeat(64) +
          '","size":1}]}',
      ),
      mediaType: 'application/vnd.oci.image.index.v1+json',
    }
    await expect(client.pushManifest('testbed/raw', 'dangling', bogus)).rejects.toThrow(/HTTP 400 .*MANIFEST_BLOB_UNKNOWN/)
  })
})

describe('scenarios', () => {
  it.each(Object.keys(SCENARIOS) as ScenarioName[])('%s: the registry serves exactly the expected bytes and digests', async (name) => {
    const scenario = await pushScenario(name)
    const client = new TestRegistryClient(scenario.host)
    const top = await client.getManifest(scenario.repository, scenario.tag)
    expect(top.bytes.equals(scenario.topBytes)).toBe(true)
    expect(top.headers.get('docker-content-digest')).toBe(scenario.root.digest)
    expect(top.bytes.length).toBe(scenario.root.size)
    expect(top.headers.get('content-type')).toBe(scenario.root.mediaType)
    for (const image of scenario.images) {
      const manifest = await client.getManifest(scenario.repository, image.digest)
      expect([manifest.status, manifest.digest, manifest.bytes.length]).toEqual([200, image.digest, image.size])
      const config = await client.getBlob(scenario.repository, image.config.digest)
      expect([config.status, config.digest, config.bytes.length]).toEqual([200, image.config.digest, image.config.size])
    }
  })

  it.each(Object.keys(SCENARIOS) as ScenarioName[])(
    '%s: skopeo inspect --raw returns bytes that hash to the expected digest',
    async (name) => {
      const scenario = await pushScenario(name)
      const {stdout} = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${scenario.reference}`], {
        encoding: 'buffer',
      })
      expect(sha256Digest(stdout)).toBe(scenario.root.digest)
    },
  )

  it('describe what each scenario is meant to show', async () => {
    const docker = await pushScenario('docker-list')
    expect(docker.root.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json')
    expect(docker.images.map((image) => image.mediaType)).toEqual(Array(2).fill('application/vnd.docker.distribution.manifest.v2+json'))

    const mixed = await pushScenario('mixed-media-types')
    expect(mixed.images.map((image) => image.mediaType)).toEqual([
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ])

    const attested = await pushScenario('attestations')
    const [amd64, arm64, amd64Attestation, arm64Attestation] = attested.images
    expect(amd64Attestation?.attestationFor).toBe(amd64?.digest)
    expect(arm64Attestation?.attestationFor).toBe(arm64?.digest)
    expect(amd64Attestation?.platform).toEqual({os: 'unknown', architecture: 'unknown'})

    const mismatch = await pushScenario('config-mismatch')
    const wrong = mismatch.image('linux/arm64')
    expect([wrong.config.os, wrong.config.architecture, wrong.platformMismatch]).toEqual(['linux', 'amd64', true])
    expect(mismatch.image('linux/amd64').platformMismatch).toBe(false)

    const nested = await pushScenario('nested')
    expect(nested.root.kind === 'index' && nested.root.children[1]?.kind).toBe('index')
    expect(nested.images.map((image) => image.config.architecture)).toEqual(['amd64', 'arm64', 'arm'])
    expect(nested.fetches).toEqual({manifests: 5, configs: 3})

    const single = await pushScenario('single-platform')
    expect(single.root.kind).toBe('image')
    expect(single.fetches).toEqual({manifests: 1, configs: 1})
  })

  it('builds custom scenarios from a declarative spec: variants, Windows os.version, aliases, nesting', async () => {
    const scenario = await pushScenario('testbed-custom', {
      index: {
        format: 'docker',
        entries: [
          {platform: 'linux/arm/v6'},
          {platform: 'linux/arm64/v8', configPlatform: 'linux/arm64', mismatch: false},
          {platform: 'windows/amd64', osVersion: '10.0.20348.2113'},
          {platform: 'linux/amd64', format: 'oci', files: [{path: 'app', content: 'x'}]},
          {index: {entries: [{platform: 'linux/s390x'}]}},
        ],
      },
      tag: 'v1',
    })
    expect(scenario.reference).toBe(`${scenario.host}/scenarios/testbed-custom:v1`)
    expect(scenario.root.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json')
    const windows = scenario.image('windows/amd64')
    expect([windows.platform?.osVersion, windows.config.os, windows.config.osVersion]).toEqual([
      '10.0.20348.2113',
      'windows',
      '10.0.20348.2113',
    ])
    const arm64 = scenario.image('linux/arm64/v8')
    expect([arm64.config.architecture, arm64.config.variant, arm64.platformMismatch]).toEqual(['arm64', undefined, false])
    expect(scenario.image('linux/amd64').mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
    expect(scenario.image('linux/s390x').config.architecture).toBe('s390x')
    const client = new TestRegistryClient(scenario.host)
    expect((await client.getManifest(scenario.repository, 'v1')).digest).toBe(scenario.root.digest)
  })

  it('removes manifests and blobs after the push when asked', async () => {
    const scenario = await pushScenario('testbed-removal', {
      index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
      remove: (s) => ({manifests: [s.image('linux/arm64').digest], blobs: [s.image('linux/amd64').config.digest]}),
    })
    const client = new TestRegistryClient(scenario.host)
    expect((await client.getManifest(scenario.repository, scenario.tag)).status).toBe(200)
    expect((await client.getManifest(scenario.repository, scenario.image('linux/arm64').digest)).status).toBe(404)
    expect((await client.getBlob(scenario.repository, scenario.image('linux/amd64').config.digest)).status).toBe(404)
    expect(scenario.removed.manifests).toEqual([scenario.image('linux/arm64').digest])
  })
})

describe('counting proxy', () => {
  let proxy: CountingProxy
  beforeAll(async () => {
    proxy = await startCountingProxy(inject('registry').host)
  })
  afterAll(async () => proxy.close())

  it('forwards requests and counts them by kind, method and path', async () => {
    const scenario = await pushScenario('oci-index')
    proxy.reset()
    const client = new TestRegistryClient(proxy.host)
    await client.raw('GET', '/v2/')
    await client.getManifest(scenario.repository, 'latest')
    await client.getManifest(scenario.repository, 'latest', 'HEAD')
    const image = scenario.image('linux/arm64')
    expect((await client.getBlob(scenario.repository, image.config.digest)).digest).toBe(image.config.digest)
    await client.getBlob(scenario.repository, image.config.digest)

    expect(proxy.count()).toBe(5)
    expect(proxy.count({kind: 'ping'})).toBe(1)
    expect(proxy.count({kind: 'manifest', method: 'GET', reference: 'latest', repository: scenario.repository})).toBe(1)
    expect(proxy.count({kind: 'manifest', method: 'HEAD'})).toBe(1)
    expect(proxy.count({kind: 'blob', status: 200})).toBe(2)
    expect([...proxy.repeats().entries()]).toEqual([[`GET /v2/${scenario.repository}/blobs/${image.config.digest}`, 2]])
  })

  it('carries pushes too (the registry builds upload locations from the forwarded Host)', async () => {
    proxy.reset()
    const scenario = await pushScenario('testbed-via-proxy', {image: {platform: 'linux/arm/v7'}}, {host: proxy.host})
    expect(proxy.count({kind: 'upload', method: 'POST'})).toBe(2)
    expect(proxy.count({kind: 'upload', method: 'PUT', status: 201})).toBe(2)
    expect(proxy.count({kind: 'manifest', method: 'PUT', status: 201})).toBe(1)
    const direct = new TestRegistryClient(inject('registry').host)
    expect((await direct.getManifest(scenario.repository, 'latest')).digest).toBe(scenario.root.digest)
  })

  it('adds the configured latency to every request', async () => {
    proxy.latencyMs = 150
    try {
      const started = performance.now()
      await new TestRegistryClient(proxy.host).raw('GET', '/v2/')
      expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    } finally {
      proxy.latencyMs = 0
    }
  })

  it('holds the requests it is told to hold, and forwards the rest', async () => {
    proxy.holds = (request) => request.kind === 'catalog'
    try {
      const held = new TestRegistryClient(proxy.host).raw('GET', '/v2/_catalog').then(
        () => 'answered',
        () => 'closed',
      )
      expect((await new TestRegistryClient(proxy.host).raw('GET', '/v2/')).status).toBe(200)
      const outcome = await Promise.race([held, new Promise((resolve) => setTimeout(() => resolve('held'), 300))])
      expect(outcome).toBe('held')
      expect(proxy.requests.find((request) => request.kind === 'catalog')?.finishedAt).toBeUndefined()
    } finally {
      proxy.holds = undefined
    }
  })

  it('answers 502 when the registry is unreachable, still counting the request', async () => {
    const dead = await startCountingProxy('127.0.0.1:1')
    try {
      const response = await new TestRegistryClient(dead.host).raw('GET', '/v2/')
      expect(response.status).toBe(502)
      expect(dead.count({kind: 'ping'})).toBe(1)
    } finally {
      await dead.close()
    }
  })
})

describe('counting proxy: what distribution 2.8 lacks', () => {
  const proxies: CountingProxy[] = []
  const start = async (options: ProxyOptions): Promise<TestRegistryClient> => {
    const proxy = await startCountingProxy(inject('registry').host, options)
    proxies.push(proxy)
    return new TestRegistryClient(proxy.host)
  }
  afterAll(async () => Promise.all(proxies.map((proxy) => proxy.close())))
  const tagPage = async (client: TestRegistryClient, path: string) => {
    const response = await client.raw('GET', path)
    return {tags: (JSON.parse(response.bytes.toString('utf8')) as {tags: string[]}).tags, link: response.headers.get('link')}
  }

  it('pages tag lists: sorted, after `last`, at most `n` or the page bound, a next link while more remain', async () => {
    const scenario = await pushScenario('testbed-tag-pages', {image: {platform: 'linux/amd64'}, tag: 'c'})
    const registry = new TestRegistryClient(inject('registry').host)
    for (const tag of ['a', 'b', 'd'])
      await registry.pushManifest(scenario.repository, tag, {bytes: scenario.topBytes, mediaType: scenario.root.mediaType})
    const list = `/v2/${scenario.repository}/tags/list`
    const paged = await start({tagPages: {}})
    expect(await tagPage(paged, `${list}?n=3`)).toEqual({tags: ['a', 'b', 'c'], link: `<${list}?n=3&last=c>; rel="next"`})
    expect(await tagPage(paged, `${list}?n=3&last=c`)).toEqual({tags: ['d'], link: null})
    const bounded = await start({tagPages: {maxPageSize: 2, nextOrigin: 'http://127.0.0.1:9'}})
    expect(await tagPage(bounded, `${list}?n=100`)).toEqual({tags: ['a', 'b'], link: `<http://127.0.0.1:9${list}?n=2&last=b>; rel="next"`})
  })

  it('answers the referrers API from the fallback tag, filtered and paged', async () => {
    const scenario = await pushScenario('testbed-referrers', {
      index: {format: 'oci', entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
    })
    const subject = scenario.root.digest
    // The registry checks that an index's entries exist: the scenario's own images stand in for referrers.
    const referrer = (platform: string, artifactType: string) => {
      const {mediaType, digest, size} = scenario.image(platform)
      return {mediaType, digest, size, artifactType}
    }
    const [a, b] = [referrer('linux/amd64', 'application/a'), referrer('linux/arm64', 'application/b')]
    const fallback = Buffer.from(
      JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [a, b]}),
    )
    await new TestRegistryClient(inject('registry').host).pushManifest(scenario.repository, subject.replace(':', '-'), {
      bytes: fallback,
      mediaType: 'application/vnd.oci.image.index.v1+json',
    })
    const client = await start({referrers: {pageSize: 1}})
    const path = `/v2/${scenario.repository}/referrers/${subject}`
    const first = await client.raw('GET', path)
    expect(JSON.parse(first.bytes.toString('utf8')).manifests).toEqual([a])
    expect(first.headers.get('link')).toBe(`<${path}?page=1>; rel="next"`)
    const filtered = await client.raw('GET', `${path}?artifactType=application%2Fb`)
    expect(JSON.parse(filtered.bytes.toString('utf8')).manifests).toEqual([b])
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType')
  })

  it('sends rate-limit headers and answers 429 after the given number of manifest requests', async () => {
    const scenario = await pushScenario('oci-index')
    const client = await start({rateLimit: {pullLimit: 10, after: 1, retryAfterSeconds: 60}})
    const allowed = await client.getManifest(scenario.repository, 'latest')
    expect([allowed.status, allowed.headers.get('ratelimit-limit'), allowed.headers.get('ratelimit-remaining')]).toEqual([
      200,
      '10;w=21600',
      '9;w=21600',
    ])
    const limited = await client.getManifest(scenario.repository, 'latest')
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '60'])
  })
})

describe('registry server lifecycle', () => {
  it('stop() ends the process and removes its temp dir', async () => {
    const server = await startRegistryServer()
    expect(alive(server.pid)).toBe(true)
    await server.stop()
    expect(alive(server.pid)).toBe(false)
    expect(existsSync(server.dir)).toBe(false)
  })

  it('sweeps temp dirs whose owning test process is gone, and keeps the others', async () => {
    const {mkdtempSync, writeFileSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {join} = await import('node:path')
    const gone = spawn(process.execPath, ['-e', '0'])
    await new Promise((resolve) => gone.once('exit', resolve))
    const stale = mkdtempSync(join(tmpdir(), 'archcheck-registry-'))
    writeFileSync(join(stale, 'owner.pid'), String(gone.pid))
    const mine = mkdtempSync(join(tmpdir(), 'archcheck-registry-'))
    writeFileSync(join(mine, 'owner.pid'), String(process.pid))
    sweepStaleRegistryDirs()
    expect([existsSync(stale), existsSync(mine)]).toEqual([false, true])
    rmSync(mine, {recursive: true})
  })

  it.concurrent.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)('the registry dies with its parent on %s', async (signal) => {
    const holder = spawn(process.execPath, ['--import', 'tsx', 'test/integration/fixtures/hold-registry.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const line = await new Promise<string>((resolve, reject) => {
      holder.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))
      holder.once('exit', (code) => reject(new Error(`holder exited early (${code})`)))
    })
    const [pid, dir] = [Number(line.split(' ')[0]), line.trim().split(' ')[1]]
    expect(alive(pid)).toBe(true)
    holder.kill(signal)
    expect(await waitUntilGone(pid)).toBe(true)
    // On SIGKILL nothing in the parent runs: the kernel kills the registry, its temp dir stays.
    if (signal !== 'SIGKILL') expect(existsSync(dir)).toBe(false)
    rmSync(dir, {recursive: true, force: true})
  })
})

describe('runCli', () => {
  it('returns stdout and exit code 0 of a successful run', async () => {
    const result = await runCli(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^archcheck\/\d+\.\d+\.\d+ /)
  })

  it('returns the exit code and stderr of a failing run, with a hermetic environment', async () => {
    const result = await runCli(['no-such-command'], {env: {DOCKER_CONFIG: '/nonexistent'}})
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('archcheck: unknown command "no-such-command" (see archcheck --help)\n')
  })
})
