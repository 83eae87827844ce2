import {mkdir, writeFile} from 'node:fs/promises'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseReference} from '../../../src/oci/reference.js'
import {createRegistryClient} from '../../../src/source/registry/client.js'
import {registryOptionsFromEnvironment} from '../../../src/source/registry/environment.js'
import {transportSettings} from '../../../src/source/registry/transport.js'
import {tempDir} from '../../helpers/temp-dir.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

describe('registry options the CLI takes from its environment', () => {
  it('reads ARCHCHECK_INSECURE_REGISTRIES as a comma-separated list', () => {
    expect(registryOptionsFromEnvironment({ARCHCHECK_INSECURE_REGISTRIES: ' b.lan:5000, ,c.lan'}, '/home/u').insecureRegistries).toEqual([
      'b.lan:5000',
      'c.lan',
    ])
    expect(registryOptionsFromEnvironment({}, '/home/u').insecureRegistries).toEqual([])
  })

  it('takes proxies in either case, lower case first as curl does, and no proxy when none is set', () => {
    expect(
      registryOptionsFromEnvironment({HTTPS_PROXY: 'http://big:1', https_proxy: 'http://small:1', NO_PROXY: 'a.lan'}, '/h').proxy,
    ).toEqual({
      httpProxy: undefined,
      httpsProxy: 'http://small:1',
      noProxy: 'a.lan',
    })
    expect(registryOptionsFromEnvironment({http_proxy: 'http://p:3128'}, '/h').proxy).toEqual({
      httpProxy: 'http://p:3128',
      httpsProxy: undefined,
      noProxy: undefined,
    })
    expect(registryOptionsFromEnvironment({HTTPS_PROXY: '', NO_PROXY: 'a.lan'}, '/h').proxy).toBeUndefined()
  })

  it('takes the retry base delay only when it is a whole number', () => {
    expect(registryOptionsFromEnvironment({ARCHCHECK_RETRY_BASE_MS: '5'}, '/h').retryBaseDelayMs).toBe(5)
    expect(registryOptionsFromEnvironment({ARCHCHECK_RETRY_BASE_MS: 'soon'}, '/h').retryBaseDelayMs).toBeUndefined()
  })

  it("reads Docker's keychain from $DOCKER_CONFIG, else ~/.docker, naming the file with ~", async () => {
    const home = await tempDir('home')
    await mkdir(join(home, '.docker'))
    await writeFile(join(home, '.docker', 'config.json'), '{not json')
    const fromHome = registryOptionsFromEnvironment({}, home).keychain
    await expect(fromHome?.get('registry.lan')).rejects.toThrow('~/.docker/config.json is not valid JSON')
    const elsewhere = await tempDir('docker-config')
    await writeFile(join(elsewhere, 'config.json'), JSON.stringify({auths: {'registry.lan': {username: 'ci', password: 'pw'}}}))
    const keychain = registryOptionsFromEnvironment({DOCKER_CONFIG: elsewhere}, home).keychain
    expect(await keychain?.get('registry.lan')).toEqual({username: 'ci', password: 'pw', source: `from ${join(elsewhere, 'config.json')}`})
    expect(await keychain?.get('other.lan')).toBeNull()
  })

  it('a library client given nothing sends no request through a proxy the process environment names', async () => {
    const saved = process.env.HTTP_PROXY
    // A proxy that refuses every connection: a request sent through it would fail.
    process.env.HTTP_PROXY = 'http://127.0.0.1:9'
    const server = createServer((request, response) => response.writeHead(request.url === '/v2/app/blobs/' + DIGEST ? 200 : 404).end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const client = createRegistryClient()
    try {
      const source = client.repository(parseReference(`127.0.0.1:${(server.address() as AddressInfo).port}/app:1`))
      expect(await source.blobExists(DIGEST)).toBe(true)
    } finally {
      await client.close()
      await new Promise((resolve) => server.close(resolve))
      if (saved === undefined) delete process.env.HTTP_PROXY
      else process.env.HTTP_PROXY = saved
    }
  })

  it('a library client given nothing has no insecure registries, whatever the process environment says', () => {
    const saved = process.env.ARCHCHECK_INSECURE_REGISTRIES
    process.env.ARCHCHECK_INSECURE_REGISTRIES = 'registry.lan'
    try {
      expect(transportSettings({}).insecureRegistries).toEqual([])
    } finally {
      if (saved === undefined) delete process.env.ARCHCHECK_INSECURE_REGISTRIES
      else process.env.ARCHCHECK_INSECURE_REGISTRIES = saved
    }
  })
})
