import {describe, expect, it} from 'vitest'

import type {AuditResult, AuditRow} from '../../../src/api/audit.js'
import {historyText} from '../../../src/engine/audit/run.js'
import {renderAuditCsv, renderAuditMarkdown, renderAuditSummary, renderAuditText} from '../../../src/render/audit.js'
import {drawTable, fitTable, visibleWidth} from '../../../src/render/fit.js'
import {tableMaker} from '../../../src/render/table.js'
import {styleFor} from '../../../src/render/style.js'
import {AUDIT_DIGEST, auditResult, auditRow} from '../../helpers/audit-results.js'

const DIGEST = AUDIT_DIGEST

function row(tag: string, arm64: AuditRow['cells'][number]['verdict'], message = 'fine'): AuditRow {
  const cells = [
    {
      host: 'linux/amd64',
      client: 'docker' as const,
      verdict: 'ok' as const,
      chosen: DIGEST,
      platform: 'linux/amd64',
      message: 'fine',
      failedChecks: [],
    },
    {
      host: 'linux/arm64',
      client: 'docker' as const,
      verdict: arm64,
      chosen: arm64 === 'ok' ? DIGEST : null,
      platform: null,
      message,
      failedChecks: arm64 === 'check-failed' ? ['entrypoint-arch'] : [],
    },
  ]
  return auditRow({reference: `r.example/app:${tag}`, tag, version: tag, passed: arm64 === 'ok', cells})
}

function result(rows: AuditRow[]): AuditResult {
  return auditResult(rows, {
    hosts: [
      {host: 'linux/amd64', label: 'linux/amd64', nodes: null},
      {host: 'linux/arm64', label: 'linux/arm64 (2 nodes)', nodes: ['a', 'b']},
    ],
    summary: {
      requests: 12,
      durationMs: 1500,
      cache: {dir: '/c', hits: 3, misses: 1, corrupt: 0, written: 1},
      rateLimit: {'r.example': {limit: 100, remaining: 76, windowSeconds: 21600}},
    },
  })
}

describe('historyText', () => {
  it('names the first version of the first run, where a later one starts, and single versions', () => {
    const runs = [
      {verdict: 'no-match' as const, failedChecks: [], from: '1.0.0', to: '1.3.1', count: 8},
      {verdict: 'ok' as const, failedChecks: [], from: '1.4.0', to: '2.2.0', count: 13},
    ]
    expect(historyText(runs, [{version: '2.1.0-rc.1', verdict: 'no-match'}], 21)).toBe(
      'no-match from 1.0.0 to 1.3.1; ok from 1.4.0 on; no-match in 2.1.0-rc.1',
    )
    expect(historyText([{verdict: 'ok', failedChecks: [], from: '1.0.0', to: '2.0.0', count: 5}], [], 5)).toBe('ok in all 5 releases')
    expect(historyText([...runs, {verdict: 'missing', failedChecks: [], from: '2.3.0', to: '2.3.0', count: 1}], [], 22)).toBe(
      'no-match from 1.0.0 to 1.3.1; ok from 1.4.0 to 2.2.0; missing in 2.3.0',
    )
    const failedCheck = {verdict: 'check-failed' as const, failedChecks: ['entrypoint-arch'], from: '2.0.1', to: '2.0.1', count: 1}
    expect(historyText([runs[1], failedCheck], [], 14)).toBe('ok from 1.4.0 to 2.2.0; check-failed in 2.0.1 (entrypoint-arch)')
  })
})

describe('audit renderers', () => {
  const rows = [row('2.0.0', 'ok'), row('1.0.0', 'no-match', 'docker refuses it, "no match" | here')]

  it('keeps the hosts in the order given, whichever fails, and marks failing cells without colour', async () => {
    const text = await renderAuditText(result(rows), styleFor({isTTY: false}))
    const header = text.split('\n').find((line) => line.includes('IMAGE'))!
    expect(header.indexOf('linux/amd64')).toBeLessThan(header.indexOf('linux/arm64 (2 nodes)'))
    expect(text).toContain('✗ no-match')
    expect(text).toContain('FAIL')
    expect(text).not.toContain('\u001B[')
  })

  it('names a release with its aliases, a floating tag without release, and the failed check in its host cell', async () => {
    const release = {...row('2.2.0', 'ok'), aliases: ['2.2', '2', 'latest']}
    const floating = {...row('2', 'ok'), version: null, note: 'no full release with this digest'}
    const failing = {...row('2.0.1', 'check-failed'), passed: false}
    const text = await renderAuditText(result([floating, release, failing]), styleFor({isTTY: false}), {noTrunc: true})
    expect(text).toContain('2.2.0 (also 2.2, 2, latest)')
    expect(text).toContain('2 → no full release with this digest')
    expect(text).toMatch(/2\.0\.1 .*✗ check-failed \(entrypoint-arch\)/)
    expect(renderAuditMarkdown(result([failing]))).toContain('❌ check-failed (entrypoint-arch)')
    expect(
      renderAuditCsv(result([failing]))
        .split('\r\n')
        .at(-2),
    ).toContain(',linux/arm64,docker,check-failed,')
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

/** Every client's cells for each row, and `repositories` copies of the rows under other repository names. */
function allClients(rows: AuditRow[], repositories = 1): AuditResult {
  const clients = ['docker', 'containerd', 'podman'] as const
  const many = Array.from({length: repositories}, (_x, i) =>
    rows.map((r) => ({
      ...r,
      repository: `${r.repository}${i || ''}`,
      cells: clients.flatMap((client) => r.cells.map((cell) => ({...cell, client}))),
    })),
  ).flat()
  return {...result(many), clients: [...clients]}
}

const tableLines = (text: string): string[] => text.split('\n').filter((line) => /^[│┌└├]/.test(line))

describe('registry text in CSV and Markdown', () => {
  const LURE =
    'denied\n::error::fake ![](http://evil.example/pixel.png) [click](http://evil.example) @octocat `rm -rf` <img src=x> www.evil.example'
  const hostileRows = (): AuditResult => {
    const broken = {...row('2.0.0', 'no-match', LURE), status: 'unreadable' as const, error: LURE, tag: 'v`1|x'}
    return {
      ...result([row('1.0.0', 'no-match', `=HYPERLINK("http://evil.example","ok") ${LURE}`), broken]),
      unreadable: [{reference: broken.reference, error: LURE}],
    }
  }

  it('CSV: one physical line per record, and no field a spreadsheet runs as a formula', () => {
    const csv = renderAuditCsv(hostileRows())
    const lines = csv.split('\r\n')
    expect(lines).toHaveLength(1 + 2 * 2 + 1)
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    for (const line of lines) expect(line).not.toMatch(/^::/)
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""ok"") denied\\u000a::error::fake`)
  })

  it('Markdown: no image, link, mention, code span, HTML or autolink made of registry text', () => {
    const markdown = renderAuditMarkdown(hostileRows())
    expect(markdown).not.toContain('![](')
    expect(markdown).not.toMatch(/(^|[^\\])\]\(/m) // a link needs an unescaped ] before its (
    expect(markdown).not.toMatch(/(^|[^\\])@octocat/)
    expect(markdown).not.toContain('<img')
    expect(markdown).not.toMatch(/[^\\]`rm -rf/)
    expect(markdown).not.toContain('http://')
    expect(markdown).not.toMatch(/(^|[^\\])www\./m)
    expect(markdown).toContain('\\!\\[\\](http\\://evil.example/pixel.png)')
    expect(markdown).toContain('@\u2060octocat')
    // A tag with a backtick and a pipe stays one code span in one cell.
    expect(markdown).toContain('| ``v`1\\|x`` |')
    for (const line of markdown.split('\n')) expect(line).not.toMatch(/^::/)
  })
})

describe('audit matrix on a narrow terminal', () => {
  const plain = styleFor({isTTY: false})

  it.each([80, 120])('fits %i columns with every client, verdicts whole and digests never cut', async (width) => {
    const wide = allClients([row('1.0.0', 'ok'), row('2.0.0-alpine', 'no-match'), row('2.1.0', 'wrong-arch')])
    const unfitted = await renderAuditText(wide, plain)
    expect(Math.max(...unfitted.split('\n').map((line) => line.length))).toBeGreaterThan(width)
    const text = await renderAuditText(wide, plain, {width})
    for (const line of tableLines(text)) expect(visibleWidth(line), line).toBeLessThanOrEqual(width)
    for (const digest of text.match(/sha256:[0-9a-f]*/g) ?? []) expect(digest.length).toBeGreaterThanOrEqual(19)
    // Each verdict on one line of its cell: never `no-` here and `match` below.
    expect(text).toContain('✗ no-match')
    expect(text).toContain('✗ wrong-arch')
    expect(text).not.toMatch(/│ *(no-|match|wrong-|arch) *│/)
    // Every client of every image is still there.
    for (const client of ['docker', 'containerd', 'podman']) expect(text).toContain(client)
  })

  it('turns clients into rows when host × client columns do not fit, and keeps them as columns when they do', async () => {
    const wide = allClients([row('1.0.0', 'ok'), row('2.0.0', 'no-match')])
    const narrow = await renderAuditText(wide, plain, {width: 80})
    const header = tableLines(narrow)[1]
    expect(header).toContain('CLIENT')
    expect(tableLines(narrow).filter((line) => line.includes('containerd'))).toHaveLength(2)
    const roomy = await renderAuditText(wide, plain, {width: 300})
    expect(tableLines(roomy)[1]).not.toContain('CLIENT')
    expect(tableLines(roomy)[1]).toContain('linux/amd64 containerd')
  })

  it('says once, not under every table, which columns it left out to fit', async () => {
    const text = await renderAuditText(allClients([row('1.0.0', 'ok'), row('2.0.0', 'no-match')], 3), plain, {width: 60})
    expect(text.match(/Not shown to fit 60 columns: /g)).toHaveLength(1)
    expect(text.indexOf('Not shown to fit')).toBeGreaterThan(text.lastIndexOf('└'))
  })
})

describe('large reports', () => {
  /** `count` tags of one repository: the table cli-table3 lays out in quadratic time. */
  const many = (count: number): AuditResult =>
    result(Array.from({length: count}, (_x, i) => row(`1.${Math.floor(i / 1000)}.${i % 1000}`, i % 3 ? 'ok' : 'no-match')))

  it.each([20_000, 50_000])('renders %i rows in text, CSV and Markdown in linear time', async (count) => {
    const report = many(count)
    const started = performance.now()
    const text = await renderAuditText(report, styleFor({isTTY: false}), {width: 120})
    // Under a loaded machine; the quadratic table took 60 s for 20,000 rows here.
    expect(performance.now() - started).toBeLessThan(4000)
    expect(tableLines(text)).toHaveLength(count + 3)
    const formats = performance.now()
    expect(renderAuditCsv(report).split('\r\n')).toHaveLength(1 + count * 2 + 1)
    expect(
      renderAuditMarkdown(report)
        .split('\n')
        .filter((line) => line.startsWith('| `')),
    ).toHaveLength(count)
    expect(performance.now() - formats).toBeLessThan(4000)
  })

  it('draws large tables exactly as cli-table3 draws small ones', async () => {
    const style = styleFor({isTTY: true}, {})
    const head = ['', 'IMAGE', 'linux/arm64'].map((h) => style.bold(h))
    const rows = [
      [style.green('ok'), '1.0.0', style.red('no-match')],
      ['', 'a long\nname', ''],
      [style.red('FAIL'), '2.0.0 (platforms)', style.yellow('fallback')],
    ]
    const table = (await tableMaker(style))(['', 'IMAGE', 'linux/arm64'])
    for (const r of rows) table.push(r)
    expect(drawTable(head, rows)).toBe(table.toString())
    // And fitTable switches to it past its row bound with the same look.
    const columns = [{header: ''}, {header: 'IMAGE'}, {header: 'linux/arm64'}]
    const small = await fitTable(columns, rows, style)
    expect(small.text).toBe(table.toString())
  })
})
