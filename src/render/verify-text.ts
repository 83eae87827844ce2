import {unreadableLine, isFailure, type CheckOutcome, type CheckStatus, type ReferenceResult, type VerifyResult} from '../api/verify.js'
import {styleFor, type Style} from './style.js'
import {fitTable, type FitOptions} from './fit.js'
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

/** The ids whose every result passed or was skipped: folded into one line rather than a row each. */
function passedIds(report: ReferenceResult): {passed: string[]; skipped: string[]} {
  const ids = [...new Set(report.checks.map((check) => check.id))]
  const statuses = (id: string): CheckStatus[] => report.checks.filter((check) => check.id === id).map((check) => check.status)
  const quiet = ids.filter((id) => statuses(id).every((status) => status === 'pass' || status === 'skip'))
  return {passed: quiet.filter((id) => statuses(id).includes('pass')), skipped: quiet.filter((id) => !statuses(id).includes('pass'))}
}

/** Rows: the checks that failed or warned, failures first; columns: platforms in order of appearance, then the tag. */
async function checkTable(report: ReferenceResult, strict: boolean, style: Style, fit: FitOptions): Promise<string | undefined> {
  const folded = passedIds(report)
  const rank = (id: string): number => (report.checks.some((check) => check.id === id && isFailure(check, strict)) ? 0 : 1)
  const ids = [...new Set(report.checks.map((check) => check.id))]
    .filter((id) => !folded.passed.includes(id) && !folded.skipped.includes(id))
    .sort((a, b) => rank(a) - rank(b))
  if (ids.length === 0) return undefined
  const platforms = [...new Set(report.checks.map((check) => check.platform).filter((platform) => platform !== null))]
  const columns = report.checks.some((check) => check.platform === null) ? [...platforms, TAG_COLUMN] : platforms
  const rows = ids.map((id) => [
    id,
    ...columns.map((column) => {
      const statuses = report.checks
        .filter((check) => check.id === id && (check.platform ?? TAG_COLUMN) === column)
        .map((check) => check.status)
      if (statuses.length === 0) return ''
      const status = worst(statuses)
      return status === 'warn' && strict ? style.red('FAIL (warn)') : CELL[status](style)
    }),
  ])
  return (await fitTable([{header: 'check'}, ...columns.map((column) => ({header: column, wrap: true}))], rows, style, fit)).text
}

function problemLine(check: CheckOutcome, strict: boolean, style: Style): string {
  const mark = isFailure(check, strict) ? style.red('FAIL') : style.yellow('warn')
  return `  ${mark} ${check.id}${check.platform ? ` (${check.platform})` : ''}: ${check.message}`
}

/** One line for every check that only passed (or was not run), however many platforms. */
function passLine(report: ReferenceResult, style: Style): string | undefined {
  const {passed, skipped} = passedIds(report)
  const parts = [
    passed.length ? `${passed.length} passed (${passed.join(', ')})` : '',
    skipped.length ? `not run: ${skipped.join(', ')}` : '',
  ].filter(Boolean)
  return parts.length ? style.dim(`  ${parts.join('; ')}`) : undefined
}

function verdictLine(report: ReferenceResult, strict: boolean, style: Style): string {
  const failed = report.checks.filter((check) => isFailure(check, strict))
  const warned = report.checks.filter((check) => check.status === 'warn' && !isFailure(check, strict))
  const warnings = warned.length > 0 ? `, ${warned.length} warning${warned.length === 1 ? '' : 's'}` : ''
  if (report.verdict === 'pass') return style.bold(`${style.green('PASS')} ${report.reference}: every check passed${warnings}`)
  const ids = [...new Set(failed.map((check) => check.id))].join(', ')
  return style.bold(`${style.red('FAIL')} ${report.reference}: ${failed.length} failed (${ids})${warnings}`)
}

export interface VerifyTextOptions extends FitOptions {
  /** --quiet: only what failed (and unreadable references); nothing for a reference that passed. */
  quiet?: boolean
}

/**
 * Human output for one reference: failures first (then warnings), a table of the checks that did
 * not simply pass, one line folding the passes, and the verdict.
 */
export async function renderVerifyText(
  original: ReferenceResult,
  strict: boolean,
  style: Style = PLAIN,
  options: VerifyTextOptions = {},
): Promise<string> {
  // Check messages quote the image (annotations, platforms, file names): shown, never obeyed by the terminal.
  const report = sanitizeDeep(original)
  if (report.verdict === 'error')
    return `${style.bold(report.reference)}\n${style.bold(`${style.red('ERROR')} ${unreadableLine(report)}`)}\n`
  const failures = report.checks.filter((check) => isFailure(check, strict))
  if (options.quiet) {
    if (failures.length === 0) return ''
    return [
      ...failures.map(
        (check) => `${style.red('FAIL')} ${report.reference}: ${check.id}${check.platform ? ` (${check.platform})` : ''}: ${check.message}`,
      ),
      '',
    ].join('\n')
  }
  const header = report.digest ? `${style.bold(report.reference)}  ${style.dim(report.digest)}` : style.bold(report.reference)
  const warnings = report.checks.filter((check) => check.status === 'warn' && !isFailure(check, strict))
  const problems = [...failures, ...warnings].map((check) => problemLine(check, strict, style))
  const table = await checkTable(report, strict, style, options)
  const lines = [header, ...problems, ...(table ? [table] : []), passLine(report, style), verdictLine(report, strict, style), '']
  return lines.filter((line) => line !== undefined).join('\n')
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
