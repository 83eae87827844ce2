/**
 * The content cache stays inside its directory: links planted in it are not followed by a real
 * audit, and an audit interrupted mid-run leaves no temporary file behind.
 */
import {spawn} from 'node:child_process'
import {readdirSync, watch} from 'node:fs'
import {mkdir, symlink} from 'node:fs/promises'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import type {AuditResult} from '../../src/api/audit.js'
import {CLI_PATH, cliEnv, PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

/** Distinct images (each an index, two children, two configs): many cache writes for a cold audit. */
const IMAGES = 24
let images: PushedScenario[]

beforeAll(async () => {
  images = []
  for (let i = 0; i < IMAGES; i++) {
    images.push(
      await pushScenario(`cache-safety-${i}`, {
        index: {
          entries: [
            {platform: 'linux/amd64', config: {env: [`IMAGE=${i}`]}},
            {platform: 'linux/arm64', config: {env: [`IMAGE=${i}`]}},
          ],
        },
        repository: 'cache-safety/app',
        tag: `${i}`,
      }),
    )
  }
}, 120_000)

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
}

describe('archcheck audit: the cache never leaves its directory', () => {
  it('with every shard of the cache linked to another directory, a cold audit writes nothing there and still reads right', async () => {
    const cache = await tempDir('cache-safety')
    const outside = await tempDir('cache-outside')
    await mkdir(join(cache, 'sha256'))
    for (let shard = 0; shard < 256; shard++) {
      const name = shard.toString(16).padStart(2, '0')
      await mkdir(join(outside, name))
      await symlink(join(outside, name), join(cache, 'sha256', name))
    }
    const references = images.slice(0, 3).map((image) => image.reference)
    const result = await runCli(['audit', ...references, '--cache-dir', cache, '--json', '--debug'], {timeoutMs: 60_000})
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as AuditResult
    expect(json.rows.map((row) => row.cells.map((cell) => cell.verdict))).toEqual(references.map(() => ['ok', 'ok']))
    expect(filesBelow(outside)).toEqual([])
    expect(result.stderr).toMatch(
      /cache: .*sha256\/[0-9a-f]{2} is a symbolic link, which the cache did not make; not following, replacing or deleting it/,
    )
  }, 60_000)

  it('SIGINT during a cold audit leaves no temporary file in the cache', async () => {
    const cache = await tempDir('cache-safety')
    const child = spawn(process.execPath, [CLI_PATH, 'audit', ...images.map((image) => image.reference), '--cache-dir', cache], {
      cwd: PROJECT_ROOT,
      env: cliEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) =>
      child.on('close', (code, signal) => resolve({code, signal})),
    )
    // Interrupt the moment a write is under way (a temporary file appears): the worst moment for it.
    const watcher = watch(cache, {recursive: true})
    const writing = new Promise<void>((resolve) => watcher.on('change', (_, name) => String(name).includes('.tmp-') && resolve()))
    await Promise.race([writing, new Promise((resolve) => setTimeout(resolve, 20_000))])
    watcher.close()
    child.kill('SIGINT')
    const {code, signal} = await exited
    // Interrupted, the audit reports what it finished and says what it did not audit: one line, no error.
    expect({code, signal}).toEqual({code: 130, signal: null})
    expect(stderr).toMatch(/^(archcheck: interrupted: \d+ images? not audited \(listed in the report\)\n)?$/)
    const files = filesBelow(cache)
    expect(files.filter((path) => path.split('/').pop()!.startsWith('.tmp-'))).toEqual([])
    // It was interrupted mid-run: some of the entries were written, not all.
    const entries = files.filter((path) => /^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(path))
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.length).toBeLessThan(IMAGES * 5)
  }, 60_000)
})
