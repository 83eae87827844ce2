import {children, commandFlags, commandPaths, globalWords, identifier, posixQuote, typedCommands, valueFlagWords} from './model.js'
import type {CommandSpec, CompletionSpec, FlagSpec, Values} from './spec.js'

/**
 * zsh's completion function for the CLI: subcommands with their summaries through `_describe`,
 * a command's flags and arguments through `_arguments` (which also takes `--format=csv`).
 */
export function zshScript(spec: CompletionSpec): string {
  const fn = `_${identifier(spec.bin)}`
  const paths = commandPaths(spec).filter(Boolean)
  const childCases = commandPaths(spec)
    .map((path) => [path, children(spec, path)] as const)
    .filter(([, entries]) => entries.length > 0)
    .map(
      ([path, entries]) =>
        `    ${posixQuote(path)}) subcommands=(${entries.map((entry) => posixQuote(`${entry.word}:${entry.summary}`)).join(' ')}) ;;`,
    )
  const specCases = typedCommands(spec).map(
    (command) => `    ${posixQuote(command.words)}) specs=(${commandSpecs(command).map(posixQuote).join(' ')}) ;;`,
  )
  // Before any command only a flag being typed gets them: _arguments would add them to the commands.
  const rootFlags = spec.rootFlags.flatMap(flagSpecs).map(posixQuote).join(' ')
  return `#compdef ${spec.bin}
# zsh completion for ${spec.bin}, written by \`${spec.bin} autocomplete script zsh\`; load it with
#   eval "$(${spec.bin} autocomplete script zsh)"

${fn}() {
  local typed= i=2
  local -a known=(${paths.map(posixQuote).join(' ')}) globals=(${globalWords(spec).map(posixQuote).join(' ')}) subcommands specs
  # The command: the leading words that name a topic or a command, global switches before them skipped.
  while (( i < CURRENT )); do
    if [[ -n $typed ]] || (( ! \${globals[(Ie)\${words[i]}]} )); then
      (( \${known[(Ie)\${typed:+$typed }\${words[i]}]} )) || break
      typed=\${typed:+$typed }\${words[i]}
    fi
    (( i++ ))
  done
  case $typed in
${childCases.join('\n')}
  esac
  case $typed in
    '') [[ \${words[CURRENT]} == -* ]] && specs=(${rootFlags}) ;;
${specCases.join('\n')}
  esac
  local ret=1
  if (( \${#subcommands} )) && [[ \${words[CURRENT]} != -* ]]; then
    _describe -t commands command subcommands && ret=0
  fi
  if (( \${#specs} )); then
    # _arguments reads the command's words from words[1], the command's last word.
    shift $(( i - 2 )) words
    (( CURRENT -= i - 2 ))
    _arguments -S $specs && ret=0
  fi
  return ret
}

if (( ! $+functions[compdef] )); then
  autoload -Uz compinit && compinit
fi
compdef ${fn} ${spec.bin}
`
}

/** _arguments' specs for a command: each flag and each positional argument. */
function commandSpecs(command: CommandSpec): string[] {
  const flags = commandFlags(command.flags).flatMap((flag) => flagSpecs(flag))
  const args = command.args.map(
    (values, index) => `${index + 1}:${values && 'words' in values ? `value:(${values.words.join(' ')})` : ' : '}`,
  )
  return [...flags, ...args, '*: : ']
}

function flagSpecs(flag: FlagSpec): string[] {
  const description = `[${zshEscape(flag.summary)}]`
  const words = flag.values ? valueFlagWords(flag) : [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])]
  const specs = words.map(
    (word) =>
      `${flag.repeatable ? '*' : ''}${word}${flag.values ? '=' : ''}${description}${flag.values ? valueAction(flag.name, flag.values, flag.list) : ''}`,
  )
  return flag.negatable ? [...specs, `--no-${flag.name}${description}`] : specs
}

function valueAction(name: string, values: Values, list: boolean): string {
  if ('words' in values) return list ? `:${name}:_values -s , ${name} ${values.words.join(' ')}` : `:${name}:(${values.words.join(' ')})`
  if ('files' in values) return `:${name}:_files`
  if ('directories' in values) return `:${name}:_files -/`
  return `:${name}: `
}

/** Text inside an _arguments description: its brackets and colons would end the field. */
function zshEscape(text: string): string {
  return text.replace(/[[\]:\\]/g, (char) => `\\${char}`)
}
