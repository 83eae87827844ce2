import {execFile} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterAll, describe, expect, it} from 'vitest'

const run = promisify(execFile)
const shims = mkdtempSync(join(tmpdir(), 'archcheck-deps-shims-'))
afterAll(() => rmSync(shims, {recursive: true, force: true}))

interface ScriptRun {
  code: number
  stdout: string
  stderr: string
  /** The argv of every `apt-get` call, in order. */
  aptGetCalls: string[][]
}

/**
 * Runs the script with `dpkg-query`, `id` and `apt-get` replaced: `installed` packages present,
 * running as `uid`; `apt-get` records its arguments (one per line, a blank line after each call).
 */
async function runScript(installed: string[], uid: number): Promise<ScriptRun> {
  const dir = mkdtempSync(join(shims, 'bin-'))
  const aptLog = join(dir, 'apt-get.log')
  writeFileSync(aptLog, '')
  const installedList = installed.join(' ')
  writeFileSync(
    join(dir, 'dpkg-query'),
    `#!/bin/sh\nfor a in "$@"; do for p in ${installedList}; do [ "$p" = "$a" ] && { printf 'install ok installed'; exit 0; }; done; done\nexit 1\n`,
  )
  writeFileSync(join(dir, 'id'), `#!/bin/sh\necho ${uid}\n`)
  writeFileSync(join(dir, 'apt-get'), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${aptLog}'\necho >> '${aptLog}'\n`)
  for (const name of ['dpkg-query', 'id', 'apt-get']) chmodSync(join(dir, name), 0o755)
  const aptGetCalls = (): string[][] =>
    readFileSync(aptLog, 'utf8')
      .split('\n\n')
      .filter(Boolean)
      .map((call) => call.split('\n'))
  try {
    const {stdout, stderr} = await run('bash', ['scripts/install-system-deps.sh'], {
      env: {...process.env, PATH: `${dir}:${process.env.PATH}`},
    })
    return {code: 0, stdout, stderr, aptGetCalls: aptGetCalls()}
  } catch (error) {
    const failure = error as {code: number; stdout: string; stderr: string}
    return {code: failure.code, stdout: failure.stdout, stderr: failure.stderr, aptGetCalls: aptGetCalls()}
  }
}

describe('scripts/install-system-deps.sh', () => {
  // The package list as the script declares it, so adding a package needs no change here.
  const declared = /^packages=\(([^)]*)\)/m.exec(readFileSync('scripts/install-system-deps.sh', 'utf8'))
  const all = declared ? declared[1].trim().split(/\s+/) : []

  it('declares the packages the test bed needs', () => {
    expect(all).toEqual(expect.arrayContaining(['docker-registry', 'skopeo', 'buildah', 'qemu-user-static', 'docker.io', 'podman']))
  })

  it('does nothing when every package is installed', async () => {
    expect(await runScript(all, 1000)).toEqual({code: 0, stdout: '', stderr: '', aptGetCalls: []})
    expect(await runScript(all, 0)).toEqual({code: 0, stdout: '', stderr: '', aptGetCalls: []})
  })

  it('without root, fails naming the missing packages and the command to run', async () => {
    const result = await runScript(
      all.filter((p) => p !== 'docker-registry' && p !== 'skopeo'),
      1000,
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('sudo apt-get install -y docker-registry skopeo')
    expect(result.aptGetCalls).toEqual([])
  })

  it('as root, updates the package lists and installs only the missing packages, quietly', async () => {
    const result = await runScript(
      all.filter((p) => p !== 'docker-registry' && p !== 'skopeo'),
      0,
    )
    expect(result).toMatchObject({code: 0, stdout: '', stderr: ''})
    expect(result.aptGetCalls).toEqual([
      ['update', '-qq'],
      ['install', '-y', '-qq', '--no-install-recommends', 'docker-registry', 'skopeo'],
    ])
  })
})
