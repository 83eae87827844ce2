/**
 * Runs an archcheck command inside the test process with @oclif/test's `runCommand`: the same
 * oclif config and commands as the CLI (from dist/, which oclif loads while oclif.manifest.json
 * exists), without starting node, so a test of what a user sees (stdout, the stderr line, the exit
 * code) costs milliseconds instead of a process start.
 */
import {Errors, settings} from '@oclif/core'
import {runCommand} from '@oclif/test'

import {PROJECT_ROOT} from './cli.js'

export interface InProcessResult {
  stdout: string
  stderr: string
  /** The exit code the CLI would end with. */
  code: number
}

// As bin/run.js: the CLI runs compiled code; without this, the NODE_ENV=test that runCommand sets
// makes oclif look for TypeScript sources and warn on stderr.
settings.enableAutoTranspile = false

/** Swallows what the capture passes on; calls the write callback as a stream would. */
const sink = (_chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
  const done = typeof encoding === 'function' ? encoding : callback
  if (typeof done === 'function') process.nextTick(done)
  return true
}

/** `archcheck ARGS…` in this process. Errors end as the CLI ends them: a line on stderr and an exit code. */
export async function runInProcess(args: string[]): Promise<InProcessResult> {
  const originals = {stdout: process.stdout.write, stderr: process.stderr.write}
  // runCommand joins the arguments with spaces and splits them again, respecting double quotes.
  const quoted = args.map((arg) => (/\s|^$/.test(arg) ? `"${arg}"` : arg))
  process.exitCode = undefined
  // Without `print`, @oclif/test's capture never calls the callback of `write(data, callback)`
  // (it expects it third), so a command that waits for its output to be written would wait for
  // ever; with `print` it passes every write on, callback in place, to the streams: here a sink.
  process.stdout.write = sink
  process.stderr.write = sink
  try {
    const {stdout, stderr, error} = await runCommand(quoted, {root: PROJECT_ROOT}, {print: true})
    if (error && !(error instanceof Errors.ExitError)) throw error
    const code = error instanceof Errors.ExitError ? error.oclif.exit! : Number(process.exitCode ?? 0)
    return {stdout, stderr, code}
  } finally {
    process.stdout.write = originals.stdout
    process.stderr.write = originals.stderr
    // The command set the process's exit code as the CLI does; the test run's own is not its to set.
    process.exitCode = undefined
  }
}
