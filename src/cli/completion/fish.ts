import {children, commandFlags, commandPaths, identifier} from './model.js'
import type {CompletionSpec, FlagSpec, Values} from './spec.js'

/** fish's completions for the CLI: one `complete` line per subcommand, flag and argument value. */
export function fishScript(spec: CompletionSpec): string {
  const fn = `__${identifier(spec.bin)}`
  const bin = spec.bin
  const lines: string[] = []
  for (const path of commandPaths(spec)) {
    for (const child of children(spec, path)) {
      lines.push(
        `complete -c ${bin} -n ${fishQuote(`${fn}_at ${fishQuote(path)}`)} -a ${fishQuote(child.word)} -d ${fishQuote(child.summary)}`,
      )
    }
  }
  for (const command of spec.commands) {
    const condition = `-n ${fishQuote(`${fn}_at ${fishQuote(command.words)}`)}`
    for (const flag of commandFlags(command)) lines.push(...flagLines(bin, fn, condition, flag))
    for (const values of command.args) {
      if ('words' in values) lines.push(`complete -c ${bin} ${condition} -a ${fishQuote(values.words.join(' '))}`)
    }
  }
  return `# fish completion for ${bin}, written by \`${bin} autocomplete script ${'fish'}\`; load it with
#   ${bin} autocomplete script fish | source

# The command typed so far: the leading words that name a topic or a command.
function ${fn}_path
    set -l path
    for word in (commandline -opc)[2..-1]
        contains -- "$path $word" ${commandPaths(spec)
          .filter(Boolean)
          .map((path) => fishQuote(` ${path}`))
          .join(' ')}; or break
        set path "$path $word"
    end
    string trim -- "$path"
end

function ${fn}_at --description 'Whether the command typed so far is this one'
    set -l path (${fn}_path)
    test "$path" = "$argv[1]"
end

# Each word after what is typed up to the last comma: the next item of a comma-separated list.
function ${fn}_list
    set -l typed (string replace -r -- '^-[^=]*=' '' (commandline -ct))
    set -l prefix (string match -r -- '^.*,' "$typed"); or set prefix ''
    printf '%s\\n' $prefix$argv
end

complete -c ${bin} -f
${lines.join('\n')}
`
}

function flagLines(bin: string, fn: string, condition: string, flag: FlagSpec): string[] {
  const short = flag.char ? ` -s ${flag.char}` : ''
  const line = `complete -c ${bin} ${condition} -l ${flag.name}${short}${flag.values ? ` ${valueOptions(fn, flag.values, flag.list)}` : ''} -d ${fishQuote(flag.summary)}`
  return flag.negatable ? [line, `complete -c ${bin} ${condition} -l no-${flag.name} -d ${fishQuote(flag.summary)}`] : [line]
}

function valueOptions(fn: string, values: Values, list: boolean): string {
  if ('words' in values) {
    return list ? `-x -a ${fishQuote(`(${fn}_list ${values.words.join(' ')})`)}` : `-x -a ${fishQuote(values.words.join(' '))}`
  }
  if ('files' in values) return '-r -F'
  if ('directories' in values) return `-x -a '(__fish_complete_directories (commandline -ct))'`
  return '-x'
}

/** A single-quoted fish string: only `\` and `'` are escaped there. */
function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}
