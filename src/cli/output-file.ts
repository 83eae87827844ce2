import {constants} from 'node:fs'
import {access, stat, writeFile} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

import {UsageError, fileErrorText} from '../oci/errors.js'

/**
 * Files and directories the user names for archcheck to write.
 *
 * A report file a flag names (`--junit FILE`). Checked before any work, so that a typo in the path
 * fails in a second with exit 2 instead of after the whole run, and written with a clear error.
 */
export async function checkOutputFile(flag: string, file: string): Promise<void> {
  if (file.trim() === '') throw new UsageError(`--${flag} needs a file name`)
  await checkWritable(`--${flag} ${file}`, file)
}

/**
 * Under GitHub Actions, the step summary file ($GITHUB_STEP_SUMMARY) the report is appended to.
 * Checked before any request: found unwritable only at the end, its exit 2 would hide the
 * run's own exit code and come after a report already printed.
 */
export async function checkStepSummary(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY
  if (env.GITHUB_ACTIONS !== 'true' || !file) return
  await checkWritable(`$GITHUB_STEP_SUMMARY ${file}`, file)
}

/** That `file` can be written, or created in its directory; `what` names it in the error. */
async function checkWritable(what: string, file: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined)
  if (existing?.isDirectory()) throw new UsageError(`${what}: is a directory, expected a file`)
  const dir = dirname(resolve(file))
  const parent = await stat(dir).catch(() => undefined)
  if (!parent) throw new UsageError(`${what}: directory ${dir} does not exist`)
  if (!parent.isDirectory()) throw new UsageError(`${what}: ${dir} is not a directory`)
  try {
    await access(existing ? file : dir, constants.W_OK)
  } catch {
    throw new UsageError(`${what}: permission denied`)
  }
}

/** A directory a flag asks to be written (`--output oci:DIR`, `value` as typed): it may be new, its parent must exist. */
export async function checkOutputDirectory(flag: string, value: string, dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => undefined)
  if (existing && !existing.isDirectory()) throw new UsageError(`--${flag} ${value}: ${dir} is a file, expected a directory`)
  const parentDir = dirname(resolve(dir))
  const parent = await stat(parentDir).catch(() => undefined)
  if (!parent) throw new UsageError(`--${flag} ${value}: directory ${parentDir} does not exist`)
  if (!parent.isDirectory()) throw new UsageError(`--${flag} ${value}: ${parentDir} is not a directory`)
}

export async function writeOutputFile(flag: string, file: string, content: string): Promise<void> {
  try {
    await writeFile(file, content)
  } catch (error) {
    throw new UsageError(`--${flag} ${file}: cannot write it: ${fileErrorText(error)}`)
  }
}
