/**
 * The docs name files and show output; both drift as the code moves. Every `src/`, `test/` and
 * `bench/` path the docs name must exist, the README's `inspect --json` example must have the
 * fields the command prints, and docs/inspect.md's must be what it prints.
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

  const jsonExample = (doc: string, after: string): Record<string, unknown> => {
    const text = readFileSync(join(PROJECT_ROOT, doc), 'utf8')
    return JSON.parse(/```json\n([\s\S]*?)\n```/.exec(text.slice(text.indexOf(after)))![1]) as Record<string, unknown>
  }
  const demoJson = async (): Promise<{platforms: unknown[]; attestations: unknown[]} & Record<string, unknown>> =>
    JSON.parse(JSON.stringify(await inspect(`oci-layout:${join(PROJECT_ROOT, 'fixtures', 'demo')}`))) as {
      platforms: unknown[]
      attestations: unknown[]
    }

  it('show inspect --json in the README with the fields the command prints', async () => {
    const shown = jsonExample('README.md', '### `inspect --json` schema') as {platforms: Array<Record<string, unknown>>}
    const printed = await demoJson()
    expect(Object.keys(shown)).toEqual(Object.keys(printed))
    expect(Object.keys(shown.platforms[0])).toEqual(Object.keys(printed.platforms[0] as object))
  })

  it('show in docs/inspect.md exactly what inspect --json prints for the demo image (first platform and attestation)', async () => {
    const printed = await demoJson()
    expect(printed.reference).toBe(`oci-layout:${join(PROJECT_ROOT, 'fixtures', 'demo')}:latest`)
    expect(jsonExample('docs/inspect.md', 'Example (`archcheck inspect oci-layout:fixtures/demo --json`')).toEqual({
      ...printed,
      reference: 'oci-layout:fixtures/demo:latest',
      platforms: printed.platforms.slice(0, 1),
      attestations: printed.attestations.slice(0, 1),
    })
  })
})
