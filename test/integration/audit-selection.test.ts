/**
 * `archcheck audit` tag selection and release identity against the real test registry, on a
 * repository of 21 tags as projects have them (test/helpers/audit-repos.ts pushReleaseRepo):
 * releases, a `v` spelling, a pre-release, -alpine variants, floating `2`, `2.2`, `latest`, and
 * builds that are no version (`main`, `sha-3f9c2a1`).
 */
import {beforeAll, describe, expect, it} from 'vitest'

import type {AuditResult} from '../../src/api/audit.js'
import {pushReleaseRepo, RELEASE_REPO_TAGS, versionedTop} from '../helpers/audit-repos.js'
import {runCli, runAuditJson} from '../helpers/cli.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {pushScenario} from '../helpers/scenarios.js'

let repo: {name: string; byTag: Record<string, string>}

const auditJson = (args: string[]) => runAuditJson([...args, '--no-cache'], {timeoutMs: 90_000})

const historyOf = (json: AuditResult, host: string) => json.history.find((h) => h.host === host && h.variant === null)?.text
const cellOf = (json: AuditResult, tag: string, host: string) =>
  json.rows.find((row) => row.tag === tag)?.cells.find((cell) => cell.host === host)

beforeAll(async () => {
  repo = await pushReleaseRepo(testRegistryHost(), 'audit/releases')
}, 120_000)

describe('archcheck audit: a release is a digest', () => {
  it('shows each release once with its aliases, counts history over releases, and says what the selection did', async () => {
    const {code, json, stderr} = await auditJson([repo.name, '--tags', '>=1.4 <3'])
    expect(code).toBe(1)
    expect(json.rows.map((row) => row.tag)).toEqual([
      '2.2.0',
      '2.1.1',
      'v2.1.0',
      '2.0.1',
      '2.0.0',
      '1.9.0',
      '1.8.0',
      '1.7.0',
      '1.6.0',
      '1.5.0',
      '1.4.1',
      '1.4.0',
    ])
    expect(json.rows[0]).toMatchObject({tag: '2.2.0', version: '2.2.0', aliases: ['2.2', '2', 'latest'], digest: repo.byTag['2.2.0']})
    expect(json.rows.slice(1).every((row) => row.aliases.length === 0 && row.note === null)).toBe(true)
    expect(historyOf(json, 'linux/arm64')).toBe('no-match from 1.4.0 to 1.4.1; ok from 1.5.0 on')
    expect(historyOf(json, 'linux/amd64')).toBe('ok in all 12 releases')
    expect(json.summary).toMatchObject({images: 12, failures: 2})
    const line = `${repo.name}: 21 tags: 14 selected by '>=1.4 <3'; left out: 3 not versions (latest, main, sha-3f9c2a1), 3 variants, 1 pre-release`
    expect(stderr).toBe(`archcheck: ${line}\n`)
    expect(json.selection).toEqual([
      {
        repository: repo.name,
        tags: 21,
        selected: 14,
        by: "'>=1.4 <3'",
        notVersions: 3,
        notVersionNames: ['latest', 'main', 'sha-3f9c2a1'],
        variants: 3,
        prereleases: 1,
        notMatching: 0,
        outOfRange: 0,
        beyondLatest: 0,
        text: line,
      },
    ])

    const text = await runCli(['audit', repo.name, '--tags', '>=1.4 <3', '--no-cache', '--no-trunc'])
    expect(text.stdout).toContain('2.2.0 (also 2.2, 2, latest)')
  })

  it('never reads a partial tag as a version: ~2.0 is 2.0.x, and --latest counts releases', async () => {
    const tilde = await auditJson([repo.name, '--tags', '~2.0'])
    expect(tilde.json.rows.map((row) => row.tag)).toEqual(['2.0.1', '2.0.0'])
    expect(historyOf(tilde.json, 'linux/arm64')).toBe('ok in all 2 releases')

    const latest = await auditJson([repo.name, '--latest', '3'])
    expect(latest.code).toBe(0)
    expect(latest.json.rows.map((row) => [row.tag, row.aliases])).toEqual([
      ['2.2.0', ['2.2', '2', 'latest']],
      ['2.1.1', []],
      ['v2.1.0', []],
    ])
    expect(historyOf(latest.json, 'linux/arm64')).toBe('ok in all 3 releases')
  })

  it('shows a floating tag whose digest no selected release has as itself', async () => {
    const host = testRegistryHost()
    const pushed = await pushScenario(
      'audit-floating',
      {repository: 'audit/floating', tag: '2.0.0', index: {entries: [{platform: 'linux/amd64'}]}},
      {host},
    )
    const client = new TestRegistryClient(host)
    await client.pushManifest('audit/floating', '2.0.0', versionedTop(pushed.bundle.top, '2.0.0'))
    // `2` was moved to a rebuild that no full version names.
    await client.pushManifest('audit/floating', '2', versionedTop(pushed.bundle.top, '2-rebuild'))
    const {json} = await auditJson([`${host}/audit/floating`])
    expect(json.rows.map((row) => [row.tag, row.version, row.note])).toEqual([
      ['2', null, 'no full release with this digest'],
      ['2.0.0', '2.0.0', null],
    ])
    expect(json.history).toEqual([])
    const text = await runCli(['audit', `${host}/audit/floating`, '--no-cache', '--no-trunc'])
    expect(text.stdout).toContain('2 → no full release with this digest')
  })
})

describe('archcheck audit: selection rules', () => {
  it('refuses a range semver would read loosely, naming that reading, and a range too big to test', async () => {
    const loose = await runCli(['audit', repo.name, '--tags', '>= 1.4, < 3'])
    expect(loose.code).toBe(2)
    expect(loose.stdout).toBe('')
    expect(loose.stderr.trim().split('\n')).toHaveLength(1)
    expect(loose.stderr).toMatch(
      /^archcheck: invalid --tags range ">= 1\.4, < 3" \(semver's loose reading would be '<3\.0\.0-0', not what was written\): expected a semver range/,
    )
    const wide = Array.from({length: 1000}, (_, i) => `1.${i}.0`).join(' || ')
    const big = await runCli(['audit', repo.name, '--tags', wide])
    expect(big.code).toBe(2)
    expect(big.stderr.trim().split('\n')).toHaveLength(1)
    expect(big.stderr).toMatch(/^archcheck: invalid --tags range: \d+ characters, more than the 1024 allowed/)
  })

  it('selects every tag a pattern matches, version or not, newest image first', async () => {
    const sha = await auditJson([repo.name, '--tag-pattern', '^sha-'])
    expect(sha.code).toBe(0)
    expect(sha.json.rows.map((row) => [row.tag, row.version, row.digest])).toEqual([['sha-3f9c2a1', null, repo.byTag['sha-3f9c2a1']]])
    expect(sha.stderr).toContain(`${repo.name}: 21 tags: 1 selected by pattern '^sha-'; left out: 20 not matching the pattern`)

    const builds = await auditJson([repo.name, '--tag-pattern', '^(main|sha-)'])
    // By the images' created, not by name: the commit build is the newer one.
    expect(builds.json.rows.map((row) => row.tag)).toEqual(['sha-3f9c2a1', 'main'])
  })

  it('fails an audit that selects nothing, with the reason on stderr', async () => {
    const {code, json, stderr} = await auditJson([repo.name, '--tags', '>=99'])
    expect(code).toBe(1)
    expect(json).toMatchObject({passed: false, exitCode: 1, rows: []})
    expect(json.nothingAudited).toBe(`nothing was audited: no tag of ${repo.name} is selected, so nothing passed`)
    expect(stderr).toContain(`archcheck: ${repo.name}: 21 tags: 0 selected by '>=99'; left out: 3 not versions`)
    expect(stderr).toContain('archcheck: nothing was audited')
  })
})

describe('archcheck audit: one truth per row', () => {
  it('shows a failed deep check in the cell and the history of the host it concerns', async () => {
    const args = [repo.name, '--tags', '>=1.9 <2.2', '--require', 'linux/amd64,linux/arm64', '--deep']
    const {code, json} = await auditJson(args)
    expect(code).toBe(1)
    const broken = json.rows.find((row) => row.tag === RELEASE_REPO_TAGS.brokenArm64Entrypoint)!
    expect(broken.passed).toBe(false)
    expect(broken.checks!.find((check) => check.id === 'entrypoint-arch' && check.status === 'fail')?.platform).toBe('linux/arm64')
    expect(cellOf(json, '2.0.1', 'linux/arm64')).toMatchObject({verdict: 'check-failed', failedChecks: ['entrypoint-arch']})
    expect(cellOf(json, '2.0.1', 'linux/amd64')).toMatchObject({verdict: 'ok', failedChecks: []})
    expect(cellOf(json, '2.0.0', 'linux/arm64')).toMatchObject({verdict: 'ok', failedChecks: []})
    expect(historyOf(json, 'linux/arm64')).toBe('ok from 1.9.0 to 2.0.0; check-failed in 2.0.1 (entrypoint-arch); ok from 2.1.0 on')
    expect(historyOf(json, 'linux/amd64')).toBe('ok in all 5 releases')

    const text = await runCli(['audit', ...args, '--no-cache', '--no-trunc'])
    expect(text.stdout).toMatch(/FAIL +│ 2\.0\.1 \(entrypoint-arch\) +│ sha256:\w+ +│ ok +│ ✗ check-failed \(entrypoint-arch\) +│/)
    // The hosts keep the order given, though arm64 is the one failing.
    const header = text.stdout.split('\n').find((line) => line.includes('IMAGE'))!
    expect(header.indexOf('linux/amd64')).toBeLessThan(header.indexOf('linux/arm64'))
  })
})
