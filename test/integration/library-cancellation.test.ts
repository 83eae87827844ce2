/**
 * The cancellation example of docs/registry.md ("Cancelling a call"), run exactly as written there
 * through the package's own name (the built dist/), so the doc cannot drift from the code.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {PROJECT_ROOT, cliEnv} from '../helpers/cli.js'

const run = promisify(execFile)

/** The section of docs/registry.md that starts at `heading`. */
function section(heading: string): string {
  const doc = readFileSync(join(PROJECT_ROOT, 'docs/registry.md'), 'utf8')
  const start = doc.indexOf(heading)
  expect(start, `docs/registry.md has no "${heading}" section`).toBeGreaterThanOrEqual(0)
  const end = doc.indexOf('\n#', start + heading.length)
  return doc.slice(start, end === -1 ? undefined : end)
}

/** The first fenced block of `language` in `text`. */
function block(text: string, language: string): string {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(text)
  expect(match, `no \`\`\`${language} block in the section`).not.toBeNull()
  return match![1]
}

describe('the cancellation example of docs/registry.md', () => {
  it('runs as written and prints what the doc says it prints', async () => {
    const text = section('### Cancelling a call')
    const example = block(text, 'js')
    expect(example).toMatch(/from 'archcheck'/)
    const {stdout} = await run(process.execPath, ['--input-type=module', '-e', example], {cwd: PROJECT_ROOT, env: cliEnv()})
    expect(stdout).toBe(block(text, 'text'))
  })
})
