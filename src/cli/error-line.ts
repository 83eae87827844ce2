import {errorExitCode, ExitCode, type ExitCodeValue} from '../api/exit-codes.js'
import {ArchcheckError} from '../oci/errors.js'
import {sanitizeText} from '../oci/sanitize.js'

/** What the user sees for an error: one line (without the `archcheck: ` prefix) and the exit code. */
export interface ErrorLine {
  message: string
  exitCode: ExitCodeValue
}

/** The command an error happened in, for hints such as "see archcheck inspect --help". */
export interface ErrorContext {
  /** The command's id with spaces (`builder create`); absent outside a command. */
  command?: string
  /** The command's flag names, to suggest the closest one to an unknown flag. */
  flagNames?: string[]
  /** Every command (`builder create`), to suggest the closest one to an unknown command. */
  commands?: string[]
  /** The command words as typed, for "unknown command" (oclif's id runs on into the arguments). */
  typedCommand?: string
}

type OclifError = Error & {
  oclif?: {exit?: number}
  code?: string
  args?: Array<{name?: string; description?: string} | string>
  flags?: string[]
}

/**
 * Turns any error into the one line a user sees and its documented exit code, the one place a
 * command's error gets its code: ArchcheckErrors as they are, with their kind's code
 * (api/exit-codes.ts); oclif's parse errors rewritten (they are several lines, name no command and
 * add notes), exit 2; anything else an internal error (exit 4).
 */
export function errorLine(error: unknown, context: ErrorContext = {}): ErrorLine {
  const line = withHelpPointer(rawErrorLine(error, context), context)
  // Messages carry registry and image text (a registry's errors[].message, file names): shown, never obeyed by the terminal.
  return {...line, message: sanitizeText(line.message)}
}

/** Every usage error (exit 2) ends with where to read the right usage, whatever raised it. */
function withHelpPointer(line: ErrorLine, context: ErrorContext): ErrorLine {
  if (line.exitCode !== ExitCode.usage || /--help\)$/.test(line.message)) return line
  return {...line, message: `${line.message} (${helpPointer(context)})`}
}

function helpPointer(context: ErrorContext): string {
  return `see ${['archcheck', context.command, '--help'].filter(Boolean).join(' ')}`
}

function rawErrorLine(error: unknown, context: ErrorContext): ErrorLine {
  if (error instanceof ArchcheckError) return {message: oneLine(stripFlagParsePrefix(error.message)), exitCode: errorExitCode(error)}
  const failure = (error instanceof Error ? error : new Error(String(error))) as OclifError
  const help = helpPointer(context)
  const parse = parseErrorLine(failure, context, help)
  if (parse) return {message: parse, exitCode: ExitCode.usage}
  return {
    message: `internal error: ${oneLine(failure.message)} (a bug in archcheck: please report it with the --debug output)`,
    exitCode: ExitCode.internal,
  }
}

/** Reports an error as every command does: `archcheck: <line>` on stderr, the stack too under --debug, and its exit code. */
export function reportError(error: unknown, context: ErrorContext, debug: boolean): void {
  const {message, exitCode} = errorLine(error, context)
  process.stderr.write(`archcheck: ${message}\n`)
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  process.exitCode = exitCode
}

function parseErrorLine(error: OclifError, context: ErrorContext, help: string): string | undefined {
  const message = stripAnsi(error.message).replace(/\s*See more help with --help\s*$/, '')
  switch (error.constructor.name) {
    case 'RequiredArgsError': {
      const names = (error.args ?? []).map((arg) => (typeof arg === 'string' ? arg : (arg.name ?? ''))).filter(Boolean)
      const first = error.args?.[0]
      const what = typeof first === 'object' && first.description ? `: ${lowerFirst(first.description.replace(/\.$/, ''))}` : ''
      return `missing ${names.map((name) => name.toUpperCase()).join(', ') || 'argument'}${what} (${help})`
    }
    case 'UnexpectedArgsError': {
      const extra = (error.args ?? []).map((arg: unknown) => `"${typeof arg === 'string' ? arg : JSON.stringify(arg)}"`).join(', ')
      return `unexpected argument ${extra} (${help})`
    }
    case 'NonExistentFlagsError': {
      const flags = error.flags ?? []
      const suggestion = flags.length === 1 ? closestFlag(flags[0], context.flagNames ?? []) : undefined
      return `unknown flag ${flags.join(', ')}${suggestion ? `; did you mean --${suggestion}?` : ''} (${help})`
    }
    case 'FailedFlagValidationError': {
      // "--json=true cannot also be provided when using --raw", once from each side of the pair.
      const pairs = new Set<string>()
      for (const match of message.matchAll(/--([\w-]+)=\S* cannot also be provided when using --([\w-]+)/g)) {
        pairs.add(
          [match[1], match[2]]
            .sort()
            .map((name) => `--${name}`)
            .join(' and '),
        )
      }
      if (pairs.size > 0) return `${[...pairs].join('; ')} cannot be used together (${help})`
      return `${oneLine(message.replace(/^The following errors? occurred:/, ''))} (${help})`
    }
    case 'FlagInvalidOptionError': {
      const match = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/s.exec(message)
      if (match) return `--${match[1]} ${JSON.stringify(match[2])}: expected one of ${match[3].trim()}`
      return oneLine(message)
    }
    case 'ArgInvalidOptionError': {
      const match = /^Expected (.*) to be one of: (.*)$/s.exec(message)
      if (match) return `${JSON.stringify(match[1])}: expected one of ${match[2].trim()} (${help})`
      return oneLine(message)
    }
  }
  if (error.constructor.name === 'CLIError' || error.name === 'CLIError' || error.oclif?.exit === 2) {
    const notFound = /^command (\S+) not found\.?$/i.exec(message.trim())
    if (notFound) {
      const typed = context.typedCommand ?? notFound[1].replaceAll(':', ' ')
      if (typed.startsWith('-')) return `${typed} before a command: write archcheck COMMAND [FLAGS] (see archcheck --help)`
      const suggestion = closest(typed, context.commands ?? [])
      return `unknown command "${typed}"${suggestion ? `; did you mean ${suggestion}?` : ''} (see archcheck --help)`
    }
    // oclif's own wording for a flag given without its value.
    const noValue = /^Flag (--[\w-]+) expects a value$/.exec(message.trim())
    if (noValue) return `${noValue[1]} needs a value`
    return oneLine(stripFlagParsePrefix(message))
  }
  return undefined
}

/** oclif prefixes a flag's own parse error with "Parsing --NAME \n\t". */
function stripFlagParsePrefix(message: string): string {
  return message
    .replace(/^Parsing (--[\w-]+)\s*\n\t(.)/, (_, flag: string, first: string) => `${flag}: ${first.toLowerCase()}`)
    .replace(/\s*See more help with --help\s*$/, '')
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}

function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
}

function stripAnsi(text: string): string {
  return text.replace(/\u001B\[[0-9;]*m/g, '')
}

/** The known flag closest to a mistyped one (at most two edits away), for "did you mean". */
export function closestFlag(typed: string, names: string[]): string | undefined {
  return closest(typed.replace(/^-+/, '').split('=')[0], names)
}

function closest(typed: string, names: string[]): string | undefined {
  let best: {name: string; distance: number} | undefined
  for (const name of names) {
    const distance = editDistance(typed, name)
    if (distance <= 2 && distance < (best?.distance ?? Infinity)) best = {name, distance}
  }
  return best?.name
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
