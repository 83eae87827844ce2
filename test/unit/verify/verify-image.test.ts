import {describe, expect, it} from 'vitest'

import {RegistryError, UsageError} from '../../../src/oci/errors.js'
import {formatSourceSpec, parseSourceSpec, type SourceSpec} from '../../../src/oci/reference.js'
import type {ImageTree, TreeNode} from '../../../src/oci/types.js'
import {MediaType} from '../../../src/oci/media-types.js'
import {renderJunit} from '../../../src/render/junit.js'
import {renderVerifyText} from '../../../src/render/verify-text.js'
import {reportsExitCode} from '../../../src/api/verify.js'
import type {CheckProvider, VerifyDependencies} from '../../../src/engine/verify/types.js'
import {verifyImage, verifyTargetsWith} from '../../../src/engine/verify/verify.js'
import {asReference, asResult, fakeSource, image, index, resolution} from './trees.js'

const amd64 = image({declared: 'linux/amd64'})
const arm64 = image({declared: 'linux/arm64'})

function dependencies(root: TreeNode | Error): VerifyDependencies {
  return {
    fetchTree: async (source): Promise<ImageTree> => {
      if (root instanceof Error) throw root
      return {reference: source.displayName, root}
    },
    resolve: (tree, host) => {
      const chosen =
        tree.root.kind === 'index'
          ? tree.root.children.find((child) => child.descriptor.platform?.architecture === host.architecture)
          : undefined
      return chosen?.kind === 'image'
        ? resolution(`${host.os}/${host.architecture}`, 'ok', chosen)
        : resolution(`${host.os}/${host.architecture}`, 'no-match', undefined, {clientMessage: 'no matching manifest'})
    },
  }
}

describe('verifyImage', () => {
  it('passes a good index and reports its digest', async () => {
    const root = index([amd64, arm64])
    const report = await verifyImage(fakeSource(), {}, dependencies(root))
    expect(report).toMatchObject({reference: 'registry.test/app:1', digest: root.descriptor.digest, verdict: 'pass', strict: false})
    expect(reportsExitCode([report])).toBe(0)
  })

  it('fails an index without arm64 and explains it in every format', async () => {
    const report = await verifyImage(fakeSource(), {}, dependencies(index([amd64])))
    expect(report.verdict).toBe('fail')
    expect(reportsExitCode([report])).toBe(1)
    const text = await renderVerifyText(asReference(report), report.strict)
    expect(text).toMatch(/platform-missing\s+│ pass\s+│ FAIL/)
    expect(text).toContain(
      'FAIL platform-missing (linux/arm64): docker refuses to pull the tag on linux/arm64 hosts: "no matching manifest"',
    )
    expect(text).toContain('FAIL registry.test/app:1: 1 failed (platform-missing)')
    expect(renderJunit(asResult([report]))).toContain('classname="registry.test/app" name="1: platform-missing [linux/arm64]"')
  })

  it('fails on warnings only with strict', async () => {
    const mixed = index([amd64, image({declared: 'linux/arm64', mediaType: MediaType.dockerManifest})])
    expect((await verifyImage(fakeSource(), {}, dependencies(mixed))).verdict).toBe('pass')
    const strict = await verifyImage(fakeSource(), {strict: true}, dependencies(mixed))
    expect(strict.verdict).toBe('fail')
    expect(await renderVerifyText(asReference(strict), strict.strict)).toContain(
      'FAIL mixed-media-types: the OCI index points at Docker manifests',
    )
  })

  it('runs a plugged-in provider after the built-in checks; renderers show its results unchanged', async () => {
    const deep: CheckProvider = {
      ids: ['entrypoint-arch'],
      run: (context) =>
        context.resolutions.map((r) => ({
          id: 'entrypoint-arch',
          status: 'fail' as const,
          platform: `${r.host.os}/${r.host.architecture}`,
          message: '/app is an x86-64 ELF executable.',
          reference: context.reference,
        })),
    }
    const report = await verifyImage(fakeSource(), {providers: [deep]}, dependencies(index([amd64, arm64])))
    expect(report.checks.at(-1)).toMatchObject({id: 'entrypoint-arch', platform: 'linux/arm64'})
    expect(report.verdict).toBe('fail')
    expect(await renderVerifyText(asReference(report), report.strict)).toMatch(/entrypoint-arch\s+│ FAIL/)
    expect(renderJunit(asResult([report]))).toContain('<failure type="entrypoint-arch"')
  })

  it('turns an unreadable image into an error report with exit code 3', async () => {
    const report = await verifyImage(
      fakeSource(),
      {},
      dependencies(new RegistryError('manifest unknown: registry.test/app:1', 'not-found', {status: 404})),
    )
    expect(report).toMatchObject({verdict: 'error', error: 'manifest unknown: registry.test/app:1', errorKind: 'not-found', checks: []})
    expect(reportsExitCode([report])).toBe(3)
    expect(asReference(report)).toMatchObject({verdict: 'error', errorKind: 'not-found'})
    expect(await renderVerifyText(asReference(report), report.strict)).toContain('ERROR manifest unknown: registry.test/app:1\n')
  })

  it('lets a bug propagate instead of reporting it as a registry problem', async () => {
    await expect(verifyImage(fakeSource(), {}, dependencies(new TypeError('boom')))).rejects.toThrow('boom')
  })
})

describe('verifyTargetsWith', () => {
  it('checks several references concurrently, keeps their order, applies each expected digest and closes every source', async () => {
    const root = index([amd64, arm64])
    const closed: string[] = []
    let inFlight = 0
    let most = 0
    const open = async (spec: SourceSpec) => {
      const reference = formatSourceSpec(spec)
      if (reference.endsWith('bad')) throw new UsageError(`invalid reference ${reference}`)
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise((resolve) => setTimeout(resolve, 20))
      inFlight--
      return {...fakeSource(), displayName: reference, close: async () => void closed.push(reference)}
    }
    const reports = await verifyTargetsWith(
      [
        {spec: parseSourceSpec('r.io/a:1'), expectDigest: root.descriptor.digest},
        {spec: parseSourceSpec('r.io/b:1'), expectDigest: 'sha256:' + '0'.repeat(64)},
        {spec: parseSourceSpec('r.io/c:1')},
        {spec: parseSourceSpec('r.io/bad')},
      ],
      {},
      open,
      dependencies(root),
    )
    expect(reports.map((report) => `${report.reference} ${report.verdict}`)).toEqual([
      'r.io/a:1 pass',
      'r.io/b:1 fail',
      'r.io/c:1 pass',
      'r.io/bad error',
    ])
    expect(reports[1].checks.find((check) => check.id === 'digest-mismatch')?.status).toBe('fail')
    expect(most).toBeGreaterThan(1)
    expect(closed.sort()).toEqual(['r.io/a:1', 'r.io/b:1', 'r.io/c:1'])
    expect(reports[3].errorKind).toBe('usage')
    expect(reportsExitCode(reports)).toBe(2)
  })
})
