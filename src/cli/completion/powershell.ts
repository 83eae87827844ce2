import {children, commandFlags, commandPaths, flagWords, globalWords, typedCommands, valueFlagWords} from './model.js'
import type {CompletionSpec, FlagSpec, Values} from './spec.js'

/**
 * PowerShell's argument completer for the CLI: tables of subcommands, flags and values, and one
 * script block that walks the words typed. A file or directory value gets no candidates of ours:
 * PowerShell then completes paths itself.
 */
export function powershellScript(spec: CompletionSpec): string {
  const bin = spec.bin
  const childEntries = commandPaths(spec)
    .map((path) => [path, children(spec, path)] as const)
    .filter(([, entries]) => entries.length > 0)
    .map(
      ([path, entries]) =>
        `      ${psQuote(path)} = @(${entries.map((entry) => `@{Word = ${psQuote(entry.word)}; Summary = ${psQuote(entry.summary)}}`).join(', ')})`,
    )
  const flagEntries = [{words: '', flags: spec.rootFlags}, ...typedCommands(spec)].map(
    (command) =>
      `      ${psQuote(command.words)} = @(\n${commandFlags(command.flags)
        .map((flag) => `        ${flagEntry(flag)}`)
        .join('\n')}\n      )`,
  )
  const argEntries = typedCommands(spec).flatMap((command) =>
    command.args.flatMap((values, index) =>
      'words' in values ? [`      ${psQuote(`${command.words} ${index}`)} = @(${values.words.map(psQuote).join(', ')})`] : [],
    ),
  )
  return `# PowerShell completion for ${bin}, written by \`${bin} autocomplete script powershell\`; load it with
#   ${bin} autocomplete script powershell | Out-String | Invoke-Expression

Register-ArgumentCompleter -Native -CommandName ${psQuote(bin)} -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  # The tables live in the block: it runs in whatever scope the profile loaded it from.
  $spec = @{
    Paths = @(${commandPaths(spec).filter(Boolean).map(psQuote).join(', ')})
    Globals = @(${globalWords(spec).map(psQuote).join(', ')})
    Children = @{
${childEntries.join('\n')}
    }
    Flags = @{
${flagEntries.join('\n')}
    }
    Args = @{
${argEntries.join('\n')}
    }
  }
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
  # The command: the leading words that name a topic or a command, global switches before them skipped.
  $typed = ''
  $i = 1
  while ($i -lt $words.Count) {
    if ($typed -ne '' -or $spec.Globals -notcontains $words[$i]) {
      if ($spec.Paths -notcontains "$typed $($words[$i])".Trim()) { break }
      $typed = "$typed $($words[$i])".Trim()
    }
    $i++
  }
  $flags = @()
  if ($spec.Flags.ContainsKey($typed)) { $flags = $spec.Flags[$typed] }
  # The rest: flags, their values, and arguments (counted, for their position).
  $pending = $null
  $position = 0
  for (; $i -lt $words.Count; $i++) {
    $word = $words[$i]
    if ($pending) { $pending = $null }
    elseif ($word -like '-*') { if ($word -notlike '*=*') { $pending = $flags | Where-Object { $_.Kind -and $_.Names -contains $word } | Select-Object -First 1 } }
    else { $position++ }
  }
  $current = $wordToComplete
  $prefix = ''
  if (-not $pending -and $current -match '^(-[^=]+=)(.*)$') {
    $prefix = $Matches[1]
    $current = $Matches[2]
    $pending = $flags | Where-Object { $_.Kind -and $_.Names -contains $prefix.TrimEnd('=') } | Select-Object -First 1
  }
  $candidates = @()
  if ($pending) {
    $given = @()
    if ($pending.Kind -eq 'list' -and $current -match '^(.*,)([^,]*)$') {
      $prefix += $Matches[1]
      $current = $Matches[2]
      # Only the items not yet in the list.
      $given = $Matches[1].Split(',')
    }
    $candidates = @($pending.Values | Where-Object { $given -notcontains $_ } | ForEach-Object { @{Text = $_; Tip = $_; Type = 'ParameterValue'} })
  }
  elseif ($current -like '-*') {
    $candidates = @($flags | ForEach-Object { $flag = $_; $flag.Words | ForEach-Object { @{Text = $_; Tip = $flag.Summary; Type = 'ParameterName'} } })
  }
  else {
    if ($spec.Children.ContainsKey($typed)) {
      $candidates += @($spec.Children[$typed] | ForEach-Object { @{Text = $_.Word; Tip = $_.Summary; Type = 'Command'} })
    }
    if ($spec.Args.ContainsKey("$typed $position")) {
      $candidates += @($spec.Args["$typed $position"] | ForEach-Object { @{Text = $_; Tip = $_; Type = 'ParameterValue'} })
    }
  }
  $pattern = [System.Management.Automation.WildcardPattern]::Escape($current) + '*'
  $candidates | Where-Object { $_.Text -like $pattern } | ForEach-Object {
    # CompletionResult refuses an empty tooltip.
    $tip = if ($_.Tip) { $_.Tip } else { $_.Text }
    [System.Management.Automation.CompletionResult]::new($prefix + $_.Text, $_.Text, $_.Type, $tip)
  }
}
`
}

/** A flag's row: the words that name it, the words that take a value, what the value is. */
function flagEntry(flag: FlagSpec): string {
  const kind = flag.values ? valueKind(flag.values, flag.list) : ''
  const values = flag.values && 'words' in flag.values ? flag.values.words : []
  return `@{Words = @(${flagWords(flag).map(psQuote).join(', ')}); Names = @(${valueFlagWords(flag).map(psQuote).join(', ')}); Kind = ${psQuote(kind)}; Values = @(${values.map(psQuote).join(', ')}); Summary = ${psQuote(flag.summary)}}`
}

function valueKind(values: Values, list: boolean): string {
  if ('words' in values) return list ? 'list' : 'words'
  if ('files' in values) return 'files'
  if ('directories' in values) return 'directories'
  return 'free'
}

/** A single-quoted PowerShell string: a quote is doubled. */
function psQuote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}
