import {describe, expect, it} from 'vitest'

import type {ImageConfig} from '../../../src/oci/types.js'
import {DOCKER_DEFAULT_PATH, executionPlan, traceExecution} from '../../../src/engine/layers/entrypoint.js'
import {ImageFilesystem} from '../../../src/engine/layers/filesystem.js'
import type {LayerEntry} from '../../../src/engine/layers/tar-entries.js'
import {ELF_MACHINES, makeElf, makePeHeader} from '../../../scripts/fixtures/elf.js'

const exe = (path: string, head: Buffer, mode = 0o755): LayerEntry => ({path, type: 'file', mode, size: head.length, head})
const symlink = (path: string, linkTarget: string): LayerEntry => ({path, type: 'symlink', mode: 0o777, size: 0, linkTarget})
const script = (path: string, text: string): LayerEntry => exe(path, Buffer.from(text))

function image(...layers: LayerEntry[][]): ImageFilesystem {
  const fs = new ImageFilesystem()
  for (const layer of layers) fs.applyLayer(layer)
  return fs
}

const config = (run: Partial<ImageConfig>): ImageConfig => ({
  digest: 'sha256:c',
  size: 1,
  mediaType: 'x',
  os: 'linux',
  architecture: 'arm64',
  ...run,
})

const busyboxArm64 = [exe('/bin/busybox', makeElf('arm64')), symlink('/bin/sh', 'busybox'), symlink('/usr/bin/env', '/bin/busybox')]

describe('executionPlan', () => {
  it('joins Entrypoint and Cmd and applies Docker defaults', () => {
    expect(executionPlan(config({entrypoint: ['/app'], cmd: ['--serve']}))).toEqual({
      argv: ['/app', '--serve'],
      workingDir: '/',
      path: DOCKER_DEFAULT_PATH,
      pathFromImage: false,
      user: 'root',
    })
    const plan = executionPlan(
      config({cmd: ['/bin/sh', '-c', 'exec app --port 80'], env: ['A=1', 'PATH=/opt/bin'], workingDir: '/srv', user: '1000'}),
    )
    expect(plan).toMatchObject({path: '/opt/bin', pathFromImage: true, workingDir: '/srv', user: '1000', shellScript: 'exec app --port 80'})
  })
})

describe('traceExecution', () => {
  it('passes a static binary of the host architecture', () => {
    const trace = traceExecution(image(busyboxArm64, [exe('/usr/local/bin/app', makeElf('arm64'))]), config({entrypoint: ['app']}), 'arm64')
    expect(trace.failure).toBeUndefined()
    expect(trace.steps[0]).toMatchObject({
      role: 'entrypoint',
      requested: 'app',
      path: '/usr/local/bin/app',
      layer: 1,
      description: 'ELF 64-bit LSB AArch64 executable, statically linked',
    })
  })

  it('names the x86-64 entrypoint of an arm64 image: exec format error', () => {
    const trace = traceExecution(
      image(busyboxArm64, [exe('/usr/local/bin/app', makeElf('amd64'))]),
      config({entrypoint: ['/usr/local/bin/app']}),
      'arm64',
    )
    expect(trace.failure).toEqual({
      error: 'exec format error',
      file: '/usr/local/bin/app',
      reason: '/usr/local/bin/app is an ELF 64-bit LSB x86-64 executable, statically linked, which a linux/arm64 host cannot run',
    })
  })

  it('follows an entrypoint symlink spanning layers', () => {
    const fs = image([exe('/opt/app-1.2/bin/app', makeElf('amd64'))], [symlink('/usr/local/bin/app', '/opt/app-1.2/bin/app')])
    const trace = traceExecution(fs, config({entrypoint: ['app']}), 'arm64')
    expect(trace.steps[0].symlinks).toEqual(['/usr/local/bin/app -> /opt/app-1.2/bin/app'])
    expect(trace.failure).toMatchObject({error: 'exec format error', file: '/opt/app-1.2/bin/app'})
  })

  it('says a whited-out binary is not found, and which layer removed it', () => {
    const fs = image(busyboxArm64, [exe('/usr/local/bin/app', makeElf('arm64'))], [exe('/usr/local/bin/.wh.app', Buffer.alloc(0), 0o644)])
    expect(traceExecution(fs, config({entrypoint: ['/usr/local/bin/app']}), 'arm64').failure).toEqual({
      error: 'no such file or directory',
      file: '/usr/local/bin/app',
      reason: 'the entrypoint /usr/local/bin/app is removed by a whiteout in layer 3',
    })
    expect(traceExecution(fs, config({cmd: ['app']}), 'arm64').failure).toMatchObject({
      error: 'executable file not found in $PATH',
      file: 'app',
      reason: expect.stringContaining('/usr/local/bin/app was removed by a whiteout in layer 3') as string,
    })
  })

  it('finds a missing dynamic loader, and accepts one reached through a symlink', () => {
    const app = exe('/app', makeElf('arm64', {interpreter: '/lib/ld-musl-aarch64.so.1'}))
    expect(traceExecution(image([app]), config({entrypoint: ['/app']}), 'arm64').failure).toEqual({
      error: 'no such file or directory',
      file: '/lib/ld-musl-aarch64.so.1',
      reason: '/app needs the loader /lib/ld-musl-aarch64.so.1, which is not in the image',
    })
    const withLoader = image([
      app,
      exe('/lib/libc.musl-aarch64.so.1', makeElf('arm64')),
      symlink('/lib/ld-musl-aarch64.so.1', 'libc.musl-aarch64.so.1'),
    ])
    const trace = traceExecution(withLoader, config({entrypoint: ['/app']}), 'arm64')
    expect(trace.failure).toBeUndefined()
    expect(trace.steps.at(-1)).toMatchObject({role: 'loader', path: '/lib/libc.musl-aarch64.so.1'})
  })

  it('blames a loader of the wrong architecture', () => {
    const fs = image([
      exe('/app', makeElf('arm64', {interpreter: ELF_MACHINES.arm64.glibcLoader})),
      exe(ELF_MACHINES.arm64.glibcLoader, makeElf('amd64')),
    ])
    expect(traceExecution(fs, config({entrypoint: ['/app']}), 'arm64').failure).toMatchObject({
      error: 'accessing a corrupted shared library',
      file: '/lib/ld-linux-aarch64.so.1',
    })
  })

  it('explains a #! line with CRLF', () => {
    const fs = image(busyboxArm64, [script('/entry.sh', '#!/bin/sh\r\necho hi\r\n')])
    expect(traceExecution(fs, config({entrypoint: ['/entry.sh']}), 'arm64').failure).toEqual({
      error: 'no such file or directory',
      file: '/entry.sh',
      reason: '/entry.sh has Windows line endings: its #! line ends in CR, so "/bin/sh\\r" is looked for and not found',
    })
  })

  it('follows #!/usr/bin/env python3 through PATH to the interpreter binary', () => {
    const fs = image(busyboxArm64, [
      exe('/usr/local/bin/python3', makeElf('amd64')),
      script('/app/main.py', '#!/usr/bin/env python3\nprint(1)\n'),
    ])
    const trace = traceExecution(fs, config({entrypoint: ['/app/main.py']}), 'arm64')
    expect(trace.steps.map((s) => [s.role, s.path])).toEqual([
      ['entrypoint', '/app/main.py'],
      ['interpreter', '/bin/busybox'],
      ['env-target', '/usr/local/bin/python3'],
    ])
    expect(trace.failure).toMatchObject({error: 'exec format error', file: '/usr/local/bin/python3'})
    const missing = traceExecution(
      image(busyboxArm64, [script('/app/main.py', '#!/usr/bin/env python3\n')]),
      config({entrypoint: ['/app/main.py']}),
      'arm64',
    )
    expect(missing.failure).toMatchObject({error: 'no such file or directory', file: 'python3'})
  })

  it('checks the shell of a shell-form CMD and the command it runs', () => {
    const ok = traceExecution(
      image(busyboxArm64, [exe('/usr/bin/server', makeElf('arm64'))]),
      config({cmd: ['/bin/sh', '-c', 'exec server --port 80']}),
      'arm64',
    )
    expect(ok.failure).toBeUndefined()
    expect(ok.steps.map((s) => [s.role, s.path])).toEqual([
      ['entrypoint', '/bin/busybox'],
      ['shell-command', '/usr/bin/server'],
    ])
    const wrong = traceExecution(
      image(busyboxArm64, [exe('/usr/bin/server', makeElf('amd64'))]),
      config({cmd: ['/bin/sh', '-c', 'server']}),
      'arm64',
    )
    expect(wrong.failure).toMatchObject({error: 'exec format error', file: '/usr/bin/server'})
    const noShell = traceExecution(image([exe('/usr/bin/server', makeElf('arm64'))]), config({cmd: ['/bin/sh', '-c', 'server']}), 'arm64')
    expect(noShell.failure).toMatchObject({error: 'no such file or directory', file: '/bin/sh'})
  })

  it('resolves a relative entrypoint from WorkingDir', () => {
    const trace = traceExecution(
      image([exe('/srv/bin/run', makeElf('amd64'))]),
      config({entrypoint: ['./bin/run'], workingDir: '/srv'}),
      'amd64',
    )
    expect(trace.failure).toBeUndefined()
    expect(trace.steps[0].path).toBe('/srv/bin/run')
  })

  it('reports permission, directories, loops, empty commands and non-Linux binaries', () => {
    const pe = makePeHeader(0x8664)
    const fs = image([
      exe('/noexec', makeElf('amd64'), 0o644),
      exe('/app.exe', pe),
      symlink('/l1', '/l2'),
      symlink('/l2', '/l1'),
      exe('/data', Buffer.from('hello')),
    ])
    const run = (entrypoint: string[]) => traceExecution(fs, config({entrypoint}), 'amd64').failure
    expect(run(['/noexec'])).toMatchObject({error: 'permission denied', reason: '/noexec has no exec permission (mode 0644)'})
    expect(run(['/'])).toMatchObject({error: 'permission denied', reason: '/ is a directory'})
    expect(run(['/l1'])).toMatchObject({error: 'too many levels of symbolic links'})
    expect(run(['/app.exe'])).toMatchObject({
      error: 'exec format error',
      reason: '/app.exe is a PE32 Windows executable (amd64), which Linux cannot run',
    })
    expect(run(['/data'])).toMatchObject({error: 'exec format error', file: '/data'})
    expect(run([])).toMatchObject({error: 'no command specified'})
  })

  it('warns that 32-bit ARM on arm64 depends on the CPU', () => {
    const trace = traceExecution(image([exe('/app', makeElf('arm'))]), config({entrypoint: ['/app']}), 'arm64')
    expect(trace.failure).toBeUndefined()
    expect(trace.warnings).toEqual([
      '/app is 32-bit ARM: it runs on linux/arm64 only where the CPU has AArch32 (many arm64 servers do not)',
    ])
  })
})
