// Report files a flag names are checked before any work: a typo fails at once with exit 2 and a
// line that says what is wrong with the path.
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ExitCode, errorExitCode} from '../../../src/api/exit-codes.js'
import {UsageError} from '../../../src/oci/errors.js'
import {checkOutputDirectory, checkOutputFile, checkStepSummary, writeOutputFile} from '../../../src/cli/output-file.js'
import {tempDir} from '../../helpers/temp-dir.js'

async function usageMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(UsageError)
  expect(errorExitCode(error)).toBe(ExitCode.usage)
  return (error as UsageError).message
}

describe('checkOutputFile', () => {
  it('accepts a new file in an existing directory and an existing file', async () => {
    const dir = await tempDir('output')
    await expect(checkOutputFile('junit', join(dir, 'report.xml'))).resolves.toBeUndefined()
    await writeFile(join(dir, 'old.xml'), 'x')
    await expect(checkOutputFile('junit', join(dir, 'old.xml'))).resolves.toBeUndefined()
  })

  it('says why a path cannot be written: empty, a directory, no such directory, a file as directory', async () => {
    const dir = await tempDir('output')
    await writeFile(join(dir, 'file'), 'x')
    expect(await usageMessage(checkOutputFile('junit', ' '))).toBe('--junit needs a file name')
    expect(await usageMessage(checkOutputFile('junit', dir))).toBe(`--junit ${dir}: is a directory, expected a file`)
    expect(await usageMessage(checkOutputFile('junit', join(dir, 'none', 'r.xml')))).toBe(
      `--junit ${join(dir, 'none', 'r.xml')}: directory ${join(dir, 'none')} does not exist`,
    )
    expect(await usageMessage(checkOutputFile('junit', join(dir, 'file', 'r.xml')))).toBe(
      `--junit ${join(dir, 'file', 'r.xml')}: ${join(dir, 'file')} is not a directory`,
    )
  })
})

describe('checkStepSummary', () => {
  it('checks $GITHUB_STEP_SUMMARY only under GitHub Actions', async () => {
    const dir = await tempDir('output')
    await expect(checkStepSummary({GITHUB_STEP_SUMMARY: dir})).resolves.toBeUndefined()
    expect(await usageMessage(checkStepSummary({GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: dir}))).toBe(
      `$GITHUB_STEP_SUMMARY ${dir}: is a directory, expected a file`,
    )
    await expect(checkStepSummary({GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 'summary.md')})).resolves.toBeUndefined()
  })
})

describe('checkOutputDirectory', () => {
  it('takes a new or existing directory whose parent exists, and refuses a file or a missing parent', async () => {
    const dir = await tempDir('output')
    await writeFile(join(dir, 'file'), 'x')
    await expect(checkOutputDirectory('output', `oci:${dir}/new`, join(dir, 'new'))).resolves.toBeUndefined()
    await expect(checkOutputDirectory('output', `oci:${dir}`, dir)).resolves.toBeUndefined()
    expect(await usageMessage(checkOutputDirectory('output', `oci:${dir}/file`, join(dir, 'file')))).toBe(
      `--output oci:${dir}/file: ${join(dir, 'file')} is a file, expected a directory`,
    )
    expect(await usageMessage(checkOutputDirectory('output', 'oci:/nonexistent-dir/out', '/nonexistent-dir/out'))).toBe(
      '--output oci:/nonexistent-dir/out: directory /nonexistent-dir does not exist',
    )
  })
})

describe('writeOutputFile', () => {
  it('writes the report, or says in words why it could not', async () => {
    const dir = await tempDir('output')
    await writeOutputFile('junit', join(dir, 'r.xml'), '<testsuites/>')
    expect(await readFile(join(dir, 'r.xml'), 'utf8')).toBe('<testsuites/>')
    expect(await usageMessage(writeOutputFile('junit', dir, 'x'))).toMatch(new RegExp(`^--junit ${dir}: cannot write it: .+`))
  })
})
