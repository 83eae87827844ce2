/**
 * The content cache holds bytes by digest, never the fact that a repository has them: a warm
 * audit must say what a cold one (or `--no-cache`) says, for every repository on every registry.
 */
import {createServer} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {AuditResult} from '../../src/api/audit.js'
import {runAuditJson} from '../helpers/cli.js'
import {startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {pushScenario, type PushedScenario, type ScenarioSpec} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

/** amd64 + arm64; pushed under several repositories, it has the same digests in each. */
const TWO_PLATFORMS: ScenarioSpec = {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}}

let proxy: CountingProxy
let app: PushedScenario

beforeAll(async () => {
  app = await pushScenario('cache-truth-app', {...TWO_PLATFORMS, repository: 'cache-truth/app', tag: '1'})
  // A re-tag of the same index: tags on one index share the HEADs of its children.
  await new TestRegistryClient(testRegistryHost()).pushManifest('cache-truth/app', '1.0', app.bundle.top)
  proxy = await startCountingProxy(testRegistryHost())
})

afterAll(async () => {
  await proxy?.close()
})

const auditJson = (args: string[]) => runAuditJson(args)

/** Each row's reference, status and cell verdicts: what a user compares between two runs. */
const verdicts = (json: AuditResult) =>
  json.rows.map((row) => ({reference: row.reference, status: row.status, cells: row.cells.map((cell) => `${cell.host} ${cell.verdict}`)}))

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Deletes an index's child manifests from its repository (distribution has delete enabled in the test bed). */
async function deleteChildren(scenario: PushedScenario): Promise<void> {
  const registry = new TestRegistryClient(testRegistryHost())
  for (const image of scenario.images) await registry.deleteManifest(scenario.repository, image.digest)
}

describe('archcheck audit: a cached digest answers only where the registry has it', () => {
  it('a digest cached from one repository is "not found" in another and an error on a registry that does not answer', async () => {
    const cache = await tempDir('cache-truth')
    const digest = app.root.digest
    const cold = await auditJson([`${proxy.host}/cache-truth/app@${digest}`, '--cache-dir', cache])
    expect(cold.code).toBe(0)

    const elsewhere = await auditJson([`${proxy.host}/cache-truth/nothere@${digest}`, '--cache-dir', cache])
    expect(elsewhere.code).toBe(3)
    expect(elsewhere.json.rows.map((row) => [row.status, row.errorKind])).toEqual([['unreadable', 'not-found']])
    expect(elsewhere.stderr).toContain(`manifest ${proxy.host}/cache-truth/nothere@${digest} not found`)
    // The same answer as without a cache.
    const uncached = await auditJson([`${proxy.host}/cache-truth/nothere@${digest}`, '--no-cache'])
    expect(verdicts(elsewhere.json)).toEqual(verdicts(uncached.json))

    const unreachable = `127.0.0.1:${await closedPort()}/cache-truth/app@${digest}`
    const down = await auditJson([unreachable, '--cache-dir', cache])
    expect(down.code).toBe(3)
    expect(down.json.rows.map((row) => row.status)).toEqual(['unreadable'])
    expect(down.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+: connection refused/)
  }, 60_000)

  it('a warm audit makes one HEAD per distinct reference (tags and child manifests) and no GET', async () => {
    const cache = await tempDir('cache-truth')
    const args = [`${proxy.host}/cache-truth/app:1`, `${proxy.host}/cache-truth/app:1.0`, '--cache-dir', cache]
    expect((await auditJson(args)).code).toBe(0)
    proxy.reset()
    const warm = await auditJson(args)
    expect(warm.code).toBe(0)
    const heads = Object.fromEntries(
      ['1', '1.0', ...app.images.map((image) => image.digest)].map((reference) => [`HEAD /v2/cache-truth/app/manifests/${reference}`, 1]),
    )
    expect(proxy.summary({kind: 'manifest'})).toEqual(heads)
    expect(proxy.count({kind: 'blob'})).toBe(0)
    expect(warm.json.summary.cache).toMatchObject({misses: 0, written: 0})
  }, 60_000)

  it('children deleted after the cache was filled are missing, as --no-cache says; --require fails dangling-manifest', async () => {
    const gone = await pushScenario('cache-truth-gone', {...TWO_PLATFORMS, repository: 'cache-truth/gone', tag: '1'})
    const cache = await tempDir('cache-truth')
    const reference = `${proxy.host}/cache-truth/gone:1`
    const filled = await auditJson([reference, '--cache-dir', cache])
    expect(filled.json.rows[0].cells.map((cell) => cell.verdict)).toEqual(['ok', 'ok'])
    await deleteChildren(gone)

    const warm = await auditJson([reference, '--cache-dir', cache])
    const uncached = await auditJson([reference, '--no-cache'])
    expect(warm.code).toBe(1)
    expect(warm.json.rows[0].cells.map((cell) => cell.verdict)).toEqual(['missing', 'missing'])
    expect(verdicts(warm.json)).toEqual(verdicts(uncached.json))
    expect(uncached.code).toBe(1)

    const required = await auditJson([reference, '--cache-dir', cache, '--require', 'linux/amd64,linux/arm64'])
    expect(required.code).toBe(1)
    expect(required.json.rows[0].checks?.filter((check) => check.status === 'fail').map((check) => check.id)).toEqual([
      'dangling-manifest',
      'dangling-manifest',
    ])
  }, 60_000)

  it('an index in another repository whose children that repository never had does not pass on cached children', async () => {
    const other = await pushScenario('cache-truth-other', {...TWO_PLATFORMS, repository: 'cache-truth/other', tag: '1'})
    await deleteChildren(other)
    expect(other.root.digest).toBe(app.root.digest)
    const cache = await tempDir('cache-truth')
    expect((await auditJson([`${proxy.host}/cache-truth/app:1`, '--cache-dir', cache])).code).toBe(0)

    const result = await auditJson([`${proxy.host}/cache-truth/other:1`, '--cache-dir', cache])
    expect(result.code).toBe(1)
    expect(result.json.rows[0].cells.map((cell) => cell.verdict)).toEqual(['missing', 'missing'])
  }, 60_000)
})
