// archcheck attestations against artifacts pushed to the real test registry (distribution 2.8,
// which has no referrers API: its artifacts are found through the fallback tag), laid out as
// buildkit, cosign and the OCI 1.1 fallback write them.
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildImage, buildIndex, type BuiltImage, type BuiltIndex} from '../../scripts/fixtures/image-builder.js'
import {parseReference} from '../../src/oci/reference.js'
import {runCli} from '../helpers/cli.js'
import {closeRegistryClients, registrySource} from '../helpers/registry-client.js'
import {startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {
  BUNDLE_V03,
  SLSA_V02,
  SLSA_V1,
  SPDX,
  attestationManifest,
  cosignSignatureManifest,
  cosignTagManifest,
  cycloneDxDocument,
  dsseEnvelope,
  fallbackIndex,
  fallbackTag,
  keyPair,
  provenanceV02,
  provenanceV1,
  referrer,
  spdxDocument,
  statement,
} from '../helpers/supply-chain.js'
import {tempDir} from '../helpers/temp-dir.js'

const ALPINE_AMD64 = `sha256:${'a'.repeat(64)}`
const ALPINE_ARM64 = `sha256:${'b'.repeat(64)}`
const SOURCE = {uri: 'https://github.com/owner/app.git#refs/tags/v1.0.0', sha1: 'c'.repeat(40), path: 'Dockerfile'}

interface Pushed {
  reference: string
  index: BuiltIndex
  amd64: BuiltImage
  arm64: BuiltImage
}

let dir: string
let signer: ReturnType<typeof keyPair>
let other: ReturnType<typeof keyPair>
let pushed: Pushed

async function images(): Promise<{amd64: BuiltImage; arm64: BuiltImage}> {
  const amd64 = await buildImage({config: {os: 'linux', architecture: 'amd64'}, files: [{path: 'app', content: 'amd64'}]})
  const arm64 = await buildImage({config: {os: 'linux', architecture: 'arm64'}, files: [{path: 'app', content: 'arm64'}]})
  return {amd64, arm64}
}

beforeAll(async () => {
  dir = await tempDir('attestations-it')
  signer = keyPair('ecdsa')
  other = keyPair('ecdsa')
  const client = new TestRegistryClient()
  const repository = 'supply-chain/app'
  const {amd64, arm64} = await images()
  const amd64Provenance = statement(
    SLSA_V02,
    provenanceV02({
      bases: [{name: 'alpine', tag: '3.20', platform: 'linux/amd64', digest: ALPINE_AMD64}],
      source: SOURCE,
      vcs: {source: 'https://github.com/owner/app', revision: 'd'.repeat(40)},
    }),
    amd64.manifest.digest,
  )
  const arm64Provenance = statement(
    SLSA_V1,
    provenanceV1({bases: [{name: 'alpine', tag: '3.20', platform: 'linux/arm64', digest: ALPINE_ARM64}], source: SOURCE, mode: 'max'}),
    arm64.manifest.digest,
    'https://in-toto.io/Statement/v1',
  )
  const index = buildIndex({
    entries: [
      {target: amd64},
      {target: arm64},
      {
        target: attestationManifest(amd64.manifest, [
          {predicateType: SLSA_V02, body: amd64Provenance},
          {predicateType: SPDX, body: statement(SPDX, spdxDocument(3), amd64.manifest.digest)},
        ]),
      },
      {
        target: attestationManifest(
          arm64.manifest,
          [{predicateType: SLSA_V1, body: dsseEnvelope(arm64Provenance, signer.privateKey)}],
          true,
        ),
      },
    ],
  })
  const reference = `${testRegistryHost()}/${repository}:v1`
  await client.pushBundle(repository, index, 'v1')
  const signature = cosignSignatureManifest({
    digest: index.index.digest,
    reference: `${testRegistryHost()}/${repository}`,
    key: signer.privateKey,
    optional: {release: 'v1'},
  })
  await client.pushBundle(repository, signature, `${fallbackTag(index.index.digest)}.sig`)
  const sbom = referrer(arm64.manifest, 'application/vnd.cyclonedx+json', 'application/vnd.cyclonedx+json', cycloneDxDocument(5))
  const bundle = referrer(arm64.manifest, BUNDLE_V03, BUNDLE_V03, {
    mediaType: BUNDLE_V03,
    verificationMaterial: {publicKey: {hint: 'key'}},
    messageSignature: {},
  })
  await client.pushBundle(repository, fallbackIndex([sbom, bundle]), fallbackTag(arm64.manifest.digest))
  // cosign attest (DSSE) and cosign attach sbom on the amd64 image.
  const attested = dsseEnvelope(
    statement('https://cosign.sigstore.dev/attestation/vuln/v1', {scanner: {uri: 'pkg:github/aquasecurity/trivy'}}, amd64.manifest.digest),
    signer.privateKey,
  )
  await client.pushBundle(
    repository,
    cosignTagManifest([
      {
        mediaType: 'application/vnd.dsse.envelope.v1+json',
        body: attested,
        annotations: {predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1'},
      },
    ]),
    `${fallbackTag(amd64.manifest.digest)}.att`,
  )
  await client.pushBundle(
    repository,
    cosignTagManifest([{mediaType: 'text/spdx+json', body: spdxDocument(7)}]),
    `${fallbackTag(amd64.manifest.digest)}.sbom`,
  )
  pushed = {reference, index, amd64, arm64}
  await writeFile(join(dir, 'cosign.pub'), signer.publicPem)
  await writeFile(join(dir, 'other.pub'), other.publicPem)
})

interface JsonArtifact {
  origin: string
  kind: string
  type: string
  envelope: string | null
  subjects: string[]
  unreadable: string | null
  provenance?: Record<string, unknown> & {materials: Array<{uri: string; image?: {platform: string | null}}>}
  sbom?: {format: string; version: string; packages: number; tools: string[]}
  signature?: {signedDigest: string; verification: string; identity: string; annotations: Record<string, string>}
  bundle?: {verified: boolean; certificateIdentity: string[]}
}
interface JsonResult {
  schemaVersion: number
  digest: string
  subjects: Array<{target: string; digest: string; referrersApi: boolean | null; artifacts: JsonArtifact[]}>
  lookupProblems: string[]
}

const json = async (args: string[]): Promise<{result: JsonResult; code: number; stderr: string}> => {
  const run = await runCli(['attestations', ...args, '--json'])
  return {result: JSON.parse(run.stdout) as JsonResult, code: run.code, stderr: run.stderr}
}

describe('attestations: the three places', () => {
  it('reads buildx attestations in the index, the referrers fallback tag and cosign tags, per platform', async () => {
    const {result, code, stderr} = await json([pushed.reference, '--key', join(dir, 'cosign.pub')])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(result.schemaVersion).toBe(1)
    expect(result.digest).toBe(pushed.index.index.digest)
    expect(result.subjects.map((s) => [s.target, s.digest])).toEqual([
      ['index', pushed.index.index.digest],
      ['linux/amd64', pushed.amd64.manifest.digest],
      ['linux/arm64', pushed.arm64.manifest.digest],
    ])
    const [index, amd64, arm64] = result.subjects
    // distribution 2.8 has no referrers API: the fallback tag is read.
    expect(index.referrersApi).toBe(false)

    expect(index.artifacts).toHaveLength(1)
    expect(index.artifacts[0]).toMatchObject({origin: 'cosign-tag', kind: 'signature', subjects: [pushed.index.index.digest]})
    expect(index.artifacts[0].signature).toMatchObject({
      verification: 'valid',
      signedDigest: pushed.index.index.digest,
      annotations: {release: 'v1'},
    })

    expect(amd64.artifacts.map((a) => [a.origin, a.kind, a.envelope, a.type])).toEqual([
      ['index', 'provenance', 'plain', SLSA_V02],
      ['index', 'sbom', 'plain', SPDX],
      ['cosign-tag', 'attestation', 'dsse', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
      ['cosign-tag', 'sbom', null, 'text/spdx+json'],
    ])
    expect(amd64.artifacts[2].subjects).toEqual([pushed.amd64.manifest.digest])
    expect(amd64.artifacts[3].sbom?.packages).toBe(7)
    const provenance = amd64.artifacts[0].provenance!
    expect(provenance).toMatchObject({
      slsaVersion: 'v0.2',
      builderId: 'https://github.com/owner/app/actions/runs/42',
      configSource: {uri: SOURCE.uri, digest: {sha1: SOURCE.sha1}, path: 'Dockerfile'},
      vcsHint: {source: 'https://github.com/owner/app', revision: 'd'.repeat(40), unverified: true},
      mode: 'min',
      hermetic: false,
      startedOn: '2024-01-01T00:00:00Z',
      finishedOn: '2024-01-01T00:01:00Z',
    })
    expect(provenance.materials[0]).toEqual({
      uri: 'pkg:docker/alpine@3.20?platform=linux%2Famd64',
      digest: {sha256: 'a'.repeat(64)},
      image: {name: 'alpine', version: '3.20', platform: 'linux/amd64'},
    })
    expect(amd64.artifacts[1].sbom).toEqual({format: 'spdx', version: 'SPDX-2.3', tools: ['syft-v0.85.0', 'buildkit-v0.12.0'], packages: 3})

    // The legacy com.docker.reference.digest link, a DSSE envelope, v1 with mode=max; then the fallback tag's referrers.
    expect(arm64.artifacts.map((a) => [a.origin, a.kind, a.envelope])).toEqual([
      ['index', 'provenance', 'dsse'],
      ['referrers-tag', 'sbom', null],
      ['referrers-tag', 'sigstore-bundle', null],
    ])
    expect(arm64.artifacts[0].provenance).toMatchObject({
      slsaVersion: 'v1',
      mode: 'max',
      hermetic: true,
      finalStageBase: {platform: 'linux/arm64'},
    })
    expect(arm64.artifacts[0].subjects).toEqual([pushed.arm64.manifest.digest])
    expect(arm64.artifacts[1].sbom).toEqual({format: 'cyclonedx', version: '1.5', tools: ['syft 0.85.0'], packages: 5})
    expect(arm64.artifacts[2].bundle).toMatchObject({verified: false, certificateIdentity: []})
  })

  it('says a signature is invalid with another key, and unverified without one', async () => {
    const withOther = await json([pushed.reference, '--key', join(dir, 'other.pub')])
    expect(withOther.result.subjects[0].artifacts[0].signature?.verification).toBe('invalid')
    const without = await json([pushed.reference])
    expect(without.result.subjects[0].artifacts[0].signature?.verification).toBe('unverified')
  })

  it('prints a table naming where each artifact came from, and one decoded predicate', async () => {
    const text = await runCli(['attestations', pushed.reference])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('linux/arm64')
    expect(text.stdout).toMatch(/provenance\s+in index\s+SLSA v1 \(DSSE envelope\)/)
    expect(text.stdout).toMatch(/sbom\s+referrers tag\s+CycloneDX 1\.5, 5 packages/)
    expect(text.stdout).toContain('(hint, not verified)')
    expect(text.stdout).toContain('not verified (no --key)')
    const predicate = await runCli(['attestations', pushed.reference, '--predicate', SLSA_V02])
    expect(predicate.code).toBe(0)
    expect(JSON.parse(predicate.stdout)).toMatchObject({builder: {id: 'https://github.com/owner/app/actions/runs/42'}})
  })
})

describe('attestations: requests', () => {
  it('reads each manifest and blob once: per subject one look in each place, no repeats', async () => {
    const proxy = await startCountingProxy(testRegistryHost())
    try {
      const run = await runCli(['attestations', pushed.reference.replace(testRegistryHost(), proxy.host), '--json'])
      expect(run.code).toBe(0)
      expect(proxy.repeats({method: 'GET'})).toEqual(new Map())
      // The tree: tag, 4 child manifests, 4 configs (9). Per subject (index, amd64, arm64) the
      // referrers API, the fallback tag and 3 cosign tags (15). Read: 3 in-toto layers, 1 signature
      // payload, the .att and .sbom layers, 2 referrer manifests and their 2 layers (10).
      expect(proxy.count({kind: 'referrers'})).toBe(3)
      expect(proxy.count()).toBe(34)
    } finally {
      await proxy.close()
    }
  })
})

describe('attestations: the referrers API', () => {
  let proxy: CountingProxy
  const referrers = {pageSize: 1, applyFilter: true, synthetic: undefined as number | undefined}
  beforeAll(async () => {
    proxy = await startCountingProxy(testRegistryHost(), {referrers})
  })
  afterAll(async () => {
    await proxy.close()
    await closeRegistryClients()
  })

  it('filters by artifactType: the registry, or the client when the registry ignored the filter', async () => {
    referrers.pageSize = 10
    const source = registrySource(parseReference(`${proxy.host}/supply-chain/app`))
    for (const applyFilter of [true, false]) {
      referrers.applyFilter = applyFilter
      const found = await source.listReferrers(pushed.arm64.manifest.digest, {artifactType: BUNDLE_V03})
      expect(found?.map((descriptor) => descriptor.artifactType)).toEqual([BUNDLE_V03])
    }
    referrers.applyFilter = true
    expect(proxy.urls({kind: 'referrers'}).at(-1)).toBe(
      `/v2/supply-chain/app/referrers/${pushed.arm64.manifest.digest}?artifactType=${encodeURIComponent(BUNDLE_V03)}`,
    )
    // distribution 2.8 itself has no referrers API.
    expect(
      await registrySource(parseReference(`${testRegistryHost()}/supply-chain/app`)).listReferrers(pushed.arm64.manifest.digest),
    ).toBeUndefined()
  })

  it('reads referrers from the API, following its Link pages, and does not read the fallback tag', async () => {
    referrers.pageSize = 1
    const before = proxy.count({kind: 'referrers'})
    const reference = pushed.reference.replace(testRegistryHost(), proxy.host)
    const {result, code} = await json([reference])
    expect(code).toBe(0)
    const arm64 = result.subjects[2]
    expect(arm64.referrersApi).toBe(true)
    expect(arm64.artifacts.map((a) => [a.origin, a.kind])).toEqual([
      ['index', 'provenance'],
      ['referrers-api', 'sbom'],
      ['referrers-api', 'sigstore-bundle'],
    ])
    const arm64Requests = proxy
      .urls({kind: 'referrers'})
      .slice(before)
      .filter((path) => path.includes(pushed.arm64.manifest.digest))
    expect(arm64Requests).toEqual([
      `/v2/supply-chain/app/referrers/${pushed.arm64.manifest.digest}`,
      `/v2/supply-chain/app/referrers/${pushed.arm64.manifest.digest}?page=1`,
    ])
  })

  it('stops at a bounded number of referrers: exit 3 and one line', async () => {
    referrers.pageSize = 1000
    referrers.synthetic = 5000
    try {
      const run = await runCli(['attestations', pushed.reference.replace(testRegistryHost(), proxy.host)])
      expect(run.code).toBe(3)
      const lines = run.stderr.trimEnd().split('\n')
      expect(lines.length).toBe(3)
      for (const line of lines)
        expect(line).toMatch(/^archcheck: sha256:[a-f0-9]{64} in .* has more than 256 referrers; not reading further$/)
    } finally {
      referrers.synthetic = undefined
    }
  })
})

describe('attestations: hostile artifacts are bounded and named, the rest still shown', () => {
  async function pushHostile(name: string, layer: (image: BuiltImage) => Array<{predicateType: string; body: unknown}>): Promise<string> {
    const {amd64} = await images()
    const index = buildIndex({entries: [{target: amd64}, {target: attestationManifest(amd64.manifest, layer(amd64))}]})
    await new TestRegistryClient().pushBundle(`supply-chain/${name}`, index, 'v1')
    return `${testRegistryHost()}/supply-chain/${name}:v1`
  }

  it('a predicate larger than the bound: present but unreadable, exit 3, one line', async () => {
    const reference = await pushHostile('huge', (image) => [
      {predicateType: SLSA_V02, body: statement(SLSA_V02, {padding: 'x'.repeat(17 * 1024 * 1024)}, image.manifest.digest)},
    ])
    const run = await runCli(['attestations', reference, '--json'])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(
      /^archcheck: linux\/amd64: attestation sha256:[a-f0-9]{64}: \d+ bytes, more than the 16777216 read of an artifact\n$/,
    )
    const artifact = (JSON.parse(run.stdout) as JsonResult).subjects[1].artifacts[0]
    expect(artifact).toMatchObject({origin: 'index', kind: 'attestation', type: SLSA_V02})
    expect(artifact.unreadable).toContain('more than the 16777216')
  })

  it('JSON nested deeper than the bound: unreadable, exit 3, one line', async () => {
    // Written as text: JSON.stringify itself overflows the stack on such nesting.
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    const reference = await pushHostile('deep', (image) => [
      {
        predicateType: SLSA_V1,
        body: Buffer.from(
          JSON.stringify(statement(SLSA_V1, null, image.manifest.digest)).replace('"predicate":null', `"predicate":${deep}`),
        ),
      },
    ])
    const run = await runCli(['attestations', reference])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/^archcheck: linux\/amd64: attestation sha256:[a-f0-9]{64}: JSON nested deeper than 128 levels\n$/)
    expect(run.stdout).toContain('present but unreadable')
  })

  it('a junk sigstore bundle referrer: unreadable, exit 3, one line; the attestations beside it still read', async () => {
    const {amd64} = await images()
    const repository = 'supply-chain/junk-bundle'
    const index = buildIndex({
      entries: [
        {target: amd64},
        {
          target: attestationManifest(amd64.manifest, [
            {predicateType: SPDX, body: statement(SPDX, spdxDocument(1), amd64.manifest.digest)},
          ]),
        },
      ],
    })
    const client = new TestRegistryClient()
    await client.pushBundle(repository, index, 'v1')
    const junk = referrer(amd64.manifest, BUNDLE_V03, BUNDLE_V03, Buffer.from('\u001b]0;owned\u0007 not json'))
    await client.pushBundle(repository, fallbackIndex([junk]), fallbackTag(amd64.manifest.digest))
    const run = await runCli(['attestations', `${testRegistryHost()}/${repository}:v1`])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/^archcheck: linux\/amd64: referrer sha256:[a-f0-9]{64}: not valid JSON\n$/)
    expect(run.stdout).toMatch(/sbom\s+in index\s+SPDX SPDX-2\.3, 1 packages/)
    expect(run.stdout).not.toContain('\u001b')
  })
})

describe('inspect --supply-chain', () => {
  it('adds a provenance / SBOM / signed line per platform, and plain inspect looks for none of it', async () => {
    const text = await runCli(['inspect', pushed.reference, '--supply-chain'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^index\s+provenance ✗ {2}SBOM ✗ {2}signed ✓$/m)
    expect(text.stdout).toMatch(/^linux\/amd64\s+provenance ✓ {2}SBOM ✓ {2}signed ✗$/m)
    expect(text.stdout).toMatch(/^linux\/arm64\s+provenance ✓ {2}SBOM ✓ {2}signed ✓$/m)
    const withJson = JSON.parse((await runCli(['inspect', pushed.reference, '--supply-chain', '--json'])).stdout) as {
      supplyChain: unknown[]
    }
    expect(withJson.supplyChain[1]).toEqual({
      target: 'linux/amd64',
      digest: pushed.amd64.manifest.digest,
      provenance: 'yes',
      sbom: 'yes',
      signed: 'no',
    })
    const plain = JSON.parse((await runCli(['inspect', pushed.reference, '--json'])).stdout) as Record<string, unknown>
    expect(plain).not.toHaveProperty('supplyChain')
  })
})

describe('attestations --diff-platforms', () => {
  it("names the packages only one platform's SBOM has", async () => {
    const {amd64, arm64} = await images()
    const sbom = (image: BuiltImage, extra: string[]): unknown => {
      const document = spdxDocument(2) as {packages: Array<Record<string, string>>}
      document.packages.push(...extra.map((name, i) => ({name, SPDXID: `SPDXRef-x${i}`, versionInfo: '1.0'})))
      return statement(SPDX, document, image.manifest.digest)
    }
    const index = buildIndex({
      entries: [
        {target: amd64},
        {target: arm64},
        {target: attestationManifest(amd64.manifest, [{predicateType: SPDX, body: sbom(amd64, ['libx86'])}])},
        {target: attestationManifest(arm64.manifest, [{predicateType: SPDX, body: sbom(arm64, ['libarm', 'libneon'])}])},
      ],
    })
    await new TestRegistryClient().pushBundle('supply-chain/sbom-diff', index, 'v1')
    const reference = `${testRegistryHost()}/supply-chain/sbom-diff:v1`
    const {result, code} = await json([reference, '--diff-platforms'])
    expect(code).toBe(0)
    expect((result as JsonResult & {sbomDiff: unknown}).sbomDiff).toEqual([
      {platform: 'linux/arm64', against: 'linux/amd64', onlyHere: ['libarm@1.0', 'libneon@1.0'], missingHere: ['libx86@1.0']},
    ])
    expect(JSON.stringify(result)).not.toContain('"packages":[')
    const text = await runCli(['attestations', reference, '--diff-platforms'])
    expect(text.stdout).toContain(
      'SBOM differences (against linux/amd64)\n  linux/arm64: 2 only here, 1 missing here\n    + libarm@1.0, libneon@1.0\n    - libx86@1.0\n',
    )
  })
})
