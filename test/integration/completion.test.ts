/**
 * Shell completion (`archcheck autocomplete`): the script each shell loads, driven in the real
 * shell as it completes a partial command line. bash: the completion function called as bash
 * calls it (COMP_WORDS, COMP_CWORD → COMPREPLY). fish: `complete -C`. zsh: an interactive zsh in
 * a pseudo-terminal (zsh/zpty) pressing TAB, with compadd reporting what it was given.
 * PowerShell is not installable here (no Debian package): its script is parsed with tree-sitter's
 * PowerShell grammar and its tables checked as text.
 * Runs the built CLI.
 */
import {execFile} from 'node:child_process'
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import Parser from 'tree-sitter'
import PowerShell from 'tree-sitter-powershell/bindings/node/index.js'
import {beforeAll, describe, expect, it} from 'vitest'

import {CLI_PATH, runCli} from '../helpers/cli.js'
import {tempDir} from '../helpers/temp-dir.js'

const PLATFORMS = [
  'linux/386',
  'linux/amd64',
  'linux/arm/v6',
  'linux/arm/v7',
  'linux/arm64',
  'linux/ppc64le',
  'linux/riscv64',
  'linux/s390x',
]

let work: string
const scripts: Record<string, string> = {}

beforeAll(async () => {
  work = await tempDir('completion')
  // Files for file-name completion: two reports and a directory.
  await mkdir(join(work, 'reports'))
  await writeFile(join(work, 'reports', 'junit.xml'), '')
  await writeFile(join(work, 'reports', 'summary.html'), '')
  for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
    const run = await runCli(['autocomplete', 'script', shell])
    expect(run.code, run.stderr).toBe(0)
    scripts[shell] = join(work, `completion.${shell}`)
    await writeFile(scripts[shell], run.stdout)
  }
}, 60_000)

function shell(program: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, {cwd: work, timeout: 30_000, env: {...process.env, HOME: work, ...env}}, (error, stdout, stderr) =>
      error ? reject(new Error(`${program} failed: ${stderr}`)) : resolve(stdout),
    )
  })
}

/** What bash offers for `words`, the cursor at the end of the last one. */
async function bash(words: string[]): Promise<string[]> {
  const script = [
    `source ${scripts.bash}`,
    'complete -p archcheck',
    `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_archcheck',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n')
  const [registration, ...replies] = (await shell('bash', ['--norc', '--noprofile', '-c', script])).trimEnd().split('\n')
  expect(registration).toBe('complete -F _archcheck archcheck')
  return replies.filter(Boolean).sort()
}

/** What fish offers for the command line `line` (cursor at its end): the candidates, without descriptions. */
async function fish(line: string): Promise<string[]> {
  const out = await shell('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C '${line}'`])
  return out
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.split('\t')[0])
    .sort()
}

/**
 * What zsh offers when TAB is pressed at the end of `line`: an interactive zsh in a pseudo-terminal,
 * with compinit, the script, a compadd that prints what it adds, and TAB bound to a widget that
 * completes and then prints a marker (quoted apart, so the echo of the typed text never matches).
 */
async function zsh(line: string): Promise<string[]> {
  const driver = [
    'zmodload zsh/zpty',
    'zpty z zsh -f -i',
    `zpty -w z 'PS1= PROMPT= RPROMPT=; autoload -Uz compinit && compinit -u -D'`,
    `zpty -w z 'source ${scripts.zsh}'`,
    `zpty -w z 'compadd() { if [[ " $* " == *" -"[OAD]" "* ]]; then builtin compadd "$@"; return; fi; local -a hits; builtin compadd -A hits "$@"; local hit; for hit in $hits; do print -r -- "<h""it>$IPREFIX$hit"; done; builtin compadd "$@"; }'`,
    `zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no"`,
    `zpty -w z '_complete_and_mark() { zle complete-word; print -r -- "<do""ne>"; }; zle -N _complete_and_mark; bindkey "^I" _complete_and_mark'`,
    `zpty -w -n z ${JSON.stringify(line)}$'\\t'`,
    'out=',
    `while zpty -r z chunk; do out+=$chunk; [[ $out == *'<done>'* ]] && break; done`,
    'zpty -d z',
    'print -r -- "$out"',
  ].join('\n')
  const out = await shell('zsh', ['-f', '-c', driver])
  return [...new Set([...out.replaceAll('\r', '').matchAll(/<hit>([^<\n]*)/g)].map((match) => match[1]))].sort()
}

describe('bash', () => {
  it('completes commands, topics and their subcommands', async () => {
    expect(await bash(['archcheck', 've'])).toEqual(['verify'])
    expect(await bash(['archcheck', ''])).toEqual(
      expect.arrayContaining(['audit', 'autocomplete', 'builder', 'inspect', 'resolve', 'verify']),
    )
    expect(await bash(['archcheck', 'builder', ''])).toEqual(['create', 'inspect'])
    expect(await bash(['archcheck', 'autocomplete', ''])).toEqual(['bash', 'fish', 'powershell', 'script', 'zsh'])
  })

  it("completes a command's flags, and only its own, also after its argument", async () => {
    expect(await bash(['archcheck', 'verify', '--cl'])).toEqual(['--client'])
    expect(await bash(['archcheck', 'audit', 'app', '--timeout', '30', '--fo'])).toEqual(['--format'])
    expect(await bash(['archcheck', 'inspect', '--fo'])).toEqual([])
    expect(await bash(['archcheck', 'build', '--no-v'])).toEqual(['--no-verify'])
  })

  it("completes a flag's values: fixed sets, platforms, comma lists, --flag=value", async () => {
    expect(await bash(['archcheck', 'audit', '--format', ''])).toEqual(['csv', 'html', 'markdown', 'text'])
    expect(await bash(['archcheck', 'audit', '--format', '=', 'm'])).toEqual(['markdown'])
    expect(await bash(['archcheck', 'verify', '--client', 'docker'])).toEqual(['docker', 'docker@20.10'])
    expect(await bash(['archcheck', 'verify', '--require', ''])).toEqual([...PLATFORMS, 'native'].sort())
    expect(await bash(['archcheck', 'resolve', 'app', '--host', 'linux/arm64,linux/arm/'])).toEqual([
      'linux/arm64,linux/arm/v6',
      'linux/arm64,linux/arm/v7',
    ])
    // build hands its platforms to the build tool, which has no `native`.
    expect(await bash(['archcheck', 'build', '--platform', 'n'])).toEqual([])
    // A value without a fixed set gets no candidates, and is not taken for the argument.
    expect(await bash(['archcheck', 'audit', '--timeout', ''])).toEqual([])
  })

  it('completes file names for file flags and directories for directory flags', async () => {
    expect(await bash(['archcheck', 'verify', 'app', '--junit', 'reports/'])).toEqual(['reports/junit.xml', 'reports/summary.html'])
    expect(await bash(['archcheck', 'audit', '--from', 'rep'])).toEqual(['reports'])
    expect(await bash(['archcheck', 'audit', '--cache-dir', 'reports/'])).toEqual([])
  })
  it('skips global switches before the command', async () => {
    expect(await bash(['archcheck', '--debug', 'inspect', '--js'])).toEqual(['--json'])
    expect(await bash(['archcheck', '--debug', 'builder', ''])).toEqual(['create', 'inspect'])
    expect(await bash(['archcheck', '--debug', 'audit', '--format', 'c'])).toEqual(['csv'])
    // After a command word a switch ends the command, as oclif reads it: this is the topic builder.
    expect(await bash(['archcheck', 'builder', '--debug', 'inspect', '--'])).toEqual([])
  })

  it('offers the root flags, and commands and topics after help', async () => {
    expect(await bash(['archcheck', '--'])).toEqual(['--debug', '--help', '--version'])
    expect(await bash(['archcheck', 'help', ''])).toEqual(expect.arrayContaining(['audit', 'autocomplete', 'builder', 'inspect', 'verify']))
    expect(await bash(['archcheck', 'help', 'builder', ''])).toEqual(['create', 'inspect'])
    expect(await bash(['archcheck', 'help', 'builder', 'create', ''])).toEqual([])
  })

  it('offers a positional value only until it is given, and list items not yet in the list', async () => {
    expect(await bash(['archcheck', 'autocomplete', 'script', 'bash', ''])).toEqual([])
    expect(await bash(['archcheck', 'resolve', 'app', '--host', 'linux/arm64,linux/arm'])).toEqual([
      'linux/arm64,linux/arm/v6',
      'linux/arm64,linux/arm/v7',
    ])
  })
})

describe('fish', () => {
  it('completes subcommands with their summaries', async () => {
    expect(await fish('archcheck ve')).toEqual(['verify'])
    expect(await fish('archcheck builder ')).toEqual(['create', 'inspect'])
    const out = await shell('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C 'archcheck au'`])
    expect(out).toMatch(/^audit\tAudit many images at once$/m)
  })

  it("completes a command's flags and their values", async () => {
    expect(await fish('archcheck verify --cl')).toEqual(['--client'])
    expect(await fish('archcheck inspect --fo')).toEqual([])
    expect(await fish('archcheck audit --format ')).toEqual(['csv', 'html', 'markdown', 'text'])
    expect(await fish('archcheck audit --format=m')).toEqual(['--format=markdown'])
    expect(await fish('archcheck verify --require ')).toEqual([...PLATFORMS, 'native'].sort())
    expect(await fish('archcheck audit --host linux/arm64,linux/arm/')).toEqual(['linux/arm64,linux/arm/v6', 'linux/arm64,linux/arm/v7'])
    expect(await fish('archcheck audit --timeout ')).toEqual([])
  })

  it('completes file names for file flags only', async () => {
    expect(await fish('archcheck verify app --junit reports/')).toEqual(['reports/junit.xml', 'reports/summary.html'])
    expect(await fish('archcheck verify app ')).toEqual([])
  })
  it('skips global switches, offers root flags, help topics, and each positional value once', async () => {
    expect(await fish('archcheck --debug inspect --js')).toEqual(['--json'])
    expect(await fish('archcheck --debug builder ')).toEqual(['create', 'inspect'])
    expect(await fish('archcheck builder --debug inspect --')).toEqual([])
    expect(await fish('archcheck --')).toEqual(['--debug', '--help', '--version'])
    expect(await fish('archcheck help ')).toEqual(expect.arrayContaining(['audit', 'autocomplete', 'builder', 'inspect', 'verify']))
    expect(await fish('archcheck help builder ')).toEqual(['create', 'inspect'])
    expect(await fish('archcheck autocomplete script ')).toEqual(['bash', 'fish', 'powershell', 'zsh'])
    expect(await fish('archcheck autocomplete script bash ')).toEqual([])
    expect(await fish('archcheck audit --host linux/arm64,linux/arm')).toEqual(['linux/arm64,linux/arm/v6', 'linux/arm64,linux/arm/v7'])
  })
})

describe('zsh', () => {
  it('completes subcommands, flags and their values', async () => {
    expect(await zsh('archcheck builder ')).toEqual(['create', 'inspect'])
    expect(await zsh('archcheck verify --cl')).toEqual(['--client'])
    expect(await zsh('archcheck audit --format ')).toEqual(['csv', 'html', 'markdown', 'text'])
    expect(await zsh('archcheck audit --format=m')).toEqual(['--format=markdown'])
    expect(await zsh('archcheck verify --require ')).toEqual([...PLATFORMS, 'native'].sort())
    // A comma list offers the platforms not yet in it.
    expect(await zsh('archcheck audit --host linux/arm64,linux/a')).toEqual([
      'linux/arm64,linux/amd64',
      'linux/arm64,linux/arm/v6',
      'linux/arm64,linux/arm/v7',
    ])
    expect(await zsh('archcheck verify app --junit reports/')).toEqual(['junit.xml', 'summary.html'])
  }, 60_000)

  it('skips global switches, offers root flags and commands and topics after help', async () => {
    expect(await zsh('archcheck --debug inspect --js')).toEqual(['--json'])
    expect(await zsh('archcheck --debug builder ')).toEqual(['create', 'inspect'])
    expect(await zsh('archcheck builder --debug inspect --')).toEqual([])
    expect(await zsh('archcheck --')).toEqual(['--debug', '--help', '--version'])
    expect(await zsh('archcheck help ')).toEqual(expect.arrayContaining(['audit', 'autocomplete', 'builder', 'inspect', 'verify']))
    expect(await zsh('archcheck help builder ')).toEqual(['create', 'inspect'])
  }, 60_000)
})

/** Where PowerShell's grammar fails to read `source`: each syntax error with its line. */
function powershellSyntaxErrors(source: string): string[] {
  const parser = new Parser()
  parser.setLanguage(PowerShell)
  const errors: string[] = []
  const visit = (node: Parser.SyntaxNode): void => {
    if (node.type === 'ERROR' || node.isMissing) errors.push(`line ${node.startPosition.row + 1}: ${node.text.slice(0, 80)}`)
    for (const child of node.children) visit(child)
  }
  visit(parser.parse(source, undefined, {bufferSize: 1 << 22}).rootNode)
  return errors
}

describe('powershell', () => {
  it('writes a script that parses as PowerShell', async () => {
    const run = await runCli(['autocomplete', 'script', 'powershell'])
    expect(powershellSyntaxErrors(run.stdout)).toEqual([])
    // The check sees a broken script: the same without the brace that closes the completer.
    expect(powershellSyntaxErrors(run.stdout.replace(/\}\s*$/, ''))).not.toEqual([])
  })

  it('registers a completer holding every command, flag and value set', async () => {
    const run = await runCli(['autocomplete', 'script', 'powershell'])
    expect(run.stdout).toContain("Register-ArgumentCompleter -Native -CommandName 'archcheck'")
    expect(run.stdout).toMatch(/'builder' = @\(@\{Word = 'create'; Summary = '[^']+'\}, @\{Word = 'inspect'/)
    expect(run.stdout).toMatch(
      /@\{Words = @\('--format'\); Names = @\('--format'\); Kind = 'words'; Values = @\('text', 'markdown', 'csv', 'html'\)/,
    )
    expect(run.stdout).toMatch(
      /@\{Words = @\('--require'\); Names = @\('--require'\); Kind = 'list'; Values = @\('linux\/amd64', 'linux\/arm64'/,
    )
    expect(run.stdout).toMatch(/@\{Words = @\('--junit'\); Names = @\('--junit'\); Kind = 'files'/)
    // Global switches skipped before the command; --help and --version before any; help's topics.
    expect(run.stdout).toContain("Globals = @('--debug')")
    expect(run.stdout).toMatch(/ {6}'' = @\(\n(.*\n)*? {8}@\{Words = @\('--version'\)/)
    expect(run.stdout).toMatch(/'help builder' = @\(@\{Word = 'create'/)
  })
})

describe('autocomplete', () => {
  it('sets completion up with the very line it shows, archcheck found on PATH', async () => {
    const bin = join(work, 'bin')
    await mkdir(bin, {recursive: true})
    await writeFile(join(bin, 'archcheck'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_PATH)} "$@"\n`)
    await chmod(join(bin, 'archcheck'), 0o755)
    const path = {PATH: `${bin}:${process.env.PATH}`}
    /** The command lines the setup text shows indented, one after the other. */
    const setupLine = async (shellName: string) =>
      (await runCli(['autocomplete', shellName])).stdout
        .split('\n')
        .filter((line) => line.startsWith('  '))
        .map((line) => line.trim())
        .join('\n')

    const bashLine = await setupLine('bash')
    const bashOut = await shell(
      'bash',
      [
        '--norc',
        '--noprofile',
        '-c',
        `${bashLine}\nCOMP_WORDS=(archcheck audit --format '')\nCOMP_CWORD=3\n_archcheck\necho "\${COMPREPLY[*]}"`,
      ],
      path,
    )
    expect(bashOut.trim()).toBe('text markdown csv html')

    // fish: the lines make the completions directory (a new fish user has none) and write a file
    // there that fish loads by itself the first time archcheck is completed.
    await shell('fish', ['--no-config', '-c', await setupLine('fish')], path)
    const fishOut = await shell('fish', ['-c', "complete -C 'archcheck audit --format '"], {
      ...path,
      XDG_CONFIG_HOME: join(work, '.config'),
    })
    expect(
      fishOut
        .split('\n')
        .filter(Boolean)
        .map((entry) => entry.split('\t')[0])
        .sort(),
    ).toEqual(['csv', 'html', 'markdown', 'text'])
  }, 60_000)

  it('shows the start-up line for the shell named, or the one in $SHELL', async () => {
    const bashSetup = await runCli(['autocomplete', 'bash'])
    expect(bashSetup.code).toBe(0)
    expect(bashSetup.stdout).toContain('eval "$(archcheck autocomplete script bash)"')
    const fishSetup = await runCli(['autocomplete'], {env: {SHELL: '/usr/bin/fish'}})
    expect(fishSetup.stdout).toContain('mkdir -p ~/.config/fish/completions')
    expect(fishSetup.stdout).toContain("echo 'archcheck autocomplete script fish | source' > ~/.config/fish/completions/archcheck.fish")
    const psSetup = await runCli(['autocomplete'], {env: {SHELL: '/opt/microsoft/powershell/7/pwsh'}})
    expect(psSetup.stdout).toContain('archcheck autocomplete script powershell | Out-String | Invoke-Expression')
  })

  it('refuses a shell it has no script for, in one line with exit 2', async () => {
    for (const argv of [
      ['autocomplete', 'script', 'tcsh'],
      ['autocomplete', 'tcsh'],
    ]) {
      const run = await runCli(argv)
      expect(run.code).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      expect(run.stderr).toMatch(/^archcheck: .*tcsh/)
    }
    const unknown = await runCli(['autocomplete'], {env: {SHELL: '/bin/tcsh'}})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^archcheck: cannot tell which shell this is \("tcsh"\): name one of bash, zsh, fish, powershell/)
  })
})
