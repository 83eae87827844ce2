import {formatPlatform} from '../oci/platform/normalize.js'
import type {ClientName} from '../engine/resolve/resolution.js'
import type {Platform} from '../oci/platform/types.js'
import {exitCodeOf} from '../engine/verify/report.js'
import type {VerifyReport} from '../engine/verify/types.js'

/** Bumped when a field changes meaning or disappears (adding fields does not bump it). */
export const VERIFY_JSON_SCHEMA_VERSION = 1

/** The `--json` document of `archcheck verify`, documented in docs/verify.md. */
export function renderVerifyJson(reports: readonly VerifyReport[], run: {require: readonly Platform[]; client: ClientName; strict: boolean}): string {
  const exitCode = exitCodeOf(reports)
  const document = {
    schemaVersion: VERIFY_JSON_SCHEMA_VERSION,
    verdict: exitCode === 0 ? 'pass' : exitCode === 1 ? 'fail' : 'error',
    exitCode,
    required: run.require.map((platform) => formatPlatform(platform)),
    client: run.client,
    strict: run.strict,
    references: reports.map((report) => ({
      reference: report.reference,
      digest: report.digest ?? null,
      verdict: report.verdict,
      error: report.error ?? null,
      durationMs: report.durationMs,
      checks: report.checks.map((check) => ({id: check.id, status: check.status, platform: check.platform ?? null, message: check.message})),
    })),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}
