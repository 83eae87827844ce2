import {COMMON_PLATFORMS} from '../../oci/platform/common.js'

/**
 * What shell completion knows about the CLI, read from the commands as oclif loaded them (their
 * manifest): every command and topic, each command's flags and what their values are. Each
 * shell's script is drawn from this one model, so completion follows the commands as they change.
 */
export interface CompletionSpec {
  bin: string
  /** Commands and the topics that group them (`builder`), each by its words: `builder create`. */
  commands: CommandSpec[]
  topics: TopicSpec[]
  /** Switches every command takes that may also come before the command (`--debug`). */
  globalFlags: FlagSpec[]
  /** What `archcheck --` offers: the global switches, --help and --version. */
  rootFlags: FlagSpec[]
}

export interface TopicSpec {
  words: string
  summary: string
}

export interface CommandSpec {
  words: string
  summary: string
  flags: FlagSpec[]
  /** Values of the positional arguments that have a fixed set (`autocomplete`'s shell), in order. */
  args: Values[]
}

export interface FlagSpec {
  name: string
  char?: string
  summary: string
  /** Absent for a flag that takes no value. */
  values?: Values
  /** May be given more than once. */
  repeatable: boolean
  /** Repeatable and comma-separated: each value after a comma is completed as the first. */
  list: boolean
  /** Also written `--no-NAME`. */
  negatable: boolean
}

/** What a flag's value can be: one of a fixed set of words, a file, a directory, or free text. */
export type Values = {words: string[]} | {files: true} | {directories: true} | {free: true}

/** The parts of oclif's cached command (oclif.manifest.json) that completion reads. */
export interface ManifestCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  flags: Record<string, ManifestFlag>
  args: Record<string, {options?: readonly string[]; hidden?: boolean}>
}

export interface ManifestFlag {
  type: 'boolean' | 'option'
  char?: string
  summary?: string
  description?: string
  hidden?: boolean
  helpValue?: string | readonly string[]
  helpGroup?: string
  options?: readonly string[]
  multiple?: boolean
  allowNo?: boolean
}

/**
 * Values by the placeholder a flag shows in its help (`--key FILE`): the help and completion say
 * the same. A platform flag offers the platforms images commonly ship, and `native` where it is
 * taken (PLATFORMS is handed to the build tool, which does not know it).
 */
const VALUES_BY_HELP_VALUE: Record<string, Values> = {
  FILE: {files: true},
  DIR: {directories: true},
  PLATFORM: {words: [...COMMON_PLATFORMS, 'native']},
  PLATFORMS: {words: COMMON_PLATFORMS},
  // attestations --platform: an image's platform, or the index itself (native means nothing there).
  'PLATFORM|index': {words: [...COMMON_PLATFORMS, 'index']},
}

/** oclif's --help (and -h, package.json's additionalHelpFlags): every command takes it, no manifest lists it. */
const HELP_FLAG: FlagSpec = {name: 'help', char: 'h', summary: 'Show help', repeatable: false, list: false, negatable: false}
/** oclif's --version: taken before any command. */
const VERSION_FLAG: FlagSpec = {name: 'version', summary: 'Show the version', repeatable: false, list: false, negatable: false}

export function completionSpec(bin: string, commands: readonly ManifestCommand[]): CompletionSpec {
  const visible = commands.filter((command) => !command.hidden).sort((a, b) => a.id.localeCompare(b.id))
  const commandSpecs = visible.map((command) => commandSpec(command, bin))
  const commandWords = new Set(commandSpecs.map((command) => command.words))
  const topics = new Map<string, TopicSpec>()
  for (const command of commandSpecs) {
    const words = command.words.split(' ')
    for (let length = 1; length < words.length; length++) {
      const topic = words.slice(0, length).join(' ')
      if (!commandWords.has(topic) && !topics.has(topic)) topics.set(topic, {words: topic, summary: `${topic} commands`})
    }
  }
  const globalFlags = new Map<string, FlagSpec>()
  for (const command of visible) {
    for (const [name, flag] of Object.entries(command.flags)) {
      // Only a switch: one taking a value would take the command's name for it.
      if (flag.helpGroup === 'GLOBAL' && flag.type === 'boolean' && !flag.hidden) globalFlags.set(name, flagSpec(name, flag))
    }
  }
  const sortedGlobals = [...globalFlags.values()].sort((a, b) => a.name.localeCompare(b.name))
  return {
    bin,
    commands: commandSpecs,
    topics: [...topics.values()],
    globalFlags: sortedGlobals,
    rootFlags: [...sortedGlobals, HELP_FLAG, VERSION_FLAG],
  }
}

function commandSpec(command: ManifestCommand, bin: string): CommandSpec {
  const flags = Object.entries(command.flags)
    .filter(([, flag]) => !flag.hidden)
    .map(([name, flag]) => flagSpec(name, flag))
  return {
    words: command.id.replaceAll(':', ' '),
    // oclif's own commands write the CLI's name as a template (`Display help for <%= config.bin %>`).
    summary: firstLine(command.summary ?? command.description ?? '').replaceAll('<%= config.bin %>', bin),
    flags: [...flags, HELP_FLAG],
    args: Object.values(command.args)
      .filter((arg) => !arg.hidden)
      .map((arg) => (arg.options ? {words: [...arg.options]} : {free: true})),
  }
}

function flagSpec(name: string, flag: ManifestFlag): FlagSpec {
  const spec: FlagSpec = {
    name,
    summary: firstLine(flag.summary ?? flag.description ?? ''),
    repeatable: flag.multiple === true,
    list: false,
    negatable: flag.allowNo === true,
  }
  if (flag.char) spec.char = flag.char
  if (flag.type === 'option') {
    spec.values = flagValues(flag)
    spec.list = flag.multiple === true && 'words' in spec.values
  }
  return spec
}

function flagValues(flag: ManifestFlag): Values {
  if (flag.options) return {words: [...flag.options]}
  const helpValue = typeof flag.helpValue === 'string' ? flag.helpValue : undefined
  return (helpValue && VALUES_BY_HELP_VALUE[helpValue]) || {free: true}
}

/**
 * A summary for a completion menu, one line per entry: the first sentence or clause (outside
 * parentheses, so `(e.g. …)` stays whole), at most 80 characters.
 */
const CONDITION = /^(With|Without|For|Only)\b/

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim()
  let depth = 0
  let end = line.length
  for (let i = 0; i < line.length; i++) {
    const char = line[i]
    if (char === '(') depth++
    else if (char === ')') depth = Math.max(0, depth - 1)
    // A colon ends the clause ("Pull client to model: docker, …"), unless what it ends is only a
    // condition ("With --predicate: the platform …", "For a repository without a tag: …").
    else if (
      depth === 0 &&
      (char === ':' ? !CONDITION.test(line) : '.;'.includes(char)) &&
      (i + 1 === line.length || line[i + 1] === ' ')
    ) {
      end = i
      break
    }
  }
  const clause = line.slice(0, end)
  return clause.length > 80 ? `${clause.slice(0, 79)}…` : clause
}
