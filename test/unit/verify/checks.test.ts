import {describe, expect, it} from 'vitest'

import {MediaType} from '../../../src/oci/media-types.js'
import type {IndexNode, TreeNode} from '../../../src/oci/types.js'
import {builtinChecks} from '../../../src/engine/verify/checks/index.js'
import {
  checkAttestationOrphan,
  checkDanglingManifest,
  checkDigestMismatch,
  checkMissingBlobs,
  checkMixedMediaTypes,
} from '../../../src/engine/verify/checks/integrity.js'
import {
  checkConfigMismatch,
  checkDuplicatePlatform,
  checkPlatformFallback,
  checkPlatformMissing,
  checkSinglePlatform,
  checkUnexpectedPlatform,
} from '../../../src/engine/verify/checks/platforms.js'
import {verdictOf} from '../../../src/engine/verify/report.js'
import {BUILTIN_CHECK_IDS, type CheckResult} from '../../../src/engine/verify/types.js'
import {allBlobs, context, dangling, fakeSource, image, index, platform, resolution} from './trees.js'

const amd64 = image({declared: 'linux/amd64'})
const arm64 = image({declared: 'linux/arm64/v8'})
const good = index([amd64, arm64])
const goodResolutions = [resolution('linux/amd64', 'ok', amd64), resolution('linux/arm64', 'ok', arm64)]

const statuses = (results: CheckResult[]): string[] => results.map((result) => `${result.platform ?? '-'} ${result.status}`)

describe('a correct two-platform index', () => {
  it('passes every check that runs and skips the optional ones', async () => {
    const results = await builtinChecks.run(context(good, goodResolutions))
    expect(new Set(results.map((result) => result.id))).toEqual(new Set(BUILTIN_CHECK_IDS))
    expect(results.filter((result) => result.status !== 'pass').map((result) => `${result.id} ${result.status}`)).toEqual([
      'unexpected-platform skip',
      'missing-blob skip',
      'digest-mismatch skip',
    ])
    expect(verdictOf(results)).toBe('pass')
    expect(results.every((result) => result.reference === 'registry.test/app:1')).toBe(true)
  })
})

describe('platform-missing', () => {
  it("fails with the client's own message when a required platform resolves to nothing", () => {
    const results = checkPlatformMissing(
      context(index([amd64]), [
        resolution('linux/amd64', 'ok', amd64),
        resolution('linux/arm64', 'no-match', undefined, {
          clientMessage: 'no matching manifest for linux/arm64/v8 in the manifest list entries',
        }),
      ]),
    )
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 fail'])
    expect(results[1].message).toContain('"no matching manifest for linux/arm64/v8 in the manifest list entries"')
    expect(results[1].message).toContain('--platform linux/arm64')
  })

  it('fails when a single image of another architecture is all a host gets', () => {
    const single = image({config: 'linux/amd64'})
    const results = checkPlatformMissing(
      context(single, [resolution('linux/amd64', 'ok', single), resolution('linux/arm64', 'wrong-arch', single)]),
    )
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 fail'])
    expect(results[1].message).toMatch(
      /^linux\/arm64: wrong-arch; the tag has no linux\/arm64 image: build it with `docker buildx build --platform linux\/arm64,…`/,
    )
  })

  it('leaves an entry whose config lies to config-mismatch', () => {
    const liar = image({declared: 'linux/arm64', config: 'linux/amd64'})
    const results = checkPlatformMissing(
      context(index([amd64, liar]), [resolution('linux/amd64', 'ok', amd64), resolution('linux/arm64', 'wrong-arch', liar)]),
    )
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 pass'])
    // A pass that agrees with itself: the entry is there, and no failure is predicted.
    expect(results[1].message).toMatch(
      /^the index has a linux\/arm64 entry \(sha256:\w{12}\); what it holds is judged by config-mismatch\.$/,
    )
  })
})

describe('platform-fallback', () => {
  const armv7 = image({declared: 'linux/arm/v7'})
  const resolutions = [
    resolution('linux/amd64', 'ok', amd64),
    resolution('linux/arm64', 'fallback', armv7, {message: 'runs the arm/v7 image in 32-bit mode.'}),
  ]

  it('fails when arm64 hosts only get arm/v7', () => {
    const results = checkPlatformFallback(context(index([amd64, armv7]), resolutions))
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 fail'])
    expect(results[1].message).toMatch(/^runs the arm\/v7 image in 32-bit mode; build it with/)
    expect(results[1].message).toContain('--allow-fallback')
  })

  it('passes with --allow-fallback', () => {
    const results = checkPlatformFallback(context(index([amd64, armv7]), resolutions, {allowFallback: true}))
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 pass'])
  })

  it('skips a platform that resolves to nothing', () => {
    const results = checkPlatformFallback(
      context(index([amd64]), [resolution('linux/amd64', 'ok', amd64), resolution('linux/arm64', 'no-match')]),
    )
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 skip'])
  })
})

describe('config-mismatch', () => {
  it('fails the entry whose config disagrees with its declared platform', () => {
    const liar = image({declared: 'linux/arm64', config: 'linux/amd64'})
    const results = checkConfigMismatch(context(index([amd64, liar]), []))
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 fail'])
    expect(results[1].message).toMatch(/holds a linux\/amd64 image, so linux\/arm64 hosts pull it and get `exec format error`/)
  })

  it('does not count a config without a variant as a contradiction', () => {
    const armv6 = image({declared: 'linux/arm/v6'})
    armv6.config.variant = undefined
    expect(statuses(checkConfigMismatch(context(index([amd64, armv6]), [])))).toEqual(['linux/amd64 pass', 'linux/arm/v6 pass'])
  })

  it('has nothing to compare for a single image', () => {
    expect(statuses(checkConfigMismatch(context(image({config: 'linux/arm64'}), [])))).toEqual(['linux/arm64 pass'])
  })
})

describe('single-platform', () => {
  const single = image({config: 'linux/amd64'})

  it('fails a tag that is one image', () => {
    const results = checkSinglePlatform(
      context(single, [resolution('linux/amd64', 'ok', single), resolution('linux/arm64', 'wrong-arch', single)]),
    )
    expect(statuses(results)).toEqual(['linux/amd64 fail'])
    expect(results[0].message).toContain('--platform linux/amd64,linux/arm64')
  })

  it('passes with --allow-single-platform when that platform is the one required', () => {
    const results = checkSinglePlatform(
      context(single, [resolution('linux/amd64', 'ok', single)], {allowSinglePlatform: true, require: [platform('linux/amd64')]}),
    )
    expect(statuses(results)).toEqual(['linux/amd64 pass'])
  })

  it('still fails with --allow-single-platform when another platform is required', () => {
    const results = checkSinglePlatform(
      context(single, [resolution('linux/amd64', 'ok', single), resolution('linux/arm64', 'wrong-arch', single)], {
        allowSinglePlatform: true,
      }),
    )
    expect(statuses(results)).toEqual(['linux/amd64 fail'])
    expect(results[0].message).toContain('linux/arm64 is required')
  })

  it('passes an index', () => {
    expect(statuses(checkSinglePlatform(context(good, goodResolutions)))).toEqual(['- pass'])
  })
})

describe('duplicate-platform', () => {
  it('fails two entries for one platform, aliases included', () => {
    const second = image({declared: 'linux/arm64', name: 'arm64-again'})
    const results = checkDuplicatePlatform(context(index([amd64, arm64, second]), goodResolutions))
    expect(statuses(results)).toEqual(['linux/arm64 fail'])
    expect(results[0].message).toContain('2 different images')
  })

  it('fails entries of different platforms that tie for a required host', () => {
    const plain = image({declared: 'linux/arm64'})
    const featured = image({declared: 'linux/arm64', name: 'featured'})
    featured.descriptor.platform!.osFeatures = ['sve']
    const results = checkDuplicatePlatform(
      context(index([amd64, plain, featured]), [
        resolution('linux/amd64', 'ok', amd64),
        resolution('linux/arm64', 'ambiguous', plain, {message: '2 entries tie for linux/arm64.'}),
      ]),
    )
    expect(statuses(results)).toEqual(['linux/arm64 fail'])
    expect(results[0].message).toMatch(/^2 entries tie for linux\/arm64; which one a host gets depends on the client/)
  })

  it('does not count attestations or different Windows versions as duplicates', () => {
    const windows = (version: string) => {
      const node = image({declared: 'windows/amd64', name: `win-${version}`})
      node.descriptor.platform!.osVersion = version
      return node
    }
    const attestations = [
      image({attestationFor: amd64.descriptor.digest, name: 'att1'}),
      image({attestationFor: arm64.descriptor.digest, name: 'att2'}),
    ]
    const results = checkDuplicatePlatform(
      context(index([amd64, arm64, ...attestations, windows('10.0.17763.1'), windows('10.0.20348.1')]), goodResolutions),
    )
    expect(statuses(results)).toEqual(['- pass'])
  })
})

describe('unexpected-platform', () => {
  const s390x = image({declared: 'linux/s390x'})
  const artifact = {
    kind: 'other' as const,
    descriptor: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: 'sha256:' + 'f'.repeat(64),
      size: 10,
      artifactType: 'application/vnd.dev.sigstore.bundle+json',
    },
    note: 'artifact',
  }
  const tree = index([amd64, arm64, s390x, image({attestationFor: amd64.descriptor.digest, name: 'att'}), artifact])

  it('is skipped without --forbid-extra', () => {
    expect(statuses(checkUnexpectedPlatform(context(tree, goodResolutions)))).toEqual(['- skip'])
  })

  it('fails an entry outside the required set, not the attestation or an artifact, with --forbid-extra', () => {
    const results = checkUnexpectedPlatform(context(tree, goodResolutions, {forbidExtra: true}))
    expect(statuses(results)).toEqual(['linux/s390x fail'])
  })

  it('matches arm64/v8 entries to a linux/arm64 requirement', () => {
    expect(statuses(checkUnexpectedPlatform(context(good, goodResolutions, {forbidExtra: true})))).toEqual(['- pass'])
  })
})

describe('dangling-manifest', () => {
  it('fails an entry whose manifest the registry does not have', async () => {
    const gone = dangling('linux/arm64')
    const results = await checkDanglingManifest(context(index([amd64, gone]), goodResolutions, {}, fakeSource()))
    expect(statuses(results)).toEqual(['linux/arm64 fail'])
    expect(results[0].message).toContain('manifest unknown')
  })

  it('passes an artifact entry the tree read, without asking the registry again', async () => {
    const artifact = {...dangling('linux/arm64'), note: 'artifact of type application/vnd.example.sbom', missing: undefined}
    const source = fakeSource()
    expect(statuses(await checkDanglingManifest(context(index([amd64, artifact]), goodResolutions, {}, source)))).toEqual(['- pass'])
    expect(source.manifestHeads).toEqual([])
  })
})

describe('missing-blob', () => {
  it('is skipped without --blobs', async () => {
    expect(statuses(await checkMissingBlobs(context(good, goodResolutions)))).toEqual(['- skip'])
  })

  it('asks for each layer once, shared layers included, and fails the platform missing one', async () => {
    const shared = 'shared-base-layer'
    const a = image({declared: 'linux/amd64', layers: [shared, 'amd64-app']})
    const b = image({declared: 'linux/arm64', layers: [shared, 'arm64-app']})
    const tree = index([a, b])
    const present = allBlobs(tree).filter((digest) => digest !== b.layers[1].digest)
    const source = fakeSource({blobs: present})
    const results = await checkMissingBlobs(context(tree, [], {blobs: true}, source))
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 fail'])
    expect(results[1].message).toContain(`layer ${b.layers[1].digest.slice(0, 19)}`)
    expect(results[1].message).toContain('blob unknown')
    // Configs were read to build the tree: only the three distinct layers are asked for.
    expect(source.blobHeads.sort()).toEqual([a.layers[0].digest, a.layers[1].digest, b.layers[1].digest].sort())
  })

  it('only warns about a missing attestation blob', async () => {
    const attestation = image({attestationFor: amd64.descriptor.digest, name: 'att'})
    const tree = index([amd64, arm64, attestation])
    const source = fakeSource({blobs: allBlobs(tree).filter((digest) => digest !== attestation.layers[0].digest)})
    const results = await checkMissingBlobs(context(tree, [], {blobs: true}, source))
    expect(statuses(results)).toEqual(['linux/amd64 pass', 'linux/arm64 pass', '- warn'])
    expect(verdictOf(results)).toBe('pass')
    expect(verdictOf(results, true)).toBe('fail')
  })
})

describe('mixed-media-types', () => {
  it('warns about an OCI index pointing at Docker manifests', () => {
    const docker = image({declared: 'linux/arm64', mediaType: MediaType.dockerManifest})
    const results = checkMixedMediaTypes(context(index([amd64, docker]), []))
    expect(statuses(results)).toEqual(['- warn'])
    expect(results[0].message).toContain('the OCI index points at Docker manifests (linux/arm64)')
  })

  it('passes a Docker list of Docker manifests', () => {
    const tree = index(
      [
        image({declared: 'linux/amd64', mediaType: MediaType.dockerManifest}),
        image({declared: 'linux/arm64', mediaType: MediaType.dockerManifest}),
      ],
      MediaType.dockerList,
    )
    expect(statuses(checkMixedMediaTypes(context(tree, [])))).toEqual(['- pass'])
  })
})

describe('attestation-orphan', () => {
  it('warns about an attestation whose subject is not in the index', () => {
    const orphan = image({attestationFor: 'sha256:' + 'e'.repeat(64), name: 'orphan'})
    const kept = image({attestationFor: amd64.descriptor.digest, name: 'kept'})
    const results = checkAttestationOrphan(context(index([amd64, arm64, kept, orphan]), []))
    expect(statuses(results)).toEqual(['- warn'])
    expect(results[0].message).toContain('sha256:eeeeeeeeeeee')
  })
})

describe('digest-mismatch', () => {
  it('is skipped without an expected digest', () => {
    expect(statuses(checkDigestMismatch(context(good, [])))).toEqual(['- skip'])
  })

  it('passes the expected digest and fails another', () => {
    expect(statuses(checkDigestMismatch(context(good, [], {expectDigest: good.descriptor.digest})))).toEqual(['- pass'])
    const results = checkDigestMismatch(context(good, [], {expectDigest: 'sha256:' + '0'.repeat(64)}))
    expect(statuses(results)).toEqual(['- fail'])
    expect(results[0].message).toContain('not the expected sha256:000000000000')
  })
})

describe('nested indexes', () => {
  /** An index entry that is itself an index, declaring `declared` (or no platform). */
  const nested = (children: TreeNode[], declared?: string): IndexNode => {
    const node = index(children)
    if (declared) node.descriptor.platform = platform(declared)
    return node
  }
  const containerd = {client: 'containerd' as const}

  it('judges the images inside for containerd, which walks them, and nothing of them for docker', () => {
    const liar = image({declared: 'linux/arm64', config: 'linux/amd64', name: 'nested-liar'})
    const root = index([amd64, nested([liar], 'linux/arm64')])
    expect(statuses(checkConfigMismatch(context(root, goodResolutions, containerd)))).toEqual(['linux/amd64 pass', 'linux/arm64 fail'])
    expect(statuses(checkConfigMismatch(context(root, goodResolutions)))).toEqual(['linux/amd64 pass'])
  })

  it('finds a platform listed both beside and inside a nested index (containerd)', () => {
    const inner = image({declared: 'linux/amd64', name: 'nested-amd64'})
    const root = index([amd64, nested([inner])])
    const withContainerd = checkDuplicatePlatform(context(root, goodResolutions, containerd))
    expect(statuses(withContainerd)).toEqual(['linux/amd64 fail'])
    expect(statuses(checkDuplicatePlatform(context(root, goodResolutions)))).toEqual(['- pass'])
  })

  it('leaves out what no host reaches: an image the nested index’s own platform rules out', () => {
    // An arm64 host follows the arm64 index and takes arm/v7 (32-bit mode); no host follows it to s390x.
    const v7 = image({declared: 'linux/arm/v7', name: 'nested-v7'})
    const s390x = image({declared: 'linux/s390x', name: 'nested-s390x'})
    const root = index([amd64, nested([arm64, v7, s390x], 'linux/arm64')])
    const results = checkUnexpectedPlatform(context(root, goodResolutions, {...containerd, forbidExtra: true}))
    expect(statuses(results)).toEqual(['linux/arm/v7 fail'])
    // An amd64 host does not follow an arm64 index, so its amd64 image is no duplicate of the top one.
    const hidden = image({declared: 'linux/amd64', name: 'hidden-amd64'})
    const duplicates = checkDuplicatePlatform(context(index([amd64, nested([hidden], 'linux/arm64')]), goodResolutions, containerd))
    expect(statuses(duplicates)).toEqual(['- pass'])
  })

  it('never counts a nested index as a platform of its own for a client that does not look inside', () => {
    const root = index([amd64, arm64, nested([image({declared: 'linux/s390x', name: 'x'})], 'linux/s390x')])
    expect(statuses(checkUnexpectedPlatform(context(root, goodResolutions, {forbidExtra: true})))).toEqual(['- pass'])
  })
})
