import {isFailure, type CheckOutcome, type ReferenceResult, type VerifyResult} from '../api/verify.js'
import {xmlAttribute, xmlText} from './xml.js'
import {sanitizeDeep} from '../oci/sanitize.js'

/** `platform-missing [linux/arm64]`: one test case per check and platform. */
function caseName(check: CheckOutcome): string {
  return check.platform ? `${check.id} [${check.platform}]` : check.id
}

function testCase(report: ReferenceResult, strict: boolean, check: CheckOutcome, name: string): string {
  const open = `    <testcase classname="${xmlAttribute(report.reference)}" name="${xmlAttribute(name)}" time="0">`
  let body: string
  if (isFailure(check, strict)) {
    body = `<failure type="${xmlAttribute(check.id)}" message="${xmlAttribute(check.message)}">${xmlText(`${check.id}: ${check.message}`)}</failure>`
  } else if (check.status === 'skip') {
    body = `<skipped message="${xmlAttribute(check.message)}"/>`
  } else if (check.status === 'warn') {
    body = `<system-out>${xmlText(`warning: ${check.id}: ${check.message}`)}</system-out>`
  } else {
    body = ''
  }
  return `${open}${body}</testcase>`
}

/** Case names, numbered from the second on when a check reports several results for one platform (CI systems merge equal names). */
function caseNames(checks: readonly CheckOutcome[]): string[] {
  const seen = new Map<string, number>()
  return checks.map((check) => {
    const name = caseName(check)
    const count = (seen.get(name) ?? 0) + 1
    seen.set(name, count)
    return count === 1 ? name : `${name} #${count}`
  })
}

function testSuite(report: ReferenceResult, strict: boolean): string {
  const names = caseNames(report.checks)
  const cases = report.checks.map((check, position) => testCase(report, strict, check, names[position]))
  const failures = report.checks.filter((check) => isFailure(check, strict)).length
  const skipped = report.checks.filter((check) => check.status === 'skip').length
  let errors = 0
  if (report.verdict === 'error') {
    errors = 1
    const message = report.error ?? 'the image could not be read'
    cases.push(
      `    <testcase classname="${xmlAttribute(report.reference)}" name="read" time="0"><error type="read" message="${xmlAttribute(message)}">${xmlText(message)}</error></testcase>`,
    )
  }
  const properties = report.digest ? `\n    <properties><property name="digest" value="${xmlAttribute(report.digest)}"/></properties>` : ''
  const attributes = [
    `name="${xmlAttribute(report.reference)}"`,
    `tests="${cases.length}"`,
    `failures="${failures}"`,
    `errors="${errors}"`,
    `skipped="${skipped}"`,
    `time="${(report.durationMs / 1000).toFixed(3)}"`,
  ].join(' ')
  return [`  <testsuite ${attributes}>${properties}`, ...cases, '  </testsuite>'].join('\n')
}

/** JUnit XML for CI systems: one testsuite per reference, one testcase per check and platform. */
export function renderJunit(original: VerifyResult): string {
  // CI pages render these in terminals and browsers: image and registry text shown, never obeyed.
  const result = sanitizeDeep(original, {lines: true})
  const reports = result.references
  const suites = reports.map((report) => testSuite(report, result.strict))
  const count = (predicate: (report: ReferenceResult, check: CheckOutcome) => boolean): number =>
    reports.reduce((sum, report) => sum + report.checks.filter((check) => predicate(report, check)).length, 0)
  const errors = reports.filter((report) => report.verdict === 'error').length
  const tests = count(() => true) + errors
  const failures = count((_report, check) => isFailure(check, result.strict))
  const time = reports.reduce((sum, report) => Math.max(sum, report.durationMs), 0) / 1000
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="archcheck verify" tests="${tests}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n')
}
