/** The docs the CLI's help texts point to are in the packed tarball, not only in a checkout. */
import {execFile} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {expect, it} from 'vitest'

import {PROJECT_ROOT} from '../helpers/cli.js'

it('ships every docs/*.md that a command names', async () => {
  const commands = join(PROJECT_ROOT, 'src', 'commands')
  const named = new Set<string>()
  for (const file of readdirSync(commands, {recursive: true, encoding: 'utf8'}).filter((name) => name.endsWith('.ts'))) {
    for (const [doc] of readFileSync(join(commands, file), 'utf8').matchAll(/docs\/[\w-]+\.md/g)) named.add(doc)
  }
  expect(named.size).toBeGreaterThan(3)
  const {stdout} = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: PROJECT_ROOT})
  const packed = new Set((JSON.parse(stdout) as Array<{files: Array<{path: string}>}>)[0].files.map((file) => file.path))
  expect([...named].filter((doc) => !packed.has(doc))).toEqual([])
}, 60_000)
