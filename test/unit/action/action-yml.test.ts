// action.yml against the action's entry: every input it declares is read, nothing else is, and
// the keys a runner needs are there (no schema validator for action.yml installs and runs offline).
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {inputVariable, readInputs} from '../../../src/action/inputs.js'
import {UsageError} from '../../../src/oci/errors.js'
import {PROJECT_ROOT} from '../../helpers/cli.js'

interface ActionYml {
  name: string
  description: string
  inputs: Record<string, {description: string; required?: boolean; default?: string}>
  outputs: Record<string, {description: string}>
  runs: {using: string; main: string}
}

const actionYml = parse(readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')) as ActionYml

/** The variables `readInputs` reads from an environment holding `values`. */
function variablesRead(values: Record<string, string>): Set<string> {
  const read = new Set<string>()
  const env = new Proxy(values, {
    get(target, name: string) {
      read.add(name)
      return target[name]
    },
  })
  readInputs(env)
  return read
}

describe('action.yml', () => {
  it('has what a runner needs: a name, a description, node24 and a committed main', () => {
    expect(actionYml.name).toBe('archcheck')
    expect(actionYml.description.length).toBeGreaterThan(0)
    expect(actionYml.runs).toEqual({using: 'node24', main: 'dist-action/index.js'})
    expect(existsSync(join(PROJECT_ROOT, actionYml.runs.main))).toBe(true)
    for (const [name, entry] of [...Object.entries(actionYml.inputs), ...Object.entries(actionYml.outputs)]) {
      expect(entry.description, name).toMatch(/\S/)
      // GitHub compares inputs as strings: a YAML boolean default would not be `true`.
      if ('default' in entry) expect(typeof entry.default, name).toBe('string')
    }
    expect(Object.keys(actionYml.outputs).sort()).toEqual(['digest', 'passed', 'platforms', 'report'])
  })

  it.each(['verify', 'audit'])('mode %s reads every input it declares, and no other INPUT_ variable', (mode) => {
    const declared = Object.keys(actionYml.inputs).map(inputVariable)
    const read = variablesRead({[inputVariable('mode')]: mode, [inputVariable('image')]: 'app:1'})
    const readInputsVariables = [...read].filter((name) => name.startsWith('INPUT_'))
    // A mode checks that the other mode's inputs are not set: both modes read every input.
    expect(readInputsVariables.sort()).toEqual(declared.sort())
  })

  it('names variables as the runner does: upper case, spaces to _, dashes kept', () => {
    expect(inputVariable('allow-fallback')).toBe('INPUT_ALLOW-FALLBACK')
    expect(inputVariable('hosts from')).toBe('INPUT_HOSTS_FROM')
  })
})

describe('readInputs', () => {
  const env = (inputs: Record<string, string>) =>
    Object.fromEntries(Object.entries(inputs).map(([name, value]) => [inputVariable(name), value]))

  it('splits images on lines, commas and spaces, platforms on lines and commas', () => {
    const inputs = readInputs(env({image: ' a:1\n\nb:2, c:3 d:4\n', require: 'linux/amd64\nlinux/arm64,linux/arm/v7\n'}))
    expect(inputs.images).toEqual(['a:1', 'b:2', 'c:3', 'd:4'])
    expect(inputs.require).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7'])
  })

  it('leaves unset inputs to the api defaults, and an empty input counts as unset', () => {
    const inputs = readInputs(env({image: 'a:1', require: '  ', deep: ''}))
    expect(inputs).toMatchObject({mode: 'verify', require: undefined, clients: ['docker'], deep: false, allowFallback: false})
  })

  it('reads booleans as GitHub does and client aliases as the model they stand for', () => {
    expect(readInputs(env({image: 'a:1', deep: 'True', 'allow-fallback': 'TRUE', client: 'kubernetes'}))).toMatchObject({
      deep: true,
      allowFallback: true,
      clients: ['containerd'],
    })
    expect(readInputs(env({mode: 'audit', image: 'a', client: 'all'})).clients).toBe('all')
    expect(() => readInputs(env({image: 'a:1', client: 'all'}))).toThrow(new UsageError('input client: unknown client "all"'))
  })
})
