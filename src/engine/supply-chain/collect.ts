import type {KeyObject} from 'node:crypto'

import {ArchcheckError, RegistryError} from '../../oci/errors.js'
import {parseManifest, type ParsedImageManifest} from '../../oci/manifest.js'
import type {Descriptor, ImageNode, ImageTree} from '../../oci/types.js'
import type {ImageSource} from '../../source/source.js'
import {createLimiter} from '../limit.js'
import {entryPlatform, imageNodes, platformLabel} from '../tree-entries.js'
import {ATTESTATION_DIGEST_ANNOTATION, ATTESTATION_TYPE_ANNOTATION} from '../tree.js'
import {isProvenanceType, summariseProvenance} from './provenance.js'
import {isSbomPredicate, sbomPackages, summariseSbom} from './sbom.js'
import {SIGSTORE_BUNDLE_MEDIA_TYPE, SIMPLE_SIGNING_MEDIA_TYPE, readBundle, readSimpleSigning} from './signature.js'
import {parseArtifactJson} from './json.js'
import {DSSE_MEDIA_TYPE, IN_TOTO_MEDIA_TYPE, PREDICATE_TYPE_ANNOTATION, readStatement} from './statement.js'
import type {Artifact, ArtifactOrigin, SubjectArtifacts} from './types.js'

/** Largest attestation, SBOM or signature blob read: mode=max provenance runs to a few MB, SBOMs of big images to more. */
export const MAX_ARTIFACT_BYTES = 16 * 1024 * 1024
/** Referrers of one manifest read at most; thousands are a broken or hostile registry. */
export const MAX_REFERRERS = 256
/** The suffixes of cosign's tags next to `sha256-<hex>`: signatures, attestations, attached SBOMs. */
export const COSIGN_TAG_SUFFIXES = ['sig', 'att', 'sbom'] as const
/** Older buildx writes the `com.docker.` spelling of the attestation link. */
const LEGACY_ATTESTATION_DIGEST_ANNOTATION = 'com.docker.reference.digest'

export interface CollectOptions {
  /** Public key cosign signatures are verified with; without one they are read, not verified. */
  key?: KeyObject
  /** Reads at once (default 8). */
  concurrency?: number
  /** Keep the decoded predicate of statements of this type (`attestations --predicate`). */
  keepPredicate?: string
  /** Keep each SBOM's package list (`attestations --diff-platforms`). */
  keepPackages?: boolean
}

/** The digest a buildx attestation manifest describes, from either spelling of its index annotation. */
export function attestedDigest(descriptor: Descriptor): string | undefined {
  const annotations = descriptor.annotations
  if (annotations?.[ATTESTATION_TYPE_ANNOTATION] !== 'attestation-manifest') return undefined
  return annotations[ATTESTATION_DIGEST_ANNOTATION] ?? annotations[LEGACY_ATTESTATION_DIGEST_ANNOTATION]
}

/**
 * Everything attached to the tag's index and to each platform image, from the three places it
 * may be: buildx attestation manifests in the index, OCI referrers (the API, else the fallback
 * tag), and cosign's tags. An artifact that is there but cannot be read is kept with its
 * problem; a place that cannot be looked in is named in `lookupProblems`.
 */
export async function collectArtifacts(
  source: ImageSource,
  tree: ImageTree,
  options: CollectOptions = {},
): Promise<{subjects: SubjectArtifacts[]; lookupProblems: string[]}> {
  const limit = createLimiter(options.concurrency ?? 8)
  const nodes = imageNodes(tree.root)
  const inIndex = nodes.filter((node) => attestedDigest(node.descriptor) !== undefined)
  const targets: Array<{target: string; digest: string}> = []
  if (tree.root.kind === 'index') targets.push({target: 'index', digest: tree.root.descriptor.digest})
  for (const node of nodes)
    if (attestedDigest(node.descriptor) === undefined && !isBareAttestation(node))
      targets.push({target: platformLabel(entryPlatform(node)), digest: node.descriptor.digest})

  const lookupProblems: string[] = []
  const reader = new ArtifactReader(source, options, limit)
  const subjects = await Promise.all(
    targets.map(async ({target, digest}): Promise<SubjectArtifacts> => {
      // One Promise.all over every read: a failure of one is never left unobserved while others run.
      const [fromIndex, referrers, cosign] = await Promise.all([
        Promise.all(
          inIndex
            .filter((node) => attestedDigest(node.descriptor) === digest)
            .map((node) => reader.fromManifest(node.descriptor.digest, manifestOfNode(node), 'index')),
        ),
        reader.referrers(digest).catch((error: unknown) => problem(error, lookupProblems, {api: null, artifacts: []})),
        Promise.all(
          COSIGN_TAG_SUFFIXES.map((suffix) =>
            reader.cosignTag(digest, suffix).catch((error: unknown) => problem(error, lookupProblems, [])),
          ),
        ),
      ])
      const artifacts = [...fromIndex.flat(), ...referrers.artifacts, ...cosign.flat()]
      return {target, digest, artifacts, referrersApi: referrers.api}
    }),
  )
  return {subjects, lookupProblems}
}

/** A look-up that failed the way a source fails: its line is kept, the other places are still read. */
function problem<T>(error: unknown, problems: string[], empty: T): T {
  if (!(error instanceof ArchcheckError)) throw error
  problems.push(error.message)
  return empty
}

/** An attestation manifest named on its own (REPO@DIGEST): unknown/unknown config, in-toto layers. */
function isBareAttestation(node: ImageNode): boolean {
  return node.config.os === 'unknown' && node.layers.length > 0 && node.layers.every((layer) => layer.mediaType === IN_TOTO_MEDIA_TYPE)
}

function manifestOfNode(node: ImageNode): ParsedImageManifest {
  return {
    kind: 'image',
    mediaType: node.descriptor.mediaType,
    config: {digest: node.config.digest, size: node.config.size, mediaType: node.config.mediaType},
    layers: node.layers,
  }
}

/** Reads artifact manifests and their blobs, every read bounded and through one limiter. */
class ArtifactReader {
  constructor(
    private readonly source: ImageSource,
    private readonly options: CollectOptions,
    private readonly limit: <T>(task: () => Promise<T>) => Promise<T>,
  ) {}

  /** Referrers from the API, else from the fallback tag `sha256-<hex>` (an index the pushers keep). */
  async referrers(digest: string): Promise<{api: boolean | null; artifacts: Artifact[]}> {
    const listed = this.source.listReferrers
      ? await this.limit(() => this.source.listReferrers!(digest, {maxReferrers: MAX_REFERRERS}))
      : undefined
    let descriptors = listed
    let origin: ArtifactOrigin = 'referrers-api'
    if (listed === undefined) {
      origin = 'referrers-tag'
      const index = await this.optionalManifest(fallbackTag(digest))
      if (!index) return {api: this.source.listReferrers ? false : null, artifacts: []}
      const parsed = parseManifest(index.bytes, index.digest)
      if (parsed.kind !== 'index')
        throw new RegistryError(`fallback tag ${fallbackTag(digest)} of ${this.source.displayName} is not an index`, 'malformed')
      if (parsed.manifests.length > MAX_REFERRERS)
        throw new RegistryError(
          `${digest} in ${this.source.displayName} has more than ${MAX_REFERRERS} referrers; not reading further`,
          'too-large',
        )
      descriptors = parsed.manifests
    }
    return {
      api: origin === 'referrers-api',
      artifacts: (await Promise.all((descriptors ?? []).map((descriptor) => this.fromDigest(descriptor, origin)))).flat(),
    }
  }

  /** cosign's `sha256-<hex>.sig`, `.att` or `.sbom` tag, when there is one. */
  async cosignTag(digest: string, suffix: string): Promise<Artifact[]> {
    const manifest = await this.optionalManifest(`${fallbackTag(digest)}.${suffix}`)
    if (!manifest) return []
    return this.parsed(manifest.digest, () => Promise.resolve(manifest), 'cosign-tag')
  }

  fromManifest(digest: string, manifest: ParsedImageManifest, origin: ArtifactOrigin): Promise<Artifact[]> {
    return this.layers(digest, manifest, origin)
  }

  private fromDigest(descriptor: Descriptor, origin: ArtifactOrigin): Promise<Artifact[]> {
    return this.parsed(
      descriptor.digest,
      () => this.limit(() => this.source.fetchManifest(descriptor.digest)),
      origin,
      descriptor.artifactType,
    )
  }

  private async parsed(
    digest: string,
    fetch: () => Promise<{bytes: Uint8Array; digest: string; mediaType: string}>,
    origin: ArtifactOrigin,
    artifactType?: string,
  ): Promise<Artifact[]> {
    try {
      const fetched = await fetch()
      const parsed = parseManifest(fetched.bytes, fetched.digest, fetched.mediaType)
      if (parsed.kind !== 'image')
        return [unreadable(origin, digest, null, artifactType ?? parsed.mediaType, `a ${parsed.mediaType}, not an artifact manifest`)]
      return await this.layers(digest, artifactType && !parsed.artifactType ? {...parsed, artifactType} : parsed, origin)
    } catch (error) {
      if (!(error instanceof ArchcheckError)) throw error
      return [unreadable(origin, digest, null, artifactType ?? 'unknown', error.message)]
    }
  }

  private async layers(digest: string, manifest: ParsedImageManifest, origin: ArtifactOrigin): Promise<Artifact[]> {
    const bundleManifest = manifest.artifactType?.startsWith('application/vnd.dev.sigstore.bundle') ?? false
    return Promise.all(
      manifest.layers.map(async (layer): Promise<Artifact> => {
        const kind = bundleManifest || layer.mediaType.startsWith('application/vnd.dev.sigstore.bundle') ? 'bundle' : layerKind(layer)
        const type =
          layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ??
          (kind === 'bundle' ? (manifest.artifactType ?? SIGSTORE_BUNDLE_MEDIA_TYPE) : layer.mediaType)
        const base = {origin, manifestDigest: digest, layerDigest: layer.digest, type, envelope: null, subjects: [], unreadable: null}
        if (kind === 'other') return {...base, kind: 'other'}
        const what = `${describeOrigin(origin)} ${layer.digest}`
        try {
          if (layer.size > MAX_ARTIFACT_BYTES)
            throw new RegistryError(`${what}: ${layer.size} bytes, more than the ${MAX_ARTIFACT_BYTES} read of an artifact`, 'too-large')
          const bytes = await this.limit(() => this.source.fetchBlob(layer.digest, MAX_ARTIFACT_BYTES))
          return this.read(kind, bytes, layer, base, what)
        } catch (error) {
          if (!(error instanceof ArchcheckError)) throw error
          return {
            ...base,
            kind:
              kind === 'statement'
                ? 'attestation'
                : kind === 'sbom-document'
                  ? 'sbom'
                  : kind === 'bundle'
                    ? 'sigstore-bundle'
                    : 'signature',
            unreadable: error.message,
          }
        }
      }),
    )
  }

  private read(kind: LayerKind, bytes: Uint8Array, layer: Descriptor, base: Omit<Artifact, 'kind'>, what: string): Artifact {
    if (kind === 'signature') {
      const signature = readSimpleSigning(bytes, layer.annotations ?? {}, this.options.key, what)
      return {...base, kind: 'signature', subjects: signature.signedDigest ? [signature.signedDigest] : [], signature}
    }
    if (kind === 'bundle') return {...base, kind: 'sigstore-bundle', bundle: readBundle(bytes, what)}
    if (kind === 'sbom-document') return this.sbom(base, parseArtifactJson(bytes, what), what)
    const statement = readStatement(bytes, what)
    const common = {
      ...base,
      type: statement.predicateType,
      envelope: statement.envelope,
      subjects: statement.subjects,
      ...(this.options.keepPredicate === statement.predicateType ? {predicate: statement.predicate} : {}),
    }
    if (isProvenanceType(statement.predicateType))
      return {...common, kind: 'provenance', provenance: summariseProvenance(statement.predicateType, statement.predicate)}
    if (isSbomPredicate(statement.predicateType)) return this.sbom(common, statement.predicate, what)
    return {...common, kind: 'attestation'}
  }

  private sbom(base: Omit<Artifact, 'kind'>, document: unknown, what: string): Artifact {
    const sbom = summariseSbom(document)
    if (!sbom) return {...base, kind: 'sbom', unreadable: `${what}: neither SPDX nor CycloneDX JSON`}
    return {...base, kind: 'sbom', sbom, ...(this.options.keepPackages ? {packages: sbomPackages(document)} : {})}
  }

  /** A manifest by tag, or undefined when the source has no such tag. */
  private async optionalManifest(tag: string): Promise<{bytes: Uint8Array; digest: string; mediaType: string} | undefined> {
    try {
      return await this.limit(() => this.source.fetchManifest(tag))
    } catch (error) {
      if (error instanceof RegistryError && error.kind === 'not-found') return undefined
      throw error
    }
  }
}

type LayerKind = 'statement' | 'signature' | 'sbom-document' | 'bundle' | 'other'

function layerKind(layer: Descriptor): LayerKind {
  const type = layer.mediaType
  if (type === IN_TOTO_MEDIA_TYPE || type === DSSE_MEDIA_TYPE) return 'statement'
  if (type === SIMPLE_SIGNING_MEDIA_TYPE) return 'signature'
  // cosign attach sbom: `text/spdx+json`, `application/spdx+json`, `application/vnd.cyclonedx+json`.
  if (/spdx\+json|cyclonedx\+json/.test(type)) return 'sbom-document'
  return 'other'
}

function unreadable(origin: ArtifactOrigin, digest: string, layer: string | null, type: string, reason: string): Artifact {
  return {origin, kind: 'other', manifestDigest: digest, layerDigest: layer, type, envelope: null, subjects: [], unreadable: reason}
}

const describeOrigin = (origin: ArtifactOrigin): string =>
  ({index: 'attestation', 'referrers-api': 'referrer', 'referrers-tag': 'referrer', 'cosign-tag': 'cosign artifact'})[origin]

/** The tag cosign and the OCI fallback use for the artifacts of `digest`: `sha256-<hex>`. */
export const fallbackTag = (digest: string): string => digest.replace(':', '-')
