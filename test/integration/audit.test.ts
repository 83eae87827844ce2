/**
 * `archcheck audit` against the real test registry: three repositories with 34 tags each
 * (test/helpers/audit-repos.ts), a proxy that paginates tag lists, sends rate-limit headers and
 * answers 429 on demand (test/helpers/counting-proxy.ts), workload and node fixtures.
 */
import {execFile} from 'node:child_process'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import type {AuditResult} from '../../src/api/audit.js'
import {
  ALPINE_TAGS,
  AMD64_ONLY_TAGS,
  DANGLING_TAG,
  MULTI_TAGS,
  PRERELEASE_TAGS,
  RELEASE_TAGS,
  pushAuditRepo,
  type AuditRepo,
} from '../helpers/audit-repos.js'
import {startCountingProxy, type CountingProxy, type ProxyOptions} from '../helpers/counting-proxy.js'
import {CLI_PATH, cliEnv, PROJECT_ROOT, runCli, runAuditJson} from '../helpers/cli.js'
import {testRegistryHost} from '../helpers/registry.js'
import {tempDirSync} from '../helpers/temp-dir.js'

let histA: AuditRepo
let histB: AuditRepo
let clean: AuditRepo
const proxies: CountingProxy[] = []

const tempDir = (): string => tempDirSync('audit-test')

/** A proxy that sends Docker Hub's rate-limit headers, as the registries audit meets do. */
async function proxy(options: ProxyOptions = {}): Promise<CountingProxy> {
  const started = await startCountingProxy(testRegistryHost(), {rateLimit: {}, ...options})
  proxies.push(started)
  return started
}

const auditJson = (args: string[], env?: Record<string, string | undefined>) => runAuditJson(args, {env})

const cellOf = (json: AuditResult, tag: string, host: string) =>
  json.rows.find((row) => row.tag === tag)?.cells.find((cell) => cell.host === host)?.verdict

/** RFC 4180 fields, quotes and all. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  return rows
}

beforeAll(async () => {
  const host = testRegistryHost()
  ;[histA, histB, clean] = await Promise.all([
    pushAuditRepo(host, 'audit/hist-a'),
    pushAuditRepo(host, 'audit/hist-b'),
    pushAuditRepo(host, 'audit/clean', {clean: true}),
  ])
}, 120_000)

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()))
})

describe('archcheck audit: a repository without a tag', () => {
  it('audits the releases a semver range selects, newest first, with per-host history, and exits 1', async () => {
    const {code, json, stderr} = await auditJson([histA.name, '--tags', '>=1.0', '--no-cache'])
    expect(stderr).toBe(
      `archcheck: ${histA.name}: 34 tags: 22 selected by '>=1.0'; left out: 2 not versions (edge, latest), 8 variants, 2 pre-releases\n`,
    )
    expect(code).toBe(1)
    expect(json.schemaVersion).toBe(1)
    expect(json.rows.map((row) => row.tag)).toEqual([
      '2.3.0',
      '2.2.0',
      '2.1.1',
      '2.1.0',
      '2.0.1',
      '2.0.0',
      '1.9.0',
      '1.8.0',
      '1.7.0',
      '1.6.0',
      '1.5.1',
      '1.5.0',
      '1.4.1',
      '1.4.0',
      '1.3.1',
      '1.3.0',
      '1.2.1',
      '1.2.0',
      '1.1.1',
      '1.1.0',
      '1.0.1',
      '1.0.0',
    ])
    expect(json.rows).toHaveLength(RELEASE_TAGS.length)
    for (const tag of AMD64_ONLY_TAGS) expect(cellOf(json, tag, 'linux/arm64')).toBe('no-match')
    for (const tag of MULTI_TAGS) expect(cellOf(json, tag, 'linux/arm64')).toBe('ok')
    expect(cellOf(json, DANGLING_TAG, 'linux/arm64')).toBe('missing')
    for (const tag of RELEASE_TAGS) expect(cellOf(json, tag, 'linux/amd64')).toBe('ok')
    const row = json.rows.find((r) => r.tag === '1.4.0')!
    expect(row.reference).toBe(`${histA.name}:1.4.0`)
    expect(row.digest).toBe(histA.digests.byTag['1.4.0'])
    // latest names 2.2.0's index: one release, shown once.
    expect(json.rows.find((r) => r.tag === '2.2.0')!.aliases).toEqual(['latest'])
    expect(row.cells.find((cell) => cell.host === 'linux/arm64')!.chosen).toMatch(/^sha256:/)
    expect(json.rows.find((r) => r.tag === '1.0.0')!.cells.find((cell) => cell.host === 'linux/arm64')!.chosen).toBeNull()
    const arm64 = json.history.find((h) => h.host === 'linux/arm64' && h.repository === histA.name)!
    expect(arm64.text).toBe('no-match from 1.0.0 to 1.3.1; ok from 1.4.0 to 2.2.0; missing in 2.3.0')
    expect(json.history.find((h) => h.host === 'linux/amd64')!.text).toBe(`ok in all ${RELEASE_TAGS.length} releases`)
    expect(json.summary).toMatchObject({images: RELEASE_TAGS.length, hosts: 2, failures: 9, unreadable: 0, notAudited: 0})
    expect(json.summary.requests).toBeGreaterThan(RELEASE_TAGS.length)
  })

  it('names a regressed pre-release in the history with --include-prerelease', async () => {
    const {json} = await auditJson([histA.name, '--tags', '>=2', '--include-prerelease', '--no-cache'])
    expect(json.rows.map((row) => row.tag)).toEqual([
      '2.3.0',
      '2.2.0',
      '2.1.1',
      '2.1.0',
      PRERELEASE_TAGS.multi,
      PRERELEASE_TAGS.amd64Only,
      '2.0.1',
      '2.0.0',
    ])
    const arm64 = json.history.find((h) => h.host === 'linux/arm64')!
    expect(arm64.text).toBe('ok from 2.0.0 to 2.2.0; missing in 2.3.0; no-match in 2.1.0-rc.1')
    expect(arm64.exceptions).toEqual([{version: '2.1.0-rc.1', verdict: 'no-match'}])
  })

  it('selects variants with --tag-pattern and the newest N with --latest; tags that are not versions only when named', async () => {
    const alpine = await auditJson([histA.name, '--tag-pattern', '-alpine$', '--no-cache'])
    expect(alpine.code).toBe(0)
    expect(alpine.json.rows.map((row) => row.tag).sort()).toEqual([...ALPINE_TAGS].sort())
    expect(alpine.json.rows.every((row) => row.variant === 'alpine' && row.passed)).toBe(true)

    // latest, named too, is 2.2.0's index: one release, one row.
    const latest = await auditJson([histA.name, '--latest', '3', `${histA.name}:latest`, '--no-cache'])
    expect(latest.json.rows.map((row) => [row.tag, row.aliases])).toEqual([
      ['2.3.0', []],
      ['2.2.0', ['latest']],
      ['2.1.1', []],
    ])
    expect(latest.json.rows.some((row) => row.tag === 'edge')).toBe(false)
  })

  it('says so, and fails, when a repository has no tag the selection keeps', async () => {
    const {code, json, stderr} = await auditJson([clean.name, '--tags', '>=99', '--no-cache'])
    expect(code).toBe(1)
    expect(json.rows).toEqual([])
    expect(json.unmatched).toEqual([{repository: clean.name, tags: 34}])
    expect(stderr).toContain(`archcheck: ${clean.name}: 34 tags: 0 selected by '>=99'; left out:`)
  })

  it('follows Link pages of the tag list to the end', async () => {
    const paging = await proxy({tagPages: {maxPageSize: 5}})
    const {json, code} = await auditJson([`${paging.host}/audit/clean`, '--tag-pattern', '^', '--include-prerelease', '--no-cache'])
    expect(code).toBe(0)
    // 34 tags in pages of 5; the pattern selects every one, latest being 2.2.0's alias.
    expect(paging.count({kind: 'tags', method: 'GET'})).toBe(7)
    expect(json.rows).toHaveLength(34 - 1)
  })
})

describe('archcheck audit: exit codes and unreadable images', () => {
  it('exits 0 when every cell passes', async () => {
    const {code, json} = await auditJson([clean.name, '--tags', '^2', '--no-cache'])
    expect(code).toBe(0)
    expect(json.passed).toBe(true)
    expect(json.exitCode).toBe(0)
    expect(json.rows).toHaveLength(6)
  })

  it('exits 3 and names an image that cannot be read, still reporting the rest', async () => {
    const {code, json, stderr} = await auditJson([`${clean.name}:nope`, `${clean.name}:2.0.0`, '--no-cache'])
    expect(code).toBe(3)
    expect(stderr).toContain(`archcheck: ${clean.name}:nope: `)
    expect(json.unreadable).toEqual([{reference: `${clean.name}:nope`, error: expect.stringContaining('not found')}])
    expect(json.rows.find((row) => row.tag === '2.0.0')!.passed).toBe(true)
  })

  it('refuses bad input with one line and exit 2 before any request', async () => {
    const range = await runCli(['audit', clean.name, '--tags', 'not a range'])
    expect(range.code).toBe(2)
    expect(range.stderr).toMatch(/^archcheck: .*not a range/)
    const dir = tempDir()
    const list = join(dir, 'images.txt')
    writeFileSync(list, `# images\n${clean.name}:2.0.0\nUpper/Case:1\n`)
    const bad = await runCli(['audit', '--from', list])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`archcheck: ${list}:3: `)
    const nothing = await runCli(['audit'])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain('nothing to audit')
  })
})

describe('archcheck audit: mixed sources, clients and verify checks', () => {
  it('audits an OCI layout next to registry tags, every client, with verify checks from --require', async () => {
    const {code, json} = await auditJson([
      'oci-layout:fixtures/demo',
      `${histA.name}:1.0.0`,
      `${histA.name}@${histA.digests.multi}`,
      '--client',
      'all',
      '--require',
      'linux/amd64,linux/arm64',
      '--no-cache',
    ])
    expect(code).toBe(1)
    expect(json.clients).toEqual(['docker', 'docker@20.10', 'containerd', 'podman', 'exact'])
    expect(json.required).toEqual(['linux/amd64', 'linux/arm64'])
    expect(json.rows.map((row) => row.reference)).toEqual([
      'oci-layout:fixtures/demo',
      `${histA.name}:1.0.0`,
      `${histA.name}@${histA.digests.multi}`,
    ])
    for (const row of json.rows) expect(row.cells).toHaveLength(2 * 5)
    const old = json.rows[1]
    expect(old.passed).toBe(false)
    expect(old.checks!.find((check) => check.id === 'platform-missing' && check.platform === 'linux/arm64')!.status).toBe('fail')
    expect(json.rows[0].passed).toBe(true)
    expect(json.rows[2]).toMatchObject({passed: true, tag: null, digest: histA.digests.multi})
  })
})

describe('archcheck audit: workloads and cluster nodes', () => {
  it('reads a list from stdin with --from -', async () => {
    const {stdout, code} = await new Promise<{stdout: string; code: number}>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [CLI_PATH, 'audit', '--from', '-', '--json', '--no-cache'],
        {cwd: PROJECT_ROOT, env: cliEnv(), timeout: 60_000},
        (error, out) => {
          if (error && typeof error.code !== 'number') return reject(new Error(error.message))
          resolve({stdout: out, code: typeof error?.code === 'number' ? error.code : 0})
        },
      )
      child.stdin!.end(`# release train\n${clean.name}:2.0.0\n${clean.name}:2.1.0  # next\n`)
    })
    expect(code).toBe(0)
    const json = JSON.parse(stdout) as AuditResult
    expect(json.rows.map((row) => row.tag)).toEqual(['2.1.0', '2.0.0'])
    expect(json.rows[0].origins).toEqual([{file: '<stdin>', line: 3, from: 'line 3'}])
  })

  it('audits the images of Kubernetes YAML and a Compose file on the platforms of kubectl nodes', async () => {
    const dir = tempDir()
    const fill = (name: string) => {
      const text = readFileSync(join(PROJECT_ROOT, 'test/fixtures/audit', name), 'utf8')
      const file = join(dir, name)
      writeFileSync(file, text.replaceAll('REGISTRY', testRegistryHost()).replaceAll('DIGEST', histB.digests.multi))
      return file
    }
    const {code, json} = await auditJson([
      '--from',
      fill('registry-workloads.yaml'),
      '--from',
      fill('registry-compose.yaml'),
      '--hosts-from',
      'test/fixtures/audit/nodes.json',
      '--no-cache',
    ])
    expect(code).toBe(1)
    const labels = json.hosts.map((host) => host.label)
    expect(labels).toContain('linux/amd64 (1 node)')
    expect(labels).toContain('linux/arm64 (2 nodes)')
    expect(json.hosts.filter((host) => host.host.startsWith('windows'))).toHaveLength(2)
    const host = testRegistryHost()
    expect(json.rows.map((row) => row.reference).sort()).toEqual(
      [
        `${host}/audit/hist-a:1.2.0`,
        `${host}/audit/hist-a:2.2.0`,
        `${host}/audit/clean:latest`,
        `${host}/audit/hist-b@${histB.digests.multi}`,
        `${host}/audit/clean:2.0.0`,
        `${host}/audit/hist-b:2.3.0`,
      ].sort(),
    )
    const shared = json.rows.find((row) => row.tag === '2.2.0')!
    expect(shared.origins.map((origin) => origin.from)).toEqual(['Deployment/web container app', 'Pod/debug container shell'])
    expect(json.rows.find((row) => row.tag === '1.2.0')!.origins[0]).toMatchObject({role: 'initContainer', namespace: 'shop'})
    expect(json.rows.find((row) => row.reference.includes('@'))!.origins[0]).toMatchObject({kind: 'CronJob'})
    expect(
      json.rows.find((row) => row.reference.endsWith('hist-a:1.2.0'))!.cells.find((cell) => cell.host === 'linux/arm64')!.verdict,
    ).toBe('no-match')
    expect(
      json.rows.find((row) => row.reference.endsWith('hist-b:2.3.0'))!.cells.find((cell) => cell.host === 'linux/arm64')!.verdict,
    ).toBe('missing')
    // Linux images on Windows nodes: no entry fits.
    for (const row of json.rows)
      for (const cell of row.cells.filter((c) => c.host.startsWith('windows'))) expect(cell.verdict).toBe('no-match')
  })
})

describe('archcheck audit: cache and request counts', () => {
  it('makes only HEADs and tag-list requests on a warm run, refetches a corrupt entry, and shares the cache between concurrent runs', async () => {
    const counting = await proxy()
    const cache = tempDir()
    const args = [`${counting.host}/audit/hist-b`, '--tags', '>=2.0 <2.3', '--cache-dir', cache]
    const cold = await auditJson(args)
    expect(cold.code).toBe(0)
    expect(counting.count({kind: 'manifest', method: 'GET'})).toBeGreaterThan(0)
    expect(cold.json.summary.cache).toMatchObject({hits: expect.any(Number), written: expect.any(Number)})

    counting.reset()
    const warm = await auditJson(args)
    expect(warm.code).toBe(0)
    expect(warm.json.rows).toEqual(cold.json.rows.map((row) => ({...row, durationMs: expect.any(Number)})))
    const kinds = counting.requests.map((r) => `${r.method} ${r.kind}`)
    expect(kinds.filter((k) => k !== 'HEAD manifest' && k !== 'GET tags' && k !== 'GET ping')).toEqual([])
    // Five tags, then the two children of the one index they name, each confirmed once in the repository.
    expect(counting.count({kind: 'manifest', method: 'HEAD'})).toBe(7)
    expect(warm.json.summary.cache!.hits).toBeGreaterThan(0)
    // Docker Hub's headers, passed on by the proxy, reach the summary.
    expect(warm.json.summary.rateLimit[counting.host]).toMatchObject({limit: 100, windowSeconds: 21600})

    // Corrupt the index's entry: the next run fetches it again and says so under --debug.
    const hex = histB.digests.byTag['2.0.0'].slice('sha256:'.length)
    writeFileSync(join(cache, 'sha256', hex.slice(0, 2), hex), '{"not": "the index"}')
    counting.reset()
    const repaired = await runCli(['audit', ...args, '--concurrency', '1', '--json', '--debug'])
    expect(repaired.code).toBe(0)
    expect(repaired.stderr).toContain('was corrupt')
    expect(counting.requests.filter((r) => r.method === 'GET' && r.kind === 'manifest').map((r) => r.reference)).toEqual([
      histB.digests.byTag['2.0.0'],
    ])

    // Two runs at once on an empty cache, then a warm run: every entry they wrote is whole.
    const shared = tempDir()
    const sharedArgs = [`${counting.host}/audit/clean`, '--tags', '^1', '--cache-dir', shared]
    const both = await Promise.all([auditJson(sharedArgs), auditJson(sharedArgs)])
    expect(both.map((run) => run.code)).toEqual([0, 0])
    counting.reset()
    const after = await runCli(['audit', ...sharedArgs, '--json', '--debug'])
    expect(after.code).toBe(0)
    expect(after.stderr).not.toContain('corrupt')
    expect(counting.count({kind: 'manifest', method: 'GET'}) + counting.count({kind: 'blob', method: 'GET'})).toBe(0)
    expect(readdirSync(join(shared, 'sha256')).length).toBeGreaterThan(0)
  }, 120_000)
})

describe('archcheck audit: reads shared between tags', () => {
  it('reads each child manifest and config once per run, however many tags lead to them', async () => {
    const counting = await proxy()
    const {code, json} = await auditJson([`${counting.host}/audit/clean`, '--tags', '^1', '--no-cache'])
    expect(code).toBe(0)
    // 16 tags, one index of two images: each tag once, then two manifests and two configs in all.
    expect(json.rows).toHaveLength(16)
    const gets = counting.requests.filter((r) => r.method === 'GET' && (r.kind === 'manifest' || r.kind === 'blob'))
    expect(gets.filter((r) => r.kind === 'manifest' && !r.reference!.startsWith('sha256:'))).toHaveLength(16)
    expect(gets.filter((r) => r.kind === 'manifest' && r.reference!.startsWith('sha256:'))).toHaveLength(2)
    expect(gets.filter((r) => r.kind === 'blob')).toHaveLength(2)
  })
})

describe('archcheck audit: rate limits', () => {
  it('stops at a 429 with a long Retry-After: partial report, the unaudited listed, exit 3', async () => {
    const limited = await proxy({rateLimit: {after: 7, retryAfterSeconds: 3600}})
    const args = [`${limited.host}/audit/hist-a`, '--tags', '>=1.4 <2.3', '--concurrency', '1', '--no-cache']
    const {code, json, stderr, durationMs} = await auditJson(args)
    expect(code).toBe(3)
    expect(durationMs).toBeLessThan(30_000)
    expect(json.rows).toHaveLength(13)
    const audited = json.rows.filter((row) => row.status === 'audited')
    expect(audited.length).toBeGreaterThan(0)
    expect(audited.every((row) => row.passed)).toBe(true)
    expect(json.rateLimited).toEqual([{registry: limited.host, message: expect.stringContaining('rate limit'), retryAfterMs: 3_600_000}])
    expect(json.unreadable.length + json.notAudited.length + audited.length).toBe(13)
    expect(json.notAudited.length).toBeGreaterThan(0)
    expect(stderr).toContain('not audited')
    // Nothing was started after the stop: only the image in flight met 429s (its child manifests, read concurrently).
    expect(limited.count({kind: 'manifest', status: 429})).toBeLessThanOrEqual(2)

    limited.reset()
    const text = await runCli(['audit', ...args])
    expect(text.code).toBe(3)
    expect(text.stdout).toContain('Not audited')
    for (const reference of json.notAudited) expect(text.stdout).toContain(reference)
  })
})

describe('archcheck audit: report formats', () => {
  it('prints CSV with one line per image and host', async () => {
    const result = await runCli(['audit', clean.name, '--tags', '^2', '--format', 'csv', '--no-cache'])
    expect(result.code).toBe(0)
    const [header, ...rows] = parseCsv(result.stdout)
    expect(header).toEqual([
      'repository',
      'reference',
      'tag',
      'version',
      'digest',
      'status',
      'host',
      'client',
      'verdict',
      'chosen',
      'message',
    ])
    expect(rows).toHaveLength(6 * 2)
    for (const row of rows) {
      expect(row).toHaveLength(header.length)
      expect(row[8]).toBe('ok')
      expect(row[9]).toMatch(/^sha256:/)
    }
  })

  it('prints a Markdown table per repository, and appends it to the GitHub step summary', async () => {
    const dir = tempDir()
    const summary = join(dir, 'summary.md')
    const result = await runCli(['audit', histA.name, '--tags', '>=2.2', '--format', 'markdown', '--no-cache'], {
      env: {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary},
    })
    expect(result.code).toBe(1)
    const lines = result.stdout.split('\n')
    const head = lines.findIndex((line) => line.startsWith('| Image | Digest |'))
    expect(head).toBeGreaterThan(0)
    // The hosts in the order given, whichever fails.
    expect(lines[head]).toBe('| Image | Digest | linux/amd64 | linux/arm64 |')
    expect(lines[head + 1]).toBe('|---|---|---|---|')
    expect(lines.slice(head + 2, head + 4)).toEqual([
      expect.stringMatching(/^\| `2\.3\.0` \| `sha256:[0-9a-f]+` \| ✅ ok \| ❌ missing \|$/),
      expect.stringMatching(/^\| `2\.2\.0 \(also latest\)` \| `sha256:[0-9a-f]+` \| ✅ ok \| ✅ ok \|$/),
    ])
    expect(readFileSync(summary, 'utf8')).toContain('## archcheck audit')
  })

  it('prints a text matrix with a marker on failing cells and the summary line, only the selection on stderr', async () => {
    const result = await runCli(['audit', histA.name, '--tags', '>=1.3 <1.5', '--no-cache'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^archcheck: \S+: 34 tags: 4 selected by '>=1\.3 <1\.5'; left out: [^\n]+\n$/)
    expect(result.stdout).toContain('✗ no-match')
    expect(result.stdout).toMatch(/linux\/arm64: no-match from 1\.3\.0 to 1\.3\.1; ok from 1\.4\.0 on/)
    expect(result.stdout).toMatch(/4 images × 2 hosts, 2 failing, 0 unreadable, \d+ requests in [\d.]+ s, no cache/)
  })
})
