/**
 * src/cli: what every command shares. This module is their base class (--debug, one-line errors,
 * exit codes); flags.ts holds the shared flags and maps them to api options (and api option names
 * back to flag names in messages); environment.ts is where the process environment is read;
 * output, output files, Ctrl-C and the entry point (main.ts) are here too. It may import src/api,
 * src/render and src/oci.
 */

import {Command, Errors, Flags} from '@oclif/core'

import type {ReadOptions, RegistryOptions} from '../api/sources.js'
import {debugRequested} from './debug.js'
import {reportError} from './error-line.js'
import {registryOptionsFromFlags, withFlagNames, type RegistryFlagValues} from './flags.js'
import {isBrokenPipe} from './output.js'
import {showProgress} from '../render/progress.js'
import {sanitizeText} from '../oci/sanitize.js'

/**
 * Shared behaviour of every archcheck command: the --debug flag, and turning any error into one
 * line on stderr with a documented exit code (the stack only with --debug).
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({
      description: 'Show requests, timings and stack traces on stderr (credentials are never shown).',
      helpGroup: 'GLOBAL',
    }),
  }

  protected get debugEnabled(): boolean {
    return debugRequested(this.argv)
  }

  /** Debug line on stderr; never pass credentials here. */
  protected debugLog(message: string): void {
    if (this.debugEnabled) process.stderr.write(`debug: ${sanitizeText(message)}\n`)
  }

  /** Registry options from the registry flags, with request lines going to --debug. */
  protected registryOptions(flags: RegistryFlagValues): RegistryOptions {
    return registryOptionsFromFlags(flags, this.debugEnabled ? (line) => this.debugLog(line) : undefined)
  }

  /** How the api reads images for this command: registry options from the flags, and a progress line on a terminal. */
  protected readOptions(flags: RegistryFlagValues): ReadOptions {
    return {registry: this.registryOptions(flags), progress: showProgress}
  }

  protected override async catch(error: Error): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    // A flag that failed to parse leaves `parsed` false, and oclif would then add a warning
    // ("did not parse its arguments") under NODE_ENV=development/test: the error line says it all.
    this.parsed = true
    // The reader of stdout went away (`| head`): nothing more to say, and nobody to say it to.
    if (isBrokenPipe(error)) return
    reportError(
      withFlagNames(error),
      {command: this.id?.replaceAll(':', ' '), flagNames: Object.keys(this.ctor.flags ?? {})},
      this.debugEnabled,
    )
  }
}
