import type {AuditCell, AuditResult, AuditRow, AuditVerdict} from '../api/audit.js'
import {shortDigest} from '../oci/digest.js'
import {sanitizeDeep, sanitizeText} from '../oci/sanitize.js'
import {appendStepSummary, markdownCell, markdownCode} from './markdown.js'
import type {Style} from './style.js'
import {fitTable, type Column as TableColumn, type FitOptions} from './fit.js'
import {hasWorkloads, renderWorkloadsMarkdown, renderWorkloadsText} from './workloads.js'
import {plural} from '../oci/words.js'

export const AUDIT_FORMATS = ['text', 'markdown', 'csv'] as const
export type AuditFormat = (typeof AUDIT_FORMATS)[number]

/** One column of the matrix: a host, or host × client with several clients. */
interface Column {
  host: string
  client: AuditCell['client']
  title: string
}

const PASSING = new Set<AuditVerdict>(['ok'])

function cellPasses(result: AuditResult, verdict: AuditVerdict): boolean {
  return PASSING.has(verdict) || (result.allowFallback && verdict === 'fallback')
}

/** The columns in the order the hosts were given: a host keeps its place from run to run. */
function columnsOf(result: AuditResult): Column[] {
  const several = result.clients.length > 1
  const columns: Column[] = []
  for (const client of result.clients) {
    for (const host of result.hosts) columns.push({host: host.host, client, title: several ? `${host.label} ${client}` : host.label})
  }
  return columns
}

function cellOf(row: AuditRow, host: string, client: AuditCell['client']): AuditCell | undefined {
  return row.cells.find((cell) => cell.host === host && cell.client === client)
}

/** A row's name within its repository: the tag (with its aliases, or why it stands alone), the digest, or the local spec. */
function rowName(row: AuditRow): string {
  if (row.tag && row.note) return `${row.tag} → ${row.note}`
  if (row.tag) return row.aliases.length > 0 ? `${row.tag} (also ${row.aliases.join(', ')})` : row.tag
  const at = row.reference.lastIndexOf('@')
  return at >= 0 ? `@${shortDigest(row.reference.slice(at + 1))}` : row.reference
}

function groups(result: AuditResult): Array<{repository: string; rows: AuditRow[]}> {
  const byRepository = new Map<string, AuditRow[]>()
  for (const row of result.rows) {
    const rows = byRepository.get(row.repository)
    if (rows) rows.push(row)
    else byRepository.set(row.repository, [row])
  }
  return [...byRepository].map(([repository, rows]) => ({repository, rows}))
}

function rowState(row: AuditRow): 'pass' | 'fail' | 'unreadable' | 'not-audited' {
  if (row.status !== 'audited') return row.status
  return row.passed ? 'pass' : 'fail'
}

const STATE_TEXT = {pass: 'ok', fail: 'FAIL', unreadable: 'ERROR', 'not-audited': 'SKIPPED'} as const

/** `check-failed (entrypoint-arch)`: the verdict, with the checks of this host that failed. */
function cellText(cell: AuditCell): string {
  return cell.failedChecks.length > 0 ? `${cell.verdict} (${cell.failedChecks.join(', ')})` : cell.verdict
}

function verdictText(result: AuditResult, cell: AuditCell, style: Style): string {
  const verdict = cellText(cell)
  if (cellPasses(result, cell.verdict)) return style.green(verdict)
  if (cell.verdict === 'fallback' || cell.verdict === 'ambiguous') return style.enabled ? style.yellow(verdict) : `! ${verdict}`
  return style.enabled ? style.red(verdict) : `✗ ${verdict}`
}

function stateText(state: ReturnType<typeof rowState>, style: Style): string {
  const text = STATE_TEXT[state]
  return state === 'pass' ? style.green(text) : style.red(text)
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}

/** Why images were not audited: the rate limits that stopped the run, an interruption. */
function notAuditedReason(result: AuditResult): string {
  const reasons = result.rateLimited.map((limit) => `${limit.registry}: ${limit.message}`)
  if (result.interrupted) reasons.push('interrupted')
  return reasons.join('; ')
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
      parts.push(`rate limit ${limit.remaining}${limit.limit !== undefined ? `/${limit.limit}` : ''} left at ${sanitizeText(host)}`)
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

/** `P S ✓`: provenance, SBOM, signed (`-` and `✗` when absent); `unreadable` when some could not be read. */
function supplyText(row: AuditRow): string {
  if (row.status !== 'audited' || row.supplyChain === null) return '-'
  const {provenance, sbom, signed, error} = row.supplyChain
  if (error !== null) return 'unreadable'
  return `${provenance ? 'P' : '-'} ${sbom ? 'S' : '-'} ${signed ? '✓' : '✗'}`
}

function supplyChainLines(result: AuditResult, repository: string): string[] {
  return result.supplyChainHistory
    .filter((history) => history.repository === repository)
    .map((history) => `supply chain${history.variant ? ` (-${history.variant})` : ''}: ${history.text}`)
}

/** A table's cells per image: one row, or with clients as rows one row per client (the image named on the first). */
type RowsOf = (row: AuditRow) => string[][]

/**
 * The human report: per repository a table (one row per image, newest first; a state column
 * first, then a column per host in the order given), the history of its versions, then
 * what could not be read or was not audited, and the summary line. With several clients the
 * columns are host × client; when those do not fit the width, each image has a row per client
 * under one column per host instead (as resolve's matrix turns), so no verdict is cut.
 */
export async function renderAuditText(original: AuditResult, style: Style, fit: FitOptions = {}): Promise<string> {
  if (hasWorkloads(original)) return renderWorkloadsText(original, style, fit, (images) => renderAuditText(images, style, fit))
  // References, messages and errors come from registries and files: shown, never obeyed by the terminal.
  // Rows are sanitised field by field as drawn: a copy of every cell of 50,000 rows would cost more than the drawing.
  const result: AuditResult = {...sanitizeDeep({...original, rows: [], history: []}), rows: original.rows, history: original.history}
  const nameOf = (row: AuditRow): string => {
    const failedChecks = (row.checks ?? []).filter((check) => check.status === 'fail').map((check) => check.id)
    return sanitizeText(failedChecks.length > 0 ? `${rowName(row)} (${failedChecks.join(', ')})` : rowName(row))
  }
  const digestOf = (row: AuditRow): string => (row.digest ? sanitizeText(shortDigest(row.digest)) : '-')
  const cellAt = (row: AuditRow, host: string, client: AuditCell['client']): string => {
    if (row.status === 'unreadable') return style.enabled ? style.red('error') : '✗ error'
    if (row.status === 'not-audited') return style.dim('-')
    const cell = cellOf(row, host, client)
    return cell ? verdictText(result, cell, style) : '-'
  }

  // Host × client columns: one row per image. When a terminal is narrow the verdict columns stay:
  // the digest goes first, then the state (the verdicts say it too), then the image name wraps.
  const columns = columnsOf(result)
  // With --supply-chain only: every row then has its presence (or `-` when it was not read).
  const supply = original.rows.some((row) => row.supplyChain !== null)
  const supplyColumn: TableColumn[] = supply ? [{header: 'SUPPLY'}] : []
  const supplyOf = (row: AuditRow): string[] => (supply ? [supplyText(row)] : [])
  const byColumn: TableColumn[] = [
    {header: 'STATE', drop: 1},
    {header: 'IMAGE', wrap: true},
    {header: 'DIGEST', digest: true, drop: 2},
    ...supplyColumn,
    ...columns.map((column) => ({header: column.title, wrap: 'words' as const})),
  ]
  const byColumnRows: RowsOf = (row) => [
    [
      stateText(rowState(row), style),
      nameOf(row),
      digestOf(row),
      ...supplyOf(row),
      ...columns.map((column) => cellAt(row, column.host, column.client)),
    ],
  ]
  let layout: {columns: TableColumn[]; rowsOf: RowsOf} = {columns: byColumn, rowsOf: byColumnRows}
  if (result.clients.length > 1 && fit.width !== undefined && !fit.noTrunc) {
    // Decided once for the whole report, on all its rows: every table reads the same way.
    const trial = await fitTable(byColumn, original.rows.flatMap(byColumnRows), style, fit)
    if (!trial.fits || trial.wrapped || trial.dropped.length > 0) {
      const hosts = result.hosts
      layout = {
        columns: [
          {header: 'STATE', drop: 1},
          {header: 'IMAGE', wrap: true},
          {header: 'CLIENT', wrap: true},
          {header: 'DIGEST', digest: true, drop: 2},
          ...supplyColumn,
          ...hosts.map((host) => ({header: host.label, wrap: 'words' as const})),
        ],
        rowsOf: (row) =>
          result.clients.map((client, i) => [
            i === 0 ? stateText(rowState(row), style) : '',
            i === 0 ? nameOf(row) : '',
            client,
            i === 0 ? digestOf(row) : '',
            ...(i === 0 ? supplyOf(row) : supply ? [''] : []),
            ...hosts.map((host) => cellAt(row, host.host, client)),
          ]),
      }
    }
  }

  const out: string[] = []
  const dropped = new Set<string>()
  for (const group of groups(result)) {
    out.push(style.bold(sanitizeText(group.repository)))
    const table = await fitTable(layout.columns, group.rows.flatMap(layout.rowsOf), style, fit)
    out.push(table.text)
    for (const header of table.dropped) dropped.add(header)
    const history = [...historyLines(result, group.repository), ...supplyChainLines(result, group.repository)]
    for (const line of history) out.push(`  ${sanitizeText(line)}`)
    out.push('')
  }
  // Once for the report, not under every table.
  if (dropped.size > 0)
    out.push(style.dim(`Not shown to fit ${fit.width} columns: ${[...dropped].join(', ')} (--no-trunc or --json shows everything).`), '')
  if (result.unreadable.length > 0) {
    out.push(style.bold('Could not be read:'), ...result.unreadable.map((entry) => `  ${entry.reference}: ${entry.error}`), '')
  }
  if (result.notAudited.length > 0) {
    out.push(style.bold(`Not audited (${notAuditedReason(result)}):`), ...result.notAudited.map((reference) => `  ${reference}`), '')
  }
  out.push(renderAuditSummary(result))
  return `${out.join('\n')}\n`
}

function mdVerdict(result: AuditResult, cell: AuditCell): string {
  const verdict = markdownCell(cellText(cell))
  if (cellPasses(result, cell.verdict)) return `✅ ${verdict}`
  if (cell.verdict === 'fallback' || cell.verdict === 'ambiguous') return `⚠️ ${verdict}`
  return `❌ ${verdict}`
}

/** For an issue, a PR comment or the GitHub step summary. */
export function renderAuditMarkdown(result: AuditResult, title = 'archcheck audit'): string {
  if (hasWorkloads(result)) return renderWorkloadsMarkdown(result, title, (images) => renderAuditMarkdown(images, title))
  // Every foreign text goes through markdownCell or markdownCode, which make it inert.
  const columns = columnsOf(result)
  const supply = result.rows.some((row) => row.supplyChain !== null)
  const out = [`## ${title}`, '', markdownCell(renderAuditSummary(result)), '']
  for (const group of groups(result)) {
    out.push(`### ${markdownCode(group.repository)}`, '')
    out.push(
      `| Image | Digest |${supply ? ' Supply |' : ''} ${columns.map((column) => markdownCell(column.title)).join(' | ')} |`,
      `|---|---|${supply ? '---|' : ''}${columns.map(() => '---|').join('')}`,
    )
    for (const row of group.rows) {
      const cells = columns.map((column) => {
        if (row.status === 'unreadable') return '❌ error'
        if (row.status === 'not-audited') return '➖ not audited'
        const cell = cellOf(row, column.host, column.client)
        return cell ? mdVerdict(result, cell) : '—'
      })
      out.push(
        `| ${markdownCode(rowName(row), true)} | ${row.digest ? markdownCode(shortDigest(row.digest), true) : '—'} |${supply ? ` ${supplyText(row)} |` : ''} ${cells.join(' | ')} |`,
      )
    }
    out.push('')
    const history = [...historyLines(result, group.repository), ...supplyChainLines(result, group.repository)]
    for (const line of history) out.push(`- ${markdownCell(line)}`)
    if (history.length > 0) out.push('')
  }
  if (result.unreadable.length > 0)
    out.push(
      '**Could not be read:**',
      '',
      ...result.unreadable.map((entry) => `- ${markdownCode(entry.reference)}: ${markdownCell(entry.error)}`),
      '',
    )
  if (result.notAudited.length > 0)
    out.push(
      `**Not audited (${markdownCell(notAuditedReason(result))}):**`,
      '',
      ...result.notAudited.map((reference) => `- ${markdownCode(reference)}`),
      '',
    )
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

/**
 * An RFC 4180 field. A spreadsheet runs a field that starts with `=`, `+`, `-` or `@` as a
 * formula (a leading tab may hide such a start): foreign text there gets a leading `'`, which
 * spreadsheets show as text, as OWASP advises for CSV exports.
 */
function csvField(value: string): string {
  // Spreadsheets, terminals and CI logs show these fields: control characters and line breaks made
  // visible, so that no registry text starts a line of its own in a log (`::error::…`).
  const safe = sanitizeText(value)
  const inert = /^[=+\-@\t]/.test(safe) ? `'${safe}` : safe
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert
}

/**
 * One line per image × host × client (RFC 4180), a header first; an image that was not read has
 * one line per column with verdict `error` (or `not-audited`) and the reason as message.
 */
export function renderAuditCsv(result: AuditResult): string {
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
