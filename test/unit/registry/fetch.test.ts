import {gzipSync} from 'node:zlib'

import nock from 'nock'
import {describe, expect, it, vi} from 'vitest'

import {errorExitCode} from '../../../src/api/exit-codes.js'
import {MANIFEST_ACCEPT} from '../../../src/oci/media-types.js'
import {parseReference} from '../../../src/oci/reference.js'
import {createRegistryClient} from '../../../src/source/registry/client.js'
import type {RegistrySource} from '../../../src/source/registry/registry-source.js'
import {NodeHttpDispatcher} from '../../helpers/node-http-dispatcher.js'
import {registrySource} from '../../helpers/registry-client.js'
import {DOCKER_MANIFEST, OCI_INDEX, THROUGH_NOCK, indexBytes, rejection, sha256, useNock} from '../../helpers/registry-mocks.js'

const REGISTRY = 'https://registry.example'

function source(spec = 'registry.example/my/app:1.2', options = {}): RegistrySource {
  return registrySource(parseReference(spec), {...THROUGH_NOCK, retryBaseDelayMs: 1, ...options})
}

describe('RegistrySource, anonymous registry', () => {
  useNock()

  it('fetches a manifest by tag over HTTPS with all four Accept types and returns the exact bytes and their digest', async () => {
    const bytes = indexBytes()
    nock(REGISTRY, {reqheaders: {accept: MANIFEST_ACCEPT}})
      .get('/v2/my/app/manifests/1.2')
      .reply(200, bytes, {'content-type': OCI_INDEX, 'docker-content-digest': sha256(bytes)})
    const manifest = await source().fetchManifest()
    expect(Buffer.from(manifest.bytes).equals(bytes)).toBe(true)
    expect(manifest.digest).toBe(sha256(bytes))
    expect(manifest.mediaType).toBe(OCI_INDEX)
  })

  it('gives --debug one line per request: method, URL, status, time', async () => {
    const bytes = indexBytes()
    nock(REGISTRY).get('/v2/my/app/manifests/1.2').reply(200, bytes, {'content-type': OCI_INDEX})
    const lines: string[] = []
    await source('registry.example/my/app:1.2', {debug: (line: string) => lines.push(line)}).fetchManifest()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^GET https:\/\/registry\.example\/v2\/my\/app\/manifests\/1\.2 200 \d+ ms$/)
  })

  it("adds Docker Hub's remaining pull count to the debug line", async () => {
    const bytes = indexBytes()
    nock('https://registry-1.docker.io')
      .get('/v2/library/alpine/manifests/3')
      .reply(200, bytes, {'content-type': OCI_INDEX, 'ratelimit-remaining': '76;w=21600'})
    const lines: string[] = []
    await source('alpine:3', {debug: (line: string) => lines.push(line)}).fetchManifest()
    expect(lines[0]).toMatch(/ 200 \d+ ms \(ratelimit-remaining 76;w=21600\)$/)
  })

  it('fetches a manifest by digest and accepts a registry that sends no Docker-Content-Digest', async () => {
    const bytes = indexBytes()
    nock(REGISTRY)
      .get(`/v2/my/app/manifests/${sha256(bytes)}`)
      .reply(200, bytes, {'content-type': OCI_INDEX})
    const manifest = await source().fetchManifest(sha256(bytes))
    expect(manifest.digest).toBe(sha256(bytes))
  })

  it('rejects manifest bytes that do not hash to the requested digest', async () => {
    const wanted = sha256('something else')
    nock(REGISTRY).get(`/v2/my/app/manifests/${wanted}`).reply(200, indexBytes(), {'content-type': OCI_INDEX})
    const error = await rejection(source().fetchManifest(wanted))
    expect(error.kind).toBe('digest-mismatch')
    expect(error.message).toContain(wanted)
  })

  it('rejects a tag whose bytes do not hash to Docker-Content-Digest', async () => {
    nock(REGISTRY)
      .get('/v2/my/app/manifests/1.2')
      .reply(200, indexBytes(), {'content-type': OCI_INDEX, 'docker-content-digest': sha256('other')})
    const error = await rejection(source().fetchManifest())
    expect(error.kind).toBe('digest-mismatch')
    expect(error.message).toMatch(/Docker-Content-Digest/)
  })

  it('names the tag and the full normalised repository when the tag is unknown (404 MANIFEST_UNKNOWN)', async () => {
    nock('https://registry-1.docker.io')
      .get('/v2/my/app/manifests/1.2')
      .reply(404, {errors: [{code: 'MANIFEST_UNKNOWN', message: 'manifest unknown'}]})
    const error = await rejection(source('my/app:1.2').fetchManifest())
    expect(error.kind).toBe('not-found')
    expect(error.message).toBe('tag not found: docker.io/my/app:1.2 (or no repository docker.io/my/app: the registry answers both alike)')
    expect(errorExitCode(error)).toBe(3)
  })

  it('says the repository is unknown on 404 NAME_UNKNOWN', async () => {
    nock(REGISTRY)
      .get('/v2/my/app/manifests/1.2')
      .reply(404, {errors: [{code: 'NAME_UNKNOWN', message: 'repository name not known to registry'}]})
    expect((await rejection(source().fetchManifest())).message).toBe('repository registry.example/my/app not found')
  })

  it('fetches a small blob verified against its digest, and rejects one that does not match', async () => {
    const config = Buffer.from('{"architecture":"arm64","os":"linux"}')
    nock(REGISTRY)
      .get(`/v2/my/app/blobs/${sha256(config)}`)
      .reply(200, config)
    expect(Buffer.from(await source().fetchBlob(sha256(config))).equals(config)).toBe(true)

    const claimed = sha256('not this')
    nock(REGISTRY).get(`/v2/my/app/blobs/${claimed}`).reply(200, config)
    const error = await rejection(source().fetchBlob(claimed))
    expect(error.kind).toBe('digest-mismatch')
  })

  it('streams a blob and errors at the end when the bytes do not hash to the digest', async () => {
    const layer = Buffer.alloc(300_000, 7)
    nock(REGISTRY)
      .get(`/v2/my/app/blobs/${sha256(layer)}`)
      .reply(200, layer)
    const chunks: Buffer[] = []
    for await (const chunk of await source().openBlob(sha256(layer))) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).equals(layer)).toBe(true)

    const claimed = sha256('a different layer')
    nock(REGISTRY).get(`/v2/my/app/blobs/${claimed}`).reply(200, layer)
    const stream = await source().openBlob(claimed)
    const error = await rejection(
      (async () => {
        for await (const chunk of stream) void chunk
      })(),
    )
    expect(error.kind).toBe('digest-mismatch')
  })

  it('refuses a HEAD answer whose Docker-Content-Digest is not the digest asked for', async () => {
    const digest = sha256('x')
    nock(REGISTRY)
      .head(`/v2/my/app/manifests/${digest}`)
      .reply(200, undefined, {'docker-content-digest': sha256('y')})
    const error = await rejection(source().manifestExists(digest))
    expect(error.kind).toBe('digest-mismatch')
    expect(error.message).toBe(`registry.example/my/app answered for ${digest} with Docker-Content-Digest ${sha256('y')}`)
  })

  it("reads the registry's message from a short error document only (at most 64 KiB)", async () => {
    const denied = {errors: [{code: 'DENIED', message: 'requested access to the resource is denied'}]}
    nock(REGISTRY).get('/v2/my/app/manifests/1.2').reply(403, denied)
    expect((await rejection(source().fetchManifest())).message).toBe(
      'access to tag 1.2 in registry.example/my/app is forbidden (no credentials used): requested access to the resource is denied',
    )
    nock(REGISTRY)
      .get('/v2/my/app/manifests/1.2')
      .reply(403, {...denied, padding: 'x'.repeat(64 * 1024)})
    expect((await rejection(source().fetchManifest())).message).toBe(
      'access to tag 1.2 in registry.example/my/app is forbidden (no credentials used)',
    )
  })

  it('refuses a malformed tag or digest before any request (usage error, exit 2)', async () => {
    await expect(source().fetchManifest('../../other/repo')).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('invalid tag "../../other/repo"'),
    })
    await expect(source().fetchBlob('sha256:abc')).rejects.toMatchObject({kind: 'usage'})
  })

  it('asks for no content coding and refuses a body coded anyway (it would not be the bytes asked for)', async () => {
    nock(REGISTRY, {reqheaders: {'accept-encoding': 'identity'}})
      .get('/v2/my/app/manifests/1.2')
      .reply(200, gzipSync(indexBytes()), {'content-type': OCI_INDEX, 'content-encoding': 'gzip'})
    const error = await rejection(source().fetchManifest())
    expect([error.kind, error.message]).toEqual([
      'protocol',
      `GET ${REGISTRY}/v2/my/app/manifests/1.2 answered with Content-Encoding: gzip though asked for none (Accept-Encoding: identity); refusing it: the coded bytes are not the content asked for`,
    ])
  })

  it('sends every request through the dispatcher it was given, and leaves that open when the client closes', async () => {
    const bytes = indexBytes()
    nock(REGISTRY).get('/v2/my/app/manifests/1.2').reply(200, bytes, {'content-type': OCI_INDEX})
    const dispatcher = new NodeHttpDispatcher()
    const dispatch = vi.spyOn(dispatcher, 'dispatch')
    const close = vi.spyOn(dispatcher, 'close')
    const client = createRegistryClient({dispatcher})
    expect((await client.repository(parseReference('registry.example/my/app:1.2')).fetchManifest()).digest).toBe(sha256(bytes))
    await client.close()
    expect(dispatch.mock.calls.map(([options]) => [options.method, options.origin, options.path])).toEqual([
      ['GET', REGISTRY, '/v2/my/app/manifests/1.2'],
    ])
    expect(close).not.toHaveBeenCalled()
  })

  it('does not follow a redirect to a cloud metadata address', async () => {
    const digest = sha256('layer')
    nock(REGISTRY).get(`/v2/my/app/blobs/${digest}`).reply(307, '', {location: 'http://169.254.169.254/latest/meta-data/'})
    const error = await rejection(source().fetchBlob(digest))
    expect(error.message).toBe(
      `${REGISTRY}/v2/my/app/blobs/${digest} redirected to 169.254.169.254, a link-local or cloud metadata address; not following it`,
    )
  })

  it('stops following redirects after a few hops', async () => {
    const digest = sha256('loop')
    nock(REGISTRY).get(`/v2/my/app/blobs/${digest}`).reply(302, '', {location: '/hop'})
    nock(REGISTRY).get('/hop').times(5).reply(302, '', {location: '/hop'})
    const error = await rejection(source().fetchBlob(digest))
    expect(error.message).toBe(`too many redirects (more than 5) starting from ${REGISTRY}/v2/my/app/blobs/${digest}`)
  })

  it('keeps a HEAD a HEAD through a 303 (a GET of a manifest counts against a pull limit)', async () => {
    const digest = sha256('x')
    nock(REGISTRY)
      .head(`/v2/my/app/manifests/${digest}`)
      .reply(303, '', {location: '/elsewhere'})
      .head('/elsewhere')
      .reply(200, undefined, {'content-type': DOCKER_MANIFEST})
    expect(await source().manifestExists(digest)).toBe(true)
  })

  it('answers existence questions with HEAD: 200 true, 404 false, other statuses throw', async () => {
    const digest = sha256('x')
    nock(REGISTRY)
      .head(`/v2/my/app/manifests/${digest}`)
      .reply(200, undefined, {'content-type': DOCKER_MANIFEST})
      .head(`/v2/my/app/blobs/${digest}`)
      .reply(404)
      .head(`/v2/my/app/blobs/${sha256('y')}`)
      .reply(403)
    const registry = source()
    expect(await registry.manifestExists(digest)).toBe(true)
    expect(await registry.blobExists(digest)).toBe(false)
    // The request's timeout is the only timer made after this: it must not outlive the answer,
    // since it would hold the process open until it fired.
    vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout']})
    try {
      expect((await rejection(registry.blobExists(sha256('y')))).kind).toBe('forbidden')
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})
