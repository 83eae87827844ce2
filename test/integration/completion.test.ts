/**
 * Shell completion (`archcheck autocomplete`, @oclif/plugin-autocomplete): the scripts it writes
 * for each shell, and bash's completing partial command lines in a real bash, as bash calls a
 * completion function (COMP_WORDS, COMP_CWORD → COMPREPLY). Runs the built CLI.
 */
import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {tempDir} from '../helpers/temp-dir.js'

let env: Record<string, string>
let cache: string

beforeAll(async () => {
  const home = await tempDir('completion')
  cache = join(home, 'cache', 'archcheck', 'autocomplete')
  env = {HOME: home, XDG_CACHE_HOME: join(home, 'cache')}
  const created = await runCli(['autocomplete', 'bash'], {env})
  expect(created.code, created.stderr).toBe(0)
})

/** What bash offers for `words` with the cursor on the last word, after sourcing what `autocomplete script bash` prints. */
async function complete(words: string[]): Promise<string[]> {
  const setup = await runCli(['autocomplete', 'script', 'bash'], {env})
  expect(setup.code, setup.stderr).toBe(0)
  const script = [
    setup.stdout,
    'complete -p archcheck',
    `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_archcheck_autocomplete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n')
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('bash', ['--norc', '--noprofile', '-c', script], {env: {...process.env, ...env}}, (error, out, err) =>
      error ? reject(new Error(`bash failed: ${err}`)) : resolve(out),
    )
  })
  const [registration, ...replies] = stdout.trimEnd().split('\n')
  expect(registration).toBe('complete -F _archcheck_autocomplete archcheck')
  return replies.filter(Boolean).sort()
}

describe('bash', () => {
  it('completes commands, topics and their subcommands', async () => {
    expect(await complete(['archcheck', 've'])).toEqual(['verify'])
    expect(await complete(['archcheck', ''])).toEqual(expect.arrayContaining(['audit', 'autocomplete', 'inspect', 'resolve', 'verify']))
    expect(await complete(['archcheck', 'builder', ''])).toEqual(['create', 'inspect'])
  })

  it("completes a command's flags, and only its own", async () => {
    expect(await complete(['archcheck', 'verify', '--cl'])).toEqual(['--client'])
    expect(await complete(['archcheck', 'audit', '--fo'])).toEqual(['--format'])
    expect(await complete(['archcheck', 'inspect', '--fo'])).toEqual([])
  })
})

describe('zsh', () => {
  it("offers --client's and --format's values, with every command and flag described", async () => {
    const zsh = await readFile(join(cache, 'functions', 'zsh', '_archcheck'), 'utf8')
    expect(zsh).toContain('#compdef archcheck')
    expect(zsh).toMatch(/--client"\[[^\]]*\]:client options:\(docker docker@20\.10 containerd podman exact [^)]*\)"/)
    expect(zsh).toMatch(/--format"\[[^\]]*\]:format options:\(text markdown csv html\)"/)
    for (const command of ['audit', 'inspect', 'resolve', 'verify', 'diagnose', 'build']) expect(zsh).toMatch(new RegExp(`"${command}\\[`))
    const setup = await runCli(['autocomplete', 'script', 'zsh'], {env})
    expect(setup.stdout).toContain(join(cache, 'zsh_setup'))
  })
})

describe('powershell', () => {
  it('writes a completer for archcheck', async () => {
    const ps1 = await readFile(join(cache, 'functions', 'powershell', 'archcheck.ps1'), 'utf8')
    expect(ps1).toContain('Register-ArgumentCompleter')
    expect(ps1).toContain('"verify"')
  })
})

it('refuses a shell it has no script for, in one line with exit 2', async () => {
  const run = await runCli(['autocomplete', 'script', 'tcsh'], {env})
  expect(run.code).toBe(2)
  expect(run.stderr.trim().split('\n')).toHaveLength(1)
  expect(run.stderr).toMatch(/^archcheck: .*tcsh/)
})
