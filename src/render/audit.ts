import type {AuditCell, AuditResult, AuditRow, AuditVerdict} from '../api/audit.js'
import {shortDigest} from '../oci/digest.js'
import {sanitizeDeep} from '../oci/sanitize.js'
import {appendStepSummary, markdownCell} from './markdown.js'
import type {Style} from './style.js'
import {fitTable, type Column as TableColumn, type FitOptions} from './fit.js'
import {hasWorkloads, renderWorkloadsMarkdown, renderWorkloadsText} from './workloads.js'

export const AUDIT_FORMATS = ['text', 'markdown', 'csv'] as const
export type AuditFormat = (typeof AUDIT_FORMATS)[number]

/** One column of the matrix: a host, or host × client with several clients. */
interface Column {
  host: string
  client: AuditCell['client']
  title: string
  failures: number
}

const PASSING = new Set<AuditVerdict>(['ok'])

function cellPasses(result: AuditResult, verdict: AuditVerdict): boolean {
  return PASSING.has(verdict) || (result.allowFallback && verdict === 'fallback')
}

/**
 * The columns, those with the most failing cells first: the eye reads left to right, so what
 * needs attention is seen before what is fine.
 */
function columnsOf(result: AuditResult): Column[] {
  const several = result.clients.length > 1
  const columns: Column[] = []
  for (const client of result.clients) {
    for (const host of result.hosts) {
      const failures = result.rows.filter((row) => {
        const cell = cellOf(row, host.host, client)
        return cell !== undefined && !cellPasses(result, cell.verdict)
      }).length
      columns.push({host: host.host, client, title: several ? `${host.label} ${client}` : host.label, failures})
    }
  }
  return columns
    .map((column, i) => ({column, i}))
    .sort((a, b) => b.column.failures - a.column.failures || a.i - b.i)
    .map(({column}) => column)
}

function cellOf(row: AuditRow, host: string, client: AuditCell['client']): AuditCell | undefined {
  return row.cells.find((cell) => cell.host === host && cell.client === client)
}

/** A row's name within its repository: the tag, the digest, or the local spec. */
function rowName(row: AuditRow): string {
  if (row.tag) return row.tag
  const at = row.reference.lastIndexOf('@')
  return at >= 0 ? `@${shortDigest(row.reference.slice(at + 1))}` : row.reference
}

function groups(result: AuditResult): Array<{repository: string; rows: AuditRow[]}> {
  const byRepository = new Map<string, AuditRow[]>()
  for (const row of result.rows) byRepository.set(row.repository, [...(byRepository.get(row.repository) ?? []), row])
  return [...byRepository].map(([repository, rows]) => ({repository, rows}))
}

function rowState(row: AuditRow): 'pass' | 'fail' | 'unreadable' | 'not-audited' {
  if (row.status !== 'audited') return row.status
  return row.passed ? 'pass' : 'fail'
}

const STATE_TEXT = {pass: 'ok', fail: 'FAIL', unreadable: 'ERROR', 'not-audited': 'SKIPPED'} as const

function verdictText(result: AuditResult, verdict: AuditVerdict, style: Style): string {
  if (cellPasses(result, verdict)) return style.green(verdict)
  if (verdict === 'fallback' || verdict === 'ambiguous') return style.enabled ? style.yellow(verdict) : `! ${verdict}`
  return style.enabled ? style.red(verdict) : `✗ ${verdict}`
}

function stateText(state: ReturnType<typeof rowState>, style: Style): string {
  const text = STATE_TEXT[state]
  return state === 'pass' ? style.green(text) : style.red(text)
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** One line: images, hosts, failures, unreadable, requests, time, cache hits, rate-limit budget. */
export function renderAuditSummary(result: AuditResult): string {
  const s = result.summary
  const parts = [
    `${plural(s.images, 'image')} × ${plural(s.hosts, 'host')}${result.clients.length > 1 ? ` × ${result.clients.length} clients` : ''}`,
    `${s.failures} failing`,
    `${s.unreadable} unreadable`,
  ]
  if (s.notAudited > 0) parts.push(`${s.notAudited} not audited`)
  parts.push(`${plural(s.requests, 'request')} in ${seconds(s.durationMs)}`)
  parts.push(s.cache ? `cache ${s.cache.hits} hit${s.cache.hits === 1 ? '' : 's'}` : 'no cache')
  for (const [host, limit] of Object.entries(s.rateLimit)) {
    if (limit.remaining !== undefined)
      parts.push(`rate limit ${limit.remaining}${limit.limit !== undefined ? `/${limit.limit}` : ''} left at ${host}`)
  }
  return parts.join(', ')
}

function historyLines(result: AuditResult, repository: string): string[] {
  const several = result.clients.length > 1
  return result.history
    .filter((history) => history.repository === repository)
    .map((history) => {
      const variant = history.variant ? ` (-${history.variant})` : ''
      return `${history.host}${several ? ` (${history.client})` : ''}${variant}: ${history.text}`
    })
}

/**
 * The human report: per repository a table (one row per image, newest first; a state column
 * first, then the host columns with the most failures first), the history of its versions, then
 * what could not be read or was not audited, and the summary line.
 */
export async function renderAuditText(original: AuditResult, style: Style, fit: FitOptions = {}): Promise<string> {
  if (hasWorkloads(original)) return renderWorkloadsText(original, style, fit, (images) => renderAuditText(images, style, fit))
  // References, messages and errors come from registries and files: shown, never obeyed by the terminal.
  const result = sanitizeDeep(original)
  const columns = columnsOf(result)
  // The verdict columns stay; the digest goes first, then the image name wraps, when a terminal is narrow.
  const tableColumns: TableColumn[] = [
    {header: ''},
    {header: 'IMAGE', wrap: true},
    {header: 'DIGEST', digest: true, drop: 1},
    ...columns.map((column) => ({header: column.title, wrap: true})),
  ]
  const out: string[] = []
  for (const group of groups(result)) {
    out.push(style.bold(group.repository))
    const rows: string[][] = []
    for (const row of group.rows) {
      const state = rowState(row)
      const cells = columns.map((column) => {
        if (row.status === 'unreadable') return style.enabled ? style.red('error') : '✗ error'
        if (row.status === 'not-audited') return style.dim('-')
        const cell = cellOf(row, column.host, column.client)
        return cell ? verdictText(result, cell.verdict, style) : '-'
      })
      const failedChecks = (row.checks ?? []).filter((check) => check.status === 'fail').map((check) => check.id)
      const name = failedChecks.length > 0 ? `${rowName(row)} (${failedChecks.join(', ')})` : rowName(row)
      rows.push([stateText(state, style), name, row.digest ? shortDigest(row.digest) : '-', ...cells])
    }
    const table = await fitTable(tableColumns, rows, style, fit)
    out.push(table.text)
    if (table.dropped.length > 0)
      out.push(style.dim(`Not shown to fit ${fit.width} columns: ${table.dropped.join(', ')} (--no-trunc or --json shows everything).`))
    const history = historyLines(result, group.repository)
    if (history.length > 0) out.push(...history.map((line) => `  ${line}`))
    out.push('')
  }
  if (result.unreadable.length > 0) {
    out.push(style.bold('Could not be read:'), ...result.unreadable.map((entry) => `  ${entry.reference}: ${entry.error}`), '')
  }
  if (result.notAudited.length > 0) {
    const stop = result.rateLimited.map((limit) => `${limit.registry}: ${limit.message}`).join('; ')
    out.push(style.bold(`Not audited (${stop}):`), ...result.notAudited.map((reference) => `  ${reference}`), '')
  }
  out.push(renderAuditSummary(result))
  return `${out.join('\n')}\n`
}

function mdVerdict(result: AuditResult, verdict: AuditVerdict): string {
  if (cellPasses(result, verdict)) return `✅ ${verdict}`
  if (verdict === 'fallback' || verdict === 'ambiguous') return `⚠️ ${verdict}`
  return `❌ ${verdict}`
}

/** For an issue, a PR comment or the GitHub step summary. */
export function renderAuditMarkdown(original: AuditResult, title = 'archcheck audit'): string {
  if (hasWorkloads(original)) return renderWorkloadsMarkdown(original, title, (images) => renderAuditMarkdown(images, title))
  const result = sanitizeDeep(original)
  const columns = columnsOf(result)
  const out = [`## ${title}`, '', renderAuditSummary(result), '']
  for (const group of groups(result)) {
    out.push(`### \`${markdownCell(group.repository)}\``, '')
    out.push(
      `| Image | Digest | ${columns.map((column) => markdownCell(column.title)).join(' | ')} |`,
      `|---|---|${columns.map(() => '---|').join('')}`,
    )
    for (const row of group.rows) {
      const cells = columns.map((column) => {
        if (row.status === 'unreadable') return '❌ error'
        if (row.status === 'not-audited') return '➖ not audited'
        const cell = cellOf(row, column.host, column.client)
        return cell ? mdVerdict(result, cell.verdict) : '—'
      })
      out.push(`| \`${markdownCell(rowName(row))}\` | ${row.digest ? `\`${shortDigest(row.digest)}\`` : '—'} | ${cells.join(' | ')} |`)
    }
    out.push('')
    const history = historyLines(result, group.repository)
    if (history.length > 0) out.push(...history.map((line) => `- ${markdownCell(line)}`), '')
  }
  if (result.unreadable.length > 0)
    out.push(
      '**Could not be read:**',
      '',
      ...result.unreadable.map((entry) => `- \`${markdownCell(entry.reference)}\`: ${markdownCell(entry.error)}`),
      '',
    )
  if (result.notAudited.length > 0)
    out.push('**Not audited (rate limited):**', '', ...result.notAudited.map((reference) => `- \`${markdownCell(reference)}\``), '')
  return `${out.join('\n')}\n`
}

export const CSV_COLUMNS = [
  'repository',
  'reference',
  'tag',
  'version',
  'digest',
  'status',
  'host',
  'client',
  'verdict',
  'chosen',
  'message',
] as const

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

/**
 * One line per image × host × client (RFC 4180), a header first; an image that was not read has
 * one line per column with verdict `error` (or `not-audited`) and the reason as message.
 */
export function renderAuditCsv(original: AuditResult): string {
  // Spreadsheets and terminals show these fields: control characters made visible, line breaks kept (quoted).
  const result = sanitizeDeep(original, {lines: true})
  const lines = [CSV_COLUMNS.join(',')]
  for (const row of result.rows) {
    const base = [row.repository, row.reference, row.tag ?? '', row.version ?? '', row.digest ?? '', row.status]
    for (const client of result.clients) {
      for (const host of result.hosts) {
        const cell = cellOf(row, host.host, client)
        const verdict = cell?.verdict ?? (row.status === 'not-audited' ? 'not-audited' : 'error')
        lines.push([...base, host.host, client, verdict, cell?.chosen ?? '', cell?.message ?? row.error ?? ''].map(csvField).join(','))
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`
}

/** Appends the Markdown report to $GITHUB_STEP_SUMMARY when that is set. */
export async function writeAuditStepSummary(result: AuditResult, env: NodeJS.ProcessEnv): Promise<void> {
  await appendStepSummary(env, () => renderAuditMarkdown(result))
}

/**
 * A progress line on `stream` while images are audited (done/total, rate, ETA), only on a
 * terminal: redirected output and logs stay clean, and stdout is never touched.
 */
export function auditProgress(stream: NodeJS.WriteStream = process.stderr): {update(done: number, total: number): void; finish(): void} {
  if (!stream.isTTY) return {update: () => {}, finish: () => {}}
  const started = Date.now()
  let shown = false
  let last = 0
  return {
    update(done, total) {
      const now = Date.now()
      // At most ten updates a second: a terminal redrawn per image slows a fast warm audit.
      if (done < total && now - last < 100) return
      last = now
      const elapsed = (now - started) / 1000
      const rate = elapsed > 0 ? done / elapsed : 0
      const eta = rate > 0 && done < total ? `, ETA ${Math.ceil((total - done) / rate)} s` : ''
      stream.write(`\r\u001B[Kaudit: ${done}/${total} images (${rate.toFixed(1)}/s${eta})`)
      shown = true
    },
    finish() {
      if (shown) stream.write('\r\u001B[K')
      shown = false
    },
  }
}
