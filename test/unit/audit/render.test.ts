import {describe, expect, it} from 'vitest'

import type {AuditResult, AuditRow} from '../../../src/api/audit.js'
import {historyText} from '../../../src/engine/audit/run.js'
import {renderAuditCsv, renderAuditMarkdown, renderAuditSummary, renderAuditText} from '../../../src/render/audit.js'
import {styleFor} from '../../../src/render/style.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

function row(tag: string, arm64: AuditRow['cells'][number]['verdict'], message = 'fine'): AuditRow {
  const cells = [
    {host: 'linux/amd64', client: 'docker' as const, verdict: 'ok' as const, chosen: DIGEST, platform: 'linux/amd64', message: 'fine'},
    {host: 'linux/arm64', client: 'docker' as const, verdict: arm64, chosen: arm64 === 'ok' ? DIGEST : null, platform: null, message},
  ]
  return {
    repository: 'r.example/app',
    reference: `r.example/app:${tag}`,
    tag,
    version: tag,
    prerelease: false,
    variant: null,
    digest: DIGEST,
    status: 'audited',
    passed: arm64 === 'ok',
    error: null,
    errorKind: null,
    cells,
    checks: null,
    origins: [],
    durationMs: 1,
  }
}

function result(rows: AuditRow[]): AuditResult {
  return {
    schemaVersion: 1,
    passed: false,
    exitCode: 1,
    hosts: [
      {host: 'linux/amd64', label: 'linux/amd64', nodes: null},
      {host: 'linux/arm64', label: 'linux/arm64 (2 nodes)', nodes: ['a', 'b']},
    ],
    clients: ['docker'],
    allowFallback: false,
    required: null,
    rows,
    workloads: [],
    nodeGroups: [],
    history: [],
    unreadable: [],
    notAudited: [],
    rateLimited: [],
    unmatched: [],
    summary: {
      images: rows.length,
      hosts: 2,
      failures: rows.filter((r) => !r.passed).length,
      unreadable: 0,
      notAudited: 0,
      requests: 12,
      byMethod: {},
      durationMs: 1500,
      cache: {dir: '/c', hits: 3, misses: 1, corrupt: 0, written: 1},
      rateLimit: {'r.example': {limit: 100, remaining: 76, windowSeconds: 21600}},
    },
  }
}

describe('historyText', () => {
  it('names the first version of the first run, where a later one starts, and single versions', () => {
    const runs = [
      {verdict: 'no-match' as const, from: '1.0.0', to: '1.3.1', count: 8},
      {verdict: 'ok' as const, from: '1.4.0', to: '2.2.0', count: 13},
    ]
    expect(historyText(runs, [{version: '2.1.0-rc.1', verdict: 'no-match'}], 21)).toBe(
      'no-match from 1.0.0 to 1.3.1; ok from 1.4.0 on; no-match in 2.1.0-rc.1',
    )
    expect(historyText([{verdict: 'ok', from: '1.0.0', to: '2.0.0', count: 5}], [], 5)).toBe('ok in all 5 releases')
    expect(historyText([...runs, {verdict: 'missing', from: '2.3.0', to: '2.3.0', count: 1}], [], 22)).toBe(
      'no-match from 1.0.0 to 1.3.1; ok from 1.4.0 to 2.2.0; missing in 2.3.0',
    )
  })
})

describe('audit renderers', () => {
  const rows = [row('2.0.0', 'ok'), row('1.0.0', 'no-match', 'docker refuses it, "no match" | here')]

  it('puts the column with failures first and marks failing cells without colour', async () => {
    const text = await renderAuditText(result(rows), styleFor({isTTY: false}))
    const header = text.split('\n').find((line) => line.includes('IMAGE'))!
    expect(header.indexOf('linux/arm64 (2 nodes)')).toBeLessThan(header.indexOf('linux/amd64'))
    expect(text).toContain('✗ no-match')
    expect(text).toContain('FAIL')
    expect(text).not.toContain('\u001B[')
  })

  it('colours failing cells on a terminal instead of marking them', async () => {
    const text = await renderAuditText(result(rows), styleFor({isTTY: true}, {}))
    expect(text).toContain('\u001B[31mno-match\u001B[39m')
    expect(text).not.toContain('✗ no-match')
  })

  it('summarises images, hosts, failures, requests, time, cache hits and the rate-limit budget', () => {
    expect(renderAuditSummary(result(rows))).toBe(
      '2 images × 2 hosts, 1 failing, 0 unreadable, 12 requests in 1.5 s, cache 3 hits, rate limit 76/100 left at r.example',
    )
  })

  it('quotes CSV fields holding commas and quotes', () => {
    const lines = renderAuditCsv(result(rows)).split('\r\n')
    expect(lines).toHaveLength(1 + 2 * 2 + 1)
    expect(lines.at(-2)).toBe(
      `r.example/app,r.example/app:1.0.0,1.0.0,1.0.0,${DIGEST},audited,linux/arm64,docker,no-match,,"docker refuses it, ""no match"" | here"`,
    )
  })

  it('escapes pipes in Markdown cells and keeps one table row per image', () => {
    const markdown = renderAuditMarkdown(result([{...row('1.0.0', 'no-match'), tag: 'a|b'}]))
    expect(markdown).toContain('| `a\\|b` |')
    expect(markdown.split('\n').filter((line) => line.startsWith('| `'))).toHaveLength(1)
  })
})

describe('audit output with hostile registry text', () => {
  // An erase-line, a title-setting OSC and a bidi override, as a registry's error message could carry them.
  const ATTACK = '\u001b[2K\r\u001b]0;pwned\u0007ok everything passed\u202e'
  const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
  const hostile = (): AuditResult => {
    const broken = {
      ...row('2.0.0', 'no-match', `registry says ${ATTACK}`),
      status: 'unreadable' as const,
      error: `manifest unknown ${ATTACK}`,
    }
    return {...result([broken]), unreadable: [{reference: broken.reference, error: `manifest unknown ${ATTACK}`}]}
  }

  it('shows control characters in the text, Markdown and CSV reports instead of sending them', async () => {
    const text = await renderAuditText(hostile(), styleFor({isTTY: false}))
    expect(text).not.toMatch(RAW_CONTROL)
    expect(text).toContain('\\u001b[2K')
    expect(renderAuditMarkdown(hostile())).not.toMatch(RAW_CONTROL)
    // CSV keeps quoted line breaks (RFC 4180) but no other control character.
    expect(renderAuditCsv(hostile())).not.toMatch(/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/)
  })
})

describe('audit matrix on a narrow terminal', () => {
  it('fits 80 columns with every client of a host, wrapping host labels and never cutting a digest', async () => {
    const clients = ['docker', 'containerd', 'podman'] as const
    const base = result([row('1.0.0', 'ok'), row('2.0.0-alpine', 'no-match')])
    const wide: AuditResult = {
      ...base,
      clients: [...clients],
      rows: base.rows.map((r) => ({...r, cells: clients.flatMap((client) => r.cells.map((cell) => ({...cell, client})))})),
    }
    const plain = styleFor({isTTY: false})
    const unfitted = await renderAuditText(wide, plain)
    expect(Math.max(...unfitted.split('\n').map((line) => line.length))).toBeGreaterThan(80)
    const text = await renderAuditText(wide, plain, {width: 80})
    for (const line of text.split('\n').filter((l) => /[│┌└├]/.test(l))) expect(line.length, line).toBeLessThanOrEqual(80)
    // Digests are shown as sha256: and 12 hex digits at least, or left out whole.
    for (const digest of text.match(/sha256:[0-9a-f]*/g) ?? []) expect(digest.length).toBeGreaterThanOrEqual(19)
    expect(text).toContain('no-match')
  })
})
