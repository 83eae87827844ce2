/**
 * A Dockerfile parser that keeps what the multi-arch lint needs: instructions with their flags and
 * physical lines, grouped into stages. It follows BuildKit's rules for parser directives, comments,
 * line continuations (with the `escape` directive) and heredocs (`RUN <<EOF … EOF`), so line
 * numbers match what a user sees in an editor.
 */

/** One physical line that belongs to an instruction (continuation lines and heredoc bodies included). */
export interface SourceLine {
  /** 1-based line number in the file. */
  line: number
  text: string
}

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ARG, … */
  keyword: string
  /** Line of the keyword. */
  line: number
  /** `--name=value` flags before the arguments (e.g. FROM --platform, COPY --from). */
  flags: Record<string, string>
  /** The arguments after the flags, continuation lines joined with a space. */
  args: string
  /** Heredoc bodies, in order. */
  heredocs: string[]
  /** Every physical line of the instruction, for pointing at the exact line of a finding. */
  lines: SourceLine[]
}

export interface Stage {
  /** 0-based position; `COPY --from=0` refers to it. */
  index: number
  /** The `AS name`, lower-cased as BuildKit compares stage names. */
  name?: string
  /** The image or stage after FROM (unexpanded). */
  base: string
  /** The FROM instruction. */
  from: Instruction
  /** The instructions after FROM. */
  instructions: Instruction[]
}

export interface Dockerfile {
  directives: Record<string, string>
  /** ARG instructions before the first FROM (the global scope, visible only in FROM lines). */
  globalArgs: Instruction[]
  stages: Stage[]
}

const DIRECTIVE_RE = /^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$/
const HEREDOC_RE = /<<(-?)\s*(["']?)([A-Za-z_][\w.-]*)\2/g
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD'])

export function parseDockerfile(text: string): Dockerfile {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const directives: Record<string, string> = {}
  let index = 0
  // Directives come first; the first line that is not one ends them.
  for (; index < physical.length; index++) {
    const match = DIRECTIVE_RE.exec(physical[index].trim())
    if (!match || match[1].toLowerCase() in directives) break
    directives[match[1].toLowerCase()] = match[2]
  }
  const escape = directives.escape === '`' ? '`' : '\\'
  const instructions: Instruction[] = []

  while (index < physical.length) {
    const raw = physical[index]
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) {
      index++
      continue
    }
    const lines: SourceLine[] = []
    const parts: string[] = []
    const startLine = index + 1
    // Join continuation lines; comment and blank lines inside a continuation are dropped.
    for (;;) {
      const current = physical[index]
      lines.push({line: index + 1, text: current})
      index++
      const continued = endsWithEscape(current, escape)
      parts.push(continued ? current.replace(/\s*$/, '').slice(0, -1) : current)
      if (!continued) break
      while (index < physical.length && /^\s*(#.*)?$/.test(physical[index])) index++
      if (index >= physical.length) break
    }
    const logical = parts
      .map((part) => part.trim())
      .join(' ')
      .trim()
    const keywordMatch = /^(\S+)\s*([\s\S]*)$/.exec(logical)
    if (!keywordMatch) continue
    const keyword = keywordMatch[1].toUpperCase()
    const {flags, rest} = splitFlags(keywordMatch[2])
    const heredocs: string[] = []
    if (HEREDOC_INSTRUCTIONS.has(keyword)) {
      for (const match of logical.matchAll(HEREDOC_RE)) {
        const stripTabs = match[1] === '-'
        const delimiter = match[3]
        const body: string[] = []
        while (index < physical.length) {
          const current = physical[index]
          lines.push({line: index + 1, text: current})
          index++
          const candidate = stripTabs ? current.replace(/^\t+/, '') : current
          if (candidate === delimiter) break
          body.push(candidate)
        }
        heredocs.push(body.join('\n'))
      }
    }
    instructions.push({keyword, line: startLine, flags, args: rest, heredocs, lines})
  }

  const globalArgs: Instruction[] = []
  const stages: Stage[] = []
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter(Boolean)
      const asIndex = words.findIndex((word) => word.toLowerCase() === 'as')
      const name = asIndex !== -1 ? words[asIndex + 1]?.toLowerCase() : undefined
      stages.push({index: stages.length, name, base: words[0] ?? '', from: instruction, instructions: []})
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') globalArgs.push(instruction)
    } else {
      stages.at(-1)!.instructions.push(instruction)
    }
  }
  return {directives, globalArgs, stages}
}

function endsWithEscape(line: string, escape: string): boolean {
  const trimmed = line.replace(/\s*$/, '')
  return trimmed.endsWith(escape) && !/^\s*#/.test(line)
}

/** Leading `--name=value` (or bare `--name`) flags, then the rest. */
function splitFlags(text: string): {flags: Record<string, string>; rest: string} {
  const flags: Record<string, string> = {}
  let rest = text
  for (;;) {
    const match = /^--([a-zA-Z][\w-]*)(?:=("[^"]*"|'[^']*'|\S*))?\s*/.exec(rest)
    if (!match) break
    flags[match[1].toLowerCase()] = (match[2] ?? '').replace(/^(["'])(.*)\1$/, '$2')
    rest = rest.slice(match[0].length)
  }
  return {flags, rest: rest.trim()}
}

/** Names declared by an ARG instruction (`ARG A=1 B`). */
export function declaredArgs(instruction: Instruction): string[] {
  return instruction.args
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => word.split('=')[0])
}

/** Finds the stage a `--from`/FROM value names: a stage name or a stage index before `before`. */
export function findStage(stages: Stage[], reference: string, before: number): Stage | undefined {
  const lower = reference.toLowerCase()
  const byName = stages.find((stage) => stage.index < before && stage.name === lower)
  if (byName) return byName
  if (/^\d+$/.test(reference)) {
    const position = Number(reference)
    if (position < before) return stages[position]
  }
  return undefined
}
