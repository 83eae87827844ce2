import {unreadableLine, isFailure, type CheckOutcome, type CheckStatus, type ReferenceResult, type VerifyResult} from '../api/verify.js'
import {styleFor, type Style} from './style.js'
import {tableMaker} from './table.js'
import {sanitizeDeep} from '../oci/sanitize.js'

/** Column of the results about the whole tag rather than one platform. */
const TAG_COLUMN = 'tag'

const CELL: Record<CheckStatus, (style: Style) => string> = {
  pass: (style) => style.green('pass'),
  fail: (style) => style.red('FAIL'),
  warn: (style) => style.yellow('warn'),
  skip: (style) => style.dim('-'),
}

/** No colour: what tests and pipes get. */
const PLAIN = styleFor({isTTY: false})
const WORST: CheckStatus[] = ['fail', 'warn', 'pass', 'skip']

function worst(statuses: CheckStatus[]): CheckStatus {
  return WORST.find((status) => statuses.includes(status)) ?? 'skip'
}

/** Rows: checks in report order; columns: platforms in order of appearance, then the tag. */
async function checkTable(report: ReferenceResult, strict: boolean, style: Style): Promise<string> {
  const ids = [...new Set(report.checks.map((check) => check.id))]
  const platforms = [...new Set(report.checks.map((check) => check.platform).filter((platform) => platform !== null))]
  const columns = report.checks.some((check) => check.platform === null) ? [...platforms, TAG_COLUMN] : platforms
  const table = (await tableMaker(style))(['check', ...columns])
  for (const id of ids) {
    const row = columns.map((column) => {
      const statuses = report.checks
        .filter((check) => check.id === id && (check.platform ?? TAG_COLUMN) === column)
        .map((check) => check.status)
      if (statuses.length === 0) return ''
      const status = worst(statuses)
      return status === 'warn' && strict ? style.red('FAIL (warn)') : CELL[status](style)
    })
    table.push([id, ...row])
  }
  return table.toString()
}

function problemLine(check: CheckOutcome, strict: boolean, style: Style): string {
  const mark = isFailure(check, strict) ? style.red('FAIL') : style.yellow('warn')
  return `  ${mark} ${check.id}${check.platform ? ` (${check.platform})` : ''}: ${check.message}`
}

function verdictLine(report: ReferenceResult, strict: boolean, style: Style): string {
  const failed = report.checks.filter((check) => isFailure(check, strict))
  const warned = report.checks.filter((check) => check.status === 'warn' && !isFailure(check, strict))
  const warnings = warned.length > 0 ? `, ${warned.length} warning${warned.length === 1 ? '' : 's'}` : ''
  if (report.verdict === 'pass') return style.bold(`${style.green('PASS')} ${report.reference}: every check passed${warnings}`)
  const ids = [...new Set(failed.map((check) => check.id))].join(', ')
  return style.bold(`${style.red('FAIL')} ${report.reference}: ${failed.length} failed (${ids})${warnings}`)
}

/** Human output for one reference: its table, one sentence per failure or warning, and the verdict. */
export async function renderVerifyText(original: ReferenceResult, strict: boolean, style: Style = PLAIN): Promise<string> {
  // Check messages quote the image (annotations, platforms, file names): shown, never obeyed by the terminal.
  const report = sanitizeDeep(original)
  if (report.verdict === 'error')
    return `${style.bold(report.reference)}\n${style.bold(`${style.red('ERROR')} ${unreadableLine(report)}`)}\n`
  const header = report.digest ? `${style.bold(report.reference)}  ${style.dim(report.digest)}` : style.bold(report.reference)
  const problems = report.checks
    .filter((check) => check.status === 'fail' || check.status === 'warn')
    .map((check) => problemLine(check, strict, style))
  return [header, await checkTable(report, strict, style), ...problems, verdictLine(report, strict, style), ''].join('\n')
}

/** The last line after several references: how many passed, failed and could not be read. */
export function renderVerifySummary(result: VerifyResult, style: Style = PLAIN): string {
  const reports = result.references
  const count = (verdict: ReferenceResult['verdict']): number => reports.filter((report) => report.verdict === verdict).length
  const parts = [
    `${count('pass')} passed`,
    count('fail') > 0 ? `${count('fail')} failed` : '',
    count('error') > 0 ? `${count('error')} could not be read` : '',
  ].filter(Boolean)
  const mark = count('error') > 0 ? style.red('ERROR') : count('fail') > 0 ? style.red('FAIL') : style.green('PASS')
  return `${style.bold(`${mark} ${reports.length} references: ${parts.join(', ')}`)}\n`
}
