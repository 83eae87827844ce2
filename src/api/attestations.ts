import {UsageError} from '../oci/errors.js'
import type {SourceSpec} from '../oci/reference.js'
import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {collectArtifacts} from '../engine/supply-chain/collect.js'
import {readPublicKeyFile} from '../engine/supply-chain/signature.js'
import type {SubjectArtifacts} from '../engine/supply-chain/types.js'
import {fetchImageTree} from '../engine/tree.js'
import {sourceSpec} from './options.js'
import {versioned, type Versioned} from './schema.js'
import {progressOf, withSource, type ReadOptions} from './sources.js'

export type {
  Artifact,
  ArtifactKind,
  ArtifactOrigin,
  BundleSummary,
  Material,
  ProvenanceSummary,
  SbomSummary,
  SignatureSummary,
  SubjectArtifacts,
} from '../engine/supply-chain/types.js'

export interface AttestationsOptions extends ReadOptions {
  /** A PEM public key file (ECDSA P-256, Ed25519, RSA) cosign signatures are verified with. */
  key?: string
  /** Keep the decoded predicate of this type in each artifact's `predicate`. */
  predicate?: string
  /** Compare the packages of each platform's SBOM with the first platform's (`sbomDiff`). */
  diffPlatforms?: boolean
}

/** How one platform's SBOM differs from the first platform's: packages (`name@version`) only in one of them. */
export interface SbomDiff {
  platform: string
  against: string
  onlyHere: string[]
  missingHere: string[]
}

/** `archcheck attestations --json` (docs/attestations.md). */
export type AttestationsResult = Versioned<{
  reference: string
  /** The digest the reference pointed to when read. */
  digest: string
  /** Whether signatures were checked against a key (--key). */
  keyGiven: boolean
  /** The tag's index (when it is one), then each platform image, with what is attached to it. */
  subjects: SubjectArtifacts[]
  /** Places that could not be looked in (a referrers API error, a bounded list exceeded), one line each. */
  lookupProblems: string[]
  /** With `diffPlatforms`: each platform's SBOM against the first platform's that has one. */
  sbomDiff?: SbomDiff[]
}>

/** What is attached to a reference's index and each platform image: attestations, SBOMs, signatures, and where each was found. */
export async function attestations(reference: string | SourceSpec, options: AttestationsOptions = {}): Promise<AttestationsResult> {
  const key = options.key === undefined ? undefined : await readPublicKeyFile(options.key)
  const spec = sourceSpec(reference, 'reference')
  return withSource(spec, options, async (source) => {
    const read = progressOf(options)
    const tree = await read(`Reading ${source.displayName}`, () => fetchImageTree(source))
    const {subjects, lookupProblems} = await read(`Reading attestations and signatures of ${source.displayName}`, () =>
      collectArtifacts(source, tree, {key, keepPredicate: options.predicate, keepPackages: options.diffPlatforms}),
    )
    const result = {
      reference: source.displayName,
      digest: tree.root.descriptor.digest,
      keyGiven: key !== undefined,
      subjects,
      lookupProblems,
    }
    if (!options.diffPlatforms) return versioned(result)
    const sbomDiff = diffSboms(subjects)
    // The package lists served the comparison; the document keeps the summaries.
    for (const subject of subjects) for (const artifact of subject.artifacts) delete artifact.packages
    return versioned({...result, sbomDiff})
  })
}

/** Each platform's first readable SBOM against the first platform's, as sets of `name@version`. */
function diffSboms(subjects: SubjectArtifacts[]): SbomDiff[] {
  const lists = subjects.flatMap((subject) => {
    const sbom = subject.artifacts.find((artifact) => artifact.kind === 'sbom' && artifact.packages !== undefined)
    return subject.target !== 'index' && sbom ? [{platform: subject.target, packages: new Set(sbom.packages)}] : []
  })
  const [first, ...rest] = lists
  if (!first) return []
  return rest.map(({platform, packages}) => ({
    platform,
    against: first.platform,
    onlyHere: [...packages].filter((name) => !first.packages.has(name)).sort(),
    missingHere: [...first.packages].filter((name) => !packages.has(name)).sort(),
  }))
}

/** The one decoded predicate of `type` (`attestations --predicate`), on `platform` when several subjects have one. */
export function selectPredicate(result: AttestationsResult, type: string, platform?: string): unknown {
  const candidates = result.subjects.filter((subject) => platform === undefined || subject.target === platform)
  const found = candidates.flatMap((subject) =>
    subject.artifacts
      .filter((artifact) => artifact.type === type && artifact.predicate !== undefined)
      .map((artifact) => ({subject, artifact})),
  )
  if (found.length === 0) {
    const where = platform === undefined ? result.reference : `${platform} of ${result.reference}`
    throw new UsageError(`no readable ${type} predicate is attached to ${where}`)
  }
  const targets = [...new Set(found.map(({subject}) => subject.target))]
  if (targets.length > 1) throw new UsageError(`${targets.join(', ')} each have a ${type} predicate; name one with --platform`)
  return found[0].artifact.predicate
}

/** 3 when an artifact is there but unreadable, or a place could not be looked in; else 0. */
export function attestationsExitCode(result: AttestationsResult): ExitCodeValue {
  const unreadable = result.subjects.some((subject) => subject.artifacts.some((artifact) => artifact.unreadable !== null))
  return unreadable || result.lookupProblems.length > 0 ? ExitCode.registry : ExitCode.ok
}

/** One line per unreadable artifact and failed look-up, for stderr. */
export function attestationProblems(result: AttestationsResult): string[] {
  return [
    ...result.lookupProblems,
    ...result.subjects.flatMap((subject) =>
      subject.artifacts.filter((artifact) => artifact.unreadable !== null).map((artifact) => `${subject.target}: ${artifact.unreadable}`),
    ),
  ]
}
