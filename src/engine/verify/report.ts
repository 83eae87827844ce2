import type {CheckResult, ReportVerdict} from './types.js'

/** fail when a check failed, or (with strict) warned. */
export function verdictOf(checks: readonly CheckResult[], strict = false): ReportVerdict {
  return checks.some((check) => isFailure(check, strict)) ? 'fail' : 'pass'
}

/** Whether a result counts as a failure under the run's strictness (what renderers mark as failed). */
export function isFailure(check: Pick<CheckResult, 'status'>, strict = false): boolean {
  return check.status === 'fail' || (strict && check.status === 'warn')
}

/** Why a reference could not be read, naming it once (registry errors often name it already). */
export function unreadableLine(report: {reference: string; error?: string | null}): string {
  const error = report.error ?? 'could not be read'
  return error.includes(report.reference) ? error : `${report.reference}: ${error}`
}
