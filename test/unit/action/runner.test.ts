// What the Action writes for GitHub's runner: text from registries can never start a workflow
// command, and an output value can never end its own block and set another output.
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {Runner} from '../../../src/action/runner.js'
import {tempDir} from '../../helpers/temp-dir.js'

function runner(env: NodeJS.ProcessEnv = {}): {runner: Runner; log: string[]} {
  const log: string[] = []
  return {runner: new Runner(env, (text) => log.push(text)), log}
}

describe('Runner', () => {
  it('prints foreign text between stop-commands markers with a fresh random token each time', () => {
    const {runner: action, log} = runner()
    action.printInert('registry says\n::error::forged\n::set-output name=x::y')
    action.printInert('again\n')
    const [first, second] = log
    const token = /^::stop-commands::([a-f0-9]{32})\n/.exec(first)![1]
    expect(first).toBe(`::stop-commands::${token}\nregistry says\n::error::forged\n::set-output name=x::y\n::${token}::\n`)
    expect(second).toMatch(/^::stop-commands::[a-f0-9]{32}\nagain\n::[a-f0-9]{32}::\n$/)
    expect(second).not.toContain(token)
  })

  it('escapes annotations so that a message stays one command and a title one property', () => {
    const {runner: action, log} = runner()
    action.annotate('error', 'r.example:5000/app, arm64', '100% broken\r\n::warning::forged')
    expect(log).toEqual(['::error title=r.example%3A5000/app%2C arm64::100%25 broken%0D%0A::warning::forged\n'])
  })

  it('writes outputs as heredoc blocks a value cannot close early', async () => {
    const file = join(await tempDir('action'), 'output')
    await writeFile(file, '')
    const {runner: action} = runner({GITHUB_OUTPUT: file})
    await action.setOutputs({digest: 'sha256:abc', report: '{"a": 1}\nEOF\nreport<<EOF\nforged'})
    const lines = (await readFile(file, 'utf8')).split('\n')
    const outputs: Record<string, string> = {}
    for (let i = 0; i < lines.length - 1;) {
      const [name, delimiter] = lines[i].split('<<')
      const end = lines.indexOf(delimiter, i + 1)
      outputs[name] = lines.slice(i + 1, end).join('\n')
      i = end + 1
    }
    expect(outputs).toEqual({digest: 'sha256:abc', report: '{"a": 1}\nEOF\nreport<<EOF\nforged'})
  })

  it('says where it must run when $GITHUB_OUTPUT is not set, and names a file it cannot append to', async () => {
    expect(() => runner().runner.outputFile()).toThrow(
      '$GITHUB_OUTPUT is not set: this is the GitHub Action; elsewhere run `archcheck verify` or `archcheck audit`',
    )
    const dir = await tempDir('action')
    await expect(runner({GITHUB_OUTPUT: dir}).runner.setOutputs({a: 'b'})).rejects.toThrow(
      new RegExp(`^cannot append to \\$GITHUB_OUTPUT ${dir}: .+`),
    )
  })

  it('appends its summary to the step summary', async () => {
    const file = join(await tempDir('action'), 'summary.md')
    await runner({GITHUB_STEP_SUMMARY: file}).runner.summarize('## archcheck\n')
    expect(await readFile(file, 'utf8')).toBe('## archcheck\n')
  })
})
