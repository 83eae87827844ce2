import type {AuditResult} from '../api/audit.js'
import type {VerifyResult} from '../api/verify.js'
import {isFailure, unreadableLine} from '../api/verify.js'
import {sanitizeText} from '../oci/sanitize.js'
import {plural} from '../oci/words.js'

/** A verdict line is read at a glance (a step summary's first line, a log line): longer reasons are cut. */
const MAX_VERDICT_CHARS = 300

function oneLine(text: string): string {
  const flat = sanitizeText(text).replace(/\s+/g, ' ').trim()
  return flat.length > MAX_VERDICT_CHARS ? `${flat.slice(0, MAX_VERDICT_CHARS - 1)}…` : flat
}

/** What failed in one reference, in the fewest words: `linux/arm64 missing`, `config-mismatch (linux/arm/v7)`. */
function failureWords(report: VerifyResult['references'][number], strict: boolean): string {
  if (report.verdict === 'error') return `could not be read: ${unreadableLine(report)}`
  const words = report.checks
    .filter((check) => isFailure(check, strict))
    .map((check) =>
      check.id === 'platform-missing' && check.platform
        ? `${check.platform} missing`
        : `${check.id}${check.platform ? ` (${check.platform})` : ''}`,
    )
  return [...new Set(words)].join(', ')
}

/**
 * verify's verdict in one line: `✅ ghcr.io/acme/app:1.4.0 — 2 platforms, every check passed` or
 * `❌ ghcr.io/acme/app:1.4.0 — linux/arm64 missing`; with several references, how many failed and why.
 */
export function verifyVerdictLine(result: VerifyResult): string {
  const references = result.references
  const platforms = plural(result.required.length, 'platform')
  if (result.verdict === 'pass') {
    const subject = references.length === 1 ? references[0].reference : plural(references.length, 'image')
    return oneLine(`✅ ${subject} — ${platforms}, every check passed`)
  }
  const failed = references.filter((report) => report.verdict !== 'pass')
  if (references.length === 1) return oneLine(`❌ ${references[0].reference} — ${failureWords(references[0], result.strict)}`)
  const reasons = failed.map((report) => `${report.reference}: ${failureWords(report, result.strict)}`).join('; ')
  return oneLine(`❌ ${failed.length} of ${plural(references.length, 'image')} failed — ${reasons}`)
}

/** audit's verdict in one line: `✅ 12 images on 2 hosts — every pull passed` or what failed. */
export function auditVerdictLine(result: AuditResult): string {
  const subject = `${plural(result.rows.length, 'image')} on ${plural(result.hosts.length, 'host')}`
  if (result.passed) return oneLine(`✅ ${subject} — every pull passed`)
  const failing = result.rows.filter((row) => row.status === 'audited' && !row.passed).map((row) => row.reference)
  const parts = [
    failing.length > 0 ? `${failing.length} failed (${failing.join(', ')})` : '',
    result.unreadable.length > 0
      ? `${result.unreadable.length} unreadable (${result.unreadable.map((entry) => entry.reference).join(', ')})`
      : '',
    result.notAudited.length > 0 ? `${result.notAudited.length} not audited (rate limited)` : '',
  ].filter(Boolean)
  return oneLine(`❌ ${subject} — ${parts.join(', ') || 'a check failed'}`)
}
