import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import nock from 'nock'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {parseReference} from '../../../src/oci/reference.js'
import {nextLink, type RegistrySource} from '../../../src/source/registry/registry-source.js'
import {OciLayoutSource} from '../../../src/source/oci-layout.js'
import {registrySource} from '../../helpers/registry-client.js'
import {writeOciLayout} from '../../../scripts/fixtures/oci-layout-writer.js'
import {elfImage} from '../../helpers/layouts.js'
import {THROUGH_NOCK, rejection, useNock} from '../../helpers/registry-mocks.js'

const REGISTRY = 'https://registry.example'
const CHALLENGE = 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull"'

let configDir: string

function source(): RegistrySource {
  return registrySource(parseReference('registry.example/team/app'), {...THROUGH_NOCK, retryBaseDelayMs: 1, dockerConfigDir: configDir})
}

describe('tag lists', () => {
  useNock()
  beforeEach(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'archcheck-tags-'))
  })
  afterEach(async () => {
    await rm(configDir, {recursive: true, force: true})
  })

  it('authenticates like any request and sends the token with every page, absolute and relative links alike', async () => {
    nock(REGISTRY).get('/v2/team/app/tags/list').query({n: '2'}).reply(401, '', {'www-authenticate': CHALLENGE})
    nock('https://auth.example')
      .get('/token')
      .query({service: 'registry.example', scope: 'repository:team/app:pull'})
      .once()
      .reply(200, {token: 'tok'})
    const authorised = nock(REGISTRY, {reqheaders: {authorization: 'Bearer tok'}})
    authorised
      .get('/v2/team/app/tags/list')
      .query({n: '2'})
      .reply(200, {name: 'team/app', tags: ['b', 'a']}, {link: '<https://registry.example/v2/team/app/tags/list?n=2&last=a>; rel="next"'})
    authorised
      .get('/v2/team/app/tags/list')
      .query({n: '2', last: 'a'})
      .reply(200, {name: 'team/app', tags: ['c', 'd']}, {link: '</v2/team/app/tags/list?n=2&last=d>; rel="next"'})
    authorised
      .get('/v2/team/app/tags/list')
      .query({n: '2', last: 'd'})
      .reply(200, {name: 'team/app', tags: ['e']})
    // Server order is kept: the caller sorts by version, not archcheck by string.
    expect(await source().listTags({pageSize: 2})).toEqual(['b', 'a', 'c', 'd', 'e'])
  })

  it('reads an empty repository (tags: null) as no tags', async () => {
    nock(REGISTRY).get('/v2/team/app/tags/list').query({n: '1000'}).reply(200, {name: 'team/app', tags: null})
    expect(await source().listTags()).toEqual([])
  })

  it('refuses a next link to another origin without sending anything there', async () => {
    nock(REGISTRY)
      .get('/v2/team/app/tags/list')
      .query({n: '2'})
      .reply(200, {tags: ['a', 'b']}, {link: '<https://elsewhere.example/v2/team/app/tags/list?n=2&last=b>; rel="next"'})
    // disableNetConnect: a request to elsewhere.example would fail as a network error, not as this.
    const error = await rejection(source().listTags({pageSize: 2}))
    expect([error.kind, error.message]).toEqual([
      'protocol',
      "tag list of registry.example/team/app (page 1): the registry's next-page link leads to another origin (https://elsewhere.example); not following it",
    ])
  })

  it('stops at the page bound with kind too-large, naming the bound', async () => {
    for (let page = 0; page < 3; page++) {
      const query = page === 0 ? {n: '1'} : {n: '1', last: `t${page - 1}`}
      nock(REGISTRY)
        .get('/v2/team/app/tags/list')
        .query(query)
        .reply(200, {tags: [`t${page}`]}, {link: `</v2/team/app/tags/list?n=1&last=t${page}>; rel="next"`})
    }
    const error = await rejection(source().listTags({pageSize: 1, maxPages: 3}))
    expect([error.kind, error.message]).toEqual([
      'too-large',
      'tag list of registry.example/team/app has more than 3 pages of up to 1 tags (the bound is 3 pages)',
    ])
  })

  it('refuses a link that leads back to a page already read', async () => {
    nock(REGISTRY)
      .get('/v2/team/app/tags/list')
      .query({n: '1'})
      .reply(200, {tags: ['a']}, {link: '</v2/team/app/tags/list?n=1&last=a>; rel="next"'})
    nock(REGISTRY)
      .get('/v2/team/app/tags/list')
      .query({n: '1', last: 'a'})
      .reply(200, {tags: ['b']}, {link: '</v2/team/app/tags/list?n=1&last=a>; rel="next"'})
    expect((await rejection(source().listTags({pageSize: 1}))).kind).toBe('protocol')
  })

  it('bounds the bytes of a page', async () => {
    // No Content-Length: the read itself must stop at the bound.
    nock(REGISTRY)
      .get('/v2/team/app/tags/list')
      .query(true)
      .reply(200, JSON.stringify({tags: ['x'.repeat(4 * 1024 * 1024)]}))
    const error = await rejection(source().listTags())
    expect([error.kind, error.message]).toEqual(['too-large', 'tag list of registry.example/team/app (page 1): larger than 4194304 bytes'])
  })

  it('names a repository the registry does not know', async () => {
    nock(REGISTRY)
      .get('/v2/team/app/tags/list')
      .query(true)
      .reply(404, {errors: [{code: 'NAME_UNKNOWN', message: 'repository name not known to registry'}]})
    const error = await rejection(source().listTags())
    expect([error.kind, error.message]).toEqual(['not-found', 'repository registry.example/team/app not found'])
  })

  it('refuses a page whose tags are not strings', async () => {
    nock(REGISTRY)
      .get('/v2/team/app/tags/list')
      .query(true)
      .reply(200, {tags: [1, 2]})
    expect((await rejection(source().listTags())).kind).toBe('malformed')
  })
})

describe('Link header parsing', () => {
  it.each([
    ['</v2/a/tags/list?n=2&last=b>; rel="next"', '/v2/a/tags/list?n=2&last=b'],
    ['<https://r.example/v2/a/tags/list?last=b>;rel=next', 'https://r.example/v2/a/tags/list?last=b'],
    ['</first>; rel="prev", </second>; rel="next"', '/second'],
    ['</x>; rel="prev next"', '/x'],
    ['</x>; rel="prev"', undefined],
    ['', undefined],
  ])('%j → %j', (header, expected) => {
    expect(nextLink(header)).toBe(expected)
  })
})

describe('tags of an OCI layout', () => {
  it('are its ref.name annotations, distinct, in index order', async () => {
    const amd64 = await elfImage('amd64')
    const arm64 = await elfImage('arm64')
    const dir = await mkdtemp(join(tmpdir(), 'archcheck-layout-tags-'))
    try {
      await writeOciLayout(dir, [{bundle: amd64, tag: '1.2'}, {bundle: arm64, tag: 'latest'}, {bundle: arm64}, {bundle: amd64, tag: '1.2'}])
      const layout = await OciLayoutSource.open(dir)
      expect(await layout.listTags()).toEqual(['1.2', 'latest'])
      await layout.close()
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
