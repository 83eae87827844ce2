/**
 * Supply-chain artifacts built byte for byte as their producers lay them out, for pushing to the
 * test registry: buildkit's attestation manifests (moby/buildkit docs/attestations:
 * attestation-storage.md, slsa-definitions.md), SLSA provenance v0.2 and v1, SPDX and CycloneDX
 * SBOMs, DSSE envelopes, cosign simple-signing signatures (sigstore/cosign specs/SIGNATURE_SPEC.md)
 * signed with node:crypto keys, OCI 1.1 artifacts with a subject and the referrers fallback index.
 */
import {generateKeyPairSync, sign, type KeyObject} from 'node:crypto'

import {
  ATTESTATION_PLATFORM,
  MediaTypes,
  buildArtifact,
  buildIndex,
  configJson,
  contentObject,
  descriptorJson,
  jsonObject,
  rawLayer,
  type BuiltImage,
  type BuiltIndex,
  type ContentObject,
} from '../../scripts/fixtures/image-builder.js'
import type {Artifact} from '../../src/engine/supply-chain/types.js'

export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2'
export const SLSA_V1 = 'https://slsa.dev/provenance/v1'
export const SPDX = 'https://spdx.dev/Document'
export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json'
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json'

const hex = (digest: string): string => digest.slice('sha256:'.length)

export interface Base {
  /** `alpine`, `docker/buildx-bin`. */
  name: string
  tag: string
  /** The platform the base was resolved for: `linux/amd64`. */
  platform: string
  digest: string
}

export interface BuildFacts {
  bases: Base[]
  mode?: 'min' | 'max'
  builderPlatform?: string
  source?: {uri: string; sha1: string; path: string}
  vcs?: {source: string; revision: string}
  /** With mode=max: LLB steps (final stage last); default: one stage on the first base. */
  llb?: unknown[]
}

const baseMaterial = (base: Base): {uri: string; digest: {sha256: string}} => ({
  uri: `pkg:docker/${base.name}@${base.tag}?platform=${encodeURIComponent(base.platform)}`,
  digest: {sha256: hex(base.digest)},
})

/** A buildkit LLB chain for one stage: its docker-image source, an exec on it, the result. */
export function llbStage(base: Base): unknown[] {
  const [os, architecture, variant] = base.platform.split('/')
  const platform = {Architecture: architecture, OS: os, ...(variant ? {Variant: variant} : {})}
  return [
    {
      id: 'step0',
      op: {
        Op: {source: {identifier: `docker-image://docker.io/library/${base.name}:${base.tag}@${base.digest}`}},
        platform,
        constraints: {},
      },
    },
    {
      id: 'step1',
      op: {Op: {exec: {meta: {args: ['/bin/sh', '-c', 'make'], cwd: '/src'}, mounts: [{input: 0, dest: '/', output: 0}]}}, platform},
      inputs: ['step0:0'],
    },
    {id: 'step2', op: {Op: null}, inputs: ['step1:0']},
  ]
}

/** SLSA provenance v0.2 as buildkit writes it. */
export function provenanceV02(facts: BuildFacts): unknown {
  const source = facts.source
  const materials = [...facts.bases.map(baseMaterial), ...(source ? [{uri: source.uri, digest: {sha1: source.sha1}}] : [])]
  return {
    builder: {id: 'https://github.com/owner/app/actions/runs/42'},
    buildType: 'https://mobyproject.org/buildkit@v1',
    materials,
    invocation: {
      configSource: source ? {uri: source.uri, digest: {sha1: source.sha1}, entryPoint: source.path} : {entryPoint: 'Dockerfile'},
      parameters: {frontend: 'dockerfile.v0', args: {}, locals: [{name: 'context'}, {name: 'dockerfile'}]},
      environment: {platform: facts.builderPlatform ?? 'linux/amd64'},
    },
    ...(facts.mode === 'max' ? {buildConfig: {llbDefinition: facts.llb ?? llbStage(facts.bases[0])}} : {}),
    metadata: {
      buildInvocationID: 'rpv7a389uzil5lqmrgwhijwjz',
      buildStartedOn: '2024-01-01T00:00:00Z',
      buildFinishedOn: '2024-01-01T00:01:00Z',
      completeness: {parameters: facts.mode === 'max', environment: true, materials: false},
      reproducible: false,
      'https://mobyproject.org/buildkit@v1#hermetic': false,
      'https://mobyproject.org/buildkit@v1#metadata': facts.vcs ? {vcs: facts.vcs} : {},
    },
  }
}

/** SLSA provenance v1 as buildkit writes it. */
export function provenanceV1(facts: BuildFacts): unknown {
  const source = facts.source
  return {
    buildDefinition: {
      buildType: 'https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md',
      externalParameters: {
        configSource: source ? {uri: source.uri, digest: {sha1: source.sha1}, path: source.path} : {path: 'Dockerfile'},
        request: {frontend: 'dockerfile.v0', args: {}, locals: [{name: 'context'}, {name: 'dockerfile'}]},
      },
      internalParameters: {
        builderPlatform: facts.builderPlatform ?? 'linux/amd64',
        ...(facts.mode === 'max' ? {buildConfig: {llbDefinition: facts.llb ?? llbStage(facts.bases[0])}} : {}),
      },
      resolvedDependencies: [...facts.bases.map(baseMaterial), ...(source ? [{uri: source.uri, digest: {sha1: source.sha1}}] : [])],
    },
    runDetails: {
      builder: {id: 'https://github.com/owner/app/actions/runs/43'},
      metadata: {
        invocationID: 'rpv7a389uzil5lqmrgwhijwjz',
        startedOn: '2024-01-01T00:00:00Z',
        finishedOn: '2024-01-01T00:01:00Z',
        buildkit_completeness: {request: facts.mode === 'max', resolvedDependencies: false},
        buildkit_hermetic: true,
        buildkit_reproducible: false,
        buildkit_metadata: facts.vcs ? {vcs: facts.vcs} : {},
      },
    },
  }
}

export function spdxDocument(packages: number): unknown {
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'sbom',
    creationInfo: {
      created: '2024-01-01T00:00:00Z',
      creators: ['Organization: Anchore, Inc', 'Tool: syft-v0.85.0', 'Tool: buildkit-v0.12.0'],
    },
    packages: Array.from({length: packages}, (_, i) => ({name: `pkg${i}`, SPDXID: `SPDXRef-Package-${i}`, versionInfo: `1.${i}`})),
  }
}

export function cycloneDxDocument(components: number): unknown {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {tools: {components: [{type: 'application', name: 'syft', version: '0.85.0'}]}},
    components: Array.from({length: components}, (_, i) => ({type: 'library', name: `lib${i}`, version: `2.${i}`})),
  }
}

/** An in-toto statement about `subject` (an image manifest digest). */
export function statement(
  predicateType: string,
  predicate: unknown,
  subject: string,
  statementType = 'https://in-toto.io/Statement/v0.1',
): unknown {
  return {_type: statementType, predicateType, subject: [{name: 'pkg:docker/owner/app@1.0', digest: {sha256: hex(subject)}}], predicate}
}

/** A DSSE envelope around a statement (signed with `key`, as cosign attest does, over DSSE's PAE). */
export function dsseEnvelope(body: unknown, key: KeyObject): unknown {
  const payload = Buffer.from(JSON.stringify(body))
  const type = 'application/vnd.in-toto+json'
  const pae = Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} ${payload.toString('binary')}`, 'binary')
  return {
    payloadType: type,
    payload: payload.toString('base64'),
    signatures: [{keyid: '', sig: sign(signHash(key), pae, key).toString('base64')}],
  }
}

/**
 * A buildkit attestation manifest for `subject`: one `application/vnd.in-toto+json` layer per
 * statement (annotated with its predicate type; a Buffer body is the layer's exact bytes), an unknown/unknown config, declared in the index
 * as unknown/unknown with the `vnd.docker.reference.*` annotations.
 */
export function attestationManifest(
  subject: ContentObject,
  layers: Array<{predicateType: string; body: unknown}>,
  legacyAnnotation = false,
): BuiltImage {
  const objects = layers.map(({body}) => rawLayer(Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)), MediaTypes.inToto))
  const config = jsonObject(
    configJson(
      {os: 'unknown', architecture: 'unknown', extra: {config: {}, created: undefined}},
      objects.map((o) => o.diffId),
    ),
    MediaTypes.ociConfig,
  )
  const manifest = jsonObject(
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: descriptorJson(config),
      layers: objects.map((object, i) => descriptorJson(object, {annotations: {'in-toto.io/predicate-type': layers[i].predicateType}})),
    },
    MediaTypes.ociManifest,
  )
  const link = legacyAnnotation ? 'com.docker.reference.digest' : 'vnd.docker.reference.digest'
  return {
    manifest,
    config,
    layers: objects,
    top: manifest,
    manifests: [manifest],
    blobs: [config, ...objects],
    indexPlatform: ATTESTATION_PLATFORM,
    indexAnnotations: {[link]: subject.digest, 'vnd.docker.reference.type': 'attestation-manifest'},
  }
}

export type KeyKind = 'ecdsa' | 'ed25519' | 'rsa'

/** A key pair of `kind`; `publicPem` is what `cosign.pub` holds (SPKI PEM). */
export function keyPair(kind: KeyKind): {privateKey: KeyObject; publicPem: string} {
  const pair =
    kind === 'ecdsa'
      ? generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', {modulusLength: 2048})
  return {privateKey: pair.privateKey, publicPem: pair.publicKey.export({type: 'spki', format: 'pem'}).toString()}
}

const signHash = (key: KeyObject): string | null => (key.asymmetricKeyType === 'ed25519' ? null : 'sha256')

/** cosign's simple-signing payload for `digest`, as `cosign sign` writes it. */
export function simpleSigningPayload(digest: string, reference: string, optional: Record<string, string> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: {'docker-reference': reference},
        image: {'docker-manifest-digest': digest},
        type: 'cosign container image signature',
      },
      optional,
    }),
  )
}

/**
 * cosign's signature manifest (the `sha256-<hex>.sig` tag): an OCI manifest whose layer is the
 * payload, with the base64 signature in the layer annotation. `tamper` changes the payload after
 * signing; `payload` replaces it (a signature of another digest).
 */
export function cosignSignatureManifest(input: {
  digest: string
  reference: string
  key: KeyObject
  tamper?: boolean
  optional?: Record<string, string>
}): BuiltImage {
  const payload = simpleSigningPayload(input.digest, input.reference, input.optional)
  const signature = sign(signHash(input.key), payload, input.key).toString('base64')
  const signed = input.tamper ? simpleSigningPayload(input.digest, `${input.reference}-tampered`, input.optional) : payload
  const layer = contentObject(signed, SIMPLE_SIGNING)
  const config = jsonObject(
    {architecture: '', os: '', config: {}, rootfs: {type: 'layers', diff_ids: [layer.digest]}},
    MediaTypes.ociConfig,
  )
  const manifest = jsonObject(
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: descriptorJson(config),
      layers: [descriptorJson(layer, {annotations: {[SIGNATURE_ANNOTATION]: signature}})],
    },
    MediaTypes.ociManifest,
  )
  return {manifest, config, layers: [{...layer, diffId: layer.digest}], top: manifest, manifests: [manifest], blobs: [config, layer]}
}

/** An OCI 1.1 artifact about `subject` holding one JSON layer. */
export function referrer(subject: ContentObject, artifactType: string, layerMediaType: string, body: unknown): BuiltImage {
  const layer = contentObject(Buffer.isBuffer(body) ? body : JSON.stringify(body), layerMediaType)
  return buildArtifact({artifactType, layers: [layer], subject})
}

/** The referrers fallback index (tag `sha256-<hex>` of the subject): one descriptor per referrer, with its artifactType. */
export function fallbackIndex(referrers: BuiltImage[]): BuiltIndex {
  const index = buildIndex({
    entries: referrers.map((artifact) => ({target: artifact, platform: null, artifactType: artifactTypeOf(artifact)})),
  })
  return index
}

function artifactTypeOf(artifact: BuiltImage): string | undefined {
  const json = JSON.parse(artifact.manifest.bytes.toString('utf8')) as {artifactType?: string}
  return json.artifactType
}

export const fallbackTag = (digest: string): string => digest.replace(':', '-')

/**
 * cosign's `.att` (DSSE-wrapped statements, layer media type `application/vnd.dsse.envelope.v1+json`
 * annotated `predicateType`) or `.sbom` (the SBOM document itself, e.g. `text/spdx+json`) manifest.
 */
export function cosignTagManifest(layers: Array<{mediaType: string; body: unknown; annotations?: Record<string, string>}>): BuiltImage {
  const objects = layers.map(({mediaType, body}) => contentObject(JSON.stringify(body), mediaType))
  const config = jsonObject(
    {architecture: '', os: '', config: {}, rootfs: {type: 'layers', diff_ids: objects.map((o) => o.digest)}},
    MediaTypes.ociConfig,
  )
  const manifest = jsonObject(
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: descriptorJson(config),
      layers: objects.map((object, i) => descriptorJson(object, {annotations: layers[i].annotations})),
    },
    MediaTypes.ociManifest,
  )
  return {
    manifest,
    config,
    layers: objects.map((o) => ({...o, diffId: o.digest})),
    top: manifest,
    manifests: [manifest],
    blobs: [config, ...objects],
  }
}

/** An artifact as the engine summarises it (readable, nothing it names), for the tests of what is shown of it. */
export function artifactSummary(kind: Artifact['kind'], fields: Partial<Artifact> = {}): Artifact {
  return {
    origin: 'referrers-api',
    kind,
    manifestDigest: `sha256:${'b'.repeat(64)}`,
    layerDigest: null,
    type: kind,
    envelope: null,
    subjects: [],
    unreadable: null,
    ...fields,
  }
}
