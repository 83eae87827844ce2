// The checks over hand-built trees with the real pull simulation (resolveForHost).
import {describe, expect, it} from 'vitest'

import type {TreeNode} from '../../../src/oci/types.js'
import {resolveForHost} from '../../../src/engine/resolve/resolve.js'
import type {CheckResult, VerifyOptions} from '../../../src/engine/verify/types.js'
import {verifyImage} from '../../../src/engine/verify/verify.js'
import {fakeSource, image, index, platform} from './trees.js'

async function verify(root: TreeNode, options: VerifyOptions = {}) {
  return verifyImage(fakeSource(), options, {fetchTree: async (source) => ({reference: source.displayName, root}), resolve: resolveForHost})
}

const failed = (checks: CheckResult[]): string[] =>
  checks.filter((check) => check.status === 'fail').map((check) => `${check.id} ${check.platform ?? '-'}`)

describe('requirements are met through resolution', () => {
  it('accepts an arm64/v8 entry for linux/arm64 and an amd64 entry for linux/amd64', async () => {
    const report = await verify(index([image({declared: 'linux/amd64'}), image({declared: 'linux/arm64/v8'})]))
    expect(failed(report.checks)).toEqual([])
    expect(report.verdict).toBe('pass')
  })

  it('does not accept arm/v7 for linux/arm64 unless fallbacks are allowed', async () => {
    const root = index([image({declared: 'linux/amd64'}), image({declared: 'linux/arm/v7'})])
    const report = await verify(root)
    expect(failed(report.checks)).toEqual(['platform-fallback linux/arm64'])
    expect(report.checks.find((check) => check.id === 'platform-fallback' && check.status === 'fail')?.message).toMatch(/32-bit/)
    expect((await verify(root, {allowFallback: true})).verdict).toBe('pass')
  })

  it("fails a list without arm64 with Docker's own message", async () => {
    const report = await verify(index([image({declared: 'linux/amd64'}), image({declared: 'linux/s390x'})]))
    expect(failed(report.checks)).toEqual(['platform-missing linux/arm64'])
    expect(report.checks.find((check) => check.status === 'fail')?.message).toContain('no matching manifest for linux/arm64')
  })

  it('fails platform-missing when the only arm64 entry is an artifact, not an image a client pulls', async () => {
    const artifact: TreeNode = {
      kind: 'other',
      descriptor: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${'e'.repeat(64)}`,
        size: 10,
        platform: platform('linux/arm64'),
        artifactType: 'application/vnd.example.sbom',
      },
      note: 'artifact of type application/vnd.example.sbom',
    }
    const report = await verify(index([image({declared: 'linux/amd64'}), artifact]))
    expect(failed(report.checks)).toEqual(['platform-missing linux/arm64'])
    expect(report.verdict).toBe('fail')
  })

  it('fails an arm64 entry whose config says amd64 as config-mismatch only', async () => {
    const report = await verify(index([image({declared: 'linux/amd64'}), image({declared: 'linux/arm64', config: 'linux/amd64'})]))
    expect(failed(report.checks)).toEqual(['config-mismatch linux/arm64'])
  })

  it('fails a single amd64 image for arm64 hosts, and passes it when only amd64 is required and allowed', async () => {
    const single = image({config: 'linux/amd64'})
    expect(failed((await verify(single)).checks)).toEqual(['platform-missing linux/arm64', 'single-platform linux/amd64'])
    expect(failed((await verify(single, {client: 'containerd'})).checks)).toEqual([
      'platform-missing linux/arm64',
      'single-platform linux/amd64',
    ])
    expect((await verify(single, {require: ['linux/amd64'], allowSinglePlatform: true})).verdict).toBe('pass')
    expect(failed((await verify(single, {require: [platform('linux/amd64')]})).checks)).toEqual(['single-platform linux/amd64'])
  })

  it('fails two arm64 entries as duplicate-platform', async () => {
    const report = await verify(
      index([image({declared: 'linux/amd64'}), image({declared: 'linux/arm64'}), image({declared: 'linux/arm64/v8', name: 'again'})]),
    )
    expect(failed(report.checks)).toEqual(['duplicate-platform linux/arm64'])
  })
})
