/**
 * What archcheck reads of an image's supply-chain artifacts: attestations (provenance, SBOMs,
 * others), cosign signatures and sigstore bundles, each with where it was found. "Unreadable" is
 * kept apart from "absent": an artifact that is there but cannot be read is listed with its problem.
 */

/**
 * Where an artifact was found: `index` a buildx attestation manifest in the tag's own index;
 * `referrers-api` the registry's OCI 1.1 referrers API; `referrers-tag` the fallback tag
 * `sha256-<hex>`; `cosign-tag` cosign's `sha256-<hex>.sig`/`.att`/`.sbom` tags.
 */
export type ArtifactOrigin = 'index' | 'referrers-api' | 'referrers-tag' | 'cosign-tag'

export type ArtifactKind = 'provenance' | 'sbom' | 'signature' | 'sigstore-bundle' | 'attestation' | 'other'

export interface Material {
  uri: string
  digest: Record<string, string>
  /** For `pkg:docker/NAME@TAG?platform=…` materials: the image name, tag and the platform it was resolved for. */
  image?: {name: string; version: string | null; platform: string | null}
}

/** SLSA provenance (v0.2 or v1), normalised to one shape. */
export interface ProvenanceSummary {
  slsaVersion: 'v0.2' | 'v1'
  builderId: string | null
  buildType: string | null
  /** The build definition's source as buildkit resolved it (verified by the builder). */
  configSource: {uri: string | null; digest: Record<string, string>; path: string | null}
  /** `vcs:source`/`vcs:revision` the build client passed: buildkit does not check them, so a hint only. */
  vcsHint: {source: string | null; revision: string | null; unverified: true} | null
  /** The build machine's platform (not necessarily the image's). */
  builderPlatform: string | null
  startedOn: string | null
  finishedOn: string | null
  /** `max` when the build definition (LLB steps) is included, else `min`. */
  mode: 'min' | 'max'
  hermetic: boolean | null
  reproducible: boolean | null
  /** v0.2 `completeness.parameters`, v1 `buildkit_completeness.request`. */
  completeness: {parameters: boolean | null; materials: boolean | null}
  materials: Material[]
  /** With mode=max: the image the final stage starts from, and the platform it was pulled for. */
  finalStageBase: {image: string; platform: string | null} | null
}

export interface SbomSummary {
  format: 'spdx' | 'cyclonedx'
  version: string | null
  tools: string[]
  packages: number
}

export interface SignatureSummary {
  /** The manifest digest the signed payload names (`critical.image.docker-manifest-digest`). */
  signedDigest: string | null
  /** `critical.identity.docker-reference`. */
  identity: string | null
  annotations: Record<string, string>
  /** `valid`/`invalid` against --key; `unverified` without a key. */
  verification: 'valid' | 'invalid' | 'unverified'
  /** Why it is invalid (wrong key, tampered payload, …). */
  problem: string | null
}

export interface BundleSummary {
  mediaType: string
  /** The certificate's subject alternative names (the signer's identity), when it carries a certificate. */
  certificateIdentity: string[]
  certificateIssuer: string | null
  /** Keyless verification (Fulcio chain, Rekor inclusion) is not done: always false. */
  verified: false
}

export interface Artifact {
  origin: ArtifactOrigin
  kind: ArtifactKind
  /** Digest of the manifest holding it (the attestation manifest, the referrer, the cosign tag's manifest). */
  manifestDigest: string
  /** The blob (layer) read, when it is one of several in that manifest. */
  layerDigest: string | null
  /** in-toto predicate type, artifactType or layer media type: what it says it is. */
  type: string
  /** `dsse` when the statement came in a DSSE envelope, `plain` when bare; null for non-attestations. */
  envelope: 'dsse' | 'plain' | null
  /** Digests the attestation names as its subjects, or the signature signs. */
  subjects: string[]
  /** Set when it is there but could not be read: why (one line). */
  unreadable: string | null
  provenance?: ProvenanceSummary
  sbom?: SbomSummary
  signature?: SignatureSummary
  bundle?: BundleSummary
  /** The decoded predicate, only when asked for (`attestations --predicate TYPE`). */
  predicate?: unknown
  /** An SBOM's packages as `name@version`, only when asked for (`attestations --diff-platforms`). */
  packages?: string[]
}

/** Everything attached to one digest: the tag's index, or one platform's image. */
export interface SubjectArtifacts {
  /** `index`, or the platform the index declares for the image (`linux/arm64`). */
  target: string
  digest: string
  artifacts: Artifact[]
  /** Whether the registry answered the referrers API (false: the fallback tag was read instead; null: not asked). */
  referrersApi: boolean | null
}
