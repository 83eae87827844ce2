/**
 * Audit results built by hand for the renderers' tests: every field a plain, passing default, so
 * a test names only what it is about.
 */
import type {AuditResult, AuditRow} from '../../src/api/audit.js'

export const AUDIT_DIGEST = `sha256:${'a'.repeat(64)}`

/** One audited, passing image row of `r.example/app:1` with no cells. */
export function auditRow(fields: Partial<AuditRow> = {}): AuditRow {
  return {
    repository: 'r.example/app',
    reference: 'r.example/app:1',
    tag: '1',
    aliases: [],
    note: null,
    version: null,
    prerelease: false,
    variant: null,
    digest: AUDIT_DIGEST,
    status: 'audited',
    passed: true,
    error: null,
    errorKind: null,
    cells: [],
    checks: null,
    supplyChain: null,
    origins: [],
    durationMs: 1,
    ...fields,
  }
}

type AuditSummary = AuditResult['summary']

/** A failing audit of `rows` (exit 1); the summary counts the rows and the failing ones. */
export function auditResult(
  rows: AuditRow[],
  fields: Partial<Omit<AuditResult, 'rows' | 'summary'>> & {summary?: Partial<AuditSummary>} = {},
): AuditResult {
  const {summary, ...rest} = fields
  return {
    schemaVersion: 1,
    passed: false,
    exitCode: 1,
    hosts: [],
    clients: ['docker'],
    allowFallback: false,
    required: null,
    rows,
    workloads: [],
    nodeGroups: [],
    history: [],
    supplyChainHistory: [],
    unreadable: [],
    notAudited: [],
    interrupted: false,
    rateLimited: [],
    unmatched: [],
    selection: [],
    nothingAudited: null,
    ...rest,
    summary: {
      images: rows.length,
      hosts: rest.hosts?.length ?? 0,
      failures: rows.filter((row) => !row.passed).length,
      unreadable: 0,
      notAudited: 0,
      requests: 0,
      byMethod: {},
      durationMs: 0,
      cache: null,
      rateLimit: {},
      ...summary,
    },
  }
}
