import {
  children,
  commandFlags,
  commandPaths,
  flagWords,
  globalWords,
  identifier,
  posixQuote,
  typedCommands,
  valueFlagWords,
} from './model.js'
import type {CompletionSpec, Values} from './spec.js'

/**
 * bash's completion function for the CLI. bash splits `--format=csv` into `--format`, `=` and
 * `csv` (`=` is in COMP_WORDBREAKS), so both spellings of a flag's value are recognised.
 */
export function bashScript(spec: CompletionSpec): string {
  const fn = `_${identifier(spec.bin)}`
  const paths = commandPaths(spec)
    .filter(Boolean)
    .map((path) => posixQuote(path))
  const childCases = commandPaths(spec)
    .map((path) => [path, children(spec, path).map((child) => child.word)] as const)
    .filter(([, words]) => words.length > 0)
    .map(([path, words]) => `    ${posixQuote(path)}) words=${posixQuote(words.join(' '))} ;;`)
  const flagCases = [{words: '', flags: spec.rootFlags}, ...typedCommands(spec)].map(
    (command) => `    ${posixQuote(command.words)}) words=${posixQuote(commandFlags(command.flags).flatMap(flagWords).join(' '))} ;;`,
  )
  const valueCases = typedCommands(spec).flatMap((command) =>
    commandFlags(command.flags)
      .filter((flag) => flag.values)
      .map((flag) => {
        const patterns = valueFlagWords(flag).map((word) => posixQuote(`${command.words} ${word}`))
        return `    ${patterns.join('|')}) ${valueAssignment(flag.values!, flag.list)} ;;`
      }),
  )
  const argCases = typedCommands(spec).flatMap((command) =>
    command.args.flatMap((values, index) =>
      'words' in values ? [`    ${posixQuote(`${command.words} ${index}`)}) ${valueAssignment(values, false)} ;;`] : [],
    ),
  )
  const globals = globalWords(spec)
  // After a command word a global switch ends the command: oclif reads the command from the words before it.
  const globalCase = globals.length > 0 ? `      ${globals.map(posixQuote).join('|')}) [[ -z $path ]] || break ;;\n` : ''
  return `# bash completion for ${spec.bin}, written by \`${spec.bin} autocomplete script bash\`; load it with
#   eval "$(${spec.bin} autocomplete script bash)"

# Whether the words given name a topic or a command.
${fn}_is_path() {
  case $1 in
    ${paths.join('|')}) return 0 ;;
  esac
  return 1
}

# Sets kind and words to what may be typed at this point: children of a path, flags of a command,
# values of a command's flag, values of a command's argument (by position).
${fn}_children() {
  kind=words words=
  case $1 in
${childCases.join('\n')}
  esac
}
${fn}_flags() {
  kind=words words=
  case $1 in
${flagCases.join('\n')}
  esac
}
${fn}_values() {
  kind= words=
  case "$1 $2" in
${valueCases.join('\n')}
  esac
}
${fn}_args() {
  kind= words=
  case "$1 $2" in
${argCases.join('\n')}
  esac
}

# COMPREPLY from kind and words for the word being typed: words, a comma-separated list of them,
# files or directories (one per line, so names with spaces stay whole).
${fn}_reply() {
  local typed=$1 prefix= line
  COMPREPLY=()
  case $kind in
    words) while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -W "$words" -- "$typed") ;;
    list)
      [[ $typed == *,* ]] && prefix=\${typed%,*},
      # Only the items not yet in the list.
      local item remaining=
      for item in $words; do [[ ,$prefix == *,"$item",* ]] || remaining+=" $item"; done
      while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -W "$remaining" -P "$prefix" -- "\${typed##*,}")
      ;;
    files | directories)
      compopt -o filenames 2>/dev/null
      if [[ $kind == files ]]; then
        while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -f -- "$typed")
      else
        while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -d -- "$typed")
      fi
      ;;
  esac
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path= word kind words i=1
  # The command: the leading words that name a topic or a command, global switches before them skipped.
  while ((i < COMP_CWORD)); do
    word=\${COMP_WORDS[i]}
    case $word in
${globalCase}      *) ${fn}_is_path "\${path:+$path }$word" || break
        path=\${path:+$path }$word ;;
    esac
    ((i++))
  done
  # The rest up to the cursor: flags, their values, and arguments (counted, for their position).
  local pending= args=0
  while ((i < COMP_CWORD)); do
    word=\${COMP_WORDS[i]}
    if [[ -n $pending ]]; then
      pending=
    elif [[ $word == -* && \${COMP_WORDS[i + 1]} == = ]]; then
      ((i += 2))
    elif [[ $word == -* ]]; then
      ${fn}_values "$path" "$word"
      [[ -n $kind ]] && pending=$word
    else
      ((args++))
    fi
    ((i++))
  done
  local prev=\${COMP_WORDS[COMP_CWORD - 1]}
  if [[ $cur == = && $prev == -* ]]; then
    pending=$prev cur=
  elif [[ $prev == = && \${COMP_WORDS[COMP_CWORD - 2]} == -* ]]; then
    pending=\${COMP_WORDS[COMP_CWORD - 2]}
  fi
  if [[ -n $pending ]]; then
    ${fn}_values "$path" "$pending"
  elif [[ $cur == -* ]]; then
    ${fn}_flags "$path"
  else
    ${fn}_children "$path"
    local subcommands=$words
    ${fn}_args "$path" "$args"
    [[ -n $subcommands ]] && kind=words words="$subcommands $words"
  fi
  ${fn}_reply "$cur"
}

complete -F ${fn} ${spec.bin}
`
}

function valueAssignment(values: Values, list: boolean): string {
  if ('words' in values) return `kind=${list ? 'list' : 'words'} words=${posixQuote(values.words.join(' '))}`
  if ('files' in values) return 'kind=files'
  if ('directories' in values) return 'kind=directories'
  return 'kind=free'
}
