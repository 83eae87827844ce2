/**
 * `archcheck resolve` run as users run it (the built CLI) against the test registry, an OCI layout
 * and an OCI archive: output, JSON, exit codes.
 */
import {describe, expect, it} from 'vitest'

import {buildIndex} from '../../scripts/fixtures/image-builder.js'
import {archiveWith, elfImage, layoutWith} from '../helpers/layouts.js'
import {runCli, type CliResult} from '../helpers/cli.js'
import {RESOLVE_CASES, caseName, expectedImage} from '../helpers/resolve-cases.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'

async function pushCase(name: string, format: 'oci' | 'docker' = 'oci'): Promise<PushedScenario> {
  const resolveCase = RESOLVE_CASES.find((c) => c.name === name)!
  const scenario = caseName(resolveCase, format)
  return pushScenario(`cli-${scenario}`, resolveCase.spec(format, scenario))
}

/** NODE_ENV=production: under vitest's NODE_ENV=test oclif looks for TypeScript sources and warns. */
// A terminal's width (COLUMNS): the tables show short digests, as on a terminal too narrow for full ones.
const archcheck = (...args: string[]): Promise<CliResult> => runCli(args, {env: {NODE_ENV: 'production', COLUMNS: '100'}})
/** Piped with COLUMNS unset: nothing shortened or wrapped, whatever the width. */
const archcheckPiped = (...args: string[]): Promise<CliResult> => runCli(args, {env: {NODE_ENV: 'production'}})

interface ResolveJson {
  schemaVersion: number
  reference: string
  digest: string
  mediaType: string
  passed: boolean
  results: Array<{
    host: string
    client: string
    verdict: string
    message: string
    clientMessage: string | null
    chosen: {digest: string; mediaType: string; platform: string | null; configDigest: string; configPlatform: string} | null
    tiedWith: string[]
    candidates: Array<{digest: string; platform: string | null; accepted: boolean; rank: number | null; reason: string}>
  }>
}

/** The keys docs/resolve.md documents for each object of the `--json` document. */
const DOCUMENTED_KEYS = {
  top: ['digest', 'layers', 'mediaType', 'passed', 'reference', 'results', 'schemaVersion'],
  result: ['candidates', 'chosen', 'client', 'clientMessage', 'host', 'message', 'tiedWith', 'verdict'],
  chosen: ['configDigest', 'configPlatform', 'digest', 'mediaType', 'platform'],
  candidate: ['accepted', 'digest', 'platform', 'rank', 'reason'],
}
const keys = (object: object): string[] => Object.keys(object).sort()

describe('archcheck resolve against the registry', () => {
  it('passes (exit 0) when both default hosts get their own image', async () => {
    const scenario = await pushCase('arm64-v8', 'docker')
    const run = await archcheck('resolve', scenario.reference)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`Digest:    ${scenario.root.digest}`)
    expect(run.stdout).toMatch(
      new RegExp(`│ linux/amd64 +│ linux/amd64 +│ ${scenario.image('linux/amd64').digest.slice(0, 19)} +│ linux/amd64 +│ ok +│`),
    )
    expect(run.stdout).toMatch(
      new RegExp(`│ linux/arm64 +│ linux/arm64/v8 +│ ${scenario.image('linux/arm64/v8').digest.slice(0, 19)} +│ linux/arm64/v8 +│ ok +│`),
    )
  })

  it('fails (exit 1) and explains a host that gets an amd64 build in its arm64 entry', async () => {
    const scenario = await pushCase('config-mismatch')
    const run = await archcheck('resolve', scenario.reference)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/│ linux\/arm64 +│ linux\/arm64 +│ sha256:\w{12} +│ linux\/amd64 +│ wrong-arch +│/)
    expect(run.stdout).toMatch(
      /\nlinux\/arm64: The linux\/arm64 entry sha256:\w{12} holds an image whose config says linux\/amd64: expect "exec format error" on linux\/arm64/,
    )
  })

  it('exits 1 on a fallback unless --allow-fallback, and names the 32-bit risk', async () => {
    const scenario = await pushCase('arm-newer-only')
    const strict = await archcheck('resolve', scenario.reference, '--host', 'linux/arm64')
    expect(strict.code).toBe(1)
    expect(strict.stdout).toMatch(
      /linux\/arm64: linux\/arm64 gets linux\/arm\/v7, which runs only in 32-bit mode: some CPUs lack 32-bit support/,
    )
    const allowed = await archcheck('resolve', scenario.reference, '--host', 'linux/arm64', '--allow-fallback')
    expect(allowed.code).toBe(0)
  })

  it('prints the client’s own refusal for a list without arm64', async () => {
    const scenario = await pushCase('no-arm64', 'docker')
    const run = await archcheck('resolve', scenario.reference, '--host', 'linux/arm64')
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('docker says: no matching manifest for linux/arm64/v8 in the manifest list entries')
  })

  it('--json follows the documented schema, with every candidate', async () => {
    const scenario = await pushCase('arm-variants', 'docker')
    const run = await archcheck('resolve', scenario.reference, '--json', '--host', 'linux/arm64,linux/arm/v6', '--host', 'linux/amd64')
    expect(run.code).toBe(1)
    const json = JSON.parse(run.stdout) as ResolveJson
    expect(keys(json)).toEqual(DOCUMENTED_KEYS.top)
    expect(json).toMatchObject({
      schemaVersion: 1,
      reference: scenario.reference,
      digest: scenario.root.digest,
      mediaType: scenario.root.mediaType,
      passed: false,
    })
    expect(json.results.map((r) => [r.host, r.client, r.verdict, r.chosen?.digest])).toEqual([
      ['linux/arm64', 'docker', 'fallback', scenario.image('linux/arm/v7').digest],
      ['linux/arm/v6', 'docker', 'ok', scenario.image('linux/arm/v6').digest],
      ['linux/amd64', 'docker', 'ok', scenario.image('linux/amd64').digest],
    ])
    for (const [result, platform] of json.results.map((r, i) => [r, ['linux/arm/v7', 'linux/arm/v6', 'linux/amd64'][i]] as const)) {
      expect(keys(result), result.host).toEqual(DOCUMENTED_KEYS.result)
      expect(keys(result.chosen!), result.host).toEqual(DOCUMENTED_KEYS.chosen)
      const image = scenario.image(platform)
      expect(result.chosen, result.host).toEqual({
        digest: image.digest,
        mediaType: image.mediaType,
        platform,
        configDigest: image.config.digest,
        configPlatform: platform,
      })
      expect(result.clientMessage, result.host).toBeNull()
      expect(result.tiedWith, result.host).toEqual([])
      expect(result.message, result.host).toMatch(/\S/)
      expect(result.candidates).toHaveLength(4)
      for (const candidate of result.candidates) {
        expect(keys(candidate), result.host).toEqual(DOCUMENTED_KEYS.candidate)
        expect(candidate.reason, result.host).toEqual(expect.stringMatching(/\S/))
      }
    }
    const arm64 = json.results[0]
    expect(arm64.candidates.map((c) => [c.digest, c.platform, c.accepted, c.rank])).toEqual([
      [scenario.image('linux/amd64').digest, 'linux/amd64', false, null],
      [scenario.image('linux/arm/v5').digest, 'linux/arm/v5', true, 3],
      [scenario.image('linux/arm/v6').digest, 'linux/arm/v6', true, 2],
      [scenario.image('linux/arm/v7').digest, 'linux/arm/v7', true, 1],
    ])
  })

  it('--client all gives a host × client matrix', async () => {
    const scenario = await pushCase('arm64-both')
    const run = await archcheckPiped('resolve', scenario.reference, '--client', 'all', '--host', 'linux/arm64')
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/│ HOST +│ DOCKER +│ DOCKER@20\.10 +│ CONTAINERD +│ PODMAN +│ EXACT +│/)
    const ambiguous = 'ambiguous linux\\/arm64\\/v8'
    const row = `${ambiguous} │ ${ambiguous} │ ${ambiguous} │ ok linux\\/arm64 +│ ${ambiguous}`
    expect(run.stdout).toMatch(new RegExp(`│ linux\\/arm64 │ ${row} │`))
    expect(run.stdout).toMatch(
      /linux\/arm64 \(docker\): 2 entries tie for linux\/arm64 \(sha256:\w{12}, sha256:\w{12}\); Docker takes the first in index order/,
    )
  })

  it('--explain lists every entry with its reason and rank', async () => {
    const scenario = await pushCase('attestations')
    const run = await runCli(['resolve', scenario.reference, '--explain', '--host', 'linux/arm64'], {
      env: {NODE_ENV: 'production', COLUMNS: '140'},
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('linux/arm64: every entry, in index order')
    expect(run.stdout).toMatch(/│ #1 +│ linux\/arm64 +│ sha256:\w{12} │ accepted │ matches linux\/arm64 +│/)
    expect(run.stdout).toMatch(
      /│ - +│ unknown\/unknown │ sha256:\w{12} │ rejected │ attestation manifest for sha256:\w{12}: never pulled as an image │/,
    )
  })

  it('warns like Docker for a single-platform amd64 tag on an arm64 host', async () => {
    const scenario = await pushCase('single-amd64', 'docker')
    const run = await archcheck('resolve', scenario.reference, '--host', 'linux/arm64')
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      "docker says: The requested image's platform (linux/amd64) does not match the detected host platform (linux/arm64/v8) and no specific platform was requested",
    )
    expect(run.stdout).toMatch(/is a single linux\/amd64 image, not a list, and Docker pulls it anyway: expect "exec format error"/)
  })

  it('exits 3 for a tag that does not exist and 2 for bad input, one line each', async () => {
    const scenario = await pushCase('arm64-plain')
    const missing = await archcheck('resolve', `${scenario.host}/${scenario.repository}:nope`)
    expect(missing.code).toBe(3)
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    for (const args of [
      ['--host', 'linux/arm/v7/x'],
      ['--host', 'linux/amd 64'],
      ['--host', '*'],
      ['--host', ''],
      ['--client', 'moby'],
    ]) {
      const run = await archcheck('resolve', scenario.reference, ...args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toMatch(/^archcheck: /)
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      expect(run.stdout).toBe('')
    }
  })
})

describe('archcheck resolve on local sources', () => {
  it('reads an OCI layout and an OCI archive the same way', async () => {
    const amd64 = await elfImage('amd64')
    const arm = await elfImage('arm')
    const index = buildIndex({entries: [{target: amd64}, {target: arm}]})
    const fromLayout = await archcheck('resolve', `oci-layout:${await layoutWith(index)}`, '--json')
    const fromArchive = await archcheck('resolve', `oci-archive:${await archiveWith(index)}`, '--json')
    expect(fromLayout.code).toBe(1)
    expect(fromArchive.code).toBe(1)
    const layout = JSON.parse(fromLayout.stdout) as ResolveJson
    const archive = JSON.parse(fromArchive.stdout) as ResolveJson
    expect(layout.results.map((r) => [r.host, r.verdict, r.chosen?.digest])).toEqual([
      ['linux/amd64', 'ok', amd64.manifest.digest],
      ['linux/arm64', 'fallback', arm.manifest.digest],
    ])
    expect(archive.results).toEqual(layout.results)
  })

  it('resolves the bundled demo for both default hosts', async () => {
    const run = await archcheck('resolve', 'oci-layout:fixtures/demo')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/│ linux\/amd64 +│ linux\/amd64 +│ sha256:\w{12} │ linux\/amd64 +│ ok +│/)
    expect(run.stdout).toMatch(/│ linux\/arm64 +│ linux\/arm64 +│ sha256:\w{12} │ linux\/arm64 +│ ok +│/)
  })
})

describe('chosen digests agree with the scenario', () => {
  it('resolve --json picks the expected image for every docker expectation of arm-variants', async () => {
    const resolveCase = RESOLVE_CASES.find((c) => c.name === 'arm-variants')!
    const scenario = await pushCase('arm-variants')
    const docker = resolveCase.expect.filter((e) => (e.client ?? 'docker') === 'docker')
    const run = await archcheck('resolve', scenario.reference, '--json', ...docker.flatMap((e) => ['--host', e.host]))
    const json = JSON.parse(run.stdout) as ResolveJson
    expect(json.results.map((r) => r.chosen?.digest)).toEqual(
      docker.map((e) => (e.chosen === undefined ? undefined : expectedImage(scenario, e.chosen).digest)),
    )
  })
})
