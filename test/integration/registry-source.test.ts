import {createHash} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseReference} from '../../src/oci/reference.js'
import {startCountingProxy} from '../helpers/counting-proxy.js'
import {closeRegistryClients, registrySource} from '../helpers/registry-client.js'
import {sha256Digest, TestRegistryClient} from '../helpers/registry.js'
import {startRegistryServer, type RegistryServer} from '../helpers/registry-server.js'
import {pushScenario} from '../helpers/scenarios.js'
import {rejection} from '../helpers/registry-mocks.js'
import {tempDir} from '../helpers/temp-dir.js'

afterAll(closeRegistryClients)

describe('RegistrySource against docker-registry (distribution 2.8)', () => {
  it.each(['oci-index', 'docker-list', 'single-platform-docker'] as const)(
    '%s: the tag, every manifest, config and layer, verified against the pushed bytes',
    async (name) => {
      const scenario = await pushScenario(name)
      const source = registrySource(parseReference(scenario.reference))
      const top = await source.fetchManifest()
      expect(Buffer.from(top.bytes).equals(scenario.topBytes)).toBe(true)
      expect(top.digest).toBe(scenario.root.digest)
      expect(top.mediaType).toBe(scenario.root.mediaType)
      for (const image of scenario.images) {
        const manifest = await source.fetchManifest(image.digest)
        expect([manifest.digest, manifest.mediaType, manifest.bytes.byteLength]).toEqual([image.digest, image.mediaType, image.size])
        expect(await source.manifestExists(image.digest)).toBe(true)
        const config = await source.fetchBlob(image.config.digest)
        expect([sha256Digest(config), config.byteLength]).toEqual([image.config.digest, image.config.size])
        for (const layer of image.layers.digests) {
          expect(await source.blobExists(layer)).toBe(true)
          const hash = createHash('sha256')
          for await (const chunk of await source.openBlob(layer)) hash.update(chunk as Buffer)
          expect(`sha256:${hash.digest('hex')}`).toBe(layer)
        }
      }
    },
  )

  it('keeps its connections across HEADs (an audit sends one per tag): a few, never one per HEAD', async () => {
    const scenario = await pushScenario('oci-index')
    const proxy = await startCountingProxy(scenario.host)
    try {
      const source = registrySource(parseReference(`${proxy.host}/${scenario.repository}:latest`))
      const digests = scenario.images.map((image) => image.digest)
      for (let round = 0; round < 10; round++) {
        expect(await Promise.all(digests.map((digest) => source.manifestExists(digest)))).toEqual(digests.map(() => true))
      }
      for (let i = 0; i < 10; i++) expect(await source.manifestExists(digests[0])).toBe(true)
      expect(proxy.count({method: 'HEAD'})).toBe(10 * digests.length + 10)
      expect(proxy.connections).toBeLessThanOrEqual(8)
    } finally {
      await proxy.close()
    }
  })

  it('names the unknown tag, manifest and repository with the full reference', async () => {
    const scenario = await pushScenario('oci-index')
    const source = registrySource(parseReference(`${scenario.host}/${scenario.repository}:no-such-tag`))
    const tag = await rejection(source.fetchManifest())
    expect([tag.kind, tag.message]).toEqual([
      'not-found',
      `tag not found: ${scenario.host}/${scenario.repository}:no-such-tag (or no repository ${scenario.host}/${scenario.repository}: the registry answers both alike)`,
    ])
    const missing = sha256Digest(Buffer.from('never pushed'))
    expect((await rejection(source.fetchManifest(missing))).message).toBe(
      `manifest ${scenario.host}/${scenario.repository}@${missing} not found`,
    )
    expect(await source.manifestExists(missing)).toBe(false)
    expect(await source.blobExists(missing)).toBe(false)
    // distribution 2.8 answers MANIFEST_UNKNOWN (not NAME_UNKNOWN) for a repository it has never seen.
    const repository = await rejection(registrySource(parseReference(`${scenario.host}/nobody/here:1`)).fetchManifest())
    expect(repository.message).toBe(
      `tag not found: ${scenario.host}/nobody/here:1 (or no repository ${scenario.host}/nobody/here: the registry answers both alike)`,
    )
  })
})

describe('RegistrySource against docker-registry with htpasswd (Basic) auth', () => {
  const user = 'archcheck'
  const password = 'archcheck-test-password'
  // bcrypt (cost 4) of the password above, as `htpasswd -B` writes it.
  const htpasswdLine = `${user}:$2b$04$NOIADqBiHPrKYIE/crGVl.SIPeAFo0BACtOO/wYzrulm9IHHPdfP.`
  let server: RegistryServer
  let dir: string
  let reference: string
  let manifestDigest: string

  beforeAll(async () => {
    dir = await tempDir('htpasswd')
    await writeFile(join(dir, 'htpasswd'), `${htpasswdLine}\n`)
    server = await startRegistryServer({extraConfig: `auth:\n  htpasswd:\n    realm: archcheck-test\n    path: ${join(dir, 'htpasswd')}\n`})
    const client = new TestRegistryClient(server.host)
    const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
    // A minimal image: a config blob and a manifest with no layers, pushed with the credentials.
    const config = Buffer.from(JSON.stringify({architecture: 'arm64', os: 'linux', rootfs: {type: 'layers', diff_ids: []}}))
    const start = await client.raw('POST', '/v2/private/app/blobs/uploads/', {headers: {authorization}})
    expect(start.status).toBe(202)
    const upload = new URL(start.headers.get('location')!, `http://${server.host}`)
    upload.searchParams.set('digest', sha256Digest(config))
    expect(
      (
        await client.raw('PUT', upload.pathname + upload.search, {
          body: config,
          headers: {authorization, 'content-type': 'application/octet-stream'},
        })
      ).status,
    ).toBe(201)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(config), size: config.length},
        layers: [],
      }),
    )
    const put = await client.raw('PUT', '/v2/private/app/manifests/v1', {
      body: manifest,
      headers: {authorization, 'content-type': 'application/vnd.oci.image.manifest.v1+json'},
    })
    expect(put.status).toBe(201)
    manifestDigest = sha256Digest(manifest)
    reference = `${server.host}/private/app:v1`
  })

  afterAll(async () => {
    await server?.stop()
    await rm(dir, {recursive: true, force: true})
  })

  async function configDir(config: unknown): Promise<string> {
    const folder = await mkdtemp(join(dir, 'docker-config-'))
    await writeFile(join(folder, 'config.json'), JSON.stringify(config))
    return folder
  }

  it('reads with the credentials from config.json auths', async () => {
    const dockerConfigDir = await configDir({auths: {[server.host]: {auth: Buffer.from(`${user}:${password}`).toString('base64')}}})
    const lines: string[] = []
    const source = registrySource(parseReference(reference), {dockerConfigDir, debug: (line) => lines.push(line)})
    expect((await source.fetchManifest()).digest).toBe(manifestDigest)
    expect(lines.join('\n')).not.toContain(password)
  })

  it('says to log in when there are no credentials', async () => {
    const source = registrySource(parseReference(reference), {dockerConfigDir: await configDir({})})
    const error = await rejection(source.fetchManifest())
    expect([error.kind, error.message]).toEqual([
      'unauthorized',
      `${server.host} requires credentials and none were found; run docker login ${server.host}`,
    ])
  })

  it('says the credentials were rejected, without showing them', async () => {
    const wrong = 'not-the-password'
    const dockerConfigDir = await configDir({
      auths: {[`http://${server.host}`]: {auth: Buffer.from(`${user}:${wrong}`).toString('base64')}},
    })
    const error = await rejection(registrySource(parseReference(reference), {dockerConfigDir}).fetchManifest())
    expect(error.kind).toBe('unauthorized')
    expect(error.message).toBe(`${server.host} rejected the credentials from ${join(dockerConfigDir, 'config.json')}`)
    expect(error.message).not.toContain(wrong)
  })
})
