import {isFailure, unreadableLine, type CheckOutcome, type VerifyResult} from '../api/verify.js'
import {sanitizeDeep} from '../oci/sanitize.js'
import {appendStepSummary, markdownCell as cell} from './markdown.js'

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

/** The step summary: per reference a heading with its verdict and a table of the checks. */
export function renderGithubSummary(original: VerifyResult): string {
  const result = sanitizeDeep(original, {lines: true})
  const parts = ['## archcheck verify', '']
  for (const report of result.references) {
    const verdict = report.verdict === 'pass' ? '✅ passed' : report.verdict === 'fail' ? '❌ failed' : '❌ could not be read'
    parts.push(`### \`${cell(report.reference)}\` ${verdict}`, '')
    if (report.digest) parts.push(`Digest: \`${report.digest}\``, '')
    if (report.verdict === 'error') {
      parts.push(cell(report.error ?? ''), '')
      continue
    }
    parts.push('| Check | Platform | Status | Details |', '|---|---|---|---|')
    for (const check of report.checks) {
      parts.push(`| \`${check.id}\` | ${cell(check.platform ?? '—')} | ${statusCell(check, result.strict)} | ${cell(check.message)} |`)
    }
    parts.push('')
  }
  return `${parts.join('\n')}\n`
}

/** Writes the annotations to `out` and appends the summary to $GITHUB_STEP_SUMMARY when that is set. */
export async function reportToGithub(result: VerifyResult, env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<void> {
  out(renderGithubAnnotations(result))
  await appendStepSummary(env, () => renderGithubSummary(result))
}
