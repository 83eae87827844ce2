import {describe, expect, it} from 'vitest'

import {MediaType} from '../../src/oci/media-types.js'
import type {ImageTree, IndexNode} from '../../src/oci/types.js'
import {clientModelName, podmanWantedPlatforms} from '../../src/engine/resolve/clients.js'
import {ociArchitecture} from '../../src/oci/platform/host.js'
import {formatPlatform} from '../../src/oci/platform/normalize.js'
import {resolveForHost} from '../../src/engine/resolve/resolve.js'
import {attestation, digest, image, platform, tree, windows} from './platform-trees.js'

const chosenPlatform = (t: ImageTree, host: string, client: Parameters<typeof resolveForHost>[2] = 'docker') => {
  const r = resolveForHost(t, host, client)
  return r.chosen ? formatPlatform(r.candidates.find((c) => c.rank === 1)!.platform!) : undefined
}

describe('resolveForHost: docker (containerd matcher + moby)', () => {
  const amd64 = image('linux/amd64')
  const arm64 = image('linux/arm64')
  const att = attestation(amd64)
  const both = tree([amd64, arm64, att])

  it('gives each default host its own image, natively', () => {
    const onAmd = resolveForHost(both, 'linux/amd64')
    expect(onAmd.verdict).toBe('ok')
    expect(onAmd.chosen).toBe(amd64)
    expect(onAmd.message).toMatch(/runs natively/)
    const onArm = resolveForHost(both, 'linux/arm64')
    expect(onArm.verdict).toBe('ok')
    expect(onArm.chosen).toBe(arm64)
  })

  it('never chooses an attestation and says why', () => {
    const r = resolveForHost(both, 'linux/amd64')
    const c = r.candidates[2]
    expect(c.accepted).toBe(false)
    expect(c.reason).toMatch(/attestation manifest/)
    expect(r.candidates[0]).toMatchObject({accepted: true, rank: 1})
    expect(r.candidates[1]).toMatchObject({accepted: false})
    expect(r.candidates[1].reason).toMatch(/linux\/arm64 does not run on linux\/amd64/)
  })

  it('never chooses an unknown/unknown entry even without the attestation annotation', () => {
    const t = tree([image('unknown/unknown', 'linux/amd64')])
    const r = resolveForHost(t, 'linux/amd64')
    expect(r.verdict).toBe('no-match')
    expect(r.candidates[0].reason).toMatch(/unknown\/unknown/)
  })

  it('never chooses an entry annotated as an attestation, even one naming no subject and declaring a real platform', () => {
    const r = resolveForHost(tree([image('linux/amd64', 'linux/amd64', {attestationFor: ''})]), 'linux/amd64')
    expect(r.verdict).toBe('no-match')
    expect(r.candidates[0].reason).toBe('attestation manifest: never pulled as an image')
  })

  it('refuses a list without the host, with Docker’s own message', () => {
    const r = resolveForHost(tree([image('linux/amd64'), image('linux/s390x')], MediaType.dockerList), 'linux/arm64')
    expect(r.verdict).toBe('no-match')
    expect(r.chosen).toBeUndefined()
    expect(r.clientMessage).toBe('no matching manifest for linux/arm64/v8 in the manifest list entries')
    expect(r.message).toMatch(/linux\/amd64, linux\/s390x/)
  })

  it('falls back to arm/v7 on arm64 and to 386 on amd64, saying 32-bit support may be missing', () => {
    const t = tree([image('linux/386'), image('linux/arm/v6'), image('linux/arm/v7')])
    const arm = resolveForHost(t, 'linux/arm64')
    expect(arm.verdict).toBe('fallback')
    expect(chosenPlatform(t, 'linux/arm64')).toBe('linux/arm/v7')
    expect(arm.message).toMatch(/linux\/arm\/v7.*32-bit.*some CPUs lack 32-bit support/)
    const amd = resolveForHost(t, 'linux/amd64')
    expect(amd.verdict).toBe('fallback')
    expect(chosenPlatform(t, 'linux/amd64')).toBe('linux/386')
  })

  it('takes the best arm variant the host runs', () => {
    const t = tree([image('linux/arm/v5'), image('linux/arm/v7'), image('linux/arm/v6')])
    expect(chosenPlatform(t, 'linux/arm/v7')).toBe('linux/arm/v7')
    expect(resolveForHost(t, 'linux/arm/v7').verdict).toBe('ok')
    expect(chosenPlatform(t, 'linux/arm/v6')).toBe('linux/arm/v6')
    const v8 = resolveForHost(t, 'linux/arm/v8')
    expect(chosenPlatform(t, 'linux/arm/v8')).toBe('linux/arm/v7')
    expect(v8.verdict).toBe('fallback')
    expect(v8.message).toMatch(/older variant/)
  })

  it('prefers amd64/v3 on a v3 host, and plain amd64 hosts never take v2/v3', () => {
    const t = tree([image('linux/amd64/v3'), image('linux/amd64/v2')])
    expect(chosenPlatform(t, 'linux/amd64/v3')).toBe('linux/amd64/v3')
    expect(chosenPlatform(t, 'linux/amd64/v4')).toBe('linux/amd64/v3')
    expect(resolveForHost(t, 'linux/amd64').verdict).toBe('no-match')
  })

  it('treats arm64 and arm64/v8 as the same platform: two different digests are ambiguous', () => {
    const plain = image('linux/arm64')
    const v8 = image('linux/arm64/v8')
    const r = resolveForHost(tree([image('linux/amd64'), plain, v8]), 'linux/arm64')
    expect(r.verdict).toBe('ambiguous')
    expect(r.chosen).toBe(plain)
    expect(r.tiedWith).toEqual([v8.descriptor.digest])
    expect(r.message).toMatch(/2 entries tie for linux\/arm64.*takes the first in index order/)
  })

  it('does not call two entries with the same digest ambiguous', () => {
    const a = image('linux/amd64')
    const again = image('linux/amd64', 'linux/amd64', {descriptor: {...a.descriptor}})
    expect(resolveForHost(tree([a, again]), 'linux/amd64').verdict).toBe('ok')
  })

  it('flags an entry whose config is for another architecture', () => {
    const liar = image('linux/arm64', 'linux/amd64')
    const r = resolveForHost(tree([image('linux/amd64'), liar]), 'linux/arm64')
    expect(r.chosen).toBe(liar)
    expect(r.verdict).toBe('wrong-arch')
    expect(r.message).toMatch(/config says linux\/amd64.*exec format error/)
  })

  it('judges an entry without a platform by its config', () => {
    const bare = image(undefined, 'linux/arm64')
    const r = resolveForHost(tree([image('linux/amd64'), bare]), 'linux/arm64')
    expect(r.chosen).toBe(bare)
    expect(r.verdict).toBe('ok')
    expect(r.candidates[1].reason).toMatch(/judged by its config/)
  })

  it('puts entries without a platform after every entry with one, as containerd’s index handlers sort them', () => {
    const bare = image(undefined, 'linux/amd64')
    const declared = image('linux/386')
    for (const client of ['docker', 'containerd'] as const) {
      const r = resolveForHost(tree([bare, declared]), 'linux/amd64', client)
      expect(r.chosen, client).toBe(declared)
      expect(r.verdict).toBe('fallback')
    }
    // Two of them keep index order, neither preferred by its config's platform.
    const bare386 = image(undefined, 'linux/386')
    expect(resolveForHost(tree([bare386, bare]), 'linux/amd64', 'containerd').chosen).toBe(bare386)
  })

  it('pulls a single-platform image whatever its platform, with Docker’s warning', () => {
    const single: ImageTree = {reference: 'registry.test/app:amd64', root: image(undefined, 'linux/amd64')}
    const r = resolveForHost(single, 'linux/arm64')
    expect(r.verdict).toBe('wrong-arch')
    expect(r.clientMessage).toBe(
      "The requested image's platform (linux/amd64) does not match the detected host platform (linux/arm64/v8) and no specific platform was requested",
    )
    expect(r.message).toMatch(/single linux\/amd64 image.*exec format error/)
    const native = resolveForHost(single, 'linux/amd64')
    expect(native.verdict).toBe('ok')
    expect(native.clientMessage).toBeUndefined()
  })

  it('applies moby’s arm last resort: any arm variant when none fits', () => {
    const v7 = image('linux/arm/v7')
    const r = resolveForHost(tree([image('linux/amd64'), v7]), 'linux/arm/v6')
    expect(r.chosen).toBe(v7)
    expect(r.verdict).toBe('wrong-arch')
    expect(r.message).toMatch(
      /takes linux\/arm\/v7 as a last resort \(no entry fits linux\/arm\/v6\), a newer variant.*illegal instruction/,
    )
    expect(r.candidates[1].reason).toMatch(/last resort/)
    expect(resolveForHost(tree([image('linux/amd64'), v7]), 'linux/arm/v6', 'containerd').verdict).toBe('no-match')
  })

  it('prefers the newest compatible Windows build and rejects incompatible ones', () => {
    const t = tree([windows('10.0.17763.5458'), windows('10.0.20348.2113'), windows('10.0.26100.1742'), image('linux/amd64')])
    expect(resolveForHost(t, 'windows(10.0.26100)/amd64').chosen?.descriptor.platform?.osVersion).toBe('10.0.26100.1742')
    expect(resolveForHost(t, 'windows(10.0.22621)/amd64').chosen?.descriptor.platform?.osVersion).toBe('10.0.20348.2113')
    const ltsc2019 = resolveForHost(t, 'windows(10.0.17763)/amd64')
    expect(ltsc2019.chosen?.descriptor.platform?.osVersion).toBe('10.0.17763.5458')
    expect(ltsc2019.verdict).toBe('ok')
    expect(resolveForHost(t, 'windows(10.0.19041)/amd64').verdict).toBe('no-match')
    expect(resolveForHost(t, 'windows(10.0.19041)/amd64').clientMessage).toBe(
      'no matching manifest for windows(10.0.19041)/amd64 in the manifest list entries',
    )
  })
})

describe('resolveForHost: Windows builds', () => {
  it('gives no emulation hint for an image of another operating system', () => {
    const single: ImageTree = {reference: 'registry.test/app:1', root: image(undefined, 'linux/amd64')}
    const r = resolveForHost(single, 'windows(10.0.20348)/amd64')
    expect(r.verdict).toBe('wrong-arch')
    expect(r.message).toMatch(/a windows host cannot run a linux image, and no emulation makes it/)
    expect(r.message).not.toMatch(/QEMU/)
  })

  it('judges a single Windows image of a build the host cannot run as wrong-arch, not ok', () => {
    const single: ImageTree = {reference: 'registry.test/win:1', root: windows('10.0.17763.5458')}
    const r = resolveForHost(single, 'windows(10.0.20348)/amd64')
    expect(r.chosen).toBe(single.root)
    expect(r.verdict).toBe('wrong-arch')
    expect(r.message).toMatch(/single Windows 10\.0\.17763\.5458 image.*Windows 10\.0\.20348 host cannot run that build.*Hyper-V/)
    expect(r.clientMessage).toMatch(/does not match the detected host platform/)
    // A build the host runs, or a host of unknown build, stays ok.
    expect(resolveForHost({reference: 'r/w:1', root: windows('10.0.20348.1')}, 'windows(10.0.26100)/amd64').verdict).toBe('ok')
    expect(resolveForHost(single, 'windows/amd64').verdict).toBe('ok')
  })

  it('judges an entry whose config names a build the host cannot run as wrong-arch', () => {
    const entry = windows('10.0.20348.2113')
    entry.config.osVersion = '10.0.17763.1'
    const r = resolveForHost(tree([entry]), 'windows(10.0.20348)/amd64')
    expect(r.verdict).toBe('wrong-arch')
    expect(r.message).toMatch(/config says Windows 10\.0\.17763\.1/)
  })

  it('orders Windows entries by os.version as a string, as containerd does', () => {
    const t = tree([windows('10.0.20348.2113'), windows('10.0.20348.999')])
    expect(resolveForHost(t, 'windows(10.0.20348)/amd64').chosen?.descriptor.platform?.osVersion).toBe('10.0.20348.999')
    expect(resolveForHost(t, 'windows(10.0.20348)/amd64', 'containerd').chosen?.descriptor.platform?.osVersion).toBe('10.0.20348.999')
  })

  it('never takes a windows/386 entry on a windows/amd64 host', () => {
    const t = tree([image('windows/386', 'windows/386')])
    expect(resolveForHost(t, 'windows/amd64').verdict).toBe('no-match')
  })
})

describe('resolveForHost: os.features', () => {
  it('takes an entry with features only on a host that has them, and prefers it there', () => {
    const plain = image('linux/amd64')
    const gpu = image('linux/amd64')
    gpu.descriptor.platform = {os: 'linux', architecture: 'amd64', osFeatures: ['gpu']}
    const t = tree([plain, gpu])
    expect(resolveForHost(t, 'linux/amd64', 'containerd').chosen).toBe(plain)
    const r = resolveForHost(t, 'linux(+gpu)/amd64', 'containerd')
    expect(r.chosen).toBe(gpu)
    expect(r.verdict).toBe('ok')
    expect(resolveForHost(tree([gpu]), 'linux/amd64', 'containerd').verdict).toBe('no-match')
  })
})

describe('resolveForHost: docker@20.10', () => {
  it('matches exactly: no arm64→arm, amd64→386 or arm/v7→v6 fallback, and says so in its own words', () => {
    const t = tree([image('linux/arm/v6'), image('linux/386')])
    for (const host of ['linux/arm64', 'linux/amd64', 'linux/arm/v7']) {
      const r = resolveForHost(t, host, 'docker@20.10')
      // On arm/v7 only moby's last resort (any arm entry) gets it the v6 image.
      expect(r.verdict, host).toBe(host === 'linux/arm/v7' ? 'fallback' : 'no-match')
    }
    expect(resolveForHost(t, 'linux/arm/v7', 'docker@20.10').candidates[0].reason).toMatch(/last resort/)
    const refusal = resolveForHost(t, 'linux/arm64', 'docker@20.10').clientMessage
    expect(refusal).toBe('no matching manifest for linux/arm64 in the manifest list entries')
    expect(resolveForHost(t, 'linux/arm64', 'docker').verdict).toBe('fallback')
  })

  it('takes the first exact entry in index order, and the first arm entry as a last resort', () => {
    const v8 = image('linux/arm64/v8')
    const plain = image('linux/arm64')
    const r = resolveForHost(tree([v8, plain]), 'linux/arm64', 'docker@20.10')
    expect(r.chosen).toBe(v8)
    expect(r.verdict).toBe('ambiguous')
    const v5 = image('linux/arm/v5')
    const v7 = image('linux/arm/v7')
    const arm = resolveForHost(tree([v5, v7]), 'linux/arm/v8', 'docker@20.10')
    expect(arm.chosen).toBe(v5)
    expect(resolveForHost(tree([v5, v7]), 'linux/arm/v8', 'docker').chosen).toBe(v7)
  })

  it('ignores entries without a platform', () => {
    expect(resolveForHost(tree([image(undefined, 'linux/amd64')]), 'linux/amd64', 'docker@20.10').verdict).toBe('no-match')
  })
})

describe('client aliases', () => {
  it.each([
    ['kubernetes', 'containerd'],
    ['cri', 'containerd'],
    ['nerdctl', 'containerd'],
    ['cri-o', 'podman'],
    ['buildah', 'podman'],
    ['skopeo', 'podman'],
    ['docker@20.10', 'docker@20.10'],
    ['docker', 'docker'],
  ])('%s is the %s model', (alias, model) => {
    expect(clientModelName(alias)).toBe(model)
  })

  it('knows no other names', () => {
    expect(clientModelName('rkt')).toBeUndefined()
    expect(clientModelName('toString')).toBeUndefined()
  })
})

describe('resolveForHost: containerd', () => {
  it('pulls a single image of another platform without a warning (as ctr 1.6 does)', () => {
    const single: ImageTree = {reference: 'registry.test/app:amd64', root: image(undefined, 'linux/amd64')}
    const r = resolveForHost(single, 'linux/arm64', 'containerd')
    expect(r.verdict).toBe('wrong-arch')
    expect(r.clientMessage).toBeUndefined()
  })

  it('falls back like docker, and refuses with its own message', () => {
    const t = tree([image('linux/arm/v7')])
    expect(resolveForHost(t, 'linux/arm64', 'containerd').verdict).toBe('fallback')
    const amd = tree([image('linux/amd64')])
    expect(resolveForHost(amd, 'linux/arm64', 'containerd').clientMessage).toBe(
      `no match for platform in manifest ${amd.root.descriptor.digest}: not found`,
    )
  })
})

describe('resolveForHost: nested indexes', () => {
  const arm64 = image('linux/arm64')
  const nested: IndexNode = {
    kind: 'index',
    descriptor: {mediaType: MediaType.ociIndex, digest: digest(), size: 300},
    children: [image('linux/arm/v7'), arm64],
  }
  const t = tree([image('linux/amd64'), nested])

  it('containerd walks a nested index and lists its entries', () => {
    const r = resolveForHost(t, 'linux/arm64', 'containerd')
    expect(r.chosen).toBe(arm64)
    expect(r.verdict).toBe('ok')
    expect(r.candidates.map((c) => c.reason)).toEqual([
      'linux/amd64 does not run on linux/arm64',
      'a nested index: its entries follow',
      'containerd falls back to it: 32-bit mode',
      'matches linux/arm64',
    ])
  })

  it('docker does not look inside', () => {
    const r = resolveForHost(t, 'linux/arm64', 'docker')
    expect(r.verdict).toBe('no-match')
    expect(r.candidates[1].reason).toMatch(/nested index: Docker does not look inside/)
  })

  it('containerd skips a nested index declared for another platform', () => {
    const declared: IndexNode = {...nested, descriptor: {...nested.descriptor, platform: platform('linux/s390x')}}
    expect(resolveForHost(tree([declared]), 'linux/arm64', 'containerd').verdict).toBe('no-match')
  })
})

describe('resolveForHost: podman (containers/image)', () => {
  it('wants variants in containers/image order', () => {
    const wanted = (spec: string) => podmanWantedPlatforms(platform(spec)).map(formatPlatform)
    expect(wanted('linux/arm/v7')).toEqual(['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5', 'linux/arm'])
    expect(wanted('linux/arm/v6')).toEqual(['linux/arm/v6', 'linux/arm/v5', 'linux/arm'])
    expect(wanted('linux/arm64')).toEqual(['linux/arm64', 'linux/arm64/v8'])
    expect(wanted('linux/amd64')).toEqual(['linux/amd64'])
    expect(wanted('linux/amd64/v3')).toEqual(['linux/amd64/v3', 'linux/amd64'])
  })

  it('does not fall back from arm64 to arm or from amd64 to 386', () => {
    const t = tree([image('linux/386'), image('linux/arm/v7')], MediaType.dockerList)
    const arm = resolveForHost(t, 'linux/arm64', 'podman')
    expect(arm.verdict).toBe('no-match')
    expect(arm.clientMessage).toBe('no image found in manifest list for architecture arm64, variant "", OS linux')
    expect(arm.candidates[1].reason).toMatch(/does not fall back/)
    expect(resolveForHost(t, 'linux/amd64', 'podman').verdict).toBe('no-match')
  })

  it('takes plain arm64 before arm64/v8, and arm with no variant after v5', () => {
    const v8 = image('linux/arm64/v8')
    const plain = image('linux/arm64')
    expect(resolveForHost(tree([v8, plain]), 'linux/arm64', 'podman').chosen).toBe(plain)
    const bare = image('linux/arm', 'linux/arm')
    const v5 = image('linux/arm/v5')
    expect(resolveForHost(tree([bare, v5]), 'linux/arm/v7', 'podman').chosen).toBe(v5)
  })

  it('uses an entry without a platform only as the last resort', () => {
    const bare = image(undefined, 'linux/arm64')
    const r = resolveForHost(tree([image('linux/amd64'), bare]), 'linux/s390x', 'podman')
    expect(r.chosen).toBe(bare)
    expect(r.verdict).toBe('wrong-arch')
    expect(resolveForHost(tree([bare, image('linux/arm64')]), 'linux/arm64', 'podman').chosen).not.toBe(bare)
  })
})

describe('resolveForHost: exact (crane, oras)', () => {
  it('matches os/arch exactly and the variant only when given', () => {
    const v8 = image('linux/arm64/v8')
    const t = tree([image('linux/arm/v7'), v8])
    expect(resolveForHost(t, 'linux/arm64', 'exact').chosen).toBe(v8)
    expect(resolveForHost(t, 'linux/arm64/v8.2', 'exact').verdict).toBe('no-match')
    const r = resolveForHost(tree([image('linux/386')]), 'linux/amd64', 'exact')
    expect(r.verdict).toBe('no-match')
    expect(r.clientMessage).toBe('no child with platform linux/amd64 in index registry.test/app:1')
  })

  it('calls several entries of the host’s os/arch ambiguous', () => {
    const r = resolveForHost(tree([image('linux/amd64'), image('linux/amd64')]), 'linux/amd64', 'exact')
    expect(r.verdict).toBe('ambiguous')
    const newer = resolveForHost(tree([image('linux/amd64/v3'), image('linux/amd64')]), 'linux/amd64', 'exact')
    expect(newer.verdict).toBe('wrong-arch')
    expect(newer.message).toMatch(/takes linux\/amd64\/v3, a newer variant than linux\/amd64 supports/)
  })
})

describe('resolveForHost: input', () => {
  it('rejects an unknown client and a bad host', () => {
    const t = tree([image('linux/amd64')])
    expect(() => resolveForHost(t, 'linux/amd64', 'nerdctl' as never)).toThrow(/unknown client "nerdctl"/)
    expect(() => resolveForHost(t, 'linux//amd64')).toThrow(/invalid platform/)
  })

  it('accepts native: this machine’s OS and architecture', () => {
    const {host} = resolveForHost(tree([image('linux/amd64')]), 'native')
    expect([host.os, host.architecture]).toEqual([
      process.platform === 'win32' ? 'windows' : process.platform,
      ociArchitecture(process.arch),
    ])
  })
})
