// The text of `archcheck attestations`: what a user reads per subject, and foreign text kept inert.
import {describe, expect, it} from 'vitest'

import type {AttestationsResult} from '../../../src/api/attestations.js'
import type {Artifact} from '../../../src/engine/supply-chain/types.js'
import {renderAttestations} from '../../../src/render/attestations.js'
import {styleFor} from '../../../src/render/style.js'
import {artifactSummary} from '../../helpers/supply-chain.js'

const plain = styleFor({isTTY: false}, {NO_COLOR: '1'})
const IMAGE = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`

function result(artifacts: Artifact[], fields: Partial<AttestationsResult> = {}): AttestationsResult {
  return {
    schemaVersion: 1,
    reference: 'r.example/app:1',
    digest: OTHER,
    keyGiven: false,
    subjects: [{target: 'linux/arm64', digest: IMAGE, artifacts, referrersApi: true}],
    lookupProblems: [],
    ...fields,
  }
}

const signature = (verification: 'valid' | 'invalid' | 'unverified', signedDigest: string | null = IMAGE): Artifact =>
  artifactSummary('signature', {
    origin: 'cosign-tag',
    signature: {
      signedDigest,
      identity: 'r.example/app',
      annotations: {team: 'core'},
      verification,
      problem: verification === 'invalid' ? 'wrong key' : null,
    },
  })

describe('renderAttestations', () => {
  it('says what each signature signs and whether the key verified it', () => {
    const text = renderAttestations(
      result([signature('valid'), signature('invalid'), signature('unverified', null)], {keyGiven: true}),
      plain,
    )
    expect(text).toContain('  signature       cosign tag     cosign signs sha256:aaaaaaaaaaaa ✓ valid with the key\n')
    expect(text).toContain('cosign signs sha256:aaaaaaaaaaaa ✗ invalid: wrong key\n')
    expect(text).toContain('cosign signs no digest not verified\n')
    expect(text).toContain(`${' '.repeat(33)}identity r.example/app\n${' '.repeat(33)}annotations team=core\n`)
    expect(renderAttestations(result([signature('unverified')]), plain)).toContain('not verified (no --key)')
  })

  it('flags an attestation that names another digest, and one that could not be read', () => {
    const text = renderAttestations(
      result([
        artifactSummary('attestation', {subjects: [OTHER], type: 'https://example.com/predicate'}),
        artifactSummary('sbom', {unreadable: 'not JSON'}),
      ]),
      plain,
    )
    expect(text).toContain(
      `  attestation     referrers API  https://example.com/predicate\n${' '.repeat(33)}names sha256:bbbbbbbbbbbb, not this digest\n`,
    )
    expect(text).toContain('  sbom            referrers API  present but unreadable: not JSON\n')
  })

  it('says where it looked, that nothing is attached, and what it could not look at', () => {
    const text = renderAttestations(
      result([], {
        subjects: [{target: 'index', digest: OTHER, artifacts: [], referrersApi: null}],
        lookupProblems: ['referrers of sha256:bbbb: HTTP 500'],
      }),
      plain,
    )
    expect(text).toBe(
      `r.example/app:1 ${OTHER}\n\nindex sha256:bbbbbbbbbbbb (no referrers API in this source)\n  nothing attached\n\ncould not look: referrers of sha256:bbbb: HTTP 500\n`,
    )
  })

  it('shows at most ten package names per side of an SBOM difference', () => {
    const many = Array.from({length: 12}, (_, i) => `pkg${i}@1`)
    const text = renderAttestations(
      result([], {sbomDiff: [{platform: 'linux/arm64', against: 'linux/amd64', onlyHere: many, missingHere: ['zlib@1.3']}]}),
      plain,
    )
    expect(text).toContain('SBOM differences (against linux/amd64)\n  linux/arm64: 12 only here, 1 missing here\n')
    expect(text).toContain(`    + ${many.slice(0, 10).join(', ')}, … (2 more)\n    - zlib@1.3\n`)
  })

  it('never writes control characters from the registry to the terminal', () => {
    const text = renderAttestations(result([artifactSummary('other', {type: 'evil\u001b]0;owned\u0007\u001b[2J'})]), plain)
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/)
    expect(text).toContain('evil')
  })
})
