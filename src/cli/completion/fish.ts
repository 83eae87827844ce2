import {children, commandFlags, commandPaths, globalWords, identifier, typedCommands, valueFlagWords} from './model.js'
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
  for (const command of [{words: '', flags: spec.rootFlags, args: []}, ...typedCommands(spec)]) {
    const condition = `-n ${fishQuote(`${fn}_at ${fishQuote(command.words)}`)}`
    for (const flag of commandFlags(command.flags)) lines.push(...flagLines(bin, fn, condition, flag))
    // An argument's values only at its position, counted past the flags and the values they take.
    const valueFlags = command.flags.flatMap(valueFlagWords).map(fishQuote).join(' ')
    command.args.forEach((values, index) => {
      if (!('words' in values)) return
      const atArg = fishQuote(`${fn}_arg ${fishQuote(command.words)} ${index} ${valueFlags}`.trimEnd())
      lines.push(`complete -c ${bin} -n ${atArg} -a ${fishQuote(values.words.join(' '))}`)
    })
  }
  return `# fish completion for ${bin}, written by \`${bin} autocomplete script ${'fish'}\`; load it with
#   ${bin} autocomplete script fish | source

# The words typed before the cursor, global switches before the command skipped: the command (the leading words that
# name a topic or a command) with \`path\`, the words after it with \`rest\`.
function ${fn}_words
    set -l path
    set -l rest
    for word in (commandline -opc)[2..-1]
        if not set -q rest[1]
            test -z "$path"; and contains -- $word ${globalWords(spec).map(fishQuote).join(' ')}; and continue
            if contains -- "$path $word" ${commandPaths(spec)
              .filter(Boolean)
              .map((path) => fishQuote(` ${path}`))
              .join(' ')}
                set path "$path $word"
                continue
            end
        end
        set -a rest $word
    end
    if test "$argv[1]" = path
        string trim -- "$path"
    else if set -q rest[1]
        printf '%s\\n' $rest
    end
end

function ${fn}_at --description 'Whether the command typed so far is this one'
    set -l path (${fn}_words path)
    test "$path" = "$argv[1]"
end

function ${fn}_arg --description 'Whether the command typed is $argv[1] and the next argument is number $argv[2] (from 0), $argv[3..] taking values'
    ${fn}_at $argv[1]; or return 1
    set -l position 0
    set -l pending 0
    for word in (${fn}_words rest)
        if test $pending = 1
            set pending 0
        else if string match -q -- '-*' $word
            contains -- $word $argv[3..-1]; and set pending 1
        else
            set position (math $position + 1)
        end
    end
    test $position = $argv[2]
end

# Each word not yet in the list after what is typed up to the last comma: the next item of a comma-separated list.
function ${fn}_list
    set -l typed (string replace -r -- '^-[^=]*=' '' (commandline -ct))
    set -l prefix (string match -r -- '^.*,' "$typed"); or set prefix ''
    set -l given (string split , -- $prefix)
    for item in $argv
        contains -- $item $given; or printf '%s\\n' $prefix$item
    end
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
