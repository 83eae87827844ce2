import type {AuditResult, AuditVerdict} from '../api/audit.js'
import {isFailure, unreadableLine, type VerifyResult} from '../api/verify.js'
import {sanitizeText} from '../oci/sanitize.js'
import {auditVerdictLine, verifyVerdictLine} from './verdict.js'
import {containerName, failsIn, workloadName} from './workloads.js'

/**
 * A report as one self-contained HTML file: no script, no external stylesheet, font or image, and a
 * Content-Security-Policy that forbids fetching anything, so opening it (a CI artifact, a mail
 * attachment) reaches no network. The model is generic; verify and audit are drawn into it below.
 */
export type HtmlStatus = 'fail' | 'warn' | 'pass' | 'skip'

export interface HtmlCell {
  status: HtmlStatus
  text: string
  /** Shown on hover and to screen readers: the reason. */
  detail?: string
}

export interface HtmlGrid {
  title: string
  columns: string[]
  rows: Array<{label: string; cells: HtmlCell[]}>
}

export interface HtmlTimeline {
  title: string
  /** Oldest first. */
  segments: Array<{status: HtmlStatus; text: string; from: string; to: string; count: number}>
}

export interface HtmlReport {
  title: string
  passed: boolean
  verdict: string
  summary: Array<[label: string, value: string]>
  grids: HtmlGrid[]
  timelines: HtmlTimeline[]
  notes: Array<{title: string; items: string[]}>
}

/** Text markers with the colours, so the grid reads without colour vision (and in print). */
const MARK: Record<HtmlStatus, string> = {fail: '✗', warn: '!', pass: '✓', skip: '–'}
const ORDER: Record<HtmlStatus, number> = {fail: 0, warn: 1, pass: 2, skip: 3}

function escapeHtml(text: string): string {
  return sanitizeText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const worst = (cells: readonly HtmlCell[]): number => Math.min(...cells.map((cell) => ORDER[cell.status]), ORDER.skip)

// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies): vermillion, orange, blue, grey.
const STYLE = `
:root{color-scheme:light dark;--fail:#D55E00;--warn:#E69F00;--pass:#0072B2;--skip:#999;--bg:#fff;--fg:#1b1b1b;--line:#ddd}
@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e8e8e8;--line:#3a3d42}}
*{box-sizing:border-box}
body{margin:0 auto;padding:clamp(12px,2vw,48px);max-width:2400px;background:var(--bg);color:var(--fg);font:clamp(14px,0.45vw + 11px,22px)/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.5em;margin:0 0 .4em}h2{font-size:1.15em;margin:1.6em 0 .5em}
.verdict{font-size:1.2em;font-weight:600;padding:.6em .9em;border-left:.4em solid var(--pass);background:color-mix(in srgb,var(--pass) 10%,transparent);overflow-wrap:anywhere}
.verdict.fail{border-color:var(--fail);background:color-mix(in srgb,var(--fail) 10%,transparent)}
dl.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(10em,1fr));gap:.5em 1.5em;margin:1em 0}
dl.summary div{border-top:1px solid var(--line);padding-top:.3em}dt{font-size:.8em;opacity:.75}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:separate;border-spacing:3px;min-width:100%}
th{font-weight:600;text-align:left;font-size:.85em;padding:.3em .5em;vertical-align:bottom}
th.row{position:sticky;left:0;z-index:1;background:var(--bg);min-width:min(16em,50vw);max-width:60vw;overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-weight:500}
td{padding:.35em .6em;border-radius:4px;white-space:nowrap;font-size:.9em;color:#fff;font-weight:600}
td.fail{background:var(--fail)}td.warn{background:var(--warn);color:#000}td.pass{background:var(--pass)}td.skip{background:var(--skip);color:#000}
.timeline{display:flex;flex-wrap:wrap;gap:3px;margin:.2em 0 1em}
.timeline span{padding:.25em .6em;border-radius:4px;font-size:.85em;font-weight:600;color:#fff}
.timeline .fail{background:var(--fail)}.timeline .warn{background:var(--warn);color:#000}.timeline .pass{background:var(--pass)}.timeline .skip{background:var(--skip);color:#000}
h3{font-size:1em;margin:.8em 0 .2em;font-family:ui-monospace,monospace;font-weight:500;overflow-wrap:anywhere}
ul.notes li{overflow-wrap:anywhere;margin:.2em 0}
`

function renderGrid(grid: HtmlGrid): string {
  // Failing rows first: the eye starts at the top.
  const rows = [...grid.rows].sort((a, b) => worst(a.cells) - worst(b.cells))
  const head = `<tr><th></th>${grid.columns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('')}</tr>`
  const body = rows
    .map((row) => {
      const cells = row.cells
        .map((cell) => {
          const title = cell.detail ? ` title="${escapeHtml(cell.detail)}"` : ''
          return `<td class="${cell.status}"${title}>${MARK[cell.status]} ${escapeHtml(cell.text)}</td>`
        })
        .join('')
      const status = (Object.keys(ORDER) as HtmlStatus[]).find((key) => ORDER[key] === worst(row.cells))
      return `<tr data-status="${status}"><th scope="row" class="row">${escapeHtml(row.label)}</th>${cells}</tr>`
    })
    .join('\n')
  return `<h2>${escapeHtml(grid.title)}</h2>\n<div class="scroll"><table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table></div>`
}

function renderTimeline(timeline: HtmlTimeline): string {
  const segments = timeline.segments
    .map((segment) => {
      const span = segment.from === segment.to ? segment.from : `${segment.from} – ${segment.to}`
      const count = segment.count > 1 ? ` (${segment.count})` : ''
      return `<span class="${segment.status}">${MARK[segment.status]} ${escapeHtml(segment.text)}: ${escapeHtml(span)}${count}</span>`
    })
    .join('')
  return `<h3>${escapeHtml(timeline.title)}</h3><div class="timeline">${segments}</div>`
}

export function renderHtmlReport(report: HtmlReport): string {
  const summary = report.summary.map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')
  const parts = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(report.title)}</h1>`,
    `<p class="verdict ${report.passed ? 'pass' : 'fail'}" role="status">${escapeHtml(report.verdict)}</p>`,
    `<dl class="summary">${summary}</dl>`,
    ...report.grids.map(renderGrid),
    ...(report.timelines.length > 0 ? ['<h2>History</h2>', ...report.timelines.map(renderTimeline)] : []),
    ...report.notes
      .filter((note) => note.items.length > 0)
      .map(
        (note) =>
          `<h2>${escapeHtml(note.title)}</h2>\n<ul class="notes">${note.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`,
      ),
    '</body>',
    '</html>',
  ]
  return `${parts.join('\n')}\n`
}

/** verify: one row per reference, one column per required platform and one for the checks of the whole tag. */
export function renderVerifyHtml(result: VerifyResult): string {
  const columns = [...result.required, 'whole tag']
  const rows = result.references.map((report) => {
    if (report.verdict === 'error') {
      return {
        label: report.reference,
        cells: columns.map(() => ({status: 'fail' as const, text: 'unreadable', detail: unreadableLine(report)})),
      }
    }
    const cells = columns.map((column): HtmlCell => {
      const platform = column === 'whole tag' ? null : column
      const checks = report.checks.filter(
        (check) => check.platform === platform || (platform === null && !result.required.includes(check.platform ?? '')),
      )
      const failing = checks.filter((check) => isFailure(check, result.strict))
      const warned = checks.filter((check) => check.status === 'warn' && !isFailure(check, result.strict))
      const shown = failing.length > 0 ? failing : warned
      if (shown.length > 0)
        return {
          status: failing.length > 0 ? 'fail' : 'warn',
          text: shown.map((check) => check.id).join(', '),
          detail: shown.map((check) => check.message).join('; '),
        }
      return checks.some((check) => check.status === 'pass') ? {status: 'pass', text: 'ok'} : {status: 'skip', text: 'not checked'}
    })
    return {label: report.reference, cells}
  })
  const count = (verdict: string): number => result.references.filter((report) => report.verdict === verdict).length
  return renderHtmlReport({
    title: 'archcheck verify',
    passed: result.verdict === 'pass',
    verdict: verifyVerdictLine(result),
    summary: [
      ['References', String(result.references.length)],
      ['Passed', String(count('pass'))],
      ['Failed', String(count('fail'))],
      ['Unreadable', String(count('error'))],
      ['Required', result.required.join(', ')],
      ['Client', result.client],
    ],
    grids: [{title: 'Checks', columns, rows}],
    timelines: [],
    notes: [
      {
        title: 'What failed',
        items: result.references.flatMap((report) =>
          report.verdict === 'error'
            ? [unreadableLine(report)]
            : report.checks
                .filter((check) => check.status === 'fail' || check.status === 'warn')
                .map((check) => `${report.reference}: ${check.id}${check.platform ? ` (${check.platform})` : ''}: ${check.message}`),
        ),
      },
    ],
  })
}

function auditStatus(result: AuditResult, verdict: AuditVerdict): HtmlStatus {
  if (verdict === 'ok' || (result.allowFallback && verdict === 'fallback')) return 'pass'
  return verdict === 'fallback' || verdict === 'ambiguous' ? 'warn' : 'fail'
}

/** audit: one row per image, one column per host (× client when there are several), and each repository's history as a timeline. */
export function renderAuditHtml(result: AuditResult): string {
  const several = result.clients.length > 1
  const columns = result.clients.flatMap((client) =>
    result.hosts.map((host) => ({host: host.host, client, title: several ? `${host.label} ${client}` : host.label})),
  )
  const rows = result.rows.map((row) => ({
    label: row.reference,
    cells: columns.map((column): HtmlCell => {
      if (row.status === 'not-audited') return {status: 'skip', text: 'not audited', detail: row.error ?? undefined}
      if (row.status === 'unreadable') return {status: 'fail', text: 'error', detail: row.error ?? undefined}
      const cell = row.cells.find((candidate) => candidate.host === column.host && candidate.client === column.client)
      return cell ? {status: auditStatus(result, cell.verdict), text: cell.verdict, detail: cell.message} : {status: 'skip', text: '—'}
    }),
  }))
  const {summary} = result
  return renderHtmlReport({
    title: 'archcheck audit',
    passed: result.passed,
    verdict: auditVerdictLine(result),
    summary: [
      ['Images', String(summary.images)],
      ['Hosts', String(summary.hosts)],
      ['Failing', String(summary.failures)],
      ['Unreadable', String(summary.unreadable)],
      ['Requests', String(summary.requests)],
      ['Time', `${(summary.durationMs / 1000).toFixed(1)} s`],
      ...(summary.workloads
        ? ([
            ['Workloads', String(summary.workloads.total)],
            ['Workloads failing', String(summary.workloads.failing)],
            ['Unschedulable', String(summary.workloads.unschedulable)],
          ] as Array<[string, string]>)
        : []),
    ],
    grids: [...workloadGrids(result), {title: 'Pulls', columns: columns.map((column) => column.title), rows}],
    timelines: result.history.map((history) => ({
      title: `${history.repository}${history.variant ? ` (-${history.variant})` : ''} · ${history.host}${several ? ` · ${history.client}` : ''}`,
      segments: history.runs.map((run) => ({
        status: auditStatus(result, run.verdict),
        text: run.verdict,
        from: run.from,
        to: run.to,
        count: run.count,
      })),
    })),
    notes: [
      {title: 'Could not be read', items: result.unreadable.map((entry) => `${entry.reference}: ${entry.error}`)},
      {title: 'Not audited (rate limited)', items: result.notAudited},
    ],
  })
}

/**
 * With workload files: one row per workload container, one column per node group; a cell where the
 * scheduler cannot place it is `—`, and a workload that fits no node fails in every column (a
 * DaemonSet, which then places no pod, does not).
 */
function workloadGrids(result: AuditResult): HtmlGrid[] {
  if (result.workloads.length === 0) return []
  const rows = result.workloads.map((entry) => ({
    label: `${workloadName(entry)} ${containerName(entry)}`,
    cells: result.nodeGroups.map((group): HtmlCell => {
      if (entry.unschedulable) return {status: entry.passed ? 'skip' : 'fail', text: 'no node', detail: entry.reason ?? undefined}
      const cell = entry.cells.find((candidate) => candidate.group === group.label)
      if (!cell || !cell.schedulable) return {status: 'skip', text: '—', detail: cell?.reason ?? undefined}
      const detail = cell.reason ?? undefined
      if (cell.emulated) return {status: 'warn', text: 'emulated', detail}
      if (failsIn(result, cell)) return {status: 'fail', text: cell.verdict, detail}
      return {status: cell.verdict === 'fallback' || cell.verdict === 'ambiguous' ? 'warn' : 'pass', text: cell.verdict, detail}
    }),
  }))
  return [{title: 'Workloads', columns: result.nodeGroups.map((group) => group.label), rows}]
}
