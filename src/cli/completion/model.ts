import type {CommandSpec, CompletionSpec, FlagSpec} from './spec.js'

/**
 * Questions every shell's script answers the same way, asked of the spec while a script is
 * written, so each script holds tables rather than logic of its own about the commands.
 */

/**
 * Every command as typed, `help COMMAND` included: help takes a command or topic as its argument,
 * so `help builder` is followed by builder's subcommands, and takes help's flags.
 */
export function typedCommands(spec: CompletionSpec): CommandSpec[] {
  const help = spec.commands.find((command) => command.words === 'help')
  if (!help) return spec.commands
  const named = [...spec.topics, ...spec.commands].map((entry) => ({
    ...help,
    words: `help ${entry.words}`,
    summary: entry.summary,
    args: [],
  }))
  return [...spec.commands, ...named]
}

/** Every command path a user can have typed: '' (none yet), each topic and each command. */
export function commandPaths(spec: CompletionSpec): string[] {
  return ['', ...[...spec.topics, ...typedCommands(spec)].map((entry) => entry.words).sort()]
}

/** What may follow a command path as the next word: its subcommands, with their summaries. */
export function children(spec: CompletionSpec, path: string): Array<{word: string; summary: string}> {
  const depth = path === '' ? 0 : path.split(' ').length
  const prefix = path === '' ? '' : `${path} `
  return [...spec.topics, ...typedCommands(spec)]
    .filter((entry) => entry.words.startsWith(prefix) && entry.words.split(' ').length === depth + 1)
    .map((entry) => ({word: entry.words.split(' ')[depth], summary: entry.summary}))
    .sort((a, b) => a.word.localeCompare(b.word))
}

/** A flag as typed: `--name`, and `-c` when it has a one-letter form. */
export function flagWords(flag: FlagSpec): string[] {
  return [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : []), ...(flag.negatable ? [`--no-${flag.name}`] : [])]
}

/** The flag words that take a value (`--no-NAME` never does). */
export function valueFlagWords(flag: FlagSpec): string[] {
  return flag.values ? [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])] : []
}

/** Flags in the order completion lists them. */
export function commandFlags(flags: readonly FlagSpec[]): FlagSpec[] {
  return [...flags].sort((a, b) => a.name.localeCompare(b.name))
}

/** The words of the switches that may come before the command, skipped when finding it. */
export function globalWords(spec: CompletionSpec): string[] {
  return spec.globalFlags.flatMap(flagWords)
}

/** `'text'` for a shell that takes single-quoted strings with `'\''` for a quote (bash, zsh). */
export function posixQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** A name usable in a shell function's name, from the CLI's bin. */
export function identifier(bin: string): string {
  return bin.replace(/[^A-Za-z0-9_]/g, '_')
}
