// What the shared flags turn into, and how a bad value is refused: one line naming the flag.
import {afterEach, describe, expect, it} from 'vitest'

import {checkBuilderName, checkPlatformFlag, parseFlag, parsePlatformFlag, registryOptionsFromFlags} from '../../../src/cli/flags.js'
import {UsageError} from '../../../src/oci/errors.js'
import {usageError} from '../../helpers/errors.js'

const savedInsecure = process.env.ARCHCHECK_INSECURE_REGISTRIES
afterEach(() => {
  if (savedInsecure === undefined) delete process.env.ARCHCHECK_INSECURE_REGISTRIES
  else process.env.ARCHCHECK_INSECURE_REGISTRIES = savedInsecure
})

describe('registryOptionsFromFlags', () => {
  it('takes --insecure-registry hosts, then $ARCHCHECK_INSECURE_REGISTRIES, the timeout in ms and the manifest size', () => {
    process.env.ARCHCHECK_INSECURE_REGISTRIES = 'env.example:5000'
    const lines: string[] = []
    const options = registryOptionsFromFlags(
      {'insecure-registry': ['registry.test:5000', 'http://[::1]:5000'], timeout: 7, 'max-manifest-size': 2048},
      (line) => lines.push(line),
    )
    expect(options).toMatchObject({
      insecureRegistries: ['registry.test:5000', 'http://[::1]:5000', 'env.example:5000'],
      timeoutMs: 7000,
      maxManifestBytes: 2048,
    })
    options.debug?.('GET /v2/')
    expect(lines).toEqual(['GET /v2/'])
  })

  it('refuses an --insecure-registry value that could never match a host', () => {
    delete process.env.ARCHCHECK_INSECURE_REGISTRIES
    for (const value of ['registry.test:5000/v2', '', 'two words'])
      expect(
        usageError(() => registryOptionsFromFlags({'insecure-registry': [value], timeout: 30, 'max-manifest-size': 4096})).message,
      ).toBe(
        `--insecure-registry ${JSON.stringify(value)}: expected HOST[:PORT] as in image references (registry.example:5000), without a path`,
      )
  })
})

describe('platform flags', () => {
  it('parses repeated and comma-separated hosts, native included', () => {
    const hosts = parsePlatformFlag('host', ['linux/amd64,linux/arm/v7', 'windows/amd64'])
    expect(hosts.map((host) => [host.os, host.architecture, host.variant])).toEqual([
      ['linux', 'amd64', undefined],
      ['linux', 'arm', 'v7'],
      ['windows', 'amd64', undefined],
    ])
    expect(parsePlatformFlag('host', ['native'])).toHaveLength(1)
  })

  it('names the flag when a platform is unknown, and takes it with --allow-unknown-platform', () => {
    expect(usageError(() => parsePlatformFlag('require', ['linux/arm46'])).message).toMatch(
      /^--require: platform "linux\/arm46": unknown architecture "arm46" \(did you mean arm64\?\)/,
    )
    expect(parsePlatformFlag('require', ['linux/arm46'], true)[0].architecture).toBe('arm46')
    expect(usageError(() => checkPlatformFlag('platform', ['linux/amd46'])).message).toMatch(/^--platform: platform "linux\/amd46"/)
    expect(() => checkPlatformFlag('platform', ['linux/amd64', 'linux/arm64'])).not.toThrow()
  })
})

describe('parseFlag', () => {
  it('prefixes a usage error with the flag and lets any other error through as it is', () => {
    const message = usageError(() =>
      parseFlag('tag', () => {
        throw new UsageError('empty image reference')
      }),
    ).message
    expect(message).toBe('--tag: empty image reference')
    const bug = new TypeError('a bug')
    expect(() =>
      parseFlag('tag', () => {
        throw bug
      }),
    ).toThrow(bug)
    expect(parseFlag('tag', () => 42)).toBe(42)
  })
})

describe('checkBuilderName', () => {
  it("takes buildx's names and refuses the rest before docker runs", () => {
    expect(checkBuilderName('multi-arch_1.0')).toBe('multi-arch_1.0')
    for (const name of ['', 'my builder', '1st', '-x'])
      expect(usageError(() => checkBuilderName(name)).message).toBe(
        `invalid builder name ${JSON.stringify(name)}: it starts with a letter and has only letters, digits, '.', '-' and '_'`,
      )
  })
})
