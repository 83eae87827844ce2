import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {ELF_MACHINES, makeElf} from '../../scripts/fixtures/elf.js'
import {
  buildImage,
  buildIndex,
  buildLayer,
  type ConfigSpec,
  type LayerFile,
  MediaTypes,
  makeTar,
  rawLayer,
  sha256,
} from '../../scripts/fixtures/image-builder.js'
import type {DiagnoseReport} from '../../src/engine/layers/diagnose.js'
import {runCli} from '../helpers/cli.js'
import {pushScenario} from '../helpers/scenarios.js'

type Arch = 'amd64' | 'arm64'
type Layer = LayerFile[] | Awaited<ReturnType<typeof buildLayer>>

/** Busybox-like base: a static ELF of `arch` with sh and env as symlinks to it. */
const base = (arch: Arch): LayerFile[] => [
  {path: 'bin/busybox', content: makeElf(arch)},
  {path: 'bin/sh', type: 'symlink', linkname: 'busybox'},
  {path: 'usr/bin/env', type: 'symlink', linkname: '/bin/busybox'},
]

/** Pushes an amd64 + arm64 index whose images are made by `layersFor(arch)` with `config`, and returns its reference. */
async function pushIndex(name: string, layersFor: (arch: Arch) => Layer[], config: Partial<ConfigSpec> = {}): Promise<string> {
  const images = []
  for (const arch of ['amd64', 'arm64'] as Arch[]) {
    const [first, ...rest] = layersFor(arch)
    images.push(await buildImage({config: {architecture: arch, ...config}, files: first as LayerFile[], layers: rest}))
  }
  const scenario = await pushScenario(name, {bundle: buildIndex({entries: images.map((target) => ({target}))})})
  return scenario.reference
}

const diagnose = async (...args: string[]) => {
  const result = await runCli(['diagnose', ...args, '--host', 'linux/amd64,linux/arm64'])
  return {...result, lines: result.stdout.trim().split('\n')}
}
const line = (lines: string[], host: string): string => lines.find((l) => l.includes(`${host} hosts`)) ?? ''

describe('archcheck diagnose against the test registry', () => {
  it('passes a correct image whose dynamically linked entrypoint finds its loader through a symlink', async () => {
    const ref = await pushIndex(
      'diag-correct',
      (arch) => [
        [
          ...base(arch),
          {path: `lib/ld-real-${arch}.so`, content: makeElf(arch)},
          {path: ELF_MACHINES[arch].glibcLoader.slice(1), type: 'symlink', linkname: `/lib/ld-real-${arch}.so`},
        ],
        [{path: 'usr/local/bin/app', content: makeElf(arch, {interpreter: ELF_MACHINES[arch].glibcLoader})}],
      ],
      {entrypoint: ['app']},
    )
    const {code, lines, stderr} = await diagnose(ref)
    expect(stderr).not.toContain('archcheck:')
    expect(code).toBe(0)
    expect(line(lines, 'linux/amd64')).toMatch(
      /^ok +linux\/amd64 hosts pull sha256:\w{12} \(declared linux\/amd64\); its entrypoint \/usr\/local\/bin\/app \(ELF 64-bit LSB x86-64 executable, dynamically linked \(\/lib64\/ld-linux-x86-64.so.2\)\) starts$/,
    )
    expect(line(lines, 'linux/arm64')).toMatch(/^ok +linux\/arm64 .*AArch64 executable.* starts$/)
  })

  it('names the x86-64 entrypoint of the arm64 image: exec format error, exit 1', async () => {
    const ref = await pushIndex('diag-wrong-arch', (arch) => [base(arch), [{path: 'usr/local/bin/app', content: makeElf('amd64')}]], {
      entrypoint: ['/usr/local/bin/app'],
    })
    const {code, lines} = await diagnose(ref)
    expect(code).toBe(1)
    expect(line(lines, 'linux/amd64')).toMatch(/^ok /)
    expect(line(lines, 'linux/arm64')).toMatch(
      /^FAIL linux\/arm64 hosts pull sha256:\w{12} \(declared linux\/arm64\), but \/usr\/local\/bin\/app is an ELF 64-bit LSB x86-64 executable, statically linked, which a linux\/arm64 host cannot run: `exec format error`$/,
    )
  })

  it('checks the shell and the command of a shell-form CMD', async () => {
    const ref = await pushIndex(
      'diag-shell-form',
      (arch) => [base(arch), [{path: 'usr/bin/server', content: makeElf(arch === 'arm64' ? 'amd64' : arch)}]],
      {cmd: ['/bin/sh', '-c', 'exec server --port 8080']},
    )
    const {code, lines} = await diagnose(ref)
    expect(code).toBe(1)
    expect(line(lines, 'linux/amd64')).toMatch(/^ok .*its entrypoint \/bin\/busybox/)
    expect(line(lines, 'linux/arm64')).toContain('but /usr/bin/server is an ELF 64-bit LSB x86-64 executable')
    expect(lines).toContain('     shell-command server: /usr/bin/server (layer 2): ELF 64-bit LSB x86-64 executable, statically linked')
  })

  it('follows an entrypoint symlink into a lower layer', async () => {
    const ref = await pushIndex(
      'diag-symlink',
      (arch) => [
        [...base(arch), {path: 'opt/app-2.0/bin/app', content: makeElf('amd64')}],
        [{path: 'usr/local/bin/app', type: 'symlink', linkname: '../../../opt/app-2.0/bin/app'}],
      ],
      {entrypoint: ['app']},
    )
    const {code, lines} = await diagnose(ref)
    expect(code).toBe(1)
    expect(line(lines, 'linux/arm64')).toContain('but /opt/app-2.0/bin/app is an ELF 64-bit LSB x86-64 executable')
    expect(lines).toContain(
      '     entrypoint app: /opt/app-2.0/bin/app (layer 1) via /usr/local/bin/app -> ../../../opt/app-2.0/bin/app: ELF 64-bit LSB x86-64 executable, statically linked',
    )
  })

  it('says a binary removed by a whiteout in a later layer is not found', async () => {
    const ref = await pushIndex(
      'diag-whiteout',
      (arch) => [
        base(arch),
        [{path: 'usr/local/bin/app', content: makeElf(arch)}],
        [{path: 'usr/local/bin/.wh.app', content: '', mode: 0o644}],
      ],
      {entrypoint: ['/usr/local/bin/app']},
    )
    const {code, lines} = await diagnose(ref)
    expect(code).toBe(1)
    expect(line(lines, 'linux/amd64')).toMatch(
      /but the entrypoint \/usr\/local\/bin\/app is removed by a whiteout in layer 3: `no such file or directory`$/,
    )
  })

  it('names the missing dynamic loader', async () => {
    const ref = await pushIndex(
      'diag-no-loader',
      (arch) => [base(arch), [{path: 'app', content: makeElf(arch, {interpreter: '/lib/ld-musl-aarch64.so.1'})}]],
      {entrypoint: ['/app']},
    )
    const {code, lines} = await diagnose(ref)
    expect(code).toBe(1)
    expect(line(lines, 'linux/arm64')).toMatch(
      /but \/app needs the loader \/lib\/ld-musl-aarch64.so.1, which is not in the image: `no such file or directory`$/,
    )
  })

  it('explains a #! line ending in CRLF', async () => {
    const ref = await pushIndex('diag-crlf', (arch) => [base(arch), [{path: 'entrypoint.sh', content: '#!/bin/sh\r\nexec "$@"\r\n'}]], {
      entrypoint: ['/entrypoint.sh'],
    })
    const {code, lines} = await diagnose(ref)
    expect(code).toBe(1)
    expect(line(lines, 'linux/amd64')).toContain(
      'but /entrypoint.sh has Windows line endings: its #! line ends in CR, so "/bin/sh\\r" is looked for and not found: `no such file or directory`',
    )
  })

  it('reads zstd layers, and reports every foreign binary with --all-binaries --json', async () => {
    const images = []
    for (const arch of ['amd64', 'arm64'] as Arch[]) {
      const zstdLayer = await buildLayer(
        [
          {path: 'usr/local/bin/app', content: makeElf(arch)},
          {path: 'usr/lib/helper', content: makeElf('amd64')},
          {path: 'usr/lib/helper2', content: makeElf('amd64')},
        ],
        {compression: 'zstd'},
      )
      images.push(
        await buildImage({config: {architecture: arch, entrypoint: ['/usr/local/bin/app']}, files: base(arch), layers: [zstdLayer]}),
      )
    }
    const scenario = await pushScenario('diag-zstd-layer', {bundle: buildIndex({entries: images.map((target) => ({target}))})})
    expect(images[1].layers[1].mediaType).toBe(MediaTypes.ociLayerZstd)
    const {code, stdout} = await diagnose(scenario.reference, '--all-binaries', '--json')
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as DiagnoseReport & {schemaVersion: number}
    expect(report.schemaVersion).toBe(1)
    expect(report.hosts.map((h) => [h.host, h.status])).toEqual([
      ['linux/amd64', 'ok'],
      ['linux/arm64', 'ok'],
    ])
    const arm = report.binaries!.find((b) => b.platform === 'linux/arm64')!
    expect(arm).toEqual({
      digest: images[1].manifest.digest,
      platform: 'linux/arm64',
      elfCount: 4,
      mismatched: [{architecture: 'amd64', machineName: 'x86-64', count: 2, files: ['/usr/lib/helper', '/usr/lib/helper2']}],
    })
    expect(report.binaries!.find((b) => b.platform === 'linux/amd64')!.mismatched).toEqual([])
  })

  it('refuses a decompression bomb within the limits: exit 3, naming the layer', async () => {
    const bombTar = await makeTar([{path: 'zeros', content: Buffer.alloc(96 * 1024 * 1024), mode: 0o644}])
    const bomb = rawLayer(gzipSync(bombTar, {level: 9}), MediaTypes.ociLayerGzip, sha256(bombTar))
    const image = await buildImage({config: {architecture: 'amd64', entrypoint: ['/bin/busybox']}, files: base('amd64'), layers: [bomb]})
    const scenario = await pushScenario('diag-bomb', {bundle: image})
    const byRatio = await runCli(['diagnose', scenario.reference, '--host', 'linux/amd64'])
    expect(byRatio.code).toBe(3)
    expect(byRatio.stderr).toMatch(
      new RegExp(
        `^archcheck: layer ${bomb.digest.slice(0, 19)}: expands more than 200:1 \\(\\d+ MiB from \\d+ KiB read; possible decompression bomb; raise --max-ratio if the image is genuine\\)$`,
        'm',
      ),
    )
    const byTotal = await runCli([
      'diagnose',
      scenario.reference,
      '--host',
      'linux/amd64',
      '--max-decompressed',
      '8',
      '--max-ratio',
      '100000',
    ])
    expect(byTotal.code).toBe(3)
    expect(byTotal.stderr).toMatch(/decompressed layers exceed the limit of 8 MiB in total/)
  })
})

describe('archcheck verify --deep against the test registry', () => {
  const checks = (stdout: string) =>
    (
      JSON.parse(stdout) as {references: Array<{checks: Array<{id: string; status: string; platform: string | null; message: string}>}>}
    ).references[0].checks.filter((c) => ['entrypoint-arch', 'entrypoint-missing', 'loader-missing'].includes(c.id))

  it('fails a release whose arm64 image carries an amd64 entrypoint, and passes it without --deep', async () => {
    const ref = await pushIndex('deep-wrong-arch', (arch) => [base(arch), [{path: 'usr/local/bin/app', content: makeElf('amd64')}]], {
      entrypoint: ['/usr/local/bin/app'],
    })
    const shallow = await runCli(['verify', ref])
    expect(shallow.code).toBe(0)
    const deep = await runCli(['verify', ref, '--deep', '--json'])
    expect(deep.code).toBe(1)
    expect(checks(deep.stdout).map((c) => [c.id, c.platform, c.status])).toEqual([
      ['entrypoint-arch', 'linux/amd64', 'pass'],
      ['entrypoint-missing', 'linux/amd64', 'pass'],
      ['loader-missing', 'linux/amd64', 'pass'],
      ['entrypoint-arch', 'linux/arm64', 'fail'],
      ['entrypoint-missing', 'linux/arm64', 'pass'],
      ['loader-missing', 'linux/arm64', 'skip'],
    ])
    expect(checks(deep.stdout)[3].message).toMatch(
      /^the linux\/arm64 image \(sha256:\w{12}\): \/usr\/local\/bin\/app is an ELF 64-bit LSB x86-64 executable, statically linked, which a linux\/arm64 host cannot run: `exec format error`\.$/,
    )
    const text = await runCli(['verify', ref, '--deep'])
    expect(text.code).toBe(1)
    expect(text.stdout).toContain('entrypoint-arch')
  })

  it('reports a missing loader and a whited-out entrypoint under their own check ids', async () => {
    const ref = await pushIndex(
      'deep-loader',
      (arch) => [
        base(arch),
        [
          {path: 'app', content: makeElf(arch, {interpreter: ELF_MACHINES[arch].glibcLoader})},
          {path: 'usr/bin/tool', content: makeElf(arch)},
        ],
        arch === 'amd64' ? [{path: 'usr/bin/.wh.tool', content: '', mode: 0o644}] : [],
      ],
      {entrypoint: ['/app']},
    )
    const loader = await runCli(['verify', ref, '--deep', '--json'])
    expect(loader.code).toBe(1)
    expect(
      checks(loader.stdout)
        .filter((c) => c.status === 'fail')
        .map((c) => [c.id, c.platform]),
    ).toEqual([
      ['loader-missing', 'linux/amd64'],
      ['loader-missing', 'linux/arm64'],
    ])
    const refTool = await pushIndex(
      'deep-whiteout',
      (arch) => [
        base(arch),
        [{path: 'usr/bin/tool', content: makeElf(arch)}],
        arch === 'amd64' ? [{path: 'usr/bin/.wh.tool', content: '', mode: 0o644}] : [],
      ],
      {entrypoint: ['tool']},
    )
    const whiteout = await runCli(['verify', refTool, '--deep', '--json'])
    expect(whiteout.code).toBe(1)
    const failed = checks(whiteout.stdout).filter((c) => c.status === 'fail')
    expect(failed.map((c) => [c.id, c.platform])).toEqual([['entrypoint-missing', 'linux/amd64']])
    expect(failed[0].message).toContain('/usr/bin/tool was removed by a whiteout in layer 3')
  })
})
