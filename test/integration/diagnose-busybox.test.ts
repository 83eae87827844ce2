import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {buildImage, buildIndex} from '../../scripts/fixtures/image-builder.js'
import type {DiagnoseReport} from '../../src/engine/layers/diagnose.js'
import {busyboxRootfs, pushBusyboxBase} from '../helpers/buildah.js'
import {runCli} from '../helpers/cli.js'
import {testRegistryHost} from '../helpers/registry.js'
import {pushScenario} from '../helpers/scenarios.js'

const HOSTS = ['--host', 'linux/amd64,linux/arm64']

describe('diagnose on Debian busybox-static images', () => {
  it('passes the real amd64 and arm64 busybox images built with buildah', async () => {
    const reference = `${testRegistryHost()}/base/busybox-diagnose:latest`
    const pushed = await pushBusyboxBase({reference})
    const result = await runCli(['diagnose', reference, ...HOSTS, '--json', '--all-binaries'])
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as DiagnoseReport
    expect(report.digest).toBe(pushed.digest)
    for (const [host, machine] of [
      ['linux/amd64', 'x86-64'],
      ['linux/arm64', 'AArch64'],
    ]) {
      const diagnosis = report.hosts.find((h) => h.host === host)!
      expect(diagnosis.status).toBe('ok')
      expect(diagnosis.image!.digest).toBe(pushed.images[host])
      expect(diagnosis.execution!.steps[0]).toMatchObject({
        role: 'entrypoint',
        requested: '/bin/sh',
        path: '/bin/busybox',
        symlinks: ['/bin/sh -> busybox'],
        description: `ELF 64-bit LSB ${machine} executable, statically linked`,
      })
    }
    // Every applet is a symlink: the only executable ELF per image is busybox itself.
    expect(report.binaries!.map((b) => [b.platform, b.elfCount, b.mismatched])).toEqual([
      ['linux/amd64', 1, []],
      ['linux/arm64', 1, []],
    ])
  }, 240_000)

  it('finds the real x86-64 busybox copied into an arm64 image', async () => {
    const amd64 = await readFile(join(await busyboxRootfs('linux/amd64'), 'bin', 'busybox'))
    const arm64 = await readFile(join(await busyboxRootfs('linux/arm64'), 'bin', 'busybox'))
    const files = (binary: Buffer) => [
      {path: 'bin/busybox', content: binary},
      {path: 'bin/sh', type: 'symlink' as const, linkname: 'busybox'},
    ]
    const images = [
      await buildImage({config: {architecture: 'amd64', cmd: ['/bin/sh']}, files: files(amd64)}),
      await buildImage({
        config: {architecture: 'arm64', cmd: ['/bin/sh']},
        files: files(amd64),
        layers: [[{path: 'opt/busybox-arm64', content: arm64}]],
      }),
    ]
    const scenario = await pushScenario('busybox-leak', {bundle: buildIndex({entries: images.map((target) => ({target}))})})
    const result = await runCli(['diagnose', scenario.reference, ...HOSTS, '--all-binaries'])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^FAIL linux\/arm64 hosts pull sha256:\w{12} \(declared linux\/arm64\), but \/bin\/busybox is an ELF 64-bit LSB x86-64 executable, statically linked, which a linux\/arm64 host cannot run: `exec format error`$/m,
    )
    expect(result.stdout).toMatch(/^binaries of sha256:\w{12} \(linux\/arm64\): 2 executable ELF files; other architectures: 1 amd64$/m)
    expect(result.stdout).toContain('     amd64 /bin/busybox\n')
  }, 240_000)
})
