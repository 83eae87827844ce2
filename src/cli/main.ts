import {Errors, run} from '@oclif/core'

import {debugRequested} from './debug.js'
import {errorLine} from './error-line.js'
import {exitQuietlyOnInterrupt} from './interrupt.js'
import {drainStdout, ignoreBrokenStdout, isBrokenPipe} from './output.js'

/**
 * The CLI's entry point (bin/run.js). Errors thrown inside a command are reported by BaseCommand;
 * this reports the rest (an unknown command, `help nosuch`) the same way: one line on stderr,
 * `archcheck: …`, and a documented exit code, instead of oclif's multi-line banner.
 */
export async function main(argv: string[], entry: string): Promise<void> {
  ignoreBrokenStdout()
  exitQuietlyOnInterrupt()
  try {
    await run(argv, entry)
    await drainStdout()
  } catch (error) {
    if (error instanceof Errors.ExitError) {
      process.exitCode = error.oclif.exit ?? 0
      return
    }
    if (isBrokenPipe(error)) return
    const {message, exitCode} = errorLine(error)
    process.stderr.write(`archcheck: ${message}\n`)
    if (debugRequested(argv) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
    process.exitCode = exitCode
  }
}
