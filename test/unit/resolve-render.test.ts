import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/oci/errors.js'
import {parseHosts} from '../../src/oci/platform/hosts.js'
import {formatPlatformSpec} from '../../src/oci/platform/normalize.js'
import {resolveForHost} from '../../src/engine/resolve/resolve.js'
import {resolutionResult, verdictPasses} from '../../src/api/resolve.js'
import {renderResolveText} from '../../src/render/resolve.js'
import {styleFor} from '../../src/render/style.js'
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
  const plain = styleFor({isTTY: false})
  /** Table rows without the borders: cells separated by single spaces. */
  const rowsOf = (text: string) =>
    text.split('\n').map((line) =>
      line
        .replace(/[│┌┐└┘─┬┴├┤┼]/g, ' ')
        .trim()
        .replace(/\s+/g, ' '),
    )

  it('tables each host with its choice and explains every host that is not ok', async () => {
    const text = await renderResolveText(resolutionResult(t, results), plain)
    const rows = rowsOf(text)
    expect(rows[0]).toBe(`Reference: ${t.reference}`)
    expect(rows).toContain('HOST CHOSEN MANIFEST CONFIG VERDICT')
    expect(rows).toContain(`linux/amd64 linux/amd64 ${amd64.descriptor.digest} linux/amd64 ok`)
    expect(rows).toContain(`linux/arm64 linux/arm/v7 ${armv7.descriptor.digest} linux/arm/v7 fallback`)
    expect(text).toMatch(/\nlinux\/arm64: linux\/arm64 gets linux\/arm\/v7, which runs only in 32-bit mode/)
    expect(text).not.toMatch(/linux\/amd64: /)
  })

  it('lists every candidate with --explain', async () => {
    const rows = rowsOf(await renderResolveText(resolutionResult(t, results), plain, {explain: true}))
    const start = rows.indexOf('linux/arm64: every entry, in index order')
    expect(start).toBeGreaterThan(0)
    const explained = rows.slice(start)
    expect(explained).toContain(`- linux/amd64 ${amd64.descriptor.digest} rejected linux/amd64 does not run on linux/arm64`)
    expect(explained).toContain(`#1 linux/arm/v7 ${armv7.descriptor.digest} accepted Docker falls back to it: 32-bit mode`)
    expect(explained.some((row) => /^- unknown\/unknown sha256:\S+ rejected attestation manifest for /.test(row))).toBe(true)
  })

  it('shows a host × client matrix for several clients', async () => {
    const all = (['docker', 'containerd', 'podman', 'exact'] as const).flatMap((client) =>
      parseHosts().map((host) => resolveForHost(t, host, client)),
    )
    const text = await renderResolveText(resolutionResult(t, all), plain)
    const rows = rowsOf(text)
    expect(rows).toContain('HOST DOCKER CONTAINERD PODMAN EXACT')
    expect(rows).toContain('linux/arm64 fallback linux/arm/v7 fallback linux/arm/v7 no-match no-match')
    expect(text).toMatch(/linux\/arm64 \(podman\): .*\n {2}podman says: no image found in image index for architecture arm64, variant ""/)
  })

  it('writes the documented JSON and passes only when every host passes', () => {
    const json = resolutionResult(t, results)
    expect(json.passed).toBe(false)
    expect(resolutionResult(t, results, true).passed).toBe(true)
    expect(json.schemaVersion).toBe(1)
    expect(json.results[1]).toMatchObject({
      host: 'linux/arm64',
      client: 'docker',
      verdict: 'fallback',
      clientMessage: null,
      chosen: {
        digest: armv7.descriptor.digest,
        platform: 'linux/arm/v7',
        configPlatform: 'linux/arm/v7',
        configDigest: armv7.config.digest,
      },
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
