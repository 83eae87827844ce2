import {describe, expect, it} from 'vitest'

import type {AuditResult} from '../../src/api/audit.js'
import {capStepSummary} from '../../src/render/step-summary.js'
import {auditVerdictLine, verifyVerdictLine} from '../../src/render/verdict.js'
import type {CheckResult, VerifyReport} from '../../src/engine/verify/types.js'
import {verifyResult} from '../../src/api/verify.js'
import {parseHosts} from '../../src/oci/platform/hosts.js'

const REQUIRE = parseHosts(['linux/amd64', 'linux/arm64'])

function report(
  reference: string,
  checks: Array<Pick<CheckResult, 'id' | 'status' | 'platform' | 'message'>>,
  extra: Partial<VerifyReport> = {},
): VerifyReport {
  const failed = checks.some((check) => check.status === 'fail')
  return {
    reference,
    digest: 'sha256:' + 'a'.repeat(64),
    verdict: failed ? 'fail' : 'pass',
    checks: checks.map((check) => ({...check, reference})),
    durationMs: 1,
    strict: false,
    ...extra,
  }
}

const pass = (reference: string) => report(reference, [{id: 'platform-missing', status: 'pass', platform: 'linux/arm64', message: 'ok'}])
const missing = (reference: string) =>
  report(reference, [
    {id: 'platform-missing', status: 'fail', platform: 'linux/arm64', message: 'linux/arm64 is not in the index'},
    {id: 'config-mismatch', status: 'fail', platform: 'linux/amd64', message: 'config says arm'},
    {id: 'mixed-media-types', status: 'warn', platform: undefined, message: 'mixed'},
  ])
const result = (reports: VerifyReport[]) => verifyResult(reports, {require: REQUIRE, client: 'docker', strict: false})

describe('verifyVerdictLine', () => {
  it('says what passed in one line', () => {
    expect(verifyVerdictLine(result([pass('ghcr.io/acme/app:1.4.0')]))).toBe('✅ ghcr.io/acme/app:1.4.0 — 2 platforms, every check passed')
    expect(verifyVerdictLine(result([pass('a:1'), pass('a:latest')]))).toBe('✅ 2 images — 2 platforms, every check passed')
  })

  it('names what failed (warnings are not failures), and which reference when there are several', () => {
    expect(verifyVerdictLine(result([missing('ghcr.io/acme/app:1.4.0')]))).toBe(
      '❌ ghcr.io/acme/app:1.4.0 — linux/arm64 missing, config-mismatch (linux/amd64)',
    )
    expect(verifyVerdictLine(result([pass('a:1'), missing('a:2'), report('a:3', [], {verdict: 'error', error: 'a:3: not found'})]))).toBe(
      '❌ 2 of 3 images failed — a:2: linux/arm64 missing, config-mismatch (linux/amd64); a:3: could not be read: a:3: not found',
    )
  })

  it("keeps a registry's text on one short line with control characters made visible", () => {
    const line = verifyVerdictLine(
      result([report('a:1', [], {verdict: 'error', error: `denied\n::add-mask::x\u001b[31m${'y'.repeat(1000)}`})]),
    )
    expect(line).not.toMatch(/[\n\r\u001b]/)
    expect([...line].length).toBeLessThanOrEqual(300)
    expect(line.endsWith('…')).toBe(true)
  })
})

describe('auditVerdictLine', () => {
  const audit = (rows: Array<{reference: string; status: string; passed: boolean}>, unreadable: string[] = []) =>
    ({
      passed: rows.every((row) => row.passed) && unreadable.length === 0,
      rows,
      hosts: [{host: 'linux/amd64'}, {host: 'linux/arm64'}],
      unreadable: unreadable.map((reference) => ({reference, error: 'gone'})),
      notAudited: [],
    }) as unknown as AuditResult

  it('counts images and hosts, and names the failing and unreadable ones', () => {
    expect(auditVerdictLine(audit([{reference: 'a:1', status: 'audited', passed: true}]))).toBe('✅ 1 image on 2 hosts — every pull passed')
    expect(
      auditVerdictLine(
        audit(
          [
            {reference: 'a:1', status: 'audited', passed: false},
            {reference: 'a:2', status: 'unreadable', passed: false},
          ],
          ['a:2'],
        ),
      ),
    ).toBe('❌ 2 images on 2 hosts — 1 failed (a:1), 1 unreadable (a:2)')
  })
})

describe('capStepSummary', () => {
  it('returns a summary that fits as it is', () => {
    expect(capStepSummary('# a\n\nb\n', 'see the report', 100)).toBe('# a\n\nb\n')
  })

  it('keeps whole lines within the limit and says how many more there were', () => {
    const lines = Array.from({length: 100}, (_, i) => `| row ${i} | ✅ |`)
    const capped = capStepSummary(`${lines.join('\n')}\n`, 'see the report', 500)
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(500)
    const kept = capped.split('\n').filter((line) => line.startsWith('| row'))
    expect(kept).toEqual(lines.slice(0, kept.length))
    expect(capped).toContain(`\n… ${100 - kept.length} more lines (see the report)\n`)
  })

  it('fits GitHub’s 1 MiB by default', () => {
    const huge = `${'x'.repeat(1000)}\n`.repeat(2000)
    expect(Buffer.byteLength(capStepSummary(huge, 'r'))).toBeLessThanOrEqual(1024 * 1024)
  })
})
