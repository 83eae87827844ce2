// The provenance / SBOM / signed columns of `inspect --supply-chain`.
import {describe, expect, it} from 'vitest'

import {supplyChainPresence} from '../../../src/engine/supply-chain/presence.js'
import type {Artifact, SubjectArtifacts} from '../../../src/engine/supply-chain/types.js'
import {artifactSummary} from '../../helpers/supply-chain.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`

const subject = (artifacts: Artifact[]): SubjectArtifacts => ({target: 'linux/arm64', digest: DIGEST, artifacts, referrersApi: false})

describe('supplyChainPresence', () => {
  it('says yes for a readable artifact, unreadable when all of that kind failed to read, no when none is attached', () => {
    const [row] = supplyChainPresence([
      subject([
        artifactSummary('provenance'),
        artifactSummary('provenance', {unreadable: 'too large'}),
        artifactSummary('sbom', {unreadable: 'not JSON'}),
      ]),
    ])
    expect(row).toEqual({target: 'linux/arm64', digest: DIGEST, provenance: 'yes', sbom: 'unreadable', signed: 'no'})
  })

  it('counts a signature only when it signs this digest; a sigstore bundle counts as signed', () => {
    const signature = (signedDigest: string): Artifact =>
      artifactSummary('signature', {
        origin: 'cosign-tag',
        signature: {signedDigest, identity: null, annotations: {}, verification: 'unverified', problem: null},
      })
    expect(supplyChainPresence([subject([signature(OTHER)])])[0].signed).toBe('no')
    expect(supplyChainPresence([subject([signature(DIGEST)])])[0].signed).toBe('yes')
    expect(supplyChainPresence([subject([artifactSummary('sigstore-bundle', {origin: 'referrers-api'})])])[0].signed).toBe('yes')
  })
})
