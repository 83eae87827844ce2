import {isFailure, unreadableLine, type CheckOutcome, type VerifyResult} from '../api/verify.js'
import {sanitizeDeep} from '../oci/sanitize.js'
import {appendStepSummary, markdownCell as cell, markdownCode} from './markdown.js'
import {verifyVerdictLine} from './verdict.js'

/** Workflow-command data (after `::`): %, CR and LF must be escaped. */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** Workflow-command property values: additionally `:` and `,`, which delimit properties. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

function annotation(level: 'error' | 'warning', title: string, message: string): string {
  return `::${level} title=${escapeCommandProperty(title)}::${escapeCommandData(message)}`
}

/** `::error` for every failure (and for warnings under --strict), `::warning` for other warnings, one per line. */
export function renderGithubAnnotations(original: VerifyResult): string {
  // Image and registry text is shown in the log and the annotations, never obeyed (CR and LF are %-escaped below).
  const result = sanitizeDeep(original, {lines: true})
  const lines: string[] = []
  for (const report of result.references) {
    if (report.verdict === 'error') {
      lines.push(annotation('error', `archcheck verify: ${report.reference}`, unreadableLine(report)))
      continue
    }
    for (const check of report.checks) {
      const level = isFailure(check, result.strict) ? 'error' : check.status === 'warn' ? 'warning' : undefined
      if (!level) continue
      const title = `archcheck ${check.id}${check.platform ? ` (${check.platform})` : ''}`
      lines.push(annotation(level, title, `${report.reference}: ${check.message}`))
    }
  }
  return lines.map((line) => `${line}\n`).join('')
}

const STATUS_MARK = {pass: '✅ pass', fail: '❌ fail', warn: '⚠️ warn', skip: '➖ skip'} as const

function statusCell(check: CheckOutcome, strict: boolean): string {
  return isFailure(check, strict) && check.status === 'warn' ? '❌ warn (strict)' : STATUS_MARK[check.status]
}

const VERDICT_ORDER = {error: 0, fail: 1, pass: 2} as const

/**
 * The step summary: references that failed first; per reference a heading with its verdict, a
 * table of the checks that failed or warned (failures first), and the passes folded into one line.
 * It opens with the verdict in one line, what a reader scanning a run's summaries looks for.
 */
export function renderGithubSummary(original: VerifyResult): string {
  const result = sanitizeDeep(original, {lines: true})
  const parts = [cell(verifyVerdictLine(original)), '', '## archcheck verify', '']
  const reports = [...result.references].sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict])
  for (const report of reports) {
    const verdict = report.verdict === 'pass' ? '✅ passed' : report.verdict === 'fail' ? '❌ failed' : '❌ could not be read'
    parts.push(`### ${markdownCode(report.reference)} ${verdict}`, '')
    if (report.digest) parts.push(`Digest: ${markdownCode(report.digest)}`, '')
    if (report.verdict === 'error') {
      parts.push(cell(report.error ?? ''), '')
      continue
    }
    const failing = report.checks.filter((check) => isFailure(check, result.strict))
    const warned = report.checks.filter((check) => check.status === 'warn' && !isFailure(check, result.strict))
    if (failing.length + warned.length > 0) {
      parts.push('| Check | Platform | Status | Details |', '|---|---|---|---|')
      for (const check of [...failing, ...warned]) {
        parts.push(`| \`${check.id}\` | ${cell(check.platform ?? '—')} | ${statusCell(check, result.strict)} | ${cell(check.message)} |`)
      }
      parts.push('')
    }
    const passed = [...new Set(report.checks.filter((check) => check.status === 'pass').map((check) => check.id))].filter(
      (id) => !report.checks.some((check) => check.id === id && check.status !== 'pass' && check.status !== 'skip'),
    )
    const skipped = [...new Set(report.checks.filter((check) => check.status === 'skip').map((check) => check.id))].filter(
      (id) => !report.checks.some((check) => check.id === id && check.status !== 'skip'),
    )
    const folded = [
      passed.length ? `✅ ${passed.length} passed: ${passed.map((id) => `\`${id}\``).join(', ')}` : '',
      skipped.length ? `➖ not run: ${skipped.map((id) => `\`${id}\``).join(', ')}` : '',
    ]
    if (folded.some(Boolean)) parts.push(folded.filter(Boolean).join(' · '), '')
  }
  return `${parts.join('\n')}\n`
}

/** Writes the annotations to `out` and appends the summary to $GITHUB_STEP_SUMMARY when that is set. */
export async function reportToGithub(result: VerifyResult, env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<void> {
  out(renderGithubAnnotations(result))
  await appendStepSummary(env, () => renderGithubSummary(result))
}
