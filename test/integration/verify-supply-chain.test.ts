// verify's supply-chain requirements against artifacts pushed to the real test registry: what must
// be attached, what the provenance must say, signatures checked with a key, stale subjects, and
// base-platform (FROM --platform=$BUILDPLATFORM on the final stage).
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {buildImage, buildIndex, type BuiltImage, type IndexEntry} from '../../scripts/fixtures/image-builder.js'
import {runCli} from '../helpers/cli.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {
  SLSA_V02,
  SLSA_V1,
  SPDX,
  attestationManifest,
  cosignSignatureManifest,
  fallbackTag,
  keyPair,
  llbStage,
  provenanceV02,
  provenanceV1,
  spdxDocument,
  statement,
  type Base,
  type BuildFacts,
} from '../helpers/supply-chain.js'
import {tempDir} from '../helpers/temp-dir.js'

const SOURCE = {
  uri: 'https://github.com/owner/app.git#refs/tags/v1.0.0',
  sha1: '4b220de5058abfd01ff619c9d2ff6b09a049bea0',
  path: 'Dockerfile',
}
const base = (platform: string, name = 'alpine'): Base => ({
  name,
  tag: '3.20',
  platform,
  digest: `sha256:${platform.length.toString(16).repeat(64).slice(0, 64)}`,
})

let dir: string
const signer = keyPair('ecdsa')
const client = new TestRegistryClient()

interface Release {
  reference: string
  index: string
  images: BuiltImage[]
}

/**
 * Pushes amd64 + arm64 images with provenance (facts per platform) and an SBOM, and, unless told
 * not to, a cosign signature of the index; `signDigest` signs another digest instead.
 */
async function release(
  name: string,
  facts: (platform: string) => BuildFacts | undefined,
  options: {sign?: boolean; signDigest?: string; tamper?: boolean; v1?: boolean} = {},
): Promise<Release> {
  const images = await Promise.all(
    ['amd64', 'arm64'].map((architecture) =>
      buildImage({config: {os: 'linux', architecture}, files: [{path: 'app', content: `${name} ${architecture}`}]}),
    ),
  )
  const attestations: IndexEntry[] = []
  for (const [i, image] of images.entries()) {
    const platform = `linux/${['amd64', 'arm64'][i]}`
    const f = facts(platform)
    if (!f) continue
    const provenance = options.v1 ? provenanceV1(f) : provenanceV02(f)
    const type = options.v1 ? SLSA_V1 : SLSA_V02
    attestations.push({
      target: attestationManifest(image.manifest, [
        {predicateType: type, body: statement(type, provenance, image.manifest.digest)},
        {predicateType: SPDX, body: statement(SPDX, spdxDocument(2), image.manifest.digest)},
      ]),
    })
  }
  const index = buildIndex({entries: [...images.map((target) => ({target})), ...attestations]})
  const repository = `supply-chain/${name}`
  await client.pushBundle(repository, index, 'v1')
  if (options.sign !== false) {
    const signature = cosignSignatureManifest({
      digest: options.signDigest ?? index.index.digest,
      reference: `${testRegistryHost()}/${repository}`,
      key: signer.privateKey,
      tamper: options.tamper,
    })
    await client.pushBundle(repository, signature, `${fallbackTag(index.index.digest)}.sig`)
  }
  return {reference: `${testRegistryHost()}/${repository}:v1`, index: index.index.digest, images}
}

interface Check {
  id: string
  status: string
  platform: string | null
  message: string
}

async function verifyJson(args: string[]): Promise<{code: number; checks: Check[]; stderr: string}> {
  const run = await runCli(['verify', ...args, '--require', 'linux/amd64,linux/arm64', '--json'])
  const result = JSON.parse(run.stdout) as {references: Array<{checks: Check[]}>}
  return {code: run.code, checks: result.references[0].checks, stderr: run.stderr}
}

const statusOf = (checks: Check[], id: string, platform: string | null = null): string | undefined =>
  checks.find((check) => check.id === id && check.platform === platform)?.status

beforeAll(async () => {
  dir = await tempDir('verify-supply-chain-it')
  await writeFile(join(dir, 'cosign.pub'), signer.publicPem)
  await writeFile(join(dir, 'other.pub'), keyPair('ed25519').publicPem)
})

const sameBase = (platform: string): BuildFacts => ({bases: [base(platform)], source: SOURCE})

describe('verify: supply-chain requirements', () => {
  it('passes a release with provenance, SBOM, a signature that verifies, and the expected source and revision', async () => {
    const r = await release('good', sameBase)
    const {code, checks} = await verifyJson([
      r.reference,
      '--require-provenance',
      '--require-sbom',
      '--require-signature',
      '--key',
      join(dir, 'cosign.pub'),
      '--expect-source',
      'https://github.com/owner/app',
      '--expect-revision',
      SOURCE.sha1.slice(0, 12),
    ])
    expect(checks.filter((check) => check.status === 'fail' || check.status === 'warn')).toEqual([])
    expect(code).toBe(0)
    for (const id of ['provenance-missing', 'sbom-missing', 'provenance-source', 'provenance-revision', 'base-platform'])
      for (const platform of ['linux/amd64', 'linux/arm64']) expect(statusOf(checks, id, platform), `${id} ${platform}`).toBe('pass')
    expect(statusOf(checks, 'signature')).toBe('pass')
    expect(statusOf(checks, 'attestation-subject')).toBe('pass')
  })

  it('fails an unsigned release with no attestations, naming each platform', async () => {
    const r = await release('bare', () => undefined, {sign: false})
    const {code, checks} = await verifyJson([r.reference, '--require-provenance', '--require-sbom', '--require-signature=each'])
    expect(code).toBe(1)
    expect(statusOf(checks, 'provenance-missing', 'linux/arm64')).toBe('fail')
    expect(statusOf(checks, 'sbom-missing', 'linux/amd64')).toBe('fail')
    expect(checks.filter((check) => check.id === 'signature').map((check) => [check.platform, check.status])).toEqual([
      ['linux/amd64', 'fail'],
      ['linux/arm64', 'fail'],
    ])
  })

  it('fails a signature made with another key, a tampered payload, and one of another digest', async () => {
    const good = await release('other-key', sameBase)
    const otherKey = await verifyJson([good.reference, '--require-signature', '--key', join(dir, 'other.pub')])
    expect(statusOf(otherKey.checks, 'signature')).toBe('fail')
    expect(otherKey.checks.find((check) => check.id === 'signature')?.message).toContain('does not verify with the key')

    const tampered = await release('tampered', sameBase, {tamper: true})
    const tamperedRun = await verifyJson([tampered.reference, '--require-signature', '--key', join(dir, 'cosign.pub')])
    expect(statusOf(tamperedRun.checks, 'signature')).toBe('fail')
    expect(tamperedRun.code).toBe(1)

    const stale = await release('stale', sameBase, {signDigest: `sha256:${'e'.repeat(64)}`})
    const staleRun = await verifyJson([stale.reference, '--require-signature', '--key', join(dir, 'cosign.pub')])
    expect(statusOf(staleRun.checks, 'signature')).toBe('fail')
    const subject = staleRun.checks.find((check) => check.id === 'attestation-subject')!
    expect(subject.status).toBe('fail')
    expect(subject.message).toContain('sha256:eeeeeeeeeeee')
  })

  it('fails a source or revision the provenance does not name, and warns when only the unverified vcs hint names it', async () => {
    const r = await release('hint', (platform) => ({
      bases: [base(platform)],
      vcs: {source: 'https://github.com/owner/app', revision: SOURCE.sha1},
    }))
    const {code, checks} = await verifyJson([
      r.reference,
      '--expect-source',
      'https://github.com/owner/app',
      '--expect-revision',
      SOURCE.sha1,
    ])
    expect(statusOf(checks, 'provenance-source', 'linux/arm64')).toBe('warn')
    expect(statusOf(checks, 'provenance-revision', 'linux/arm64')).toBe('warn')
    expect(code).toBe(0)
    const wrong = await verifyJson([r.reference, '--expect-source', 'https://github.com/evil/app'])
    expect(statusOf(wrong.checks, 'provenance-source', 'linux/amd64')).toBe('fail')
    expect(wrong.code).toBe(1)
  })
})

describe('verify: base-platform', () => {
  it('fires when the arm64 image was built on bases resolved for amd64 only, naming the final stage with mode=max', async () => {
    const r = await release('buildplatform', () => ({bases: [base('linux/amd64')], mode: 'max'}), {sign: false, v1: true})
    const {code, checks} = await verifyJson([r.reference, '--require-provenance'])
    expect(code).toBe(1)
    expect(statusOf(checks, 'base-platform', 'linux/amd64')).toBe('pass')
    const arm = checks.find((check) => check.id === 'base-platform' && check.platform === 'linux/arm64')!
    expect(arm.status).toBe('fail')
    expect(arm.message).toContain('resolved for linux/amd64 only')
    expect(arm.message).toContain('final stage starts FROM docker.io/library/alpine:3.20')
  })

  it('does not fire for a cross-compiling builder stage on the build platform next to a base for the target', async () => {
    const facts = (platform: string): BuildFacts => {
      const builder = base('linux/amd64', 'golang')
      const target = base(platform)
      return {bases: [builder, target], mode: 'max', llb: llbStage(target)}
    }
    const r = await release('cross', facts, {sign: false})
    const {code, checks} = await verifyJson([r.reference, '--require-provenance'])
    expect(statusOf(checks, 'base-platform', 'linux/arm64')).toBe('pass')
    expect(code).toBe(0)
  })
})

describe('verify: supply-chain input errors', () => {
  it('refuses a key file that is not a public key, and --key without --require-signature', async () => {
    await writeFile(join(dir, 'junk.pub'), 'not a key')
    const junk = await runCli(['verify', 'localhost:1/x:1', '--require-signature', '--key', join(dir, 'junk.pub')])
    expect(junk.code).toBe(2)
    expect(junk.stderr).toMatch(/^archcheck: key file .*junk\.pub is not a PEM public key \(see archcheck verify --help\)\n$/)
    const alone = await runCli(['verify', 'localhost:1/x:1', '--key', join(dir, 'junk.pub')])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toMatch(/^archcheck: --key verifies signatures: give --require-signature too/)
  })
})
