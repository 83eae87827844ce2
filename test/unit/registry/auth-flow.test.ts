import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import nock from 'nock'
import {beforeEach, describe, expect, it, vi} from 'vitest'

import type {RegistryOptions} from '../../../src/source/registry/options.js'
import {parseReference} from '../../../src/oci/reference.js'
import type {RegistrySource} from '../../../src/source/registry/registry-source.js'
import {createRegistryClient} from '../../../src/source/registry/client.js'
import {registryOptionsFromEnvironment} from '../../../src/source/registry/environment.js'
import {registrySource} from '../../helpers/registry-client.js'
import {OCI_INDEX, THROUGH_NOCK, indexBytes, rejection, sha256, useNock} from '../../helpers/registry-mocks.js'
import {tempDir} from '../../helpers/temp-dir.js'

const HUB = 'https://registry-1.docker.io'
const HUB_AUTH = 'https://auth.docker.io'
const HUB_CHALLENGE = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'
const SECRET = 's3cr3t-passw0rd'

let configDir: string
let debugLines: string[]

const clientOptions = (): RegistryOptions => ({
  ...THROUGH_NOCK,
  retryBaseDelayMs: 1,
  dockerConfigDir: configDir,
  debug: (line) => debugLines.push(line),
})

function source(spec: string, options: RegistryOptions = {}): RegistrySource {
  return registrySource(parseReference(spec), {...clientOptions(), ...options})
}

async function writeConfig(config: unknown): Promise<void> {
  await writeFile(join(configDir, 'config.json'), JSON.stringify(config))
}

/** Runs `body` with a `docker-credential-NAME` shell script first on PATH. */
async function withCredentialHelper(name: string, script: string, body: () => Promise<void>): Promise<void> {
  const binDir = join(configDir, 'bin')
  await mkdir(binDir, {recursive: true})
  await writeFile(join(binDir, `docker-credential-${name}`), `#!/bin/sh\n${script}\n`)
  await chmod(join(binDir, `docker-credential-${name}`), 0o755)
  const path = process.env.PATH
  process.env.PATH = `${binDir}:${path}`
  try {
    await body()
  } finally {
    process.env.PATH = path
  }
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe('registry authentication', () => {
  useNock()
  beforeEach(async () => {
    configDir = await tempDir('docker-config')
    debugLines = []
  })

  it("follows Docker Hub's anonymous token flow and reuses the token for the next request", async () => {
    const bytes = indexBytes()
    nock(HUB)
      .get('/v2/library/alpine/manifests/latest')
      .reply(401, {errors: [{code: 'UNAUTHORIZED'}]}, {'www-authenticate': HUB_CHALLENGE})
    nock(HUB_AUTH)
      .get('/token')
      .query({service: 'registry.docker.io', scope: 'repository:library/alpine:pull'})
      .reply(200, {token: 'hub-token', expires_in: 300})
    nock(HUB, {reqheaders: {authorization: 'Bearer hub-token'}})
      .get('/v2/library/alpine/manifests/latest')
      .reply(200, bytes, {'content-type': OCI_INDEX, 'docker-content-digest': sha256(bytes)})
      .get(`/v2/library/alpine/manifests/${sha256(bytes)}`)
      .reply(200, bytes, {'content-type': OCI_INDEX})
    const alpine = source('alpine')
    expect((await alpine.fetchManifest()).digest).toBe(sha256(bytes))
    expect((await alpine.fetchManifest(sha256(bytes))).digest).toBe(sha256(bytes))
  })

  it('fetches one token for concurrent requests that meet the same challenge', async () => {
    const children = [1, 2, 3, 4, 5].map((n) => indexBytes({annotations: {n: String(n)}}))
    for (const bytes of children) {
      nock(HUB)
        .get(`/v2/library/alpine/manifests/${sha256(bytes)}`)
        .reply(401, '', {'www-authenticate': HUB_CHALLENGE})
      nock(HUB, {reqheaders: {authorization: 'Bearer shared'}})
        .get(`/v2/library/alpine/manifests/${sha256(bytes)}`)
        .reply(200, bytes, {'content-type': OCI_INDEX})
    }
    let tokenRequests = 0
    nock(HUB_AUTH)
      .get('/token')
      .query(true)
      .times(5)
      .reply(() => {
        tokenRequests++
        return [200, {token: 'shared'}]
      })
    const alpine = source('alpine')
    const fetched = await Promise.all(children.map((bytes) => alpine.fetchManifest(sha256(bytes))))
    expect(fetched.map((m) => m.digest)).toEqual(children.map((bytes) => sha256(bytes)))
    expect(tokenRequests).toBe(1)
    nock.cleanAll()
  })

  it('fetches one new token once the cached one has expired (expires_in, default 60 s), also for concurrent requests', async () => {
    const bytes = indexBytes()
    nock(HUB).get('/v2/library/alpine/manifests/latest').reply(401, '', {'www-authenticate': HUB_CHALLENGE})
    nock(HUB_AUTH).get('/token').query(true).reply(200, {token: 'first'})
    nock(HUB_AUTH).get('/token').query(true).reply(200, {token: 'second'})
    nock(HUB, {reqheaders: {authorization: 'Bearer first'}})
      .get('/v2/library/alpine/manifests/latest')
      .times(2)
      .reply(200, bytes, {'content-type': OCI_INDEX})
    nock(HUB, {reqheaders: {authorization: 'Bearer second'}})
      .get('/v2/library/alpine/manifests/latest')
      .times(3)
      .reply(200, bytes, {'content-type': OCI_INDEX})
    const alpine = source('alpine')
    await alpine.fetchManifest()
    await alpine.fetchManifest()
    vi.useFakeTimers({toFake: ['Date']})
    try {
      vi.setSystemTime(Date.now() + 61_000)
      await Promise.all([alpine.fetchManifest(), alpine.fetchManifest(), alpine.fetchManifest()])
    } finally {
      vi.useRealTimers()
    }
  })

  it('caches tokens per scope: another repository of the same registry gets its own token', async () => {
    const bytes = indexBytes()
    for (const repository of ['library/alpine', 'library/busybox']) {
      const challenge = `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:${repository}:pull"`
      nock(HUB).get(`/v2/${repository}/manifests/latest`).reply(401, '', {'www-authenticate': challenge})
      nock(HUB_AUTH)
        .get('/token')
        .query({service: 'registry.docker.io', scope: `repository:${repository}:pull`})
        .reply(200, {token: `token-for-${repository}`})
      nock(HUB, {reqheaders: {authorization: `Bearer token-for-${repository}`}})
        .get(`/v2/${repository}/manifests/latest`)
        .times(2)
        .reply(200, bytes, {'content-type': OCI_INDEX})
    }
    // Each source meets its challenge once; its second request is sent with its own scope's cached token.
    const [alpine, busybox] = [source('alpine'), source('busybox')]
    for (const image of [alpine, busybox, alpine, busybox]) await image.fetchManifest()
  })

  it('refuses a token response larger than 1 MiB', async () => {
    nock(HUB).get('/v2/library/alpine/manifests/latest').reply(401, '', {'www-authenticate': HUB_CHALLENGE})
    nock(HUB_AUTH)
      .get('/token')
      .query(true)
      .reply(200, JSON.stringify({token: 'x'.repeat(1024 * 1024)}))
    const error = await rejection(source('alpine').fetchManifest())
    expect(error.kind).toBe('too-large')
    expect(error.message).toBe('token response from auth.docker.io larger than 1048576 bytes')
  })

  it('takes a GHCR-style anonymous token from access_token', async () => {
    const bytes = indexBytes()
    nock('https://ghcr.io')
      .get('/v2/owner/tool/manifests/v1')
      .reply(401, '', {'www-authenticate': 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:owner/tool:pull"'})
    nock('https://ghcr.io')
      .get('/token')
      .query({service: 'ghcr.io', scope: 'repository:owner/tool:pull'})
      .reply(200, {access_token: 'ghcr-token'})
    nock('https://ghcr.io', {reqheaders: {authorization: 'Bearer ghcr-token'}})
      .get('/v2/owner/tool/manifests/v1')
      .reply(200, bytes, {'content-type': OCI_INDEX})
    expect((await source('ghcr.io/owner/tool:v1').fetchManifest()).mediaType).toBe(OCI_INDEX)
  })

  it('sends Basic credentials from config.json auths to a registry that asks for Basic auth', async () => {
    await writeConfig({auths: {'registry.example': {auth: Buffer.from(`ci:${SECRET}`).toString('base64')}}})
    const bytes = indexBytes()
    nock('https://registry.example').get('/v2/team/app/manifests/1').reply(401, '', {'www-authenticate': 'Basic realm="registry"'})
    nock('https://registry.example', {reqheaders: {authorization: basic('ci', SECRET)}})
      .get('/v2/team/app/manifests/1')
      .reply(200, bytes, {'content-type': OCI_INDEX})
    expect((await source('registry.example/team/app:1').fetchManifest()).digest).toBe(sha256(bytes))
  })

  it("reads config.json from $DOCKER_CONFIG in the CLI's environment options, never from the process's own", async () => {
    await writeConfig({auths: {'registry.example': {auth: Buffer.from(`ci:${SECRET}`).toString('base64')}}})
    const bytes = indexBytes()
    nock('https://registry.example').get('/v2/team/app/manifests/1').times(2).reply(401, '', {'www-authenticate': 'Basic realm="registry"'})
    nock('https://registry.example', {reqheaders: {authorization: basic('ci', SECRET)}})
      .get('/v2/team/app/manifests/1')
      .reply(200, bytes, {'content-type': OCI_INDEX})
    const saved = process.env.DOCKER_CONFIG
    process.env.DOCKER_CONFIG = configDir
    try {
      // No keychain asked for: anonymous, whatever DOCKER_CONFIG says.
      const anonymous = await rejection(source('registry.example/team/app:1', {dockerConfigDir: undefined}).fetchManifest())
      expect(anonymous.kind).toBe('unauthorized')
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG
      else process.env.DOCKER_CONFIG = saved
    }
    const {keychain} = registryOptionsFromEnvironment({DOCKER_CONFIG: configDir}, '/nonexistent-home')
    expect((await source('registry.example/team/app:1', {dockerConfigDir: undefined, keychain}).fetchManifest()).digest).toBe(sha256(bytes))
  })

  it('asks a keychain of its own for credentials, once per registry', async () => {
    const bytes = indexBytes()
    const asked: string[] = []
    const keychain = {
      get: async (registry: string) => {
        asked.push(registry)
        return {username: 'robot', password: SECRET, source: 'from the test keychain'}
      },
    }
    nock('https://registry.example').get('/v2/team/app/manifests/1').reply(401, '', {'www-authenticate': 'Basic realm="registry"'})
    nock('https://registry.example', {reqheaders: {authorization: basic('robot', SECRET)}})
      .get(/\/v2\/team\/app\/manifests\/[12]/)
      .times(2)
      .reply(200, bytes, {'content-type': OCI_INDEX})
    const client = createRegistryClient({...clientOptions(), dockerConfigDir: undefined, keychain})
    try {
      expect((await client.repository(parseReference('registry.example/team/app:1')).fetchManifest()).digest).toBe(sha256(bytes))
      expect((await client.repository(parseReference('registry.example/team/app:2')).fetchManifest()).digest).toBe(sha256(bytes))
    } finally {
      await client.close()
    }
    expect(asked).toEqual(['registry.example'])
  })

  it('says to log in when a Basic-auth registry gets no credentials', async () => {
    nock('https://registry.example').get('/v2/team/app/manifests/1').reply(401, '', {'www-authenticate': 'Basic realm="registry"'})
    const error = await rejection(source('registry.example/team/app:1').fetchManifest())
    expect(error.kind).toBe('unauthorized')
    expect(error.message).toBe('registry.example requires credentials and none were found; run docker login registry.example')
  })

  it('reports Basic credentials the registry rejects, without showing them', async () => {
    await writeConfig({auths: {'https://registry.example/v1/': {auth: Buffer.from(`ci:${SECRET}`).toString('base64')}}})
    nock('https://registry.example').get('/v2/team/app/manifests/1').times(2).reply(401, '', {'www-authenticate': 'Basic realm="r"'})
    const error = await rejection(source('registry.example/team/app:1').fetchManifest())
    expect(error.kind).toBe('unauthorized')
    expect(error.message).toMatch(/^registry\.example rejected the credentials from .*config\.json$/)
    expect(error.message).not.toContain(SECRET)
  })

  it('reports rejected Hub credentials (401 from the token server) without showing them, in errors or debug lines', async () => {
    await writeConfig({auths: {'https://index.docker.io/v1/': {auth: Buffer.from(`me:${SECRET}`).toString('base64')}}})
    nock(HUB).get('/v2/library/alpine/manifests/latest').reply(401, '', {'www-authenticate': HUB_CHALLENGE})
    nock(HUB_AUTH, {reqheaders: {authorization: basic('me', SECRET)}})
      .get('/token')
      .query(true)
      .reply(401, {details: 'incorrect username or password'})
    const error = await rejection(source('alpine').fetchManifest())
    expect(error.kind).toBe('unauthorized')
    expect(error.message).toMatch(/docker\.io rejected the credentials from .*config\.json/)
    const everything = [error.message, ...debugLines].join('\n')
    expect(debugLines.length).toBeGreaterThan(0)
    expect(everything).not.toContain(SECRET)
    expect(everything).not.toContain(Buffer.from(`me:${SECRET}`).toString('base64'))
  })

  it('exchanges an identitytoken at the token server (OAuth2 refresh_token grant)', async () => {
    await writeConfig({auths: {'registry.example': {identitytoken: 'refresh-me'}}})
    const bytes = indexBytes()
    nock('https://registry.example')
      .get('/v2/team/app/manifests/1')
      .reply(401, '', {'www-authenticate': 'Bearer realm="https://login.example/oauth2/token",service="registry.example"'})
    let form: URLSearchParams | undefined
    nock('https://login.example')
      .post('/oauth2/token', (body) => {
        form = new URLSearchParams(body as string)
        return true
      })
      .reply(200, {access_token: 'from-refresh'})
    nock('https://registry.example', {reqheaders: {authorization: 'Bearer from-refresh'}})
      .get('/v2/team/app/manifests/1')
      .reply(200, bytes, {'content-type': OCI_INDEX})
    await source('registry.example/team/app:1').fetchManifest()
    expect(form?.get('grant_type')).toBe('refresh_token')
    expect(form?.get('refresh_token')).toBe('refresh-me')
    expect(form?.get('scope')).toBe('repository:team/app:pull')
  })

  it('a second source for the same repository sends its token at once, and the credential helper runs once', async () => {
    await writeConfig({credHelpers: {'docker.io': 'counted'}})
    const script = `read server\necho asked >> "${configDir}/calls"\necho '{"ServerURL":"'"$server"'","Username":"u","Secret":"${SECRET}"}'`
    await withCredentialHelper('counted', script, async () => {
      const bytes = indexBytes()
      nock(HUB).get('/v2/library/alpine/manifests/1').reply(401, '', {'www-authenticate': HUB_CHALLENGE})
      nock(HUB_AUTH).get('/token').query(true).once().reply(200, {token: 'shared'})
      nock(HUB, {reqheaders: {authorization: 'Bearer shared'}})
        .get('/v2/library/alpine/manifests/1')
        .reply(200, bytes, {'content-type': OCI_INDEX})
      const client = createRegistryClient(clientOptions())
      try {
        await client.repository(parseReference('alpine:1')).fetchManifest()
        // No 401 this time: the second source authorises up front with the remembered challenge.
        nock(HUB, {reqheaders: {authorization: 'Bearer shared'}})
          .get('/v2/library/alpine/manifests/2')
          .reply(200, bytes, {'content-type': OCI_INDEX})
        await client.repository(parseReference('alpine:2')).fetchManifest()
      } finally {
        await client.close()
      }
      expect((await readFile(join(configDir, 'calls'), 'utf8')).trim().split('\n')).toEqual(['asked'])
    })
  })

  it('two clients in one process share no token, challenge or credential look-up', async () => {
    await writeConfig({credHelpers: {'docker.io': 'counted'}})
    const script = `read server\necho asked >> "${configDir}/calls"\necho '{"ServerURL":"'"$server"'","Username":"u","Secret":"${SECRET}"}'`
    await withCredentialHelper('counted', script, async () => {
      const bytes = indexBytes()
      for (const token of ['first', 'second']) {
        // Each client pays its own 401 and token: nothing learnt by the first reaches the second.
        nock(HUB).get('/v2/library/alpine/manifests/1').reply(401, '', {'www-authenticate': HUB_CHALLENGE})
        nock(HUB_AUTH).get('/token').query(true).once().reply(200, {token})
        nock(HUB, {reqheaders: {authorization: `Bearer ${token}`}})
          .get('/v2/library/alpine/manifests/1')
          .reply(200, bytes, {'content-type': OCI_INDEX})
      }
      const [first, second] = [createRegistryClient(clientOptions()), createRegistryClient(clientOptions())]
      try {
        await first.repository(parseReference('alpine:1')).fetchManifest()
        await second.repository(parseReference('alpine:1')).fetchManifest()
      } finally {
        await Promise.all([first.close(), second.close()])
      }
      expect((await readFile(join(configDir, 'calls'), 'utf8')).trim().split('\n')).toEqual(['asked', 'asked'])
    })
  })

  it('does not resend the identitytoken when the token server redirects the POST to another origin', async () => {
    await writeConfig({auths: {'registry.example': {identitytoken: 'refresh-me'}}})
    nock('https://registry.example')
      .get('/v2/team/app/manifests/1')
      .reply(401, '', {'www-authenticate': 'Bearer realm="https://login.example/oauth2/token",service="registry.example"'})
    nock('https://login.example').post('/oauth2/token').reply(307, '', {location: 'http://elsewhere.example/collect'})
    let forwarded = false
    nock('http://elsewhere.example')
      .post('/collect', () => {
        forwarded = true
        return true
      })
      .optionally()
      .reply(200, {access_token: 'stolen'})
    const error = await rejection(source('registry.example/team/app:1').fetchManifest())
    expect(error.message).toContain('redirected a request carrying credentials to another origin (http://elsewhere.example)')
    expect(error.message).not.toContain('refresh-me')
    expect(forwarded).toBe(false)
  })

  it('asks a credential helper on PATH for the Hub credentials (credHelpers)', async () => {
    await writeConfig({credHelpers: {'docker.io': 'fake'}})
    // The helper records the server it was asked about and answers with fixed credentials.
    const script = `read server\necho "$server" > "${configDir}/asked"\necho '{"ServerURL":"'"$server"'","Username":"helper-user","Secret":"${SECRET}"}'`
    await withCredentialHelper('fake', script, async () => {
      const bytes = indexBytes()
      nock(HUB).get('/v2/library/alpine/manifests/latest').reply(401, '', {'www-authenticate': HUB_CHALLENGE})
      nock(HUB_AUTH, {reqheaders: {authorization: basic('helper-user', SECRET)}})
        .get('/token')
        .query(true)
        .reply(200, {token: 'helped'})
      nock(HUB, {reqheaders: {authorization: 'Bearer helped'}})
        .get('/v2/library/alpine/manifests/latest')
        .reply(200, bytes, {'content-type': OCI_INDEX})
      await source('alpine').fetchManifest()
      expect((await readFile(join(configDir, 'asked'), 'utf8')).trim()).toBe('https://index.docker.io/v1/')
    })
  })

  it('refuses to send credentials to a token server on plain HTTP', async () => {
    await writeConfig({auths: {'registry.example': {auth: Buffer.from(`ci:${SECRET}`).toString('base64')}}})
    nock('https://registry.example')
      .get('/v2/team/app/manifests/1')
      .reply(401, '', {'www-authenticate': 'Bearer realm="http://tokens.example/token",service="registry.example"'})
    const error = await rejection(source('registry.example/team/app:1').fetchManifest())
    expect(error.message).toMatch(
      /^token server tokens\.example of registry\.example uses plain HTTP; refusing to send credentials from .*config\.json unencrypted/,
    )
  })

  it('goes on anonymously when the credential store has nothing for the registry', async () => {
    await writeConfig({credsStore: 'empty'})
    await withCredentialHelper('empty', 'echo "credentials not found in native keychain"\nexit 1', async () => {
      const bytes = indexBytes()
      nock(HUB).get('/v2/library/alpine/manifests/latest').reply(401, '', {'www-authenticate': HUB_CHALLENGE})
      nock(HUB_AUTH, {badheaders: ['authorization']})
        .get('/token')
        .query(true)
        .reply(200, {token: 'anonymous'})
      nock(HUB, {reqheaders: {authorization: 'Bearer anonymous'}})
        .get('/v2/library/alpine/manifests/latest')
        .reply(200, bytes, {'content-type': OCI_INDEX})
      expect((await source('alpine').fetchManifest()).digest).toBe(sha256(bytes))
    })
  })

  it('stops a credential helper that prints more than 64 KiB', async () => {
    await writeConfig({credsStore: 'chatty'})
    await withCredentialHelper('chatty', 'while :; do echo "{}"; done', async () => {
      nock('https://registry.example').get('/v2/team/app/manifests/1').reply(401, '', {'www-authenticate': 'Basic realm="r"'})
      const error = await rejection(source('registry.example/team/app:1').fetchManifest())
      expect([error.kind, error.message]).toEqual([
        'credentials',
        'credential helper docker-credential-chatty printed more than 65536 bytes; stopped it',
      ])
    })
  })

  it('refuses a config.json larger than 1 MiB before reading it', async () => {
    await writeFile(join(configDir, 'config.json'), ' '.repeat(1024 * 1024 + 1))
    nock('https://registry.example').get('/v2/team/app/manifests/1').reply(401, '', {'www-authenticate': 'Basic realm="r"'})
    const error = await rejection(source('registry.example/team/app:1').fetchManifest())
    expect(error.kind).toBe('credentials')
    expect(error.message).toMatch(/config\.json is 1048577 bytes, more than a Docker config can be \(limit 1048576\)$/)
  })

  it('names a credential helper that is not installed', async () => {
    await writeConfig({credsStore: 'nonexistent-archcheck-test'})
    nock('https://registry.example').get('/v2/team/app/manifests/1').reply(401, '', {'www-authenticate': 'Basic realm="r"'})
    const error = await rejection(source('registry.example/team/app:1').fetchManifest())
    expect(error.message).toMatch(
      /credential helper docker-credential-nonexistent-archcheck-test \(credsStore in .*config\.json\) is not installed or not on PATH/,
    )
  })

  it('says "not found or not authorised" when the token is granted but the repository still answers 401', async () => {
    nock('https://registry-1.docker.io').get('/v2/nobody/private/manifests/latest').times(2).reply(401, '', {
      'www-authenticate':
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:nobody/private:pull",error="insufficient_scope"',
    })
    nock(HUB_AUTH).get('/token').query(true).reply(200, {token: 'empty-access'})
    const error = await rejection(source('nobody/private').fetchManifest())
    expect(error.kind).toBe('not-found')
    expect(error.message).toBe('repository docker.io/nobody/private not found or not authorised (no credentials used)')
  })

  it('says 403 is forbidden and whether credentials were used', async () => {
    await writeConfig({auths: {'registry.example': {auth: Buffer.from(`ci:${SECRET}`).toString('base64')}}})
    nock('https://registry.example').get('/v2/team/app/manifests/1').reply(401, '', {'www-authenticate': 'Basic realm="r"'})
    nock('https://registry.example')
      .get('/v2/team/app/manifests/1')
      .reply(403, {errors: [{code: 'DENIED', message: 'requested access to the resource is denied'}]})
    const error = await rejection(source('registry.example/team/app:1').fetchManifest())
    expect(error.kind).toBe('forbidden')
    expect(error.message).toMatch(
      /^access to tag 1 in registry\.example\/team\/app is forbidden \(with credentials from .*config\.json\): requested access/,
    )
    expect(error.message).not.toContain(SECRET)
  })

  it('never sends or shows user info in a token realm URL', async () => {
    const bytes = indexBytes()
    nock('https://registry.example')
      .get('/v2/team/app/manifests/1')
      .reply(401, '', {'www-authenticate': `Bearer realm="https://robot:${SECRET}@tokens.example/token",service="registry.example"`})
    nock('https://tokens.example', {badheaders: ['authorization']})
      .get('/token')
      .query(true)
      .reply(200, {token: 'anonymous'})
    nock('https://registry.example', {reqheaders: {authorization: 'Bearer anonymous'}})
      .get('/v2/team/app/manifests/1')
      .reply(200, bytes, {'content-type': OCI_INDEX})
    expect((await source('registry.example/team/app:1').fetchManifest()).digest).toBe(sha256(bytes))
    expect(debugLines.join('\n')).not.toContain(SECRET)
  })

  it('never sends Authorization to another host a blob redirect leads to', async () => {
    const layer = Buffer.from('layer bytes')
    const digest = sha256(layer)
    nock('https://ghcr.io')
      .get(`/v2/owner/tool/blobs/${digest}`)
      .reply(401, '', {'www-authenticate': 'Bearer realm="https://ghcr.io/token",service="ghcr.io"'})
    nock('https://ghcr.io').get('/token').query(true).reply(200, {token: 'blob-token'})
    let registryAuthorization: string | undefined
    nock('https://ghcr.io')
      .get(`/v2/owner/tool/blobs/${digest}`)
      .reply(function () {
        registryAuthorization = this.req.headers.authorization
        return [307, '', {location: 'https://objects.example/blob?X-Amz-Signature=very-secret-signature'}]
      })
    let storageHeaders: Record<string, unknown> = {}
    nock('https://objects.example')
      .get('/blob')
      .query(true)
      .reply(function () {
        storageHeaders = this.req.headers
        return [200, layer]
      })
    const bytes = await source('ghcr.io/owner/tool:v1').fetchBlob(digest)
    expect(Buffer.from(bytes).equals(layer)).toBe(true)
    expect(registryAuthorization).toBe('Bearer blob-token')
    expect(storageHeaders.authorization).toBeUndefined()
    expect(debugLines.join('\n')).not.toContain('very-secret-signature')
    expect(debugLines.join('\n')).toContain('https://objects.example/blob?X-Amz-Signature=…')
  })
})
