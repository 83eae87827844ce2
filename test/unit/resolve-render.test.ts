import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/errors.js'
import {parseHosts} from '../../src/platform/hosts.js'
import {formatPlatformSpec} from '../../src/platform/normalize.js'
import {resolveForHost} from '../../src/platform/resolve.js'
import {renderResolveText, resolveJson, verdictPasses} from '../../src/render/resolve.js'
import {attestation, image, tree} from './platform-trees.js'

describe('parseHosts', () => {
  it('defaults to linux/amd64 and linux/arm64', () => {
    expect(parseHosts().map(formatPlatformSpec)).toEqual(['linux/amd64', 'linux/arm64'])
  })

  it('splits commas, keeps order, drops repeats after normalising', () => {
    const hosts = parseHosts(['linux/arm64,linux/x86_64', 'linux/aarch64/v8', 'windows(10.0.20348)/amd64'])
    expect(hosts.map(formatPlatformSpec)).toEqual(['linux/arm64', 'linux/amd64', 'windows(10.0.20348)/amd64'])
  })

  it('rejects an empty item and a bad specifier', () => {
    expect(() => parseHosts(['linux/amd64,'])).toThrow(UsageError)
    expect(() => parseHosts(['linux/*'])).toThrow(/wildcards/)
  })
})

describe('resolve output', () => {
  const amd64 = image('linux/amd64')
  const armv7 = image('linux/arm/v7')
  const t = tree([amd64, armv7, attestation(amd64)])
  const results = parseHosts().map((host) => resolveForHost(t, host, 'docker'))

  it('tables each host with its choice and explains every host that is not ok', () => {
    const text = renderResolveText(t, results)
    const lines = text.split('\n')
    expect(lines[2]).toMatch(/^HOST\s+CHOSEN\s+MANIFEST\s+CONFIG\s+VERDICT$/)
    expect(lines[3]).toMatch(new RegExp(`^linux/amd64\\s+linux/amd64\\s+${amd64.descriptor.digest.slice(0, 19)}\\s+linux/amd64\\s+ok$`))
    expect(lines[4]).toMatch(/^linux\/arm64\s+linux\/arm\/v7\s+sha256:\S+\s+linux\/arm\/v7\s+fallback$/)
    expect(text).toMatch(/\nlinux\/arm64: linux\/arm64 gets linux\/arm\/v7, which runs only in 32-bit mode/)
    expect(text).not.toMatch(/linux\/amd64: /)
  })

  it('lists every candidate with --explain', () => {
    const text = renderResolveText(t, results, {explain: true})
    expect(text).toMatch(/linux\/arm64, candidates in index order:\n\s+-\s+linux\/amd64\s+sha256:\S+\s+rejected\s+linux\/amd64 does not run on linux\/arm64/)
    expect(text).toMatch(/#1\s+linux\/arm\/v7\s+sha256:\S+\s+accepted\s+Docker falls back to it: 32-bit mode/)
    expect(text).toMatch(/-\s+unknown\/unknown\s+sha256:\S+\s+rejected\s+attestation manifest/)
  })

  it('shows a host × client matrix for several clients', () => {
    const all = (['docker', 'containerd', 'podman', 'exact'] as const).flatMap((client) =>
      parseHosts().map((host) => resolveForHost(t, host, client)),
    )
    const lines = renderResolveText(t, all).split('\n')
    expect(lines[2]).toMatch(/^HOST\s+DOCKER\s+CONTAINERD\s+PODMAN\s+EXACT$/)
    expect(lines[4]).toMatch(/^linux\/arm64\s+fallback linux\/arm\/v7\s+fallback linux\/arm\/v7\s+no-match\s+no-match$/)
    expect(lines.join('\n')).toMatch(/linux\/arm64 \(podman\): .*\n  podman says: no image found in image index for architecture "arm64"/)
  })

  it('writes the documented JSON and passes only when every host passes', () => {
    const json = resolveJson(t, results)
    expect(json.passed).toBe(false)
    expect(resolveJson(t, results, {allowFallback: true}).passed).toBe(true)
    expect(json.results[1]).toMatchObject({
      host: 'linux/arm64',
      client: 'docker',
      verdict: 'fallback',
      clientMessage: null,
      chosen: {digest: armv7.descriptor.digest, platform: 'linux/arm/v7', configPlatform: 'linux/arm/v7', configDigest: armv7.config.digest},
      tiedWith: [],
    })
    expect(json.results[1].candidates.map((c) => [c.accepted, c.rank])).toEqual([
      [false, null],
      [true, 1],
      [false, null],
    ])
    expect(verdictPasses('ambiguous', true)).toBe(false)
  })
})
