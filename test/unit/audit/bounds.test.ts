import {describe, expect, it} from 'vitest'

import {historyOf, runAudit, type AuditHost, type AuditRow} from '../../../src/engine/audit/run.js'
import {mergeWorkloadImages, type ImageOrigin} from '../../../src/engine/audit/workloads.js'
import {RegistryError} from '../../../src/oci/errors.js'
import {parseSourceSpec} from '../../../src/oci/reference.js'
import {toHostPlatform} from '../../../src/oci/platform/match.js'

const hosts: AuditHost[] = ['linux/amd64', 'linux/arm64'].map((spec) => ({platform: toHostPlatform(spec), spec, label: spec}))

function release(version: string, arm64: 'ok' | 'no-match', prerelease = false): AuditRow {
  const cell = (host: string, verdict: 'ok' | 'no-match') => ({
    host,
    client: 'docker' as const,
    verdict,
    chosen: null,
    platform: null,
    message: '',
    failedChecks: [],
  })
  return {
    repository: 'r.example/app',
    reference: `r.example/app:${version}`,
    tag: version,
    aliases: [],
    note: null,
    version,
    prerelease,
    variant: null,
    digest: `sha256:${version}`,
    status: 'audited',
    passed: arm64 === 'ok',
    error: null,
    errorKind: null,
    cells: [cell('linux/amd64', 'ok'), cell('linux/arm64', arm64)],
    checks: null,
    supplyChain: null,
    origins: [],
    durationMs: 0,
  }
}

const origins = (n: number): ImageOrigin[] => Array.from({length: n}, (_, i) => ({file: 'list.txt', line: i + 1, from: 'list'}))

describe('audit over very many rows and origins', () => {
  it('builds the history of 40,000 releases in linear time', () => {
    // Newest first, as rows come: arm64 from 100.0.0 on.
    const rows = Array.from({length: 40_000}, (_, i) => {
      const n = 40_000 - i
      return release(`${Math.floor(n / 100)}.${n % 100}.0`, n >= 10_000 ? 'ok' : 'no-match', false)
    })
    const started = Date.now()
    const history = historyOf(rows, {hosts, clients: ['docker']})
    // Generous for a loaded machine: rebuilding arrays per row took 6 s here.
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(history.find((h) => h.host === 'linux/arm64')!.text).toBe('no-match from 0.1.0 to 99.99.0; ok from 100.0.0 on')
    expect(history.find((h) => h.host === 'linux/amd64')!.text).toBe('ok in all 40000 releases')
  })

  it('names a pre-release against the release before it, and one older than every release against the first', () => {
    const rows = [
      release('2.0.0', 'ok'),
      release('2.0.0-rc.1', 'no-match', true),
      release('1.0.0', 'ok'),
      release('0.9.0-rc.1', 'ok', true),
    ]
    const arm64 = historyOf(rows, {hosts, clients: ['docker']}).find((h) => h.host === 'linux/arm64')!
    expect(arm64.exceptions).toEqual([{version: '2.0.0-rc.1', verdict: 'no-match'}])
    expect(arm64.text).toBe('ok in all 2 releases; no-match in 2.0.0-rc.1')
  })

  it('merges 130,000 origins of one image without spreading them onto the stack', () => {
    const merged = mergeWorkloadImages([
      [{reference: 'app:1', origins: origins(130_000)}],
      [{reference: 'app:1', origins: origins(130_000)}],
    ])
    expect(merged).toHaveLength(1)
    expect(merged[0].origins).toHaveLength(260_000)
  })

  it('plans an image named with 130,000 origins, twice, without spreading them onto the stack', async () => {
    const inputs = [
      {spec: parseSourceSpec('oci-layout:/nonexistent/archcheck-layout:1'), origins: origins(130_000)},
      {spec: parseSourceSpec('oci-layout:/nonexistent/archcheck-layout:1'), origins: origins(130_000)},
    ]
    const open = () => Promise.reject(new RegistryError('no such layout', 'not-found'))
    const run = await runAudit(inputs, {hosts, clients: ['docker'], open})
    expect(run.rows).toHaveLength(1)
    expect(run.rows[0]).toMatchObject({status: 'unreadable', error: 'no such layout'})
    expect(run.rows[0].origins).toHaveLength(260_000)
  })
})
