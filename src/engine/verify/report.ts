import {ExitCode, type ExitCodeValue} from '../../oci/errors.js'
import type {CheckResult, ReportVerdict, VerifyReport} from './types.js'

/** fail when a check failed, or (with strict) warned. */
export function verdictOf(checks: readonly CheckResult[], strict = false): ReportVerdict {
  return checks.some((check) => isFailure(check, strict)) ? 'fail' : 'pass'
}

/** Whether a result counts as a failure under the run's strictness (what renderers mark as failed). */
export function isFailure(check: Pick<CheckResult, 'status'>, strict = false): boolean {
  return check.status === 'fail' || (strict && check.status === 'warn')
}

/**
 * The process exit code for a run: a reference that could not be read wins (its own code: 3 for the
 * registry, 2 for bad input), then 1 when a check failed, else 0.
 */
export function exitCodeOf(reports: readonly VerifyReport[]): ExitCodeValue {
  const errored = reports.find((report) => report.verdict === 'error')
  if (errored) return (errored.errorExitCode as ExitCodeValue | undefined) ?? ExitCode.registry
  return reports.some((report) => report.verdict === 'fail') ? ExitCode.checkFailed : ExitCode.ok
}

/** Why a reference could not be read, naming it once (registry errors often name it already). */
export function unreadableLine(report: {reference: string; error?: string | null}): string {
  const error = report.error ?? 'could not be read'
  return error.includes(report.reference) ? error : `${report.reference}: ${error}`
}
