/**
 * Round trips on a slow link: reading an index costs three waits whatever the number of platforms
 * (the tag; then every child manifest at once; then every config at once), with no /v2/ ping and
 * no token request against an open registry. bench/inspect-latency.ts measures the time.
 */
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {sequentialRounds, startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'

const EIGHT_PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
]

describe('requests made in turn, with 30 ms added to each', () => {
  let proxy: CountingProxy
  let scenario: PushedScenario
  beforeAll(async () => {
    scenario = await pushScenario('round-trips-eight', {index: {entries: EIGHT_PLATFORMS.map((platform) => ({platform}))}})
    proxy = await startCountingProxy(inject('registry').host, {latencyMs: 30})
  })
  afterAll(async () => proxy.close())

  it.each([
    ['inspect', '--json'],
    ['resolve', '--host', 'linux/arm64'],
  ])('%s of an 8-platform index: 17 requests in 3 rounds (tag, children, configs)', async (command, ...flags) => {
    proxy.reset()
    const result = await runCli([command, `${proxy.host}/${scenario.repository}:${scenario.tag}`, ...flags])
    expect(result.code, result.stderr).toBe(0)
    expect(proxy.count(), JSON.stringify(proxy.summary())).toBe(scenario.fetches.manifests + scenario.fetches.configs)
    expect(proxy.count({kind: 'ping'}) + proxy.count({kind: 'auth'})).toBe(0)
    expect(proxy.repeats(), 'nothing requested twice').toEqual(new Map())
    expect(
      sequentialRounds(proxy.requests),
      JSON.stringify(proxy.requests.map((r) => [r.kind, Math.round(r.receivedAt!), Math.round(r.finishedAt!)])),
    ).toBe(3)
  })
})
