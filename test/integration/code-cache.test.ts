/**
 * V8's code cache for the bundle (bin/code-cache.js, recorded by `npm run build`): the built CLI
 * compiles what it loads from the cache, before and after it talks to a registry, and a cache that does not fit the bundle (another build's,
 * damaged) is ignored, the command's output the same.
 */
import {execFile} from 'node:child_process'
import {cpSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {cliEnv, PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {pushScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

/** Runs `archcheck ARGS` from the install at `root` as bin/run.js does, reporting which files their cache served. */
const PROBE = `
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
const [root, ...args] = process.argv.slice(1)
const {useCodeCache} = await import(pathToFileURL(join(root, 'bin', 'code-cache.js')).href)
const usage = useCodeCache(join(root, 'dist', 'bundle'))
const {main, settings} = createRequire(join(root, 'bin', 'run.js'))('../dist/bundle/main.js')
settings.enableAutoTranspile = false
process.on('exit', () => process.stderr.write('code-cache ' + JSON.stringify(usage) + '\\n'))
await main(args, pathToFileURL(join(root, 'bin', 'run.js')).href)
`

async function probe(root: string, args: string[]): Promise<{stdout: string; accepted: string[]; rejected: string[]}> {
  const {stdout, stderr} = await new Promise<{stdout: string; stderr: string}>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', PROBE, root, ...args], {cwd: root, env: cliEnv()}, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve({stdout: out, stderr: err}),
    )
  })
  const line = stderr.split('\n').find((text) => text.startsWith('code-cache '))
  const usage = JSON.parse(line!.slice('code-cache '.length)) as {accepted: string[]; rejected: string[]}
  const relative = (files: string[]): string[] => files.map((file) => file.slice(join(root, 'dist', 'bundle').length + 1))
  return {stdout, accepted: relative(usage.accepted), rejected: relative(usage.rejected)}
}

describe('code cache', () => {
  it('the built CLI compiles every bundle file `inspect` loads from the cache, none rejected', async () => {
    const run = await probe(PROJECT_ROOT, ['inspect', 'oci-layout:fixtures/demo', '--json'])
    expect(JSON.parse(run.stdout)).toMatchObject({reference: expect.stringContaining('fixtures/demo')})
    expect(run.rejected).toEqual([])
    expect(run.accepted).toContain('main.js')
    expect(run.accepted).toContain('commands/inspect.js')
  })

  it('`inspect` of a registry compiles what it loads after connecting (the output renderers) from the cache too', async () => {
    const scenario = await pushScenario('oci-index')
    const run = await probe(PROJECT_ROOT, ['inspect', scenario.reference])
    expect(run.stdout).toContain(scenario.reference)
    expect(run.rejected).toEqual([])
    expect(run.accepted).toContain('commands/inspect.js')
    expect(run.accepted.some((file) => file.startsWith('chunks/agent-'))).toBe(true)
  })

  it('a warm `audit` of a registry (the cache filled by a first run) compiles the audit engine and its renderers from the cache', async () => {
    const scenario = await pushScenario('oci-index')
    const cacheDir = await tempDir('code-cache-audit')
    const args = ['audit', scenario.reference, '--host', 'linux/amd64', '--cache-dir', cacheDir, '--json']
    await probe(PROJECT_ROOT, args)
    const warm = await probe(PROJECT_ROOT, args)
    expect(JSON.parse(warm.stdout)).toMatchObject({rows: [expect.objectContaining({status: 'audited'})]})
    expect(warm.rejected).toEqual([])
    expect(warm.accepted).toContain('commands/audit.js')
    expect(warm.accepted.filter((file) => /^chunks\/audit-/.test(file)).length).toBeGreaterThan(0)
  })

  it("a cache that does not fit the bundle (each file given another file's) is ignored: same help, every file compiled anew", async () => {
    const root = await tempDir('code-cache')
    for (const part of ['bin', 'dist/bundle', 'package.json', 'oclif.manifest.json']) {
      cpSync(join(PROJECT_ROOT, part), join(root, part), {recursive: true})
    }
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'))
    const caches = readdirSync(join(root, 'dist', 'bundle', 'code-cache'), {recursive: true, encoding: 'utf8'})
      .filter((file) => file.endsWith('.v8'))
      .map((file) => join(root, 'dist', 'bundle', 'code-cache', file))
    const contents = caches.map((file) => readFileSync(file))
    caches.forEach((file, index) => writeFileSync(file, contents[(index + 1) % contents.length]))

    const run = await probe(root, ['--help'])
    expect(run.stdout).toBe((await runCli(['--help'])).stdout)
    expect(run.accepted).toEqual([])
    expect(run.rejected).toContain('main.js')
  })
})
