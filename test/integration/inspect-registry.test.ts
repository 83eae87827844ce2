/**
 * `archcheck inspect` against a real registry (docker-registry on 127.0.0.1), checked against
 * digests and sizes computed from the pushed bytes by the test helpers, and against skopeo.
 */
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {sha256Digest} from '../helpers/registry.js'
import {freePort} from '../helpers/registry-server.js'
import {platformString, pushScenario, type ExpectedImage, type PushedScenario, type ScenarioName} from '../helpers/scenarios.js'

const run = promisify(execFile)

interface PlatformRow {
  platform: string | null
  digest: string
  mediaType: string
  size: number
  configPlatform: string
  platformMismatch: boolean
  config: {digest: string; size: number; mediaType: string; os: string; architecture: string; variant: string | null}
  layers: number
  compressedSize: number
  attestations: string[]
  index: string | null
}

interface InspectJson {
  reference: string
  digest: string
  mediaType: string
  size: number
  kind: string
  singlePlatform: boolean
  platforms: PlatformRow[]
  attestations: Array<{digest: string; size: number; attests: string | null}>
  indexes: Array<{digest: string; size: number; mediaType: string}>
}

const inspected = new Map<string, Promise<InspectJson>>()

/** `inspect REF --json FLAGS`, run once per distinct command line in this file (each run costs ~0.3-1 s). */
async function inspectJson(reference: string, ...flags: string[]): Promise<InspectJson> {
  const key = [reference, ...flags].join(' ')
  if (!inspected.has(key)) {
    inspected.set(
      key,
      runCli(['inspect', reference, '--json', ...flags]).then((result) => {
        if (result.code !== 0) throw new Error(`inspect ${key} exited ${result.code}: ${result.stderr}`)
        return JSON.parse(result.stdout) as InspectJson
      }),
    )
  }
  return inspected.get(key)!
}

/** What a platform row must say about an image, from the pushed bytes. */
const expectedRow = (image: ExpectedImage) => ({
  platform: image.platform ? platformString(image.platform) : null,
  digest: image.digest,
  mediaType: image.mediaType,
  size: image.size,
  configDigest: image.config.digest,
  configSize: image.config.size,
  configPlatform: platformString({os: image.config.os, architecture: image.config.architecture, variant: image.config.variant}),
  layers: image.layers.count,
  compressedSize: image.layers.compressedSize,
  platformMismatch: image.platformMismatch ?? false,
})

const actualRow = (row: PlatformRow) => ({
  platform: row.platform,
  digest: row.digest,
  mediaType: row.mediaType,
  size: row.size,
  configDigest: row.config.digest,
  configSize: row.config.size,
  configPlatform: row.configPlatform,
  layers: row.layers,
  compressedSize: row.compressedSize,
  platformMismatch: row.platformMismatch,
})

const runnable = (scenario: PushedScenario): ExpectedImage[] => scenario.images.filter((image) => !image.attestationFor)

describe('inspect --json against a real registry', () => {
  // Concurrent: each case is one CLI run, mostly waiting on process start-up.
  it.concurrent.for<ScenarioName>(['oci-index', 'docker-list', 'mixed-media-types', 'attestations', 'nested', 'config-mismatch'])(
    '%s: tag digest, media type, size and every row equal the values computed from the pushed bytes',
    async (name, {expect}) => {
      const scenario = await pushScenario(name)
      const view = await inspectJson(scenario.reference)
      expect(view.reference).toBe(scenario.reference)
      expect({digest: view.digest, mediaType: view.mediaType, size: view.size, kind: view.kind}).toEqual({
        digest: scenario.root.digest,
        mediaType: scenario.root.mediaType,
        size: scenario.root.size,
        kind: 'index',
      })
      expect(view.singlePlatform).toBe(false)
      expect(view.platforms.map(actualRow)).toEqual(runnable(scenario).map(expectedRow))
    },
  )

  it('single-platform tag: one row, the manifest itself, marked single-platform', async () => {
    for (const name of ['single-platform', 'single-platform-docker'] as const) {
      const scenario = await pushScenario(name)
      const view = await inspectJson(scenario.reference)
      expect({
        digest: view.digest,
        mediaType: view.mediaType,
        size: view.size,
        kind: view.kind,
        singlePlatform: view.singlePlatform,
      }).toEqual({
        digest: scenario.root.digest,
        mediaType: scenario.root.mediaType,
        size: scenario.root.size,
        kind: 'image',
        singlePlatform: true,
      })
      expect(view.platforms.map(actualRow)).toEqual(scenario.images.map(expectedRow))
    }
  })

  it('attestations are listed apart and linked to the image they describe', async () => {
    const scenario = await pushScenario('attestations')
    const view = await inspectJson(scenario.reference)
    const attestations = scenario.images.filter((image) => image.attestationFor)
    expect(view.attestations.map(({digest, size, attests}) => ({digest, size, attests}))).toEqual(
      attestations.map((image) => ({digest: image.digest, size: image.size, attests: image.attestationFor})),
    )
    expect(view.platforms).toHaveLength(scenario.images.length - attestations.length)
    for (const row of view.platforms) {
      expect(row.attestations).toEqual(attestations.filter((a) => a.attestationFor === row.digest).map((a) => a.digest))
      expect(row.attestations).toHaveLength(1)
    }
  })

  it('config-mismatch: only the arm64 entry whose config says amd64 is flagged', async () => {
    const scenario = await pushScenario('config-mismatch')
    const view = await inspectJson(scenario.reference)
    const flagged = view.platforms.filter((row) => row.platformMismatch)
    expect(flagged.map((row) => [row.platform, row.configPlatform, row.digest])).toEqual([
      ['linux/arm64', 'linux/amd64', scenario.image('linux/arm64').digest],
    ])
  })

  it('nested index: the inner index is listed and its images are rows', async () => {
    const scenario = await pushScenario('nested')
    const view = await inspectJson(scenario.reference)
    const inner = scenario.root.kind === 'index' ? scenario.root.children[1] : undefined
    expect(view.indexes.map(({digest, size, mediaType}) => ({digest, size, mediaType}))).toEqual([
      {digest: inner!.digest, size: inner!.size, mediaType: inner!.mediaType},
    ])
    expect(view.platforms.map((row) => [row.platform, row.index])).toEqual([
      ['linux/amd64', scenario.root.digest],
      ['linux/arm64', inner!.digest],
      ['linux/arm/v7', inner!.digest],
    ])
  })

  it('--platform keeps only the rows of that platform', async () => {
    const scenario = await pushScenario('oci-index')
    const view = await inspectJson(scenario.reference, '--platform', 'linux/arm64')
    expect(view.platforms.map((row) => row.digest)).toEqual([scenario.image('linux/arm64').digest])
  })

  it('a reference by digest shows the same tree as the tag', async () => {
    const scenario = await pushScenario('docker-list')
    const view = await inspectJson(`${scenario.host}/${scenario.repository}@${scenario.root.digest}`)
    expect(view.digest).toBe(scenario.root.digest)
    expect(view.platforms.map(actualRow)).toEqual(runnable(scenario).map(expectedRow))
  })
})

describe('inspect --raw', () => {
  it.concurrent.for<ScenarioName>(['oci-index', 'docker-list', 'single-platform'])(
    '%s: prints the exact bytes served, which hash to the tag digest',
    async (name, {expect}) => {
      const scenario = await pushScenario(name)
      const result = await runCli(['inspect', scenario.reference, '--raw'])
      expect(result.code).toBe(0)
      expect(result.stdoutBytes.equals(scenario.topBytes)).toBe(true)
      expect(sha256Digest(result.stdoutBytes)).toBe(scenario.root.digest)
    },
  )

  it('agrees with skopeo: skopeo inspect --raw bytes hash to the digest archcheck reports', async () => {
    for (const name of ['attestations', 'docker-list'] as const) {
      const scenario = await pushScenario(name)
      const view = await inspectJson(scenario.reference)
      const {stdout} = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${scenario.reference}`], {
        encoding: 'buffer',
      })
      expect(sha256Digest(stdout)).toBe(view.digest)
    }
  })
})

describe('inspect, human output', () => {
  it('shows the reference, the tag digest and every row digest in full', async () => {
    const scenario = await pushScenario('attestations')
    const result = await runCli(['inspect', scenario.reference])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(scenario.reference)
    for (const digest of [scenario.root.digest, ...scenario.images.map((image) => image.digest)]) expect(result.stdout).toContain(digest)
  })

  it('marks the row whose config disagrees with its entry, and only that row', async () => {
    const scenario = await pushScenario('config-mismatch')
    const result = await runCli(['inspect', scenario.reference])
    expect(result.code).toBe(0)
    const rowOf = (digest: string) => result.stdout.split('\n').find((line) => line.includes(digest) && line.includes('linux/'))
    expect(rowOf(scenario.image('linux/arm64').digest)).toMatch(/linux\/arm64.*linux\/amd64.*mismatch/i)
    expect(rowOf(scenario.image('linux/amd64').digest)).not.toMatch(/mismatch/i)
  })

  it('says plainly that a single-platform tag is pulled by hosts of every architecture', async () => {
    const scenario = await pushScenario('single-platform')
    const result = await runCli(['inspect', scenario.reference])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(scenario.root.digest)
    expect(result.stdout).toMatch(/single-platform/i)
    expect(result.stdout).toMatch(/other (architectures|platforms)/i)
  })
})

describe('requests made by inspect', () => {
  let proxy: CountingProxy
  beforeAll(async () => {
    proxy = await startCountingProxy(inject('registry').host)
  })
  afterAll(async () => proxy.close())

  it.each<ScenarioName>(['attestations', 'nested', 'oci-index'])(
    '%s: one GET per manifest (1 + N) and per distinct config, nothing fetched twice',
    async (name) => {
      const scenario = await pushScenario(name)
      proxy.reset()
      const view = await inspectJson(`${proxy.host}/${scenario.repository}:${scenario.tag}`)
      expect(view.digest).toBe(scenario.root.digest)
      const summary = proxy.summary()
      expect(proxy.count({kind: 'manifest', method: 'GET'}), JSON.stringify(summary)).toBe(scenario.fetches.manifests)
      expect(proxy.count({kind: 'blob', method: 'GET'}), JSON.stringify(summary)).toBe(scenario.fetches.configs)
      expect(proxy.repeats()).toEqual(new Map())
      // No /v2/ ping (archcheck needs none against an open registry) and no token request (the
      // test registry has no auth): nothing but the manifests and configs is sent.
      expect(proxy.count({kind: 'ping'})).toBe(0)
      expect(proxy.count({kind: 'auth'})).toBe(0)
      expect(proxy.count(), JSON.stringify(summary)).toBe(scenario.fetches.manifests + scenario.fetches.configs)
    },
  )

  it('fetches child manifests and configs concurrently (seen with 100 ms added per request)', async () => {
    const scenario = await pushScenario('attestations')
    proxy.reset()
    proxy.latencyMs = 100
    try {
      const view = await inspectJson(`${proxy.host}/${scenario.repository}@${scenario.root.digest}`)
      expect(view.platforms).toHaveLength(2)
    } finally {
      proxy.latencyMs = 0
    }
    // 4 child manifests and 4 distinct configs: fetched one after the other they would never overlap.
    expect(proxy.maxInFlight).toBeGreaterThanOrEqual(4)
  })
})

describe('inspect failures', () => {
  it('a tag that does not exist: exit 3, one line naming the full normalised reference', async () => {
    const scenario = await pushScenario('oci-index')
    const missing = `${scenario.host}/${scenario.repository}:no-such-tag`
    const result = await runCli(['inspect', missing])
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    // The full normalised reference, as the user would type it.
    const named = lines[0].includes(missing)
    expect(named, lines[0]).toBe(true)
    expect(lines[0]).toMatch(/not found/i)
  })

  it('a registry that refuses connections: exit 3, one line, no stack', async () => {
    const port = await freePort()
    const result = await runCli(['inspect', `127.0.0.1:${port}/nothing/here:latest`])
    expect(result.code).toBe(3)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`127.0.0.1:${port}`)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })
})
