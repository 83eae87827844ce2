import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/oci/errors.js'
import {armVariantFromCpuinfo, nativePlatform, ociArchitecture} from '../../src/oci/platform/host.js'
import {
  comparePlatforms,
  compatiblePlatforms,
  matchRank,
  PlatformMatching,
  platformMatches,
  toHostPlatform,
  windowsVersionCompatible,
} from '../../src/oci/platform/match.js'
import {formatAll, formatPlatform, normalizePlatform} from '../../src/oci/platform/normalize.js'
import {parsePlatform} from '../../src/oci/platform/parse.js'
import type {Platform} from '../../src/oci/platform/types.js'

const p = (spec: string): Platform => {
  const [os, architecture, variant] = spec.split('/')
  return {os, architecture, ...(variant ? {variant} : {})}
}
const chain = (host: string) => compatiblePlatforms(parsePlatform(host)).map(formatPlatform)

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['Linux/X86_64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux/x86_64/v1', 'linux/amd64'],
    ['linux/AMD64/V3', 'linux/amd64/v3'],
    ['linux/amd64/v3', 'linux/amd64/v3'],
    ['linux/i386', 'linux/386'],
    ['linux/i386/v2', 'linux/386'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm64/8', 'linux/arm64'],
    ['linux/arm64/v8.0', 'linux/arm64'],
    ['linux/arm64/v8.2', 'linux/arm64/v8.2'],
    ['linux/arm64/9', 'linux/arm64/v9'],
    ['linux/arm64/9.0', 'linux/arm64/v9'],
    ['linux/aarch64/v9.2', 'linux/arm64/v9.2'],
    ['linux/arm64/v9.0', 'linux/arm64/v9'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/arm/5', 'linux/arm/v5'],
    ['linux/arm/8', 'linux/arm/v8'],
    ['macos/arm64', 'darwin/arm64'],
    ['linux/riscv64', 'linux/riscv64'],
  ])('%s, normalised, is %s', (spec, expected) => {
    expect(formatPlatform(normalizePlatform(parsePlatform(spec)))).toBe(expected)
  })

  // containerd/platforms TestParseSelector: Parse is a selector parser. Which variant it keeps as
  // written differs from Normalize: `arm` (v7 implied) keeps none, `arm64/v8` keeps v8, `armel` is v6.
  it.each<[string, Platform, string]>([
    ['linux/arm64', {os: 'linux', architecture: 'arm64'}, 'linux/arm64'],
    ['linux/arm64/v8', {os: 'linux', architecture: 'arm64', variant: 'v8'}, 'linux/arm64/v8'],
    ['linux/arm', {os: 'linux', architecture: 'arm'}, 'linux/arm'],
    ['linux/arm/v6', {os: 'linux', architecture: 'arm', variant: 'v6'}, 'linux/arm/v6'],
    ['linux/arm/v7', {os: 'linux', architecture: 'arm', variant: 'v7'}, 'linux/arm/v7'],
    ['Linux/x86_64', {os: 'linux', architecture: 'amd64'}, 'linux/amd64'],
    ['linux/s390x', {os: 'linux', architecture: 's390x'}, 'linux/s390x'],
  ])('parses %s as containerd does (TestParseSelector)', (spec, expected, formatted) => {
    expect(parsePlatform(spec)).toEqual(expected)
    expect(formatPlatform(parsePlatform(spec))).toBe(formatted)
    // The formatted selector reads back to itself.
    expect(formatPlatform(parsePlatform(formatted))).toBe(formatted)
    // Its matcher takes the selector itself (NewMatcher(p).Match(expected)).
    expect(platformMatches(parsePlatform(spec), expected, {strict: true})).toBe(true)
  })

  it('matches what each selector matches in TestParseSelector', () => {
    for (const image of [p('linux/aarch64'), p('linux/aarch64/v8'), p('linux/arm64/v8')]) {
      expect(platformMatches('linux/arm64', image, {strict: true})).toBe(true)
    }
    for (const image of [p('linux/aarch64'), p('linux/aarch64/v8'), p('linux/arm64')]) {
      expect(platformMatches('linux/arm64/v8', image, {strict: true})).toBe(true)
    }
    for (const image of [p('linux/arm/v7'), p('linux/armhf'), p('linux/arm/7')]) {
      expect(platformMatches('linux/arm', image, {strict: true})).toBe(true)
    }
    expect(platformMatches('linux/arm/v6', p('linux/armel'), {strict: true})).toBe(true)
    for (const image of [p('linux/arm'), p('linux/armhf')]) {
      expect(platformMatches('linux/arm/v7', image, {strict: true})).toBe(true)
    }
  })

  it('fills a lone OS with this machine’s architecture and a lone architecture with its OS (TestParseSelector)', () => {
    const host = nativePlatform()
    // Only an arm machine's variant is filled in, and not when it is the implied v7.
    const variant = host.architecture === 'arm' && host.variant !== 'v7' ? {variant: host.variant} : {}
    expect(parsePlatform('linux')).toEqual({os: 'linux', architecture: host.architecture, ...variant})
    expect(parsePlatform('macOS')).toEqual({os: 'darwin', architecture: host.architecture, ...variant})
    expect(parsePlatform('windows')).toEqual({os: 'windows', architecture: host.architecture, ...variant})
    expect(parsePlatform('windows()')).toEqual({os: 'windows', architecture: host.architecture, ...variant})
    expect(parsePlatform('arm')).toEqual({os: host.os, architecture: 'arm'})
    expect(parsePlatform('armel')).toEqual({os: host.os, architecture: 'arm', variant: 'v6'})
    expect(parsePlatform('armhf')).toEqual({os: host.os, architecture: 'arm'})
    expect(parsePlatform('Aarch64')).toEqual({os: host.os, architecture: 'arm64'})
    expect(parsePlatform('x86_64')).toEqual({os: host.os, architecture: 'amd64'})
    expect(parsePlatform('i386')).toEqual({os: host.os, architecture: '386'})
    expect(parsePlatform('s390x')).toEqual({os: host.os, architecture: 's390x'})
  })

  it('reads an OS version and features, features in the order written (TestParseSelector)', () => {
    expect(parsePlatform('windows(10.0.20348)/amd64')).toEqual({os: 'windows', architecture: 'amd64', osVersion: '10.0.20348'})
    const win32k = {os: 'windows', architecture: 'amd64', osVersion: '10.0.17763', osFeatures: ['win32k']}
    expect(parsePlatform('windows(10.0.17763+win32k)/amd64')).toEqual(win32k)
    expect(parsePlatform('linux(+gpu)/amd64')).toEqual({os: 'linux', architecture: 'amd64', osFeatures: ['gpu']})
    expect(parsePlatform('linux(+gpu+simd)/amd64').osFeatures).toEqual(['gpu', 'simd'])
    expect(parsePlatform('linux(+unsorted+erofs)/amd64').osFeatures).toEqual(['unsorted', 'erofs'])
    expect(parsePlatform('windows(10.0.17763%2Bbuild.42)/amd64').osVersion).toBe('10.0.17763+build.42')
    const escaped = parsePlatform('windows(10.0.17763%2Bbuild.42+win32k)/amd64')
    expect(escaped).toMatchObject({osVersion: '10.0.17763+build.42', osFeatures: ['win32k']})
    expect(parsePlatform('windows(50%25done)/amd64').osVersion).toBe('50%done')
  })

  it.each([
    ['', /empty part/],
    ['linux/', /empty part/],
    ['/amd64', /empty part/],
    ['linux//amd64', /empty part/],
    ['linux/arm/v7/extra', /too many parts/],
    ['linux/amd64 ', /spaces/],
    ['linux/ amd64', /spaces/],
    ['linux/*', /wildcards/],
    ['*', /wildcards/],
    ['linux/amd64/v@', /characters/],
    ['li:nux/amd64', /not an OS name/],
    ['potato', /neither a known OS nor a known architecture/],
    // containerd/platforms TestParseSelectorInvalid
    ['/linux/arm', /empty part/],
    ['linux/arm/', /empty part/],
    ['linux /arm', /spaces/],
    ['linux/&arm', /characters/],
    ['linux/arm/foo/bar', /too many parts/],
    // Parse's own rules: an empty feature (refused by the OS syntax), a bad %-escape, parentheses on a lone architecture.
    ['linux(+a++b)/amd64', /not an OS name/],
    ['windows(10%zz)/amd64', /bad %-escape/],
    ['arm64(1.0)', /neither a known OS nor a known architecture/],
  ])('rejects %j', (spec, message) => {
    expect(() => parsePlatform(spec)).toThrow(UsageError)
    expect(() => parsePlatform(spec)).toThrow(message)
  })
})

describe('formatPlatform and formatAll', () => {
  // containerd/platforms TestFormatAllEncoding: each also reads back through parsePlatform.
  it.each<[Platform, string]>([
    [{os: 'windows', osVersion: '10.0.17763+build.42', architecture: 'amd64'}, 'windows(10.0.17763%2Bbuild.42)/amd64'],
    [
      {os: 'windows', osVersion: '10.0.17763+build.42', osFeatures: ['win32k'], architecture: 'amd64'},
      'windows(10.0.17763%2Bbuild.42+win32k)/amd64',
    ],
    [{os: 'windows', osVersion: '50%done', architecture: 'amd64'}, 'windows(50%25done)/amd64'],
    [{os: 'windows', osVersion: '1.0(beta)', architecture: 'amd64'}, 'windows(1.0%28beta%29)/amd64'],
    [{os: 'windows', osVersion: 'a/b', architecture: 'amd64'}, 'windows(a%2Fb)/amd64'],
    [{os: 'windows', osVersion: '10.0.17763', architecture: 'amd64'}, 'windows(10.0.17763)/amd64'],
    [{os: 'linux', osFeatures: ['feat+v2'], architecture: 'amd64'}, 'linux(+feat%2Bv2)/amd64'],
    [{os: 'linux', osFeatures: ['100%gpu'], architecture: 'amd64'}, 'linux(+100%25gpu)/amd64'],
    [{os: 'windows', osVersion: '10.0+build', osFeatures: ['feat+1'], architecture: 'amd64'}, 'windows(10.0%2Bbuild+feat%2B1)/amd64'],
  ])('formatAll(%j) is %s and reads back', (platform, expected) => {
    expect(formatAll(platform)).toBe(expected)
    const reparsed = parsePlatform(expected)
    expect(reparsed.osVersion).toBe(platform.osVersion)
    expect(reparsed.osFeatures).toEqual(platform.osFeatures)
  })

  it('prints features sorted, without empty ones or repeats (TestFormatAllSkipsEmptyOSFeatures, TestParseSelector)', () => {
    expect(formatAll({os: 'linux', architecture: 'amd64', osFeatures: ['', 'gpu', '', 'simd']})).toBe('linux(+gpu+simd)/amd64')
    expect(formatAll(parsePlatform('linux(+unsorted+erofs)/amd64'))).toBe('linux(+erofs+unsorted)/amd64')
    expect(formatAll({os: 'linux', architecture: 'amd64', osFeatures: ['b', 'a', 'b']})).toBe('linux(+a+b)/amd64')
    expect(formatAll(parsePlatform('windows()/amd64'))).toBe('windows/amd64')
  })

  it('prints `unknown` for a platform without an OS, and Format leaves os.version out', () => {
    expect(formatPlatform({os: '', architecture: 'amd64'})).toBe('unknown')
    expect(formatAll({os: '', architecture: 'amd64', osVersion: '1'})).toBe('unknown')
    expect(formatPlatform(parsePlatform('windows(10.0.17763+win32k)/amd64'))).toBe('windows/amd64')
  })
})

describe('normalizePlatform', () => {
  it('gives an empty OS the OS of the machine running the code, as Normalize does (runtime.GOOS)', () => {
    expect(normalizePlatform({os: '', architecture: 'amd64'}).os).toBe(nativePlatform().os)
  })

  it('keeps os.version and sorts os.features without repeats', () => {
    expect(normalizePlatform({os: 'Windows', architecture: 'AMD64', osVersion: '10.0.1', osFeatures: ['b', 'a', 'b']})).toEqual({
      os: 'windows',
      architecture: 'amd64',
      osVersion: '10.0.1',
      osFeatures: ['a', 'b'],
    })
  })
})

describe('host detection', () => {
  it('maps Node architectures to OCI ones', () => {
    expect(ociArchitecture('x64')).toBe('amd64')
    expect(ociArchitecture('ia32')).toBe('386')
    expect(ociArchitecture('arm64')).toBe('arm64')
    expect(ociArchitecture('mipsel')).toBe('mipsle')
  })

  it.each([
    ['processor\t: 0\nCPU architecture: 8\n', 'arm64', 'v8'],
    ['CPU architecture: AArch64\n', 'arm64', 'v8'],
    ['CPU architecture: 7\n', 'arm', 'v7'],
    ['CPU architecture: ?(12)\n', 'arm', 'v7'],
    ['model name\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7\n', 'arm', 'v6'],
    ['CPU architecture: 5TEJ\n', 'arm', 'v5'],
    ['flags\t\t: fpu vme\n', 'arm', undefined],
  ])('reads the ARM variant from cpuinfo %j', (cpuinfo, arch, variant) => {
    expect(armVariantFromCpuinfo(cpuinfo, arch)).toBe(variant)
  })

  it('describes this machine', () => {
    const host = nativePlatform()
    expect(host.os).toBe(process.platform === 'win32' ? 'windows' : process.platform)
    expect(host.architecture).toBe(ociArchitecture(process.arch))
    expect(platformMatches('native', host, {strict: true})).toBe(true)
  })
})

describe('fallback chains', () => {
  it.each([
    ['linux/amd64', ['linux/amd64', 'linux/386']],
    ['linux/amd64/v2', ['linux/amd64/v2', 'linux/amd64', 'linux/386']],
    ['linux/amd64/v4', ['linux/amd64/v4', 'linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386']],
    ['linux/386', ['linux/386']],
    ['linux/arm/v8', ['linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']],
    ['linux/arm', ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']],
    ['linux/arm/v6', ['linux/arm/v6', 'linux/arm/v5']],
    ['linux/arm/v5', ['linux/arm/v5']],
    ['linux/arm64', ['linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']],
    [
      'linux/arm64/v8.2',
      ['linux/arm64/v8.2', 'linux/arm64/v8.1', 'linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5'],
    ],
    [
      'linux/arm64/v9',
      [
        'linux/arm64/v9',
        'linux/arm64/v8.5',
        'linux/arm64/v8.4',
        'linux/arm64/v8.3',
        'linux/arm64/v8.2',
        'linux/arm64/v8.1',
        'linux/arm64',
        'linux/arm/v8',
        'linux/arm/v7',
        'linux/arm/v6',
        'linux/arm/v5',
      ],
    ],
    ['linux/s390x', ['linux/s390x']],
  ])('%s accepts, in order, %j', (host, expected) => {
    expect(chain(host)).toEqual(expected)
  })

  // containerd/platforms TestOnly: an arm64 variant outside containerd's table matches nothing, not even itself.
  it.each(['linux/arm64/v10', 'linux/arm64/v8.10', 'linux/arm64/v9.8', 'linux/arm64/v7'])('%s accepts nothing', (host) => {
    expect(chain(host)).toEqual([])
    expect(platformMatches(host, parsePlatform(host))).toBe(false)
  })

  it('reads amd64 and arm levels as Go’s Atoi does (a missing "v" is fine)', () => {
    expect(chain('linux/amd64/3')).toEqual(['linux/amd64/3', 'linux/amd64/v2', 'linux/amd64', 'linux/386'])
    expect(chain('linux/amd64/vx')).toEqual(['linux/amd64/vx', 'linux/386'])
    expect(chain('linux/arm/vx')).toEqual(['linux/arm/vx'])
  })

  it('caps the v8 line of arm64/v9.x at v8.9', () => {
    const list = chain('linux/arm64/v9.5')
    expect(list.slice(0, 6)).toEqual([
      'linux/arm64/v9.5',
      'linux/arm64/v9.4',
      'linux/arm64/v9.3',
      'linux/arm64/v9.2',
      'linux/arm64/v9.1',
      'linux/arm64/v9',
    ])
    expect(list[6]).toBe('linux/arm64/v8.9')
    expect(list).toContain('linux/arm64')
    expect(list.at(-1)).toBe('linux/arm/v5')
  })
})

describe('platformMatches', () => {
  it('accepts aliases on both sides', () => {
    expect(platformMatches('linux/x86_64', p('linux/amd64'))).toBe(true)
    expect(platformMatches('linux/arm64', p('linux/aarch64/v8'))).toBe(true)
    expect(platformMatches('linux/arm64/v8', p('linux/arm64'))).toBe(true)
    expect(platformMatches('linux/armhf', p('linux/arm'))).toBe(true)
    expect(platformMatches({os: 'Linux', architecture: 'AMD64'}, p('linux/amd64'), {strict: true})).toBe(true)
  })

  it('falls back to older variants and 32-bit mode, never upwards or across', () => {
    expect(platformMatches('linux/amd64', p('linux/386'))).toBe(true)
    expect(platformMatches('linux/amd64', p('linux/amd64/v2'))).toBe(false)
    expect(platformMatches('linux/amd64/v3', p('linux/amd64/v2'))).toBe(true)
    expect(platformMatches('linux/amd64/v2', p('linux/amd64/v3'))).toBe(false)
    expect(platformMatches('linux/arm64', p('linux/arm/v7'))).toBe(true)
    expect(platformMatches('linux/arm64', p('linux/arm64/v8.1'))).toBe(false)
    expect(platformMatches('linux/arm/v7', p('linux/arm64'))).toBe(false)
    expect(platformMatches('linux/arm/v6', p('linux/arm/v7'))).toBe(false)
    expect(platformMatches('linux/386', p('linux/amd64'))).toBe(false)
    expect(platformMatches('linux/arm64', p('linux/amd64'))).toBe(false)
    expect(platformMatches('linux/amd64', p('windows/amd64'))).toBe(false)
  })

  it('keeps aliases but no fallback when strict', () => {
    expect(platformMatches('linux/amd64', p('linux/386'), {strict: true})).toBe(false)
    expect(platformMatches('linux/arm64', p('linux/arm/v7'), {strict: true})).toBe(false)
    expect(platformMatches('linux/arm/v7', p('linux/arm/v6'), {strict: true})).toBe(false)
    expect(platformMatches('linux/arm/v7', p('linux/arm'), {strict: true})).toBe(true)
    expect(platformMatches('linux/arm64', p('linux/arm64/v8'), {strict: true})).toBe(true)
  })

  it('requires an image’s os.features to be a subset of the host’s (TestCompareOSFeatures)', () => {
    const image = (features: string[]): Platform => ({os: 'linux', architecture: 'amd64', osFeatures: features})
    expect(platformMatches('linux/amd64', image(['other']))).toBe(false)
    expect(platformMatches('linux(+none)/amd64', image(['other']))).toBe(false)
    expect(platformMatches('linux(+other)/amd64', image(['other']))).toBe(true)
    expect(platformMatches('linux(+af+other+zf)/amd64', image(['other']))).toBe(true)
    expect(platformMatches('linux(+f1+f2)/amd64', image(['f2', 'f1']))).toBe(true)
    expect(platformMatches('linux(+f1)/amd64', image(['f1', 'f2']))).toBe(false)
    // A host's features do not keep a plain image out.
    expect(platformMatches('linux(+other)/amd64', p('linux/amd64'))).toBe(true)
    // Fallback steps carry the host's features (platformVector).
    expect(platformMatches('linux(+gpu)/amd64', {os: 'linux', architecture: '386', osFeatures: ['gpu']})).toBe(true)
  })

  it('ignores an image’s win32k feature on a Windows host, one occurrence of it (windowsStripFeaturesMatcher)', () => {
    const image = (features: string[]): Platform => ({os: 'windows', architecture: 'amd64', osFeatures: features})
    expect(platformMatches('windows/amd64', image(['win32k']))).toBe(true)
    expect(platformMatches('windows(+win32k)/amd64', image(['win32k']))).toBe(true)
    expect(platformMatches('windows/amd64', image(['win32k', 'other']))).toBe(false)
    expect(platformMatches('linux/amd64', {os: 'linux', architecture: 'amd64', osFeatures: ['win32k']})).toBe(false)
  })
})

describe('Windows os.version', () => {
  it.each([
    // Either side without a version: match.
    [undefined, '10.0.17763.1', true],
    ['10.0.17763', undefined, true],
    // Hosts below 20348: the same build only (revision ignored).
    ['10.0.17763', '10.0.17763.5458', true],
    ['10.0.17763', '10.0.14393', false],
    ['10.0.19041', '10.0.17763', false],
    // Major.minor must agree.
    ['10.0.20348', '6.3.20348', false],
    // From 20348 on: the previous LTSC (20348) up to the host's own build.
    ['10.0.20348', '10.0.20348.2113', true],
    ['10.0.20348', '10.0.17763', false],
    ['10.0.26100', '10.0.20348', true],
    ['10.0.26100', '10.0.22621', true],
    ['10.0.26100', '10.0.26100.1', true],
    ['10.0.22621', '10.0.26100', false],
    ['10.0.26100', '10.0.17763', false],
    // An unreadable image version never matches a versioned host.
    ['10.0.26100', 'ltsc2022', false],
    // An unreadable host version (not three numbers, a build above 65535) matches every image.
    ['10.0', '10.0.17763', true],
    ['10.0.70000', '10.0.17763', true],
    // Past Windows Server 2025 (26100) the oldest build a host runs is 26100, not 20348.
    ['10.0.26200', '10.0.26100', true],
    ['10.0.26200', '10.0.20348', false],
    // containerd/platforms Test_PlatformCompat
    ['10.0.17763', '10.0.20348', false],
    ['10.0.20348', '10.0.26100', false],
    ['10.0.20348', '10.0.22621', false],
    ['10.0.22621', '10.0.17763', false],
    ['10.0.22621', '10.0.20348', true],
    ['10.0.25398', '10.0.17763', false],
    ['10.0.25398', '10.0.20348', true],
    ['10.0.26100', '10.0.22621', true],
  ])('host %s runs image %s: %s', (host, image, expected) => {
    expect(windowsVersionCompatible(host, image)).toBe(expected)
    const hostSpec = host ? `windows(${host})/amd64` : 'windows/amd64'
    expect(platformMatches(hostSpec, {os: 'windows', architecture: 'amd64', osVersion: image})).toBe(expected)
  })

  it('matches the host platform only on a Windows host: no 386 or 32-bit arm (containerd’s default matcher on Windows)', () => {
    expect(platformMatches('windows/amd64', p('windows/386'))).toBe(false)
    expect(platformMatches('windows(10.0.20348)/arm64', p('windows/arm/v7'))).toBe(false)
    expect(platformMatches('windows/amd64', p('linux/amd64'))).toBe(false)
  })

  it('ignores os.version for a Linux host', () => {
    expect(platformMatches('linux/amd64', {os: 'linux', architecture: 'amd64', osVersion: '5.4'})).toBe(true)
  })
})

describe('comparePlatforms', () => {
  it('prefers the host itself, then each fallback step in order', () => {
    const host = 'linux/arm64'
    const candidates = ['linux/arm/v5', 'linux/amd64', 'linux/arm/v7', 'linux/arm64', 'linux/arm/v8'].map(p)
    expect([...candidates].sort((a, b) => comparePlatforms(host, a, b)).map(formatPlatform)).toEqual([
      'linux/arm64',
      'linux/arm/v8',
      'linux/arm/v7',
      'linux/arm/v5',
      'linux/amd64',
    ])
    expect(comparePlatforms('linux/amd64/v3', p('linux/amd64/v2'), p('linux/amd64/v3'))).toBeGreaterThan(0)
    expect(comparePlatforms('linux/amd64', p('linux/amd64'), p('linux/386'))).toBeLessThan(0)
  })

  it('returns 0 for equivalent or both rejected platforms', () => {
    expect(comparePlatforms('linux/arm64', p('linux/arm64'), p('linux/aarch64/v8'))).toBe(0)
    expect(comparePlatforms('linux/arm64', p('linux/amd64'), p('linux/s390x'))).toBe(0)
  })

  // containerd/platforms TestCompareOSFeatures (Only): a host prefers, at the same step, the entry with more os.features.
  it.each([
    [
      'linux/amd64',
      ['windows/amd64', 'linux/amd64', 'linux(+other)/amd64', 'linux/arm64'],
      ['linux/amd64', 'linux(+other)/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+none)/amd64',
      ['windows/amd64', 'linux/amd64', 'linux/arm64', 'linux(+other)/amd64'],
      ['linux/amd64', 'linux(+other)/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+other)/amd64',
      ['windows/amd64', 'linux/amd64', 'linux/arm64', 'linux(+other)/amd64'],
      ['linux(+other)/amd64', 'linux/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+af+other+zf)/amd64',
      ['windows/amd64', 'linux/amd64', 'linux/arm64', 'linux(+other)/amd64'],
      ['linux(+other)/amd64', 'linux/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+f1+f2)/amd64',
      ['linux/amd64', 'linux(+f2)/amd64', 'linux(+f1)/amd64', 'linux(+f1+f2)/amd64'],
      ['linux(+f1+f2)/amd64', 'linux(+f2)/amd64', 'linux(+f1)/amd64', 'linux/amd64'],
    ],
    [
      'linux(7.2+other)/amd64',
      ['linux/amd64', 'linux(+other)/amd64', 'linux(7.1)/amd64', 'linux(7.2+other)/amd64'],
      ['linux(+other)/amd64', 'linux(7.2+other)/amd64', 'linux/amd64', 'linux(7.1)/amd64'],
    ],
  ])('orders for %s (TestCompareOSFeatures)', (host, platforms, expected) => {
    for (const options of [{}, {strict: true}]) {
      const sorted = platforms.map((spec) => parsePlatform(spec)).sort((a, b) => comparePlatforms(host, a, b, options))
      expect(sorted.map(formatAll)).toEqual(expected)
    }
  })

  it('ranks a fallback step below the host even with more features', () => {
    const withFeature: Platform = {os: 'linux', architecture: '386', osFeatures: ['gpu']}
    expect(comparePlatforms('linux(+gpu)/amd64', p('linux/amd64'), withFeature)).toBeLessThan(0)
  })

  // containerd/platforms Test_PlatformOrder
  it.each([
    ['10.0.20348.3091', ['10.0.20348.3091', '10.0.26100.2894'], '10.0.20348.3091'],
    ['10.0.26100.2894', ['10.0.20348.3091', '10.0.26100.2894'], '10.0.26100.2894'],
    ['10.0.26100.2894', ['10.0.20348.3091', '10.0.26100.3000'], '10.0.26100.3000'],
  ])('a Windows %s host takes, of linux/amd64 and %j, %s (Test_PlatformOrder)', (host, versions, expected) => {
    const entries = [p('linux/amd64'), ...versions.map((osVersion): Platform => ({os: 'windows', architecture: 'amd64', osVersion}))]
    const sorted = entries.sort((a, b) => comparePlatforms(`windows(${host})/amd64`, a, b))
    expect(sorted[0].osVersion).toBe(expected)
  })

  it('orders Windows os.versions as strings, best first, unmatched last (TestWindowsMatchComparerLess)', () => {
    const versions = ['10.0.17764.1', undefined, '10.0.17763.1', '10.0.17763.2', '10.0.17762.1']
    const entries = versions.map((osVersion): Platform => ({os: 'windows', architecture: 'amd64', ...(osVersion ? {osVersion} : {})}))
    const sorted = entries.sort((a, b) => comparePlatforms('windows(10.0.17763.1)/amd64', a, b))
    expect(sorted.map((e) => e.osVersion)).toEqual(['10.0.17763.2', '10.0.17763.1', undefined, '10.0.17764.1', '10.0.17762.1'])
    // As strings: revision 999 sorts above revision 2113.
    const host = 'windows(10.0.20348)/amd64'
    const r999: Platform = {os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.999'}
    const r2113: Platform = {os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.2113'}
    expect(comparePlatforms(host, r999, r2113)).toBeLessThan(0)
  })

  it('prefers the higher os.version on a Windows host', () => {
    const host = 'windows(10.0.26100)/amd64'
    const ltsc2022: Platform = {os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.2113'}
    const ltsc2025: Platform = {os: 'windows', architecture: 'amd64', osVersion: '10.0.26100.1742'}
    const ltsc2019: Platform = {os: 'windows', architecture: 'amd64', osVersion: '10.0.17763.5458'}
    expect(comparePlatforms(host, ltsc2022, ltsc2025)).toBeGreaterThan(0)
    expect(comparePlatforms(host, ltsc2025, ltsc2022)).toBeLessThan(0)
    expect(comparePlatforms(host, ltsc2019, ltsc2022)).toBeGreaterThan(0)
  })
})

describe('PlatformMatching', () => {
  it('answers as matchRank and comparePlatforms do, asked again and again, and tells apart platforms that differ in any field', () => {
    const specs = [
      'linux/amd64',
      'linux/x86_64',
      'linux/amd64/v3',
      'linux/386',
      'linux/arm64',
      'linux/aarch64/v8',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux(+gpu)/amd64',
      'linux(+gpu+fast)/amd64',
      'windows(10.0.20348)/amd64',
      'windows(10.0.26100)/amd64',
      'windows/amd64',
    ]
    const platforms = specs.map((spec) => parsePlatform(spec))
    const matching = new PlatformMatching()
    // The second round is answered from what the first kept.
    for (const _round of [1, 2]) {
      for (const host of platforms.map((platform) => toHostPlatform(platform))) {
        for (const a of platforms) {
          expect(matching.rank(host, a)).toBe(matchRank(host, a))
          for (const b of platforms) expect(matching.compare(host, a, b)).toBe(comparePlatforms(host, a, b))
        }
      }
    }
  })
})
