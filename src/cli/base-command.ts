import {Command, Errors, Flags} from '@oclif/core'

import {ArchcheckError, ExitCode} from '../errors.js'

/**
 * Shared behaviour of every archcheck command: the --debug flag, and turning any error into one
 * line on stderr with a documented exit code (the stack only with --debug).
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({description: 'Show requests, timings and stack traces on stderr (credentials are never shown).', helpGroup: 'GLOBAL'}),
  }

  protected get debugEnabled(): boolean {
    return this.argv.includes('--debug') || process.env.ARCHCHECK_DEBUG === '1'
  }

  /** Debug line on stderr; never pass credentials here. */
  protected debugLog(message: string): void {
    if (this.debugEnabled) process.stderr.write(`debug: ${message}\n`)
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    // A flag that failed to parse leaves `parsed` false, and oclif would then add a warning
    // ("did not parse its arguments") under NODE_ENV=development/test: the error line says it all.
    this.parsed = true
    let code: number
    let message = error.message
    if (error instanceof ArchcheckError) {
      code = error.exitCode
    } else if (error instanceof Errors.CLIError || error.name === 'CLIError' || error.oclif?.exit === 2) {
      // Flag and argument parsing errors from oclif.
      code = ExitCode.usage
      message = message.split('\n').map((line) => line.trim()).filter(Boolean).join(' ')
    } else {
      code = ExitCode.internal
      message = `internal error: ${message}`
    }
    process.stderr.write(`archcheck: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
    if (this.debugEnabled && error.stack) process.stderr.write(`${error.stack}\n`)
    process.exitCode = code
  }
}
