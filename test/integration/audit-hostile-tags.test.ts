/**
 * `archcheck audit` against registries whose tag lists no real registry would send: a page of
 * 150,000 tags, 40 pages of 100,000, tags longer than a reference may be. A registry of our own
 * (test/helpers/hostile-registry.ts) serves them; the local docker-registry refuses such tags.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'

import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {buildIndex, type ImageBundle} from '../../scripts/fixtures/image-builder.js'
import type {AuditResult} from '../../src/api/audit.js'
import {imageRoutes, runCliTimed, startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'
import {elfImage} from '../helpers/layouts.js'

let bundle: ImageBundle
const registries: HostileRegistry[] = []

beforeAll(async () => {
  bundle = buildIndex({entries: [{target: await elfImage('amd64')}, {target: await elfImage('arm64')}]})
})

afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()))
})

/** A registry serving `pages(n)` as page n of repo's tag list (a next link while there is one), and one index under every tag. */
async function registryWithTags(pages: (page: number) => string[] | undefined): Promise<HostileRegistry> {
  const serveImage = imageRoutes(bundle)
  const registry = await startHostileRegistry((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://registry')
    if (url.pathname === '/v2/') return void response.writeHead(200, {'content-type': 'application/json'}).end('{}')
    if (url.pathname === '/v2/repo/tags/list') {
      const page = Number(url.searchParams.get('page') ?? '1')
      const headers: Record<string, string> = {'content-type': 'application/json'}
      if (pages(page + 1)) headers.link = `</v2/repo/tags/list?page=${page + 1}>; rel="next"`
      return void response.writeHead(200, headers).end(JSON.stringify({name: 'repo', tags: pages(page) ?? []}))
    }
    // Every tag names the one index.
    const tag = /^\/v2\/repo\/manifests\/([^/@]+)$/.exec(url.pathname)
    if (tag && !tag[1].startsWith('sha256:')) request.url = '/v2/repo/manifests/latest'
    if (!serveImage(request, response)) response.writeHead(404).end()
  })
  registries.push(registry)
  return registry
}

const versions = (from: number, count: number) => Array.from({length: count}, (_, i) => `${from + i}.0.0`)

async function audit(registry: HostileRegistry, args: string[]) {
  const result = await runCliTimed(['audit', `${registry.host}/repo`, ...args, '--no-cache', '--json'], {
    killAfterMs: 60_000,
  })
  return {...result, json: JSON.parse(result.stdout || 'null') as AuditResult | null}
}

describe('archcheck audit: hostile tag lists', () => {
  it('reads a page of 150,000 tags without overflowing the stack, and refuses a selection past the bound', async () => {
    const registry = await registryWithTags((page) => (page === 1 ? versions(0, 150_000) : undefined))
    const {code, json, stderr, exitMs} = await audit(registry, [])
    expect(stderr).not.toMatch(/RangeError|call stack|at /)
    expect(code).toBe(3)
    expect(json!.rows).toHaveLength(1)
    expect(json!.rows[0]).toMatchObject({status: 'unreadable', errorKind: 'too-large'})
    expect(json!.rows[0].error).toBe(
      '150000 images selected, more than the 2000 allowed per repository: narrow the selection (--tags, --tag-pattern, --latest) or raise --max-images',
    )
    expect(json!.selection[0]).toMatchObject({tags: 150_000, selected: 150_000})
    expect(exitMs).toBeLessThan(30_000)

    const narrowed = await audit(registry, ['--latest', '2'])
    expect(narrowed.code).toBe(0)
    // Every tag of this registry names one index: the two releases kept are one digest, one row.
    expect(narrowed.json!.rows.map((row) => [row.tag, row.aliases])).toEqual([['149999.0.0', ['149998.0.0']]])
  })

  it('stops a tag list past the bound on one repository within seconds (40 pages of 100,000 tags)', async () => {
    let served = 0
    const registry = await registryWithTags((page) => {
      if (page > 40) return undefined
      served = Math.max(served, page)
      return versions(page * 100_000, 100_000)
    })
    const {code, json, stderr, exitMs} = await audit(registry, ['--tags', '>=1'])
    expect(code).toBe(3)
    expect(json!.rows).toHaveLength(1)
    expect(json!.rows[0].error).toMatch(
      /cannot list the tags: tag list of .*\/repo has more than 200000 tags \(the bound on one repository's tags\)/,
    )
    expect(stderr).toContain('has more than 200000 tags')
    // Pages are read one after another: it stopped at the third of forty.
    expect(served).toBeLessThanOrEqual(4)
    expect(exitMs).toBeLessThan(30_000)
  })

  it('fails only the row of a tag too long to be a reference; the others are audited', async () => {
    const long = `1.0.1-${'a'.repeat(125)}`
    const registry = await registryWithTags((page) => (page === 1 ? ['1.0.0', long] : undefined))
    const {code, json} = await audit(registry, ['--tag-pattern', '^1'])
    expect(code).toBe(3)
    expect(json!.rows.map((row) => [row.tag, row.status])).toEqual([
      [long, 'unreadable'],
      ['1.0.0', 'audited'],
    ])
    expect(json!.rows[0].error).toMatch(/^the registry lists a tag that is not a valid reference: /)

    const rc = `1.2.3-rc${'.1'.repeat(70)}`
    const prerelease = await registryWithTags((page) => (page === 1 ? ['1.2.2', rc] : undefined))
    const second = await audit(prerelease, ['--include-prerelease'])
    expect(second.code).toBe(3)
    expect(second.json!.rows.find((row) => row.tag === '1.2.2')!.status).toBe('audited')
    expect(second.json!.rows.find((row) => row.tag === rc)!.errorKind).toBe('invalid-tag')
  })
})
