/**
 * The docs name files and show output; both drift as the code moves. Every `src/`, `test/` and
 * `bench/` path the docs name must exist, and the README's `inspect --json` example must have the
 * fields the command prints.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {inspect} from '../../src/api/inspect.js'
import {PROJECT_ROOT} from '../helpers/cli.js'

const DOCS = [
  ...readdirSync(join(PROJECT_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'README.md',
  'bench/README.md',
]

/** A path in prose: not inside a URL or another path, ending on a letter or digit (not the sentence's full stop). */
const PATH = /(?<![\w./-])(?:src|test|bench)\/(?:[\w.*{},-]*\/)*[\w.*{},-]*[\w*}]/g
/** `bench/NAME.ts`, `bench/*.ts`: a pattern, not a file. */
const isPattern = (path: string): boolean => /[*{]/.test(path) || path.split('/').some((part) => /^[A-Z][A-Z_]*(\.\w+)?$/.test(part))

describe('docs', () => {
  it('name only src/, test/ and bench/ paths that exist', () => {
    const missing: string[] = []
    let named = 0
    for (const doc of DOCS) {
      const lines = readFileSync(join(PROJECT_ROOT, doc), 'utf8').split('\n')
      lines.forEach((line, index) => {
        for (const [path] of line.matchAll(PATH)) {
          if (isPattern(path)) continue
          named++
          if (!existsSync(join(PROJECT_ROOT, path))) missing.push(`${doc}:${index + 1}: ${path}`)
        }
      })
    }
    expect(named).toBeGreaterThan(50)
    expect(missing).toEqual([])
  })

  it('show inspect --json in the README with the fields the command prints', async () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('### `inspect --json` schema'))
    const example = /```json\n([\s\S]*?)\n```/.exec(section)![1]
    const shown = JSON.parse(example) as {platforms: Array<Record<string, unknown>>}
    const printed = JSON.parse(JSON.stringify(await inspect(`oci-layout:${join(PROJECT_ROOT, 'fixtures', 'demo')}`))) as typeof shown
    expect(Object.keys(shown)).toEqual(Object.keys(printed))
    expect(Object.keys(shown.platforms[0])).toEqual(Object.keys(printed.platforms[0]))
  })
})
