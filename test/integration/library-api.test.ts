/**
 * The package as a user imports it: `import … from 'archcheck'` resolved through package.json
 * `exports` to the built dist/ (Node's self-reference from inside the package), running the README's
 * "Library API" example exactly as written there, so the doc cannot drift from the code.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {PROJECT_ROOT, cliEnv} from '../helpers/cli.js'

const run = promisify(execFile)

/** The README's Library API section. */
function librarySection(): string {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('## Library API')
  expect(start, 'README.md has no "## Library API" section').toBeGreaterThanOrEqual(0)
  const end = readme.indexOf('\n## ', start + 1)
  return readme.slice(start, end === -1 ? undefined : end)
}

/** The first fenced block of `language` in `text`. */
function block(text: string, language: string): string {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(text)
  expect(match, `no \`\`\`${language} block in the README's Library API section`).not.toBeNull()
  return match![1]
}

/** Runs ES module code as `node --input-type=module -e` from the package root. */
async function runModule(code: string): Promise<string> {
  const {stdout} = await run(process.execPath, ['--input-type=module', '-e', code], {cwd: PROJECT_ROOT, env: cliEnv()})
  return stdout
}

describe('the library, imported by its package name', () => {
  it('runs the README example and prints what the README says it prints', async () => {
    const section = librarySection()
    const example = block(section, 'js')
    expect(example).toMatch(/from 'archcheck'/)
    expect(await runModule(example)).toBe(block(section, 'text'))
  })

  it('exports every name the README lists', async () => {
    const exported = new Set(
      JSON.parse(
        await runModule(`import * as archcheck from 'archcheck'\nconsole.log(JSON.stringify(Object.keys(archcheck)))`),
      ) as string[],
    )
    const list = librarySection().split('The main exports')[1]
    // Backticked identifiers, less the option and property names the list mentions.
    const properties = new Set([
      'registryClient',
      'cache',
      'dispatcher',
      'close',
      'kind',
      'proxy',
      'insecureRegistries',
      'keychain',
      'cacheDir',
    ])
    const listed = [...list.matchAll(/`([A-Za-z_]\w*)`/g)].map((match) => match[1]).filter((name) => !properties.has(name))
    expect(listed.length).toBeGreaterThan(20)
    expect(listed.filter((name) => !exported.has(name))).toEqual([])
  })
})
