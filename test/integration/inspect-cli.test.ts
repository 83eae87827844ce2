/**
 * `archcheck inspect` run as users run it: the built CLI (npm test builds first) on local layouts.
 */
import {createHash} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {MediaTypes, buildAttestation, buildImage, buildIndex, jsonObject} from '../../scripts/fixtures/image-builder.js'
import {blobPath} from '../../scripts/fixtures/oci-layout-writer.js'
import {demoFixtureEntries} from '../../scripts/make-demo-fixture.js'
import type {InspectView} from '../../src/engine/inspect-view.js'
import {runCli} from '../helpers/cli.js'
import {archiveWith, elfImage, layoutWith} from '../helpers/layouts.js'

const archcheck = (...args: string[]) => runCli(args)

const json = async (...args: string[]): Promise<InspectView> => {
  const run = await archcheck('inspect', ...args, '--json')
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout)
}

describe('archcheck inspect on the bundled demo image', () => {
  it('prints the reference, the tag digest and one row per platform with full digests, attestations apart', async () => {
    const [{bundle}] = await demoFixtureEntries()
    const index = JSON.parse(bundle.top.bytes.toString())
    const run = await archcheck('inspect', 'oci-layout:fixtures/demo')
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    const out = run.stdout
    expect(out).not.toContain('\u001B[') // not a TTY: no colours
    expect(out).toContain('Reference:  oci-layout:fixtures/demo:latest')
    expect(out).toContain(`Digest:     ${bundle.top.digest}`)
    expect(out).toContain(`Media type: ${MediaTypes.ociIndex}`)
    const [amd, arm, amdAttestation, armAttestation] = index.manifests
    const rowOf = (digest: string) => out.split('\n').find((line) => line.includes(`│ ${digest} │`) && !line.includes('provenance'))
    expect(rowOf(amd.digest)).toMatch(
      new RegExp(`│ linux/amd64 +│ ${amd.digest} │ ${amd.size} B +│ linux/amd64 +│ 1 +│ \\d+ B +│ 2024-01-01T00:00:00Z │`),
    )
    expect(rowOf(arm.digest)).toMatch(/│ linux\/arm64 +│ sha256:[0-9a-f]{64} │ \d+ B +│ linux\/arm64 +│ 1 /)
    const attestations = out.slice(out.indexOf('Attestations'))
    expect(attestations).toContain(`│ ${amdAttestation.digest} │ ${amd.digest} │ linux/amd64 │ https://slsa.dev/provenance/v0.2 │`)
    expect(attestations).toContain(`│ ${armAttestation.digest} │ ${arm.digest} │ linux/arm64 │`)
    expect(out.slice(0, out.indexOf('Attestations'))).not.toContain(amdAttestation.digest)
  })

  it('--json gives the same facts with full digests and attestation links', async () => {
    const [{bundle}] = await demoFixtureEntries()
    const index = JSON.parse(bundle.top.bytes.toString())
    const view = await json('oci-layout:fixtures/demo')
    expect(view).toMatchObject({
      schemaVersion: 1,
      reference: 'oci-layout:fixtures/demo:latest',
      digest: bundle.top.digest,
      size: bundle.top.size,
      kind: 'index',
      singlePlatform: false,
    })
    expect(view.platforms.map((p) => [p.platform, p.digest, p.size, p.configPlatform, p.platformMismatch])).toEqual([
      ['linux/amd64', index.manifests[0].digest, index.manifests[0].size, 'linux/amd64', false],
      ['linux/arm64', index.manifests[1].digest, index.manifests[1].size, 'linux/arm64', false],
    ])
    expect(view.platforms[0].attestations).toEqual([index.manifests[2].digest])
    expect(view.attestations.map((a) => [a.digest, a.attests, a.attestsPlatform])).toEqual([
      [index.manifests[2].digest, index.manifests[0].digest, 'linux/amd64'],
      [index.manifests[3].digest, index.manifests[1].digest, 'linux/arm64'],
    ])
  })

  it('--raw prints the exact top manifest: its sha256 is the tag digest', async () => {
    const [{bundle}] = await demoFixtureEntries()
    const run = await archcheck('inspect', 'oci-layout:fixtures/demo', '--raw')
    expect(run.code).toBe(0)
    expect(`sha256:${createHash('sha256').update(run.stdoutBytes).digest('hex')}`).toBe(bundle.top.digest)
  })

  it('--platform keeps matching rows (after normalisation) and their attestations', async () => {
    const view = await json('oci-layout:fixtures/demo', '--platform', 'linux/aarch64')
    expect(view.platformFilter).toBe('linux/aarch64')
    expect(view.platforms.map((p) => p.platform)).toEqual(['linux/arm64'])
    expect(view.attestations.map((a) => a.attestsPlatform)).toEqual(['linux/arm64'])
    const none = await archcheck('inspect', 'oci-layout:fixtures/demo', '--platform', 'linux/s390x')
    expect(none.code).toBe(0)
    expect(none.stdout).toContain('No platform entry matches --platform linux/s390x.')
  })

  it('--platform keeps what the host accepts through fallbacks: arm64 also runs arm/v7', async () => {
    const index = buildIndex({
      entries: [{target: await elfImage('amd64')}, {target: await elfImage('arm')}, {target: await elfImage('s390x')}],
    })
    const layout = `oci-layout:${await layoutWith(index)}`
    expect((await json(layout, '--platform', 'linux/arm64')).platforms.map((p) => p.platform)).toEqual(['linux/arm/v7'])
    expect((await json(layout, '--platform', 'linux/amd64')).platforms.map((p) => p.platform)).toEqual(['linux/amd64'])
    expect((await json(layout, '--platform', 'linux/arm/v6')).platforms).toEqual([])
  })
})

describe('archcheck inspect on trees with problems', () => {
  it('marks an entry whose config disagrees with the declared platform', async () => {
    const index = buildIndex({
      entries: [{target: await elfImage('amd64')}, {target: await elfImage('arm64'), platform: {os: 'linux', architecture: 'amd64'}}],
    })
    const dir = await layoutWith(index)
    const run = await archcheck('inspect', `oci-layout:${dir}`)
    const out = run.stdout
    expect(out).toMatch(/│ linux\/amd64 +│ sha256:[0-9a-f]{64} │ \d+ B +│ linux\/arm64 ✗ MISMATCH │/)
    expect(out).toContain('is declared linux/amd64 but its config says linux/arm64')
    const view = await json(`oci-layout:${dir}`)
    expect(view.platforms.map((p) => p.platformMismatch)).toEqual([false, true])
  })

  it('says plainly that a single-platform tag goes to every host', async () => {
    const image = await elfImage('arm64', 'docker')
    const dir = await layoutWith(image)
    const out = (await archcheck('inspect', `oci-layout:${dir}`)).stdout
    expect(out).toMatch(/│ \(none declared\) +│ sha256:[0-9a-f]{64} │ .*│ linux\/arm64 /)
    expect(out).toContain(
      'Single-platform image (no index): every host pulls this linux/arm64 image, so hosts of other architectures will get this image anyway',
    )
    const view = await json(`oci-layout:${dir}`)
    expect(view).toMatchObject({kind: 'image', singlePlatform: true, digest: image.manifest.digest, mediaType: MediaTypes.dockerManifest})
    expect(view.platforms).toHaveLength(1)
  })

  it('shows an attestation named on its own as an attestation, not as a runnable image', async () => {
    const image = await elfImage('amd64')
    const dir = await layoutWith(await buildAttestation(image.manifest, {predicateType: 'https://spdx.dev/Document'}))
    const out = (await archcheck('inspect', `oci-layout:${dir}`)).stdout
    expect(out).toContain('No runnable image here')
    expect(out).toMatch(/│ sha256:[0-9a-f]{64} │ \(not named\) +│ .* │ https:\/\/spdx\.dev\/Document │/)
    expect(out).not.toContain('unknown/unknown image')
    expect(out).not.toContain('exec format error')
    const view = await json(`oci-layout:${dir}`)
    expect(view).toMatchObject({kind: 'image', singlePlatform: false, platforms: []})
    expect(view.attestations).toMatchObject([{index: null, predicateTypes: ['https://spdx.dev/Document']}])
  })

  it('shows nested indexes and entries it does not read', async () => {
    const inner = buildIndex({format: 'docker', entries: [{target: await elfImage('s390x', 'docker')}]})
    const unknown = jsonObject({x: 1}, 'application/vnd.example.thing.v1+json')
    const outer = buildIndex({entries: [{target: await elfImage('amd64')}, {target: inner, platform: null}, {target: unknown}]})
    const out = (await archcheck('inspect', `oci-layout:${await layoutWith(outer)}`)).stdout
    expect(out).toMatch(new RegExp(`│ nested index +│ ${inner.index.digest} │ \\d+ B +│ 1 entry: +│`))
    // Every line of the table is a border or a row: no stray rule around the nested index.
    const table = out.split('\n').filter((line) => /^[┌│└┴┬]/.test(line))
    expect(table.every((line) => /^[┌└]─/.test(line) || line.startsWith('│ '))).toBe(true)
    expect(out).toMatch(/│ ↳ linux\/s390x +│/)
    expect(out).toContain('unknown media type application/vnd.example.thing.v1+json')
  })

  it('reads an OCI archive to the same result', async () => {
    const amd = await elfImage('amd64')
    const index = buildIndex({entries: [{target: amd}, {target: await buildAttestation(amd.manifest)}]})
    const fromLayout = await json(`oci-layout:${await layoutWith(index)}`)
    const fromArchive = await json(`oci-archive:${await archiveWith(index)}`)
    expect({...fromArchive, reference: ''}).toEqual({...fromLayout, reference: ''})
  })
})

describe('archcheck inspect errors: one line, documented exit code', () => {
  it.each([
    [
      ['inspect', 'Not A/Ref'],
      2,
      /^archcheck: invalid image reference "Not A\/Ref": it contains white space \(see archcheck inspect --help\)\n$/,
    ],
    [
      ['inspect', 'oci-layout:/no/such/layout'],
      2,
      /^archcheck: OCI layout directory "\/no\/such\/layout" does not exist \(see archcheck inspect --help\)\n$/,
    ],
    [
      ['inspect', 'oci-layout:fixtures/demo', '--platform', 'linux/*'],
      2,
      /^archcheck: --platform: invalid platform "linux\/\*": wildcards are not supported/,
    ],
    [
      ['inspect', 'oci-layout:fixtures/demo:v9'],
      3,
      /^archcheck: tag "v9" not found in oci-layout:fixtures\/demo \(available tags: latest\)\n$/,
    ],
    [
      ['inspect', 'oci-layout:fixtures/demo', '--max-manifest-size', '1024'],
      3,
      /^archcheck: manifest sha256:[0-9a-f]{64} is \d+ bytes, more than the limit of 1024 bytes/,
    ],
  ])('%j exits %i', async (args, code, message) => {
    const run = await archcheck(...args)
    expect(run.code).toBe(code)
    expect(run.stderr).toMatch(message)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stdout).toBe('')
  })

  it('exits 3 naming the blob when a layout blob is corrupt', async () => {
    const image = await buildImage({config: {architecture: 'amd64'}, files: [{path: 'a', content: 'a'}]})
    const dir = await layoutWith(image)
    await writeFile(path.join(dir, blobPath(image.config.digest)), '{"os":"linux","architecture":"arm64"}')
    const run = await archcheck('inspect', `oci-layout:${dir}`)
    expect(run.code).toBe(3)
    expect(run.stderr).toBe(
      `archcheck: blob ${image.config.digest} in oci-layout:${dir} does not match its content (the bytes hash to sha256:${createHash('sha256').update('{"os":"linux","architecture":"arm64"}').digest('hex')})\n`,
    )
  })
})
