/**
 * `archcheck audit --supply-chain` against the real test registry: one repository whose releases
 * gain buildx provenance and SBOMs, then a cosign signature, and one release whose signature is
 * junk. Each row says what its image carries, the text matrix shows it, and the history line per
 * repository says from which release on.
 */
import {beforeAll, describe, expect, it} from 'vitest'

import {buildImage, buildIndex, type IndexEntry} from '../../scripts/fixtures/image-builder.js'
import {runCli, runAuditJson} from '../helpers/cli.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {
  BUNDLE_V03,
  SLSA_V02,
  SPDX,
  attestationManifest,
  cosignSignatureManifest,
  fallbackIndex,
  fallbackTag,
  keyPair,
  provenanceV02,
  referrer,
  spdxDocument,
  statement,
} from '../helpers/supply-chain.js'

const REPOSITORY = 'audit-supply/app'
const signer = keyPair('ecdsa')
const client = new TestRegistryClient()

/** An amd64 + arm64 release; `attested` adds provenance and an SBOM per platform, `signed` a cosign signature of the index. */
async function pushRelease(tag: string, kind: {attested: boolean; signed: boolean; junkSignature?: boolean}): Promise<void> {
  const images = await Promise.all(
    ['amd64', 'arm64'].map((architecture) =>
      buildImage({config: {os: 'linux', architecture}, files: [{path: 'app', content: `${tag} ${architecture}`}]}),
    ),
  )
  const attestations: IndexEntry[] = kind.attested
    ? images.map((image, i) => {
        const platform = `linux/${['amd64', 'arm64'][i]}`
        const facts = {bases: [{name: 'alpine', tag: '3.20', platform, digest: `sha256:${'a'.repeat(64)}`}]}
        return {
          target: attestationManifest(image.manifest, [
            {predicateType: SLSA_V02, body: statement(SLSA_V02, provenanceV02(facts), image.manifest.digest)},
            {predicateType: SPDX, body: statement(SPDX, spdxDocument(2), image.manifest.digest)},
          ]),
        }
      })
    : []
  const index = buildIndex({entries: [...images.map((target) => ({target})), ...attestations]})
  await client.pushBundle(REPOSITORY, index, tag)
  if (kind.signed) {
    const signature = cosignSignatureManifest({
      digest: index.index.digest,
      reference: `${testRegistryHost()}/${REPOSITORY}`,
      key: signer.privateKey,
    })
    await client.pushBundle(REPOSITORY, signature, `${fallbackTag(index.index.digest)}.sig`)
  }
  if (kind.junkSignature) {
    const junk = referrer(index.index, BUNDLE_V03, BUNDLE_V03, Buffer.from('not json'))
    await client.pushBundle(REPOSITORY, fallbackIndex([junk]), fallbackTag(index.index.digest))
  }
}

beforeAll(async () => {
  await pushRelease('1.0.0', {attested: false, signed: false})
  await pushRelease('1.1.0', {attested: true, signed: false})
  await pushRelease('1.2.0', {attested: true, signed: true})
  await pushRelease('1.3.0', {attested: true, signed: true})
  await pushRelease('1.4.0-rc.1', {attested: true, signed: false, junkSignature: true})
}, 60_000)

const repository = () => `${testRegistryHost()}/${REPOSITORY}`

describe('archcheck audit --supply-chain', () => {
  it('gives each release its provenance, SBOM and signature, and a history line per repository', async () => {
    const {code, json, stderr} = await runAuditJson([repository(), '--include-prerelease', '--supply-chain', '--no-cache'])
    expect(stderr).not.toContain('Error')
    expect(code).toBe(0)
    expect(json.schemaVersion).toBe(1)
    const byTag = Object.fromEntries(json.rows.map((row) => [row.tag, row.supplyChain]))
    expect(byTag['1.0.0']).toEqual({provenance: false, sbom: false, signed: false, error: null})
    expect(byTag['1.1.0']).toEqual({provenance: true, sbom: true, signed: false, error: null})
    expect(byTag['1.2.0']).toEqual({provenance: true, sbom: true, signed: true, error: null})
    expect(byTag['1.3.0']).toEqual({provenance: true, sbom: true, signed: true, error: null})
    // A signature that is attached but cannot be read is neither a pass nor a crash.
    expect(byTag['1.4.0-rc.1']).toMatchObject({provenance: true, sbom: true, signed: false})
    expect(byTag['1.4.0-rc.1']?.error).toMatch(/signed/)
    expect(json.supplyChainHistory).toEqual([
      {
        repository: repository(),
        variant: null,
        text: 'no provenance in 1.0.0; provenance from 1.1.0 on; no sbom in 1.0.0; sbom from 1.1.0 on; unsigned from 1.0.0 to 1.1.0; signed from 1.2.0 on; signed unreadable in 1.4.0-rc.1',
      },
    ])
  })

  it('shows a SUPPLY column and the history line in the text report', async () => {
    const run = await runCli(['audit', repository(), '--include-prerelease', '--supply-chain', '--no-cache'], {timeoutMs: 60_000})
    expect(run.code).toBe(0)
    const line = (tag: string) => run.stdout.split('\n').find((text) => text.includes(` ${tag} `)) ?? ''
    expect(run.stdout).toMatch(/\bSUPPLY\b/)
    expect(line('1.0.0')).toContain('- - ✗')
    expect(line('1.1.0')).toContain('P S ✗')
    expect(line('1.3.0')).toContain('P S ✓')
    expect(line('1.4.0-rc.1')).toContain('unreadable')
    expect(run.stdout).toContain('signed from 1.2.0 on')
  })

  it('keeps the SUPPLY column in 80 columns: the digest gives way first', async () => {
    const run = await runCli(['audit', repository(), '--include-prerelease', '--supply-chain', '--no-cache'], {
      env: {COLUMNS: '80'},
      timeoutMs: 60_000,
    })
    const table = run.stdout.split('\n').filter((line) => /^[│┌└├]/.test(line))
    expect(Math.max(...table.map((line) => line.length))).toBeLessThanOrEqual(80)
    expect(table.find((line) => line.includes(' 1.3.0 '))).toContain('P S ✓')
    expect(run.stdout).toContain('Not shown to fit 80 columns: DIGEST')
  })

  it('without the flag reads none of it: no column, supplyChain null', async () => {
    const {json} = await runAuditJson([repository(), '--no-cache'])
    expect(json.rows.every((row) => row.supplyChain === null)).toBe(true)
    expect(json.supplyChainHistory).toEqual([])
    const run = await runCli(['audit', repository(), '--no-cache'], {timeoutMs: 60_000})
    expect(run.stdout).not.toContain('SUPPLY')
  })
})
