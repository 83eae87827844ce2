import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/oci/errors.js'
import {armVariantFromCpuinfo, nativePlatform, ociArchitecture} from '../../src/oci/platform/host.js'
import {comparePlatforms, compatiblePlatforms, platformMatches, windowsVersionCompatible} from '../../src/oci/platform/match.js'
import {formatPlatform, normalizePlatform} from '../../src/oci/platform/normalize.js'
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
  ])('normalises %s to %s', (spec, expected) => {
    expect(formatPlatform(parsePlatform(spec))).toBe(expected)
  })

  it('fills a lone OS with this machine’s architecture and a lone architecture with its OS', () => {
    const host = nativePlatform()
    expect(parsePlatform('linux')).toEqual({os: 'linux', architecture: host.architecture, ...(host.variant ? {variant: host.variant} : {})})
    expect(parsePlatform('windows')).toMatchObject({os: 'windows', architecture: host.architecture})
    expect(parsePlatform('arm64')).toEqual({os: host.os, architecture: 'arm64'})
    expect(parsePlatform('armhf')).toEqual({os: host.os, architecture: 'arm', variant: 'v7'})
  })

  it('reads a Windows version and features on the OS', () => {
    expect(parsePlatform('windows(10.0.20348)/amd64')).toEqual({os: 'windows', architecture: 'amd64', osVersion: '10.0.20348'})
    expect(parsePlatform('windows(10.0.17763+win32k+a)/amd64')).toEqual({
      os: 'windows',
      architecture: 'amd64',
      osVersion: '10.0.17763',
      osFeatures: ['a', 'win32k'],
    })
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
  ])('rejects %j', (spec, message) => {
    expect(() => parsePlatform(spec)).toThrow(UsageError)
    expect(() => parsePlatform(spec)).toThrow(message)
  })
})

describe('normalizePlatform', () => {
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

  it('caps the v8 line of arm64/v9.x at v8.9', () => {
    const list = chain('linux/arm64/v9.5')
    expect(list.slice(0, 6)).toEqual(['linux/arm64/v9.5', 'linux/arm64/v9.4', 'linux/arm64/v9.3', 'linux/arm64/v9.2', 'linux/arm64/v9.1', 'linux/arm64/v9'])
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

  it('requires an image’s os.features to be a subset of the host’s', () => {
    const image: Platform = {os: 'windows', architecture: 'amd64', osFeatures: ['win32k']}
    expect(platformMatches('windows/amd64', image)).toBe(false)
    expect(platformMatches('windows(+win32k)/amd64', image)).toBe(true)
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
  ])('host %s runs image %s: %s', (host, image, expected) => {
    expect(windowsVersionCompatible(host, image)).toBe(expected)
    const hostSpec = host ? `windows(${host})/amd64` : 'windows/amd64'
    expect(platformMatches(hostSpec, {os: 'windows', architecture: 'amd64', osVersion: image})).toBe(expected)
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
