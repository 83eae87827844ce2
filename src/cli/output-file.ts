import {constants} from 'node:fs'
import {access, stat, writeFile} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

import {UsageError} from '../errors.js'

/**
 * A report file a flag names (`--junit FILE`). Checked before any work, so that a typo in the path
 * fails in a second with exit 2 instead of after the whole run, and written with a clear error.
 */
export async function checkOutputFile(flag: string, file: string): Promise<void> {
  if (file.trim() === '') throw new UsageError(`--${flag} needs a file name`)
  const existing = await stat(file).catch(() => undefined)
  if (existing?.isDirectory()) throw new UsageError(`--${flag} ${file}: is a directory, expected a file`)
  const dir = dirname(resolve(file))
  const parent = await stat(dir).catch(() => undefined)
  if (!parent) throw new UsageError(`--${flag} ${file}: directory ${dir} does not exist`)
  if (!parent.isDirectory()) throw new UsageError(`--${flag} ${file}: ${dir} is not a directory`)
  try {
    await access(existing ? file : dir, constants.W_OK)
  } catch {
    throw new UsageError(`--${flag} ${file}: permission denied`)
  }
}

export async function writeOutputFile(flag: string, file: string, content: string): Promise<void> {
  try {
    await writeFile(file, content)
  } catch (error) {
    throw new UsageError(`--${flag} ${file}: cannot write it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}
