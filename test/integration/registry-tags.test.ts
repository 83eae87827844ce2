import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {parseReference} from '../../src/oci/reference.js'
import {startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {closeRegistryClients, registrySource} from '../helpers/registry-client.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {pushScenario} from '../helpers/scenarios.js'
import {rejection} from '../helpers/registry-mocks.js'

const REPOSITORY = 'audit-source/paged'
const TAGS = ['1.0.0', '1.1.0', '1.2.0', '1.2.1', '2.0.0', '2.0.0-alpine', '2.1.0-rc.1', '2.1.0', '3.0.0', 'edge', 'latest', 'v3.1.0']
const SORTED = [...TAGS].sort()

let proxy: CountingProxy

beforeAll(async () => {
  const scenario = await pushScenario('audit-source-paged', {image: {platform: 'linux/amd64'}, repository: REPOSITORY, tag: TAGS[0]})
  const registry = new TestRegistryClient()
  for (const tag of TAGS.slice(1))
    await registry.pushManifest(REPOSITORY, tag, {bytes: scenario.topBytes, mediaType: scenario.root.mediaType})
  proxy = await startCountingProxy(testRegistryHost(), {tagPages: {}})
})

afterAll(async () => {
  await proxy?.close()
})

afterEach(async () => {
  await closeRegistryClients()
  proxy.reset()
  proxy.tagPages = {}
})

describe('RegistrySource.listTags against docker-registry', () => {
  it('reads the single unpaged list distribution 2.8 sends', async () => {
    const tags = await registrySource(parseReference(`${testRegistryHost()}/${REPOSITORY}`)).listTags()
    expect([...tags].sort()).toEqual(SORTED)
  })

  it('follows Link pages to the end, asking n per page and last from each page', async () => {
    const tags = await registrySource(parseReference(`${proxy.host}/${REPOSITORY}`)).listTags({pageSize: 5})
    expect(tags).toEqual(SORTED)
    expect(proxy.urls({kind: 'tags'})).toEqual([
      `/v2/${REPOSITORY}/tags/list?n=5`,
      `/v2/${REPOSITORY}/tags/list?n=5&last=${SORTED[4]}`,
      `/v2/${REPOSITORY}/tags/list?n=5&last=${SORTED[9]}`,
    ])
  })

  it('refuses a next link to another origin and sends that origin nothing', async () => {
    const seen: string[] = []
    const elsewhere: Server = createServer((request, response) => {
      seen.push(request.url ?? '')
      response.writeHead(200, {'content-type': 'application/json'}).end('{"tags":["stolen"]}')
    })
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
    try {
      proxy.tagPages = {nextOrigin: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`}
      const error = await rejection(registrySource(parseReference(`${proxy.host}/${REPOSITORY}`)).listTags({pageSize: 5}))
      expect([error.kind, error.message]).toEqual([
        'protocol',
        `tag list of ${proxy.host}/${REPOSITORY} (page 1): the registry's next-page link leads to another origin (${proxy.tagPages.nextOrigin}); not following it`,
      ])
      expect(seen).toEqual([])
      expect(proxy.urls({kind: 'tags'})).toHaveLength(1)
    } finally {
      elsewhere.closeAllConnections()
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()))
    }
  })

  it('stops at the page bound: three pages pass a bound of 3, not a bound of 2', async () => {
    const source = registrySource(parseReference(`${proxy.host}/${REPOSITORY}`))
    expect(await source.listTags({pageSize: 5, maxPages: 3})).toEqual(SORTED)
    proxy.reset()
    const error = await rejection(source.listTags({pageSize: 5, maxPages: 2}))
    expect([error.kind, error.message]).toEqual([
      'too-large',
      `tag list of ${proxy.host}/${REPOSITORY} has more than 2 pages of up to 5 tags (the bound is 2 pages)`,
    ])
    expect(proxy.urls({kind: 'tags'})).toHaveLength(2)
  })

  it('names a repository the registry has never seen', async () => {
    const error = await rejection(registrySource(parseReference(`${testRegistryHost()}/audit-source/nobody`)).listTags())
    expect([error.kind, error.message]).toEqual(['not-found', `repository ${testRegistryHost()}/audit-source/nobody not found`])
  })
})
