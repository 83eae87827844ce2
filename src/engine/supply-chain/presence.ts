import type {Artifact, SubjectArtifacts} from './types.js'

/** `yes` attached and readable, `unreadable` attached but not readable, `no` nothing attached. */
export type Presence = 'yes' | 'no' | 'unreadable'

/** One line of `inspect --supply-chain`: what is attached to the index or one platform's image. */
export interface SupplyChainPresence {
  target: string
  digest: string
  provenance: Presence
  sbom: Presence
  /** A cosign signature naming this digest, or a sigstore bundle; not verified (no key here). */
  signed: Presence
}

function presenceOf(artifacts: Artifact[]): Presence {
  if (artifacts.some((artifact) => artifact.unreadable === null)) return 'yes'
  return artifacts.length > 0 ? 'unreadable' : 'no'
}

export function supplyChainPresence(subjects: SubjectArtifacts[]): SupplyChainPresence[] {
  return subjects.map((subject) => {
    const of = (...kinds: Array<Artifact['kind']>): Artifact[] => subject.artifacts.filter((artifact) => kinds.includes(artifact.kind))
    const signatures = of('signature', 'sigstore-bundle').filter(
      (artifact) => artifact.signature === undefined || artifact.signature.signedDigest === subject.digest,
    )
    return {
      target: subject.target,
      digest: subject.digest,
      provenance: presenceOf(of('provenance')),
      sbom: presenceOf(of('sbom')),
      signed: presenceOf(signatures),
    }
  })
}
