// verify on real image bytes in OCI layouts (no registry): the tree fetcher, the pull simulation
// and the checks together, including entries and blobs that have gone missing.
import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {buildAttestation, buildImage, buildIndex, type BuiltImage} from '../../../scripts/fixtures/image-builder.js'
import {blobPath, writeOciLayout} from '../../../scripts/fixtures/oci-layout-writer.js'
import {verify as verifyAll, type CheckOutcome, type VerifyOptions} from '../../../src/api/verify.js'
import {parseSourceSpec} from '../../../src/oci/reference.js'
import {openSource} from '../../../src/source/open.js'
import {verifyTargetsWith} from '../../../src/engine/verify/verify.js'
import {tempDir} from '../../helpers/temp-dir.js'

let dir: string
let amd64: BuiltImage
let arm64: BuiltImage

const notPassed = (checks: ReadonlyArray<Pick<CheckOutcome, 'id' | 'status'> & {platform?: string | null}>): string[] =>
  checks
    .filter((check) => check.status === 'fail' || check.status === 'warn')
    .map((check) => `${check.id} ${check.status} ${check.platform ?? '-'}`)

async function layout(name: string, entries: Parameters<typeof buildIndex>[0]['entries'], remove: string[] = []): Promise<string> {
  const path = join(dir, name)
  await writeOciLayout(path, [{bundle: buildIndex({entries}), tag: 'latest'}])
  for (const digest of remove) await rm(join(path, blobPath(digest)))
  return `oci-layout:${path}`
}

async function verify(spec: string, options: VerifyOptions = {}) {
  const {
    references: [report],
  } = await verifyAll([spec], options)
  return report
}

/** Verifies through the real source, recording every blob existence question (a HEAD on a registry). */
async function verifyRecordingBlobChecks(spec: string, options = {}) {
  const asked: string[] = []
  const [report] = await verifyTargetsWith([{spec: parseSourceSpec(spec)}], options, async (parsed) => {
    const source = await openSource(parsed)
    const blobExists = source.blobExists.bind(source)
    source.blobExists = async (digest) => {
      asked.push(digest)
      return blobExists(digest)
    }
    return source
  })
  return {report, asked}
}

beforeAll(async () => {
  dir = await tempDir('verify-layout')
  amd64 = await buildImage({
    config: {architecture: 'amd64'},
    files: [{path: 'app', content: 'amd64'}],
    layers: [[{path: 'base', content: 'shared'}]],
  })
  arm64 = await buildImage({
    config: {architecture: 'arm64', variant: 'v8'},
    files: [{path: 'app', content: 'arm64'}],
    layers: [[{path: 'base', content: 'shared'}]],
  })
})

describe('verify over OCI layouts', () => {
  it('passes a correct index with attestations, blobs included', async () => {
    const spec = await layout('good', [{target: amd64}, {target: arm64}, {target: await buildAttestation(amd64.manifest)}])
    const report = await verify(spec, {blobs: true})
    expect(notPassed(report.checks)).toEqual([])
    expect(report.verdict).toBe('pass')
  })

  it('reports an entry whose manifest is gone as dangling-manifest instead of failing the whole reference', async () => {
    const spec = await layout('dangling', [{target: amd64}, {target: arm64}], [arm64.manifest.digest])
    const report = await verify(spec)
    expect(report.verdict).toBe('fail')
    expect(notPassed(report.checks)).toEqual(['dangling-manifest fail linux/arm64'])
    expect(report.checks.find((check) => check.id === 'dangling-manifest')?.message).toContain(arm64.manifest.digest.slice(0, 19))
    expect(report.checks.find((check) => check.id === 'platform-missing' && check.platform === 'linux/arm64')?.status).toBe('skip')
  })

  it('reports an image whose config blob is gone as missing-blob even without --blobs', async () => {
    const spec = await layout('no-config', [{target: amd64}, {target: arm64}], [arm64.config.digest])
    const report = await verify(spec)
    expect(notPassed(report.checks)).toEqual(['missing-blob fail linux/arm64'])
  })

  it('finds a missing layer only with --blobs, asking for a shared layer once', async () => {
    const spec = await layout('no-layer', [{target: amd64}, {target: arm64}], [arm64.layers[0].digest])
    expect((await verify(spec)).verdict).toBe('pass')
    const {report, asked} = await verifyRecordingBlobChecks(spec, {blobs: true})
    expect(notPassed(report.checks)).toEqual(['missing-blob fail linux/arm64'])
    expect(report.checks.find((check) => check.status === 'fail')?.message).toContain(`layer ${arm64.layers[0].digest.slice(0, 19)}`)
    // The 'base' layer is the same blob in both images: asked for once; configs, read whole, never.
    const shared = arm64.layers[1].digest
    expect(amd64.layers[1].digest).toBe(shared)
    expect(asked.filter((digest) => digest === shared)).toHaveLength(1)
    expect([...asked].sort()).toEqual([amd64.layers[0].digest, arm64.layers[0].digest, shared].sort())
  })

  it('checks several layouts in one call, each against its expected digest', async () => {
    const good = `oci-layout:${join(dir, 'good')}`
    const index = buildIndex({entries: [{target: amd64}, {target: arm64}, {target: await buildAttestation(amd64.manifest)}]})
    const {references: reports} = await verifyAll([
      {reference: good, expectDigest: index.index.digest},
      {reference: `${good}:latest`, expectDigest: 'sha256:' + '1'.repeat(64)},
    ])
    expect(reports.map((report) => `${report.verdict} ${report.checks.find((check) => check.id === 'digest-mismatch')?.status}`)).toEqual([
      'pass pass',
      'fail fail',
    ])
  })

  it('takes required platforms as specifiers and rejects a bad one before reading anything', async () => {
    const good = `oci-layout:${join(dir, 'good')}`
    const {
      references: [report],
    } = await verifyAll([good], {require: ['linux/arm64/v8', 'linux/amd64']})
    expect(report.checks.filter((check) => check.id === 'platform-missing').map((check) => check.platform)).toEqual([
      'linux/arm64',
      'linux/amd64',
    ])
    await expect(verifyAll([good], {require: ['linux/arm64/v8/x']})).rejects.toThrow(/invalid platform "linux\/arm64\/v8\/x"/)
  })

  it('fails an unreadable reference with exit code 3 semantics', async () => {
    const result = await verifyAll([`oci-layout:${join(dir, 'good')}:nope`])
    expect(result).toMatchObject({verdict: 'error', exitCode: 3})
    expect(result.references[0].error).toContain('tag "nope" not found')
  })
})
