// base-platform: an image whose provenance resolved base images only for other platforms (the
// final stage built FROM --platform=$BUILDPLATFORM), and what must not fire.
import {describe, expect, it} from 'vitest'

import {basePlatformCheck, type Result} from '../../../src/engine/supply-chain/checks.js'
import {SLSA_V1, summariseProvenance} from '../../../src/engine/supply-chain/provenance.js'
import type {SubjectArtifacts} from '../../../src/engine/supply-chain/types.js'
import {llbStage, provenanceV1, type Base, type BuildFacts} from '../../helpers/supply-chain.js'

const result: Result = (id, status, message, platform) => ({id, status, message, platform, reference: 'r'})
const base = (platform: string, name = 'alpine'): Base => ({name, tag: '3.20', platform, digest: `sha256:${'a'.repeat(64)}`})

function subject(target: string, facts: BuildFacts | undefined): SubjectArtifacts {
  return {
    target,
    digest: `sha256:${'1'.repeat(64)}`,
    referrersApi: false,
    artifacts: facts
      ? [
          {
            origin: 'index',
            kind: 'provenance',
            manifestDigest: `sha256:${'2'.repeat(64)}`,
            layerDigest: null,
            type: SLSA_V1,
            envelope: 'plain',
            subjects: [],
            unreadable: null,
            provenance: summariseProvenance(SLSA_V1, provenanceV1(facts)),
          },
        ]
      : [],
  }
}

describe('base-platform', () => {
  it('fires when every base was resolved for another platform, naming the final stage with mode=max', () => {
    const check = basePlatformCheck(subject('linux/arm64', {bases: [base('linux/amd64')], mode: 'max'}), result)
    expect(check?.status).toBe('fail')
    expect(check?.message).toContain('the linux/arm64 image was built on base images resolved for linux/amd64 only')
    expect(check?.message).toContain('final stage starts FROM docker.io/library/alpine:3.20@sha256:aaaa')
    expect(check?.message).toContain('(linux/amd64)')
  })

  it('passes a cross-compiling builder stage on the build platform next to a base for the target', () => {
    const facts = {bases: [base('linux/amd64', 'golang'), base('linux/arm64')], mode: 'max' as const, llb: llbStage(base('linux/arm64'))}
    expect(basePlatformCheck(subject('linux/arm64', facts), result)?.status).toBe('pass')
  })

  it('compares normalised platforms: an arm64/v8 image with an arm64 base, an arm/v7 one with arm/v6 is not', () => {
    expect(basePlatformCheck(subject('linux/arm64/v8', {bases: [base('linux/arm64')]}), result)?.status).toBe('pass')
    expect(basePlatformCheck(subject('linux/arm/v7', {bases: [base('linux/arm/v6')]}), result)?.status).toBe('fail')
  })

  it('says nothing without provenance, without docker bases (FROM scratch) or without their platforms', () => {
    expect(basePlatformCheck(subject('linux/arm64', undefined), result)).toBeUndefined()
    expect(basePlatformCheck(subject('linux/arm64', {bases: []}), result)).toBeUndefined()
    const unqualified = subject('linux/arm64', {bases: [base('linux/amd64')]})
    unqualified.artifacts[0].provenance!.materials = [
      {uri: 'pkg:docker/alpine@3.20', digest: {}, image: {name: 'alpine', version: '3.20', platform: null}},
    ]
    expect(basePlatformCheck(unqualified, result)).toBeUndefined()
  })
})
