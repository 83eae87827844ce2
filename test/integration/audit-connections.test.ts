/**
 * How a warm audit spreads its HEADs over the connection pool: more of them in flight than the 16
 * connections the pool used to allow, never more connections than its 32 (docs/registry.md), and
 * each tag and child confirmed once. Request counts and connections, not wall time: they hold
 * under any load.
 */
import {describe, expect, it} from 'vitest'

import {startCountingProxy} from '../helpers/counting-proxy.js'
import {runAuditJson} from '../helpers/cli.js'
import {TestRegistryClient} from '../helpers/registry.js'
import {pushScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

const TAGS = Array.from({length: 48}, (_, i) => `1.${Math.floor(i / 10)}.${i % 10}`)

describe('archcheck audit: connections', () => {
  it('a warm audit of 48 tags keeps more than 16 HEADs in flight over at most 32 connections', async () => {
    const platforms = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/ppc64le']
    const pushed = await pushScenario(
      'audit-connections',
      {repository: 'audit/connections', tag: 'build', index: {entries: platforms.map((platform) => ({platform}))}},
      {},
    )
    const client = new TestRegistryClient()
    for (const tag of TAGS) await client.pushManifest('audit/connections', tag, pushed.bundle.top)
    // Latency keeps requests in flight long enough to be seen together, even on a loaded machine
    // (each HEAD is held 200 ms: the client has that long to send the rest).
    const proxy = await startCountingProxy(pushed.host, {latencyMs: 200})
    try {
      const args = [`${proxy.host}/audit/connections`, '--host', platforms.join(','), '--cache-dir', await tempDir('audit-connections')]
      expect((await runAuditJson(args)).code).toBe(0)
      proxy.reset()
      const warm = await runAuditJson(args)
      expect(warm.code).toBe(0)
      expect(warm.json.rows).toHaveLength(1)
      expect(warm.json.rows[0].aliases).toHaveLength(TAGS.length - 1)
      // Each tag, then the index's four children once: nothing but HEADs after the tag list.
      expect(proxy.count({method: 'HEAD', kind: 'manifest'})).toBe(TAGS.length + platforms.length)
      expect(proxy.maxInFlight).toBeGreaterThan(16)
      expect(proxy.connections).toBeLessThanOrEqual(32)
    } finally {
      await proxy.close()
    }
  })
})
