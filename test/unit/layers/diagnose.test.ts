import {describe, expect, it} from 'vitest'

import {makeElf} from '../../../scripts/fixtures/elf.js'
import {buildImage, buildIndex} from '../../../scripts/fixtures/image-builder.js'
import {OciLayoutSource} from '../../../src/source/oci-layout.js'
import {fetchImageTree} from '../../../src/engine/tree.js'
import {deepChecks} from '../../../src/engine/verify/deep-checks.js'
import {diagnoseImage} from '../../../src/engine/layers/diagnose.js'
import {parseHosts} from '../../../src/oci/platform/hosts.js'
import {verifyImage} from '../../../src/engine/verify/verify.js'
import {elfImage, layoutWith} from '../../helpers/layouts.js'

async function diagnoseLayout(bundle: Parameters<typeof layoutWith>[0], hosts: string[]) {
  const source = await OciLayoutSource.open(`${await layoutWith(bundle)}:latest`)
  try {
    return await diagnoseImage(source, await fetchImageTree(source), {hosts: parseHosts(hosts), allBinaries: true})
  } finally {
    await source.close()
  }
}

describe('diagnoseImage', () => {
  it('fails a host the client refuses, without reading layers for it', async () => {
    const index = buildIndex({entries: [{target: await elfImage('amd64')}, {target: await elfImage('arm64')}]})
    const report = await diagnoseLayout(index, ['linux/s390x', 'linux/amd64'])
    expect(report.failed).toBe(true)
    expect(report.hosts[0]).toMatchObject({host: 'linux/s390x', status: 'fail'})
    expect(report.hosts[0].message).toMatch(
      /^linux\/s390x hosts cannot pull it: `no matching manifest for linux\/s390x in the manifest list entries`/,
    )
    expect(report.hosts[0].execution).toBeUndefined()
    expect(report.hosts[1]).toMatchObject({host: 'linux/amd64', status: 'ok'})
    expect(report.binaries!.map((b) => b.platform)).toEqual(['linux/amd64'])
  })

  it('reads no layer for a host whose files it does not trace (not Linux), unless --all-binaries asks', async () => {
    const source = await OciLayoutSource.open(`${await layoutWith(await elfImage('amd64'))}:latest`)
    try {
      const tree = await fetchImageTree(source)
      const layersRead: string[] = []
      const read = {onProgress: (event: {digest: string; done?: boolean}) => void (event.done && layersRead.push(event.digest))}
      const report = await diagnoseImage(source, tree, {hosts: parseHosts(['darwin/arm64']), read})
      expect(report.hosts[0].message).toContain('its files were not examined')
      expect(layersRead).toEqual([])
      await diagnoseImage(source, tree, {hosts: parseHosts(['darwin/arm64']), read, allBinaries: true})
      expect(layersRead).toHaveLength(1)
    } finally {
      await source.close()
    }
  })

  it('follows the single image Docker pulls on any host, and fails it where it cannot run', async () => {
    const report = await diagnoseLayout(await elfImage('arm64'), ['linux/amd64', 'linux/arm64'])
    expect(report.hosts.map((h) => h.status)).toEqual(['fail', 'ok'])
    expect(report.hosts[0].message).toMatch(
      /^linux\/amd64 hosts pull sha256:\w{12} \(config linux\/arm64\), but \/app is an ELF 64-bit LSB AArch64 executable, statically linked, which a linux\/amd64 host cannot run: `exec format error`$/,
    )
  })

  it('names the config as the liar when an arm64-labelled image holds binaries that start on amd64', async () => {
    const image = await buildImage({
      config: {architecture: 'arm64', entrypoint: ['/app']},
      files: [{path: 'app', content: makeElf('amd64')}],
    })
    const report = await diagnoseLayout(image, ['linux/amd64', 'linux/arm64'])
    expect(report.hosts.map((h) => h.status)).toEqual(['warn', 'fail'])
    expect(report.hosts[0].message).toContain('starts, but its config says linux/arm64, yet the files it runs are built for linux/amd64')
    expect(report.hosts[0].message).not.toContain('exec format error')
  })

  it('warns for 32-bit ARM served to arm64 and for hosts it does not trace', async () => {
    const index = buildIndex({entries: [{target: await elfImage('arm')}]})
    const report = await diagnoseLayout(index, ['linux/arm64', 'linux/arm/v7', 'windows/amd64'])
    expect(report.hosts.map((h) => [h.host, h.status])).toEqual([
      ['linux/arm64', 'warn'],
      ['linux/arm/v7', 'ok'],
      ['windows/amd64', 'fail'],
    ])
    expect(report.hosts[0].message).toContain('/app is 32-bit ARM: it runs on linux/arm64 only where the CPU has AArch32')
    expect(report.failed).toBe(true)
  })

  it('checks the loader of an ELF whose program headers and PT_INTERP lie past the first 4 KiB', async () => {
    const elf = makeElf('arm64', {interpreter: '/lib/ld-musl-aarch64.so.1', programHeaderOffset: 6000, interpreterOffset: 20_000})
    const image = await buildImage({config: {architecture: 'arm64', entrypoint: ['/app']}, files: [{path: 'app', content: elf}]})
    const report = await diagnoseLayout(image, ['linux/arm64'])
    expect(report.hosts[0].status).toBe('fail')
    expect(report.hosts[0].message).toContain('/app needs the loader /lib/ld-musl-aarch64.so.1, which is not in the image')
    expect(report.hosts[0].execution!.steps[0].binary).not.toHaveProperty('truncated')
  })

  it('fails an arm/v6 host given an ARMv7 binary: it starts and dies of SIGILL', async () => {
    const elf = makeElf('arm', {armCpuArch: 10})
    const image = await buildImage({
      config: {architecture: 'arm', variant: 'v6', entrypoint: ['/app']},
      files: [{path: 'app', content: elf}],
    })
    const report = await diagnoseLayout(image, ['linux/arm/v6', 'linux/arm/v7'])
    // The v7 host runs it; it only warns that it gets an image declared for an older variant.
    expect(report.hosts.map((h) => [h.host, h.status])).toEqual([
      ['linux/arm/v6', 'fail'],
      ['linux/arm/v7', 'warn'],
    ])
    expect(report.hosts[1].execution!.failure).toBeUndefined()
    expect(report.hosts[0].message).toContain(
      'but /app is built for ARMv7, newer than a linux/arm/v6 CPU: it starts and is killed by SIGILL: `illegal instruction`',
    )
    expect(report.binaries![0].mismatched).toEqual([{architecture: 'arm/v7', machineName: 'ARM', count: 1, files: ['/app']}])
    const source = await OciLayoutSource.open(`${await layoutWith(image)}:latest`)
    try {
      const verified = await verifyImage(source, {
        require: ['linux/arm/v6'],
        allowSinglePlatform: true,
        allowFallback: true,
        providers: [deepChecks()],
      })
      expect(verified.checks.filter((check) => check.status === 'fail').map((check) => check.id)).toEqual(['entrypoint-arch'])
    } finally {
      await source.close()
    }
  })
})
