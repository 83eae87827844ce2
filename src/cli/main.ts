// oclif by subpath, as bin/run.js: its index also loads semver (about 20 ms of --help and --version).
import {Config} from '@oclif/core/config'
import {ExitError} from '@oclif/core/errors'
import {run} from '@oclif/core/run'
import v8 from 'node:v8'

import type {ErrorContext} from './error-line.js'
import {exitQuietlyOnInterrupt} from './interrupt.js'
import {drainStdout, ignoreBrokenStdout, isBrokenPipe} from './output.js'

/**
 * The CLI's entry point (bin/run.js). Errors thrown inside a command are reported by BaseCommand;
 * this reports the rest (an unknown command, `help nosuch`) the same way: one line on stderr,
 * `archcheck: …`, and a documented exit code, instead of oclif's multi-line banner.
 */
export async function main(typedArgv: string[], entry: string): Promise<void> {
  const argv = debugAfterCommand(typedArgv)
  avoidWasmTierUp()
  ignoreBrokenStdout()
  exitQuietlyOnInterrupt()
  const context: ErrorContext = {}
  try {
    const config = await Config.load(entry)
    context.commands = config.commandIDs.map((id) => id.replaceAll(':', ' '))
    context.typedCommand = typedCommand(argv, new Set(config.topics.map((topic) => topic.name.replaceAll(':', ' '))))
    await run(argv, config)
    await drainStdout()
  } catch (error) {
    if (error instanceof ExitError) {
      process.exitCode = error.oclif.exit ?? 0
      return
    }
    if (isBrokenPipe(error)) return
    // Loaded on failure only: --help and --version load nothing of archcheck's but this entry.
    const [{reportError}, {debugRequested}] = await Promise.all([import('./error-line.js'), import('./debug.js')])
    reportError(error, context, debugRequested(argv))
  }
}

/** `archcheck --debug inspect REF` as `archcheck inspect REF --debug`: oclif reads a command first. */
function debugAfterCommand(argv: string[]): string[] {
  let leading = 0
  while (argv[leading] === '--debug') leading++
  return leading === 0 || leading === argv.length ? argv : [...argv.slice(leading), ...argv.slice(0, leading)]
}

/** The command as typed: the leading words, through topics (`builder`) to the first word that is not one. */
function typedCommand(argv: string[], topics: Set<string>): string | undefined {
  const words = argv[0] === 'help' ? argv.slice(1) : argv
  const typed: string[] = []
  for (const word of words) {
    if (word.startsWith('-')) {
      if (typed.length === 0) typed.push(word)
      break
    }
    typed.push(word)
    if (!topics.has(typed.join(' '))) break
  }
  return typed.length > 0 ? typed.join(' ') : undefined
}

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its baseline
 * compiler, then recompiles the hot parser functions with TurboFan on a background thread once
 * they have run for a while; that happens during a registry command's last requests, and node
 * waits for the recompilation before it can exit: 110-200 ms of idle between the output and the
 * exit (bench/README.md). A run of archcheck parses a few kilobytes of headers per request (bodies
 * are skipped over, not parsed), so the baseline code is fast enough: a budget this large means the
 * recompilation never starts. Process-wide, so set by the CLI's entry (before undici compiles
 * llhttp on its first connection), never by the library in its caller's process.
 */
function avoidWasmTierUp(): void {
  v8.setFlagsFromString('--wasm-tiering-budget=1000000000')
}
