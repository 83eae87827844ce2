import {execFile} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterAll, describe, expect, it} from 'vitest'

const run = promisify(execFile)
const shims = mkdtempSync(join(tmpdir(), 'archcheck-deps-shims-'))
afterAll(() => rmSync(shims, {recursive: true, force: true}))

/** Runs the script with `dpkg-query` and `id` replaced: `installed` packages present, running as `uid`. */
async function runScript(installed: string[], uid: number): Promise<{code: number; stderr: string}> {
  const dir = mkdtempSync(join(shims, 'bin-'))
  const installedList = installed.join(' ')
  writeFileSync(join(dir, 'dpkg-query'), `#!/bin/sh\nfor a in "$@"; do for p in ${installedList}; do [ "$p" = "$a" ] && { printf 'install ok installed'; exit 0; }; done; done\nexit 1\n`)
  writeFileSync(join(dir, 'id'), `#!/bin/sh\necho ${uid}\n`)
  writeFileSync(join(dir, 'apt-get'), '#!/bin/sh\necho "apt-get must not run" >&2; exit 99\n')
  for (const name of ['dpkg-query', 'id', 'apt-get']) chmodSync(join(dir, name), 0o755)
  try {
    await run('bash', ['scripts/install-system-deps.sh'], {env: {...process.env, PATH: `${dir}:${process.env.PATH}`}})
    return {code: 0, stderr: ''}
  } catch (error) {
    const failure = error as {code: number; stderr: string}
    return {code: failure.code, stderr: failure.stderr}
  }
}

describe('scripts/install-system-deps.sh', () => {
  // The package list as the script declares it, so adding a package needs no change here.
  const declared = /^packages=\(([^)]*)\)/m.exec(readFileSync('scripts/install-system-deps.sh', 'utf8'))
  const all = declared ? declared[1].trim().split(/\s+/) : []

  it('declares the packages the test bed needs', () => {
    expect(all).toEqual(expect.arrayContaining(['docker-registry', 'skopeo', 'buildah', 'qemu-user-static']))
  })

  it('does nothing when every package is installed', async () => {
    expect(await runScript(all, 1000)).toEqual({code: 0, stderr: ''})
  })

  it('without root, fails naming the missing packages and the command to run', async () => {
    const result = await runScript(all.filter((p) => p !== 'docker-registry' && p !== 'skopeo'), 1000)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('sudo apt-get install -y docker-registry skopeo')
  })
})
