/**
 * The model every shell's completion script is drawn from, built from the committed
 * oclif.manifest.json as `archcheck autocomplete script` builds it from the loaded commands.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {chooseShell, completionScript} from '../../../src/cli/completion/index.js'
import {children, typedCommands} from '../../../src/cli/completion/model.js'
import {completionSpec, type ManifestCommand} from '../../../src/cli/completion/spec.js'
import {COMMON_PLATFORMS} from '../../../src/oci/platform/common.js'
import {checkKnownPlatform, parsePlatform} from '../../../src/oci/platform/parse.js'
import {PROJECT_ROOT} from '../../helpers/cli.js'

const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}
const commands = Object.values(manifest.commands)
const spec = completionSpec('archcheck', commands)

function flag(command: string, name: string) {
  return spec.commands.find((entry) => entry.words === command)?.flags.find((entry) => entry.name === name)
}

describe('completionSpec', () => {
  it('holds every visible command by its words, and the topics that group them', () => {
    const visible = commands.filter((command) => !command.hidden).map((command) => command.id.replaceAll(':', ' '))
    expect(spec.commands.map((command) => command.words).sort()).toEqual(visible.sort())
    expect(spec.commands.map((command) => command.words)).toContain('builder create')
    expect(spec.topics.map((topic) => topic.words)).toEqual(['builder'])
  })

  it("offers a flag's options, in the order its help lists them", () => {
    expect(flag('audit', 'format')?.values).toEqual({words: ['text', 'markdown', 'csv', 'html']})
    expect(flag('verify', 'client')?.values).toEqual({words: manifest.commands.verify.flags.client.options})
    expect(flag('verify', 'client')?.list).toBe(false)
    expect(flag('resolve', 'client')?.list).toBe(true)
  })

  it('offers platforms that parse as known platforms, native only where it is taken', () => {
    for (const platform of COMMON_PLATFORMS) expect(() => checkKnownPlatform(platform, parsePlatform(platform))).not.toThrow()
    expect(flag('verify', 'require')?.values).toEqual({words: [...COMMON_PLATFORMS, 'native']})
    expect(flag('audit', 'host')?.list).toBe(true)
    expect(flag('build', 'platform')?.values).toEqual({words: COMMON_PLATFORMS})
  })

  it('completes files, directories, nothing, and no value for a switch, as the help placeholder says', () => {
    for (const [command, name] of [
      ['verify', 'junit'],
      ['verify', 'html'],
      ['verify', 'metadata-file'],
      ['audit', 'from'],
      ['audit', 'hosts-from'],
      ['build', 'file'],
    ] as const) {
      expect(flag(command, name)?.values, `${command} --${name}`).toEqual({files: true})
    }
    expect(flag('audit', 'cache-dir')?.values).toEqual({directories: true})
    expect(flag('audit', 'timeout')?.values).toEqual({free: true})
    expect(flag('audit', 'json')?.values).toBeUndefined()
    expect(flag('build', 'verify')?.negatable).toBe(true)
  })

  it('leaves no file, directory or platform placeholder without its candidates', () => {
    for (const command of commands) {
      for (const [name, entry] of Object.entries(command.flags)) {
        if (typeof entry.helpValue === 'string' && /^(FILE|DIR|PLATFORMS?)$/.test(entry.helpValue)) {
          expect(flag(command.id.replaceAll(':', ' '), name)?.values, `${command.id} --${name}`).not.toEqual({free: true})
        }
      }
    }
  })

  it('describes each entry in one short clause, keeping parentheses whole', () => {
    const summaries = spec.commands.flatMap((command) => [command.summary, ...command.flags.map((entry) => entry.summary)])
    for (const summary of summaries) {
      expect(summary).not.toMatch(/\n/)
      expect(summary.length).toBeLessThanOrEqual(80)
    }
    expect(flag('attestations', 'predicate')?.summary).toMatch(/^Print the decoded predicate of this type \(e\.g\. https:\/\/slsa\.dev/)
    expect(flag('verify', 'client')?.summary).toBe('Pull client to model')
    // A condition before a colon is not the whole description.
    expect(flag('attestations', 'platform')?.summary).toMatch(/^With --predicate: the platform/)
    expect(flag('audit', 'deep')?.summary).toMatch(/^With --require: ./)
  })

  it('offers index and the platforms for attestations --platform, never native', () => {
    const values = flag('attestations', 'platform')?.values
    const words = values && 'words' in values ? values.words : []
    expect(words).toContain('index')
    expect(words).toContain('linux/arm64')
    expect(words).not.toContain('native')
  })

  it('takes --debug before the command, and --help and --version before any', () => {
    expect(spec.globalFlags.map((entry) => entry.name)).toEqual(['debug'])
    expect(spec.rootFlags.map((entry) => entry.name)).toEqual(['debug', 'help', 'version'])
  })

  it('follows help with every command and topic, and a topic with its subcommands', () => {
    expect(children(spec, 'help').map((child) => child.word)).toEqual(children(spec, '').map((child) => child.word))
    expect(children(spec, 'help builder').map((child) => child.word)).toEqual(['create', 'inspect'])
    const helpAudit = typedCommands(spec).find((command) => command.words === 'help audit')
    expect(helpAudit?.flags.map((entry) => entry.name).sort()).toEqual(['debug', 'help', 'nested-commands'])
    expect(helpAudit?.args).toEqual([])
  })

  it('leaves hidden commands and flags out', () => {
    const hidden = completionSpec('archcheck', [
      {id: 'secret', hidden: true, flags: {}, args: {}},
      {id: 'shown', summary: 'Shown.', flags: {inner: {type: 'boolean', hidden: true}, outer: {type: 'boolean'}}, args: {}},
    ])
    expect(hidden.commands.map((command) => command.words)).toEqual(['shown'])
    expect(hidden.commands[0].flags.map((entry) => entry.name)).toEqual(['outer', 'help'])
  })
})

describe('chooseShell', () => {
  it("takes the shell named, else $SHELL's, with pwsh as PowerShell", () => {
    expect(chooseShell('fish', 'bash')).toBe('fish')
    expect(chooseShell(undefined, 'zsh')).toBe('zsh')
    expect(chooseShell(undefined, 'pwsh')).toBe('powershell')
    expect(() => chooseShell(undefined, 'tcsh')).toThrow(/cannot tell which shell this is \("tcsh"\)/)
  })
})

it("quotes a summary's quotes for each shell", () => {
  const quoting: ManifestCommand[] = [{id: 'say', summary: "It's [a] \\test: here.", flags: {}, args: {}}]
  expect(completionScript('fish', 'archcheck', quoting)).toContain("-a 'say' -d 'It\\'s [a] \\\\test'")
  expect(completionScript('zsh', 'archcheck', quoting)).toContain(`subcommands=('say:It'\\''s [a] \\test')`)
  expect(completionScript('powershell', 'archcheck', quoting)).toContain("Summary = 'It''s [a] \\test'")
})
