/**
 * The one way tests make temp dirs: `tempDir('layout')` makes `$TMPDIR/archcheck-layout-XXXXXX`
 * and removes it after the test file that made it (an afterAll of the file's root suite), so a run
 * leaves the temp dir as it found it. Works at module level, in hooks and inside tests; the
 * `archcheck-` prefix is what CI's leak check (.ci/run) looks for.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll} from 'vitest'

const made: string[] = []

// Modules are evaluated once per test file (vitest isolates files), so this hook belongs to the
// root suite of whichever file imported this helper first. Outside a test file (a bench script
// importing test/helpers/cli.ts, a global setup) there is no suite: the exit hook below cleans up.
try {
  afterAll(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, {recursive: true, force: true, maxRetries: 3})))
  })
} catch {
  // Not in a test file.
}

// A worker ending between the last test and afterAll, or a script, still cleans up on exit.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
})

/** A new empty directory `archcheck-PREFIX-XXXXXX` in the OS temp dir, removed after the file. */
export async function tempDir(prefix = 'test'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `archcheck-${prefix}-`))
  made.push(dir)
  return dir
}

/** `tempDir` for module level and other synchronous code. */
export function tempDirSync(prefix = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), `archcheck-${prefix}-`))
  made.push(dir)
  return dir
}
