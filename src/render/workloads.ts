/**
 * The workload view of an audit: one row per workload container, one column per node group, a
 * reason under the table for each row that fails or fits no node.
 */
import {isWorkloadOrigin, type AuditResult, type WorkloadCell, type WorkloadEntry} from '../api/audit.js'
import {FOREIGN_TEXT_MAX, sanitizeDeep, sanitizeText} from '../oci/sanitize.js'
import {fitTable, type Column as TableColumn, type FitOptions} from './fit.js'
import {escapeCommandData, escapeCommandProperty} from './github.js'
import {markdownCell} from './markdown.js'
import type {Style} from './style.js'
import {plural} from '../oci/words.js'

export function hasWorkloads(result: AuditResult): boolean {
  return result.workloads.length > 0
}

/** `shop/Deployment/web`: the namespace only when the object names one. */
export function workloadName(entry: WorkloadEntry): string {
  return `${entry.namespace ? `${entry.namespace}/` : ''}${entry.kind}/${entry.name}`
}

/** The container, init and ephemeral ones marked. */
export function containerName(entry: WorkloadEntry): string {
  return entry.role === 'container' ? entry.container : `${entry.container} (${entry.role})`
}

/** A DaemonSet that fits no node passes (it places no pod): `ok`, its cells `—`, its reason below. */
function state(entry: WorkloadEntry): 'ok' | 'FAIL' | 'NO NODE' {
  return entry.passed ? 'ok' : entry.unschedulable ? 'NO NODE' : 'FAIL'
}

/** A schedulable cell whose pull fails there (fallback passes with allowFallback). */
export function failsIn(result: AuditResult, cell: WorkloadCell): boolean {
  if (!cell.schedulable) return false
  return !(cell.verdict === 'ok' || (result.allowFallback && cell.verdict === 'fallback'))
}

/** Failing rows first (then unschedulable), in file order within. */
function ordered(result: AuditResult): WorkloadEntry[] {
  const rank = (entry: WorkloadEntry) => (entry.passed ? 2 : entry.unschedulable ? 1 : 0)
  return result.workloads
    .map((entry, i) => ({entry, i}))
    .sort((a, b) => rank(a.entry) - rank(b.entry) || a.i - b.i)
    .map(({entry}) => entry)
}

/** `4 workloads × 3 node groups, 1 failing, 1 unschedulable, 3 images read, 9 requests in 0.4 s`. */
export function workloadSummary(result: AuditResult): string {
  const s = result.summary
  const counts = s.workloads ?? {total: result.workloads.length, failing: 0, unschedulable: 0}
  const seconds = s.durationMs < 10_000 ? (s.durationMs / 1000).toFixed(1) : String(Math.round(s.durationMs / 1000))
  return [
    `${plural(counts.total, 'workload')} × ${plural(result.nodeGroups.length, 'node group')}`,
    `${counts.failing} failing`,
    `${counts.unschedulable} unschedulable`,
    `${plural(s.images, 'image')} read (${s.unreadable} unreadable)`,
    `${plural(s.requests, 'request')} in ${seconds} s`,
  ].join(', ')
}

/** The images named on their own (command line, plain lists) next to workload files: the image matrix shows them. */
export function imagesAlone(result: AuditResult): AuditResult | undefined {
  const rows = result.rows.filter((row) => !row.origins.some(isWorkloadOrigin))
  if (rows.length === 0) return undefined
  const references = new Set(rows.map((row) => row.reference))
  return {
    ...result,
    rows,
    workloads: [],
    history: result.history.filter((history) => rows.some((row) => row.repository === history.repository)),
    unreadable: result.unreadable.filter((entry) => references.has(entry.reference)),
    summary: {...result.summary, images: rows.length, failures: rows.filter((row) => row.status === 'audited' && !row.passed).length},
  }
}

/**
 * Names, messages and pod status come from files and registries: shown, never obeyed. A reason
 * joins one line per node group it fails on, so its cut is per group, not that of one foreign text.
 */
function inert(original: AuditResult): AuditResult {
  const result = sanitizeDeep(original)
  const workloads = original.workloads.map((entry, i) => ({
    ...result.workloads[i],
    reason: entry.reason === null ? null : sanitizeText(entry.reason, {max: FOREIGN_TEXT_MAX * Math.max(1, entry.cells.length)}),
  }))
  return {...result, workloads}
}

function cellText(result: AuditResult, cell: WorkloadCell | undefined, style: Style): string {
  if (!cell || !cell.schedulable) return style.dim('—')
  if (cell.emulated) return style.yellow('emulated')
  if (!failsIn(result, cell)) return style.green(cell.verdict)
  return style.enabled ? style.red(cell.verdict) : `✗ ${cell.verdict}`
}

/** The text report of the workload view: the table, the reasons, what could not be read, the summary line. */
export async function renderWorkloadsText(
  original: AuditResult,
  style: Style,
  fit: FitOptions,
  renderImages: (images: AuditResult) => Promise<string>,
): Promise<string> {
  const result = inert(original)
  const entries = ordered(result)
  // To fit a terminal the state goes first (the cells say it too); verdicts never break inside a word.
  const columns: TableColumn[] = [
    {header: 'STATE', drop: 1},
    {header: 'WORKLOAD', wrap: true},
    {header: 'CONTAINER', wrap: true},
    ...result.nodeGroups.map((group) => ({header: group.label, wrap: 'words' as const})),
  ]
  const rows = entries.map((entry) => {
    const mark = state(entry)
    return [
      mark === 'ok' ? style.green(mark) : style.red(mark),
      workloadName(entry),
      containerName(entry),
      ...result.nodeGroups.map((group) =>
        cellText(
          result,
          entry.cells.find((cell) => cell.group === group.label),
          style,
        ),
      ),
    ]
  })
  const out: string[] = []
  const table = await fitTable(columns, rows, style, fit)
  out.push(table.text)
  if (table.dropped.length > 0)
    out.push(style.dim(`Not shown to fit ${fit.width} columns: ${table.dropped.join(', ')} (--no-trunc or --json shows everything).`))
  const reasons = entries.filter((entry) => entry.reason !== null)
  if (reasons.length > 0) {
    out.push('')
    for (const entry of reasons) {
      out.push(
        `${style.bold(`${workloadName(entry)} ${containerName(entry)}`)} (${entry.origin.file}:${entry.origin.line}, ${entry.image})`,
      )
      out.push(`  ${entry.reason}`)
    }
  }
  if (result.unreadable.length > 0) {
    out.push('', style.bold('Could not be read:'), ...result.unreadable.map((entry) => `  ${entry.reference}: ${entry.error}`))
  }
  const images = imagesAlone(original)
  if (images) out.push('', (await renderImages(images)).trimEnd())
  out.push('', workloadSummary(result))
  return `${out.join('\n')}\n`
}

function mdCell(result: AuditResult, cell: WorkloadCell | undefined): string {
  if (!cell || !cell.schedulable) return '—'
  if (cell.emulated) return '⚠️ emulated'
  return failsIn(result, cell) ? `❌ ${cell.verdict}` : `✅ ${cell.verdict}`
}

/** The workload view as Markdown (for a PR comment or the step summary). */
export function renderWorkloadsMarkdown(original: AuditResult, title: string, renderImages: (images: AuditResult) => string): string {
  const result = inert(original)
  const entries = ordered(result)
  const out = [`## ${title}`, '', workloadSummary(result), '']
  out.push(
    `| | Workload | Container | ${result.nodeGroups.map((group) => markdownCell(group.label)).join(' | ')} |`,
    `|---|---|---|${result.nodeGroups.map(() => '---|').join('')}`,
  )
  for (const entry of entries) {
    const mark = entry.unschedulable ? (entry.passed ? '➖' : '⛔') : entry.passed ? '✅' : '❌'
    const cells = result.nodeGroups.map((group) =>
      mdCell(
        result,
        entry.cells.find((cell) => cell.group === group.label),
      ),
    )
    out.push(`| ${mark} | \`${markdownCell(workloadName(entry))}\` | ${markdownCell(containerName(entry))} | ${cells.join(' | ')} |`)
  }
  out.push('')
  const reasons = entries.filter((entry) => entry.reason !== null)
  if (reasons.length > 0) {
    for (const entry of reasons) {
      out.push(`- \`${markdownCell(workloadName(entry))}\` ${markdownCell(containerName(entry))}: ${markdownCell(entry.reason ?? '')}`)
    }
    out.push('')
  }
  if (result.unreadable.length > 0)
    out.push(
      '**Could not be read:**',
      '',
      ...result.unreadable.map((entry) => `- \`${markdownCell(entry.reference)}\`: ${markdownCell(entry.error)}`),
      '',
    )
  const images = imagesAlone(original)
  if (images) out.push(renderImages(images).replace(/^## .*\n/, ''))
  return `${out.join('\n')}\n`
}

/** One `::error file=…,line=…::` per failing or unschedulable workload container, for the Actions log. */
export function renderWorkloadAnnotations(original: AuditResult): string {
  const result = sanitizeDeep(original, {lines: true})
  return result.workloads
    .filter((entry) => !entry.passed)
    .map((entry) => {
      const title = `archcheck audit: ${workloadName(entry)} ${containerName(entry)}`
      const properties = `file=${escapeCommandProperty(entry.origin.file)},line=${entry.origin.line},title=${escapeCommandProperty(title)}`
      return `::error ${properties}::${escapeCommandData(`${entry.image}: ${entry.reason ?? 'fails'}`)}\n`
    })
    .join('')
}
