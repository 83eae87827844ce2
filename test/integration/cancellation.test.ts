/**
 * Cancellation through the library, in process: an api call given a `signal` that aborts while
 * its requests hang in the registry settles at once, and leaves no socket or timer behind. A
 * counting proxy in front of the test registry holds the requests chosen, so the call is stuck
 * mid-run, deterministically, when the signal aborts.
 */
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {AbortError} from '../../src/oci/abort.js'
import {audit} from '../../src/api/audit.js'
import {diagnose} from '../../src/api/diagnose.js'
import {inspect} from '../../src/api/inspect.js'
import {resolve} from '../../src/api/resolve.js'
import {verify} from '../../src/api/verify.js'
import {versionedTop} from '../helpers/audit-repos.js'
import {startCountingProxy, type CountingProxy, type ProxiedRequest} from '../helpers/counting-proxy.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {pushScenario} from '../helpers/scenarios.js'

const REPOSITORY = 'cancellation/many'
const TAGS = Array.from({length: 200}, (_, i) => `1.${i}.0`)
/** Tags the proxy lets through before it holds the rest: the audit has finished these when it is aborted. */
const FIRST_HELD = 40
/** The bound the tests allow from the abort to the call settling, on a loaded machine (measured: a few ms). */
const SETTLE_BOUND_MS = 1000

let proxy: CountingProxy
let settleTimes: Record<string, number>

beforeAll(async () => {
  const host = testRegistryHost()
  const pushed = await pushScenario(
    'cancellation-many',
    {
      repository: REPOSITORY,
      tag: TAGS[0],
      index: {
        entries: [
          {platform: 'linux/amd64', config: {entrypoint: ['/bin/app']}},
          {platform: 'linux/arm64', config: {entrypoint: ['/bin/app']}},
        ],
      },
    },
    {host},
  )
  const client = new TestRegistryClient(host)
  // Each tag its own release (as in a real repository), on the same two images.
  for (const tag of TAGS.slice(1)) await client.pushManifest(REPOSITORY, tag, versionedTop(pushed.bundle.top, tag))
  settleTimes = {}
}, 120_000)

afterEach(async () => {
  await proxy?.close()
})

afterAll(() => {
  // The figures the report quotes: abort-to-settle per call, in ms.
  console.log(`abort-to-settle (ms): ${JSON.stringify(settleTimes)}`)
})

/** Resolves once `check` holds, polling every 10 ms. */
async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Active resources by type (sockets, timers, file requests), as Node counts them. */
function resources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1)
  return counts
}

/**
 * Starts `call` with a signal, aborts it once the proxy holds a request, and returns what the call
 * settled with and how long after the abort. Checks that every held request's connection was
 * closed by the client, and (once the proxy is gone too) that no socket or timer outlived the call.
 */
async function abortMidway<T>(
  name: string,
  holds: (request: ProxiedRequest) => boolean,
  call: (reference: string, signal: AbortSignal) => Promise<T>,
  /** When to abort, given the requests held so far (default: as soon as the proxy holds one). */
  ready: (held: readonly ProxiedRequest[]) => boolean = (held) => held.length > 0,
): Promise<{outcome: unknown; settledAfterMs: number}> {
  const before = resources()
  proxy = await startCountingProxy(testRegistryHost())
  const held: ProxiedRequest[] = []
  proxy.holds = (request) => {
    if (!holds(request)) return false
    held.push(request)
    return true
  }
  const controller = new AbortController()
  const pending = call(`${proxy.host}/${REPOSITORY}`, controller.signal).then(
    (value) => value,
    (error: unknown) => error,
  )
  await until(() => ready(held))
  const aborted = performance.now()
  controller.abort(new Error('the caller gave up'))
  const outcome = await pending
  const settledAfterMs = performance.now() - aborted
  settleTimes[name] = Math.round(settledAfterMs * 10) / 10
  expect(settledAfterMs).toBeLessThan(SETTLE_BOUND_MS)
  // The client closed the connections of the requests it gave up (the proxy sees each one end).
  await until(() => proxy.requests.every((request) => request.finishedAt !== undefined), 2000)
  await proxy.close()
  // Nothing of the call is left: no socket, no timer (the test's own resources are as they were).
  await new Promise((resolve) => setImmediate(resolve))
  const after = resources()
  for (const type of ['TCPSocketWrap', 'TCPWrap', 'Timeout', 'FSReqCallback'])
    expect(after.get(type) ?? 0, `${type} left after ${name}`).toBeLessThanOrEqual(before.get(type) ?? 0)
  return {outcome, settledAfterMs}
}

/** Holds the tags asked for after the first `passing` (in whatever order the audit reads them). */
function tagsAfter(passing: number): (request: ProxiedRequest) => boolean {
  const passed = new Set<string>()
  return (request) => {
    if (request.kind !== 'manifest' || !TAGS.includes(request.reference ?? '')) return false
    if (passed.size < passing) passed.add(request.reference!)
    return !passed.has(request.reference!)
  }
}

describe('an aborted api call settles at once and leaves nothing open', () => {
  it('audit of 200 tags: returns the images it finished, the rest interrupted', async () => {
    const concurrency = 16
    // Aborted once every slot waits on a held tag: the tags before those have finished by then.
    const {outcome} = await abortMidway(
      'audit',
      tagsAfter(FIRST_HELD),
      (repository, signal) => audit([repository], {signal, tags: '*', concurrency}),
      (held) => held.length >= concurrency,
    )
    const result = outcome as Awaited<ReturnType<typeof audit>>
    expect(result.interrupted).toBe(true)
    expect(result.rows).toHaveLength(TAGS.length)
    const audited = result.rows.filter((row) => row.status === 'audited')
    expect(audited).toHaveLength(FIRST_HELD)
    expect(result.rows.filter((row) => row.status === 'not-audited').every((row) => row.error === 'interrupted')).toBe(true)
    expect(result.exitCode).toBe(3)
  })

  it('audit aborted while it lists the tags', async () => {
    const {outcome} = await abortMidway(
      'audit (tag list)',
      (request) => request.kind === 'tags',
      (repository, signal) => audit([repository], {signal}),
    )
    const result = outcome as Awaited<ReturnType<typeof audit>>
    expect(result.interrupted).toBe(true)
    expect(result.rows.map((row) => row.status)).toEqual(['not-audited'])
  })

  const calls: Array<[string, (reference: string, signal: AbortSignal) => Promise<unknown>]> = [
    ['inspect', (reference, signal) => inspect(reference, {signal})],
    ['resolve', (reference, signal) => resolve(reference, {signal, hosts: ['linux/arm64']})],
    ['verify', (reference, signal) => verify([reference], {signal, require: ['linux/amd64', 'linux/arm64']})],
    ['diagnose', (reference, signal) => diagnose(reference, {signal, hosts: ['linux/arm64']})],
  ]
  it.each(calls)('%s rejects with an AbortError that carries the reason', async (name, call) => {
    // The tag's index is read; its images (by digest) hang.
    const holds = (request: ProxiedRequest) => request.kind === 'manifest' && (request.reference ?? '').startsWith('sha256:')
    const {outcome} = await abortMidway(name, holds, (repository, signal) => call(`${repository}:${TAGS[0]}`, signal))
    expect(outcome).toBeInstanceOf(AbortError)
    expect((outcome as AbortError).name).toBe('AbortError')
    expect(((outcome as AbortError).cause as Error).message).toBe('the caller gave up')
  })

  it('a signal aborted before the call makes no request at all', async () => {
    proxy = await startCountingProxy(testRegistryHost())
    const signal = AbortSignal.abort(new Error('never mind'))
    await expect(inspect(`${proxy.host}/${REPOSITORY}:${TAGS[0]}`, {signal})).rejects.toBeInstanceOf(AbortError)
    expect(proxy.requests).toEqual([])
  })
})
