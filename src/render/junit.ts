import {isFailure, type CheckOutcome, type ReferenceResult, type VerifyResult} from '../api/verify.js'
import {xmlAttribute, xmlText} from './xml.js'
import {sanitizeDeep} from '../oci/sanitize.js'

/** `platform-missing [linux/arm64]`: one test case per check and platform. */
function caseName(check: CheckOutcome): string {
  return check.platform ? `${check.id} [${check.platform}]` : check.id
}

/**
 * A reference as CI systems group it: the repository as the class name (short, shared by its tags),
 * the tag or digest for the test names (`1.4.0: platform-missing [linux/arm64]`).
 */
export function splitReference(reference: string): {repository: string; version: string | undefined} {
  const at = reference.lastIndexOf('@')
  if (at > 0)
    return {repository: reference.slice(0, at), version: reference.slice(at + 1).replace(/^([a-z0-9]+:[0-9a-f]{12})[0-9a-f]*$/, '$1')}
  const tag = /^(.*[^/:]):([\w][\w.-]{0,127})$/.exec(reference)
  // A colon before the last `/` is a port (localhost:5000/app), not a tag.
  if (tag && !tag[2].includes('/')) return {repository: tag[1], version: tag[2]}
  return {repository: reference, version: undefined}
}

/** Seconds for a JUnit `time`: each check's share of its reference's wall time (checks run together, not timed apart). */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

function testCase(report: ReferenceResult, strict: boolean, check: CheckOutcome, name: string, share: number): string {
  const {repository, version} = splitReference(report.reference)
  const open = `    <testcase classname="${xmlAttribute(repository)}" name="${xmlAttribute(version ? `${version}: ${name}` : name)}" time="${seconds(share)}">`
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
  const share = report.durationMs / Math.max(1, report.checks.length)
  const cases = report.checks.map((check, position) => testCase(report, strict, check, names[position], share))
  const failures = report.checks.filter((check) => isFailure(check, strict)).length
  const skipped = report.checks.filter((check) => check.status === 'skip').length
  let errors = 0
  if (report.verdict === 'error') {
    errors = 1
    const message = report.error ?? 'the image could not be read'
    const {repository, version} = splitReference(report.reference)
    cases.push(
      `    <testcase classname="${xmlAttribute(repository)}" name="${xmlAttribute(version ? `${version}: read` : 'read')}" time="${seconds(report.durationMs)}"><error type="read" message="${xmlAttribute(message)}">${xmlText(message)}</error></testcase>`,
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
