// The programs `build` and `builder` run: captured output, a missing program named, command lines
// shown as a user can paste them, and the docker/buildx versions read from a stand-in docker on PATH.
import {chmod, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {inspectBuilder, readBuildxVersions} from '../../src/engine/build/buildx.js'
import {captureCommand, formatCommand, NotInstalledError, streamCommand} from '../../src/engine/build/exec.js'
import {UsageError} from '../../src/oci/errors.js'
import {tempDir} from '../helpers/temp-dir.js'

const savedPath = process.env.PATH
afterEach(() => {
  process.env.PATH = savedPath
})

/** A `docker` on PATH that answers `docker --version` and `docker buildx …` with `buildx` (an sh case body). */
async function standInDocker(buildx: string): Promise<void> {
  const dir = await tempDir('docker-stand-in')
  const script = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "Docker version 27.3.1, build ce12230"; exit 0; fi
shift
${buildx}
`
  await writeFile(join(dir, 'docker'), script)
  await chmod(join(dir, 'docker'), 0o755)
  process.env.PATH = `${dir}:${savedPath}`
}

describe('captureCommand and streamCommand', () => {
  it('captures stdout, stderr and a non-zero exit without throwing', async () => {
    expect(await captureCommand('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({code: 3, stdout: 'out\n', stderr: 'err\n'})
    expect(await streamCommand('sh', ['-c', 'exit 4'])).toBe(4)
  })

  it('names a program that is not on PATH as a usage error', async () => {
    const error = await captureCommand('archcheck-no-such-program', []).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NotInstalledError)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).toBe('archcheck-no-such-program is not installed (not found on PATH)')
    await expect(streamCommand('archcheck-no-such-program', [])).rejects.toThrow(NotInstalledError)
  })

  it('stops a program that outlives its time', async () => {
    const started = performance.now()
    const result = await captureCommand(process.execPath, ['-e', 'setTimeout(() => {}, 20_000)'], {timeoutMs: 200})
    expect(result.code).not.toBe(0)
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('stops at its time even when a program of its own holds the output open', async () => {
    const dir = await tempDir('exec-grandchild')
    const pidFile = join(dir, 'pid')
    // sh forks node (it has more to do after it) and is killed at the timeout; node lives on with
    // the pipes. Only node and sh: unit tests run with nothing else on PATH.
    const grandchild = `"${process.execPath}" -e "require('fs').writeFileSync('${pidFile}', String(process.pid)); setTimeout(() => {}, 20000)"`
    const started = performance.now()
    try {
      const result = await captureCommand('sh', ['-c', `${grandchild}; echo done`], {timeoutMs: 300})
      expect(result.code).not.toBe(0)
      expect(performance.now() - started).toBeLessThan(5000)
    } finally {
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''))
      if (pid) process.kill(pid)
    }
  })
})

describe('formatCommand', () => {
  it('quotes only what a shell would split or expand', () => {
    expect(formatCommand('docker', ['buildx', 'build', '--platform', 'linux/amd64,linux/arm64', '-t', 'r.example/app:1'])).toBe(
      'docker buildx build --platform linux/amd64,linux/arm64 -t r.example/app:1',
    )
    expect(formatCommand('docker', ['build', '--build-arg', "NOTE=it's here", '$HOME'])).toBe(
      `docker build --build-arg 'NOTE=it'\\''s here' '$HOME'`,
    )
  })
})

describe('readBuildxVersions', () => {
  it('reads the docker and buildx versions', async () => {
    await standInDocker('echo "github.com/docker/buildx v0.17.1 257815a6fb95"')
    expect(await readBuildxVersions()).toEqual({docker: '27.3.1', buildx: '0.17.1'})
  })

  it('says the buildx plugin is missing, with what docker answered', async () => {
    await standInDocker(`echo "docker: 'buildx' is not a docker command." >&2; exit 1`)
    await expect(readBuildxVersions()).rejects.toThrow(
      "the docker buildx plugin is not installed (docker buildx version: docker: 'buildx' is not a docker command.); install docker-buildx (archcheck build can use buildah instead: --backend buildah)",
    )
  })
})

describe('inspectBuilder', () => {
  it('is undefined for a builder that does not exist, and names the command that failed otherwise', async () => {
    await standInDocker(`echo 'ERROR: no builder "nosuch" found' >&2; exit 1`)
    expect(await inspectBuilder('nosuch', false)).toBeUndefined()
    await standInDocker(`echo 'ERROR: permission denied on the docker socket' >&2; exit 1`)
    await expect(inspectBuilder('multi', true)).rejects.toThrow(
      'docker buildx inspect multi --bootstrap failed: ERROR: permission denied on the docker socket',
    )
  })
})
