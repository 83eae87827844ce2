import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {beforeEach, describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {
  escapeCommandData,
  escapeCommandProperty,
  renderGithubAnnotations,
  renderGithubSummary,
  reportToGithub,
} from '../../../src/render/github.js'
import {renderJunit, splitReference} from '../../../src/render/junit.js'
import {renderVerifySummary, renderVerifyText} from '../../../src/render/verify-text.js'
import type {CheckResult, VerifyReport} from '../../../src/engine/verify/types.js'
import {asResult} from './trees.js'
import {tempDir} from '../../helpers/temp-dir.js'

const NASTY = 'a <b> & "c" \'d\' ]]> \u0000\u0007\u001b[31m tab\there\nnew line\r%41 : , \uD800 \u{1F600} \uFFFF'

const check = (id: string, status: CheckResult['status'], message: string, platform?: string): CheckResult => ({
  id,
  status,
  message,
  reference: 'registry.test/app:1',
  ...(platform ? {platform} : {}),
})

function report(checks: CheckResult[], extra: Partial<VerifyReport> = {}): VerifyReport {
  return {
    reference: 'registry.test/app:1',
    digest: 'sha256:' + 'a'.repeat(64),
    verdict: 'fail',
    checks,
    durationMs: 1234,
    strict: false,
    ...extra,
  }
}

const sample = (): VerifyReport[] => [
  report([
    check('platform-missing', 'pass', 'linux/amd64 hosts get linux/amd64.', 'linux/amd64'),
    check('platform-missing', 'fail', NASTY, 'linux/arm64'),
    check('mixed-media-types', 'warn', 'mixed'),
    check('missing-blob', 'skip', 'not requested (--blobs).'),
  ]),
  {
    reference: 'registry.test/other:2',
    verdict: 'error',
    checks: [],
    error: 'manifest unknown: registry.test/other:2 not found',
    errorKind: 'not-found',
    durationMs: 5,
    strict: false,
  },
]

describe('renderJunit', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => name === 'testsuite' || name === 'testcase',
    processEntities: true,
    htmlEntities: true,
    trimValues: false,
  })

  it('is well-formed and parses back to one suite per reference and one case per check and platform', () => {
    const xml = renderJunit(asResult(sample()))
    expect(XMLValidator.validate(xml)).toBe(true)
    const parsed = parser.parse(xml)
    const [suite, errored] = parsed.testsuites.testsuite
    expect(parsed.testsuites).toMatchObject({tests: '5', failures: '1', errors: '1'})
    expect(suite).toMatchObject({name: 'registry.test/app:1', tests: '4', failures: '1', skipped: '1', errors: '0', time: '1.234'})
    expect(suite.testcase.map((testcase: {name: string}) => testcase.name)).toEqual([
      '1: platform-missing [linux/amd64]',
      '1: platform-missing [linux/arm64]',
      '1: mixed-media-types',
      '1: missing-blob',
    ])
    // The repository groups a reference's cases; each carries its share of the reference's time.
    expect(suite.testcase.map((testcase: {classname: string}) => testcase.classname)).toEqual(Array(4).fill('registry.test/app'))
    expect(suite.testcase.map((testcase: {time: string}) => testcase.time)).toEqual(Array(4).fill('0.308'))
    expect(errored.testcase[0]).toMatchObject({classname: 'registry.test/other', name: '2: read', time: '0.005'})
    expect(suite.testcase[0].failure).toBeUndefined()
    expect(suite.testcase[1].failure.type).toBe('platform-missing')
    expect(suite.testcase[2]['system-out']).toBe('warning: mixed-media-types: mixed')
    expect(suite.testcase[3].skipped.message).toBe('not requested (--blobs).')
    expect(errored.testcase[0].error.message).toBe('manifest unknown: registry.test/other:2 not found')
  })

  it('carries a nasty message through: markup and line feeds kept, control and forbidden characters made visible', () => {
    const parsed = parser.parse(renderJunit(asResult(sample())))
    const failure = parsed.testsuites.testsuite[0].testcase[1].failure
    // CR returns to a line's start (to overwrite it in a terminal): shown like the other controls.
    const expected = 'a <b> & "c" \'d\' ]]> \\u0000\\u0007\\u001b[31m tab\there\nnew line\\u000d%41 : , \\ud800 \u{1F600} \\uffff'
    expect(failure.message).toBe(expected)
    expect(failure['#text']).toBe(`platform-missing: ${expected}`)
  })

  it('numbers repeated results of one check so CI systems keep them apart', () => {
    const parsed = parser.parse(
      renderJunit(
        asResult([
          report([
            check('attestation-orphan', 'warn', 'a'),
            check('attestation-orphan', 'warn', 'b'),
            check('attestation-orphan', 'warn', 'c'),
          ]),
        ]),
      ),
    )
    expect(parsed.testsuites.testsuite[0].testcase.map((testcase: {name: string}) => testcase.name)).toEqual([
      '1: attestation-orphan',
      '1: attestation-orphan #2',
      '1: attestation-orphan #3',
    ])
  })

  it('marks warnings as failures under --strict', () => {
    const parsed = parser.parse(renderJunit(asResult([report([check('attestation-orphan', 'warn', 'orphan')], {strict: true})])))
    expect(parsed.testsuites.testsuite[0].testcase[0].failure.message).toBe('orphan')
  })
})

describe('GitHub workflow commands', () => {
  it('escapes data and properties as the runner expects', () => {
    expect(escapeCommandData('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext: a, b')
    expect(escapeCommandProperty('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext%3A a%2C b')
  })

  it('prints one ::error per failure and per unreadable reference, ::warning for warnings, each on one line', () => {
    const lines = renderGithubAnnotations(asResult(sample())).split('\n').filter(Boolean)
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^::error title=archcheck platform-missing \(linux\/arm64\)::registry\.test\/app:1: a <b>/)
    expect(lines[0]).toContain('%0Anew line\\u000d%2541')
    expect(lines[1]).toBe('::warning title=archcheck mixed-media-types::registry.test/app:1: mixed')
    expect(lines[2]).toBe('::error title=archcheck verify%3A registry.test/other%3A2::manifest unknown: registry.test/other:2 not found')
  })

  it('writes a Markdown table whose rows stay rows whatever the message', () => {
    const summary = renderGithubSummary(asResult(sample()))
    const rows = summary.split('\n').filter((line) => line.startsWith('| `'))
    // Failures and warnings only, failures first; the pass and the skip folded into one line.
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatch(/^\| `platform-missing` \| linux\/arm64 \| ❌ fail/)
    expect(rows[1]).toMatch(/^\| `mixed-media-types` \| — \| ⚠️ warn/)
    expect(summary).toContain('➖ not run: `missing-blob`')
    // The unreadable reference comes before the failed one.
    expect(summary.indexOf('registry.test/other:2')).toBeLessThan(summary.indexOf('### `registry.test/app:1`'))
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(6)
    expect(summary).toContain('### `registry.test/app:1` ❌ failed')
    expect(summary).toContain('a &lt;b&gt; &amp;')
    expect(summary).toContain('### `registry.test/other:2` ❌ could not be read')
  })

  describe('reportToGithub', () => {
    let dir: string
    beforeEach(async () => {
      dir = await tempDir('gh')
    })

    it('appends the summary to $GITHUB_STEP_SUMMARY, keeping what earlier steps wrote', async () => {
      const file = join(dir, 'summary.md')
      await writeFile(file, '# earlier step\n')
      let out = ''
      await reportToGithub(asResult(sample()), {GITHUB_STEP_SUMMARY: file}, (text) => {
        out += text
      })
      expect(out).toContain('::error title=')
      const written = await readFile(file, 'utf8')
      // The verdict in one line first, then the report.
      expect(written).toMatch(/^# earlier step\n❌ 2 of 2 images failed — .+\n\n## archcheck verify\n/)
    })

    it('says in one line when the summary file cannot be written', async () => {
      const file = join(dir, 'missing-dir', 'summary.md')
      await expect(reportToGithub(asResult(sample()), {GITHUB_STEP_SUMMARY: file}, () => {})).rejects.toThrow(
        new UsageError(`cannot append to $GITHUB_STEP_SUMMARY ${file}: no such file or directory`),
      )
    })
  })
})

describe('renderVerifySummary', () => {
  it('splits references into repository and tag or digest for JUnit', () => {
    expect(splitReference('registry.test/app:1')).toEqual({repository: 'registry.test/app', version: '1'})
    expect(splitReference('localhost:5000/app')).toEqual({repository: 'localhost:5000/app', version: undefined})
    expect(splitReference(`ghcr.io/o/r@sha256:${'b'.repeat(64)}`)).toEqual({repository: 'ghcr.io/o/r', version: 'sha256:bbbbbbbbbbbb'})
    expect(splitReference('oci-layout:fixtures/demo:latest')).toEqual({repository: 'oci-layout:fixtures/demo', version: 'latest'})
  })

  it('prints failures first, a table of what did not pass, and one line for the passes', async () => {
    const [failed] = asResult(sample()).references
    const text = await renderVerifyText(failed, false)
    const lines = text.split('\n')
    expect(lines[1]).toMatch(/^ {2}FAIL platform-missing \(linux\/arm64\): a <b>/)
    expect(text.indexOf('FAIL platform-missing')).toBeLessThan(text.indexOf('warn mixed-media-types'))
    expect(text).not.toMatch(/│ missing-blob/)
    expect(text).toContain('  not run: missing-blob')
    const passed = (await renderVerifyText({...failed, verdict: 'pass', checks: [failed.checks[0], failed.checks[3]]}, false)).split('\n')
    expect(passed.some((line) => line.startsWith('┌'))).toBe(false)
    expect(passed).toContain('  1 passed (platform-missing); not run: missing-blob')
  })

  it('prints only failures with --quiet, nothing for a reference that passed', async () => {
    const [failed] = asResult(sample()).references
    const quiet = await renderVerifyText(failed, false, undefined, {quiet: true})
    expect(quiet.split('\n').filter(Boolean)).toHaveLength(1)
    expect(quiet).toMatch(/^FAIL registry\.test\/app:1: platform-missing \(linux\/arm64\): a <b>/)
    expect(await renderVerifyText({...failed, verdict: 'pass', checks: [failed.checks[0]]}, false, undefined, {quiet: true})).toBe('')
  })

  it('ends several references with one line counting what passed, failed and could not be read', () => {
    const passed = report([check('platform-missing', 'pass', 'ok', 'linux/amd64')], {reference: 'registry.test/ok:1', verdict: 'pass'})
    expect(renderVerifySummary(asResult([passed, ...sample()]))).toBe('ERROR 3 references: 1 passed, 1 failed, 1 could not be read\n')
    expect(renderVerifySummary(asResult([passed, passed]))).toBe('PASS 2 references: 2 passed\n')
    expect(renderVerifySummary(asResult([passed, sample()[0]]))).toBe('FAIL 2 references: 1 passed, 1 failed\n')
  })
})
