/**
 * Auth and TLS against a real registry (distribution), not nock: Basic auth with an htpasswd file
 * made by `htpasswd -B`, credentials from a real `docker-credential-*` program (credHelpers and
 * credsStore), bearer tokens from a token server whose signed JWTs the registry checks itself,
 * and HTTPS with a private CA. The CLI runs from dist/: `npm run build` first.
 */
import {execFileSync} from 'node:child_process'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {networkInterfaces, tmpdir} from 'node:os'
import {join} from 'node:path'

import {Agent} from 'undici'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildImage, type BuiltImage} from '../../scripts/fixtures/image-builder.js'
import {parseReference} from '../../src/oci/reference.js'
import {createRegistryClient} from '../../src/source/registry/client.js'
import {caSignedServerCertificate} from '../helpers/certificates.js'
import {runCli} from '../helpers/cli.js'
import {TestRegistryClient} from '../helpers/registry.js'
import {startRegistryServer, type RegistryServer} from '../helpers/registry-server.js'
import {startTokenServer, type TokenServer} from '../helpers/token-server.js'

const USER = 'archcheck'
const PASSWORD = 'real-auth-password-1234'
const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`

let dir: string
let image: BuiltImage
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archcheck-real-auth-'))
  image = await buildImage({config: {architecture: 'arm64'}, files: [{path: 'app', content: 'x'}]})
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** A Docker config dir with `config` and a `docker-credential-archtest` on PATH that logs its input and answers the htpasswd user. */
async function helperEnv(config: Record<string, unknown>): Promise<{env: Record<string, string>; log: string}> {
  const folder = await mkdtemp(join(dir, 'docker-config-'))
  const bin = join(folder, 'bin')
  const log = join(folder, 'helper.log')
  await mkdir(bin)
  const helper = join(bin, 'docker-credential-archtest')
  await writeFile(
    helper,
    `#!/bin/sh\n[ "$1" = get ] || exit 1\nread server\necho "$server" >> ${log}\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"\n`,
  )
  await chmod(helper, 0o755)
  await writeFile(join(folder, 'config.json'), JSON.stringify(config))
  return {env: {DOCKER_CONFIG: folder, PATH: `${bin}:${process.env.PATH}`}, log}
}

describe('Basic auth: htpasswd -B and a real credential helper', () => {
  let server: RegistryServer
  beforeAll(async () => {
    const line = execFileSync('htpasswd', ['-Bbn', USER, PASSWORD], {encoding: 'utf8'}).trim()
    await writeFile(join(dir, 'htpasswd'), `${line}\n`)
    server = await startRegistryServer({extraConfig: `auth:\n  htpasswd:\n    realm: archcheck-test\n    path: ${join(dir, 'htpasswd')}\n`})
    await new TestRegistryClient(server.host, {authorization: basic}).pushBundle('private/app', image, 'v1')
  })
  afterAll(async () => server?.stop())

  it('refuses without credentials (exit 3, says to log in)', async () => {
    const result = await runCli(['inspect', `${server.host}/private/app:v1`])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(`run docker login ${server.host}`)
  })

  for (const kind of ['credHelpers', 'credsStore'] as const) {
    it(`reads with the credentials a docker-credential-* program gives (${kind}), never showing them`, async () => {
      const {env, log} = await helperEnv(kind === 'credHelpers' ? {credHelpers: {[server.host]: 'archtest'}} : {credsStore: 'archtest'})
      const result = await runCli(['inspect', `${server.host}/private/app:v1`, '--json', '--debug'], {env})
      expect(result.code, result.stderr).toBe(0)
      expect((JSON.parse(result.stdout) as {digest: string}).digest).toBe(image.manifest.digest)
      expect((await readFile(log, 'utf8')).trim()).toBe(server.host)
      expect(result.stderr).not.toContain(PASSWORD)
    })
  }
})

describe('Bearer tokens: distribution auth.token checking JWTs signed by a test token server', () => {
  let server: RegistryServer
  let tokens: TokenServer
  beforeAll(async () => {
    tokens = await startTokenServer(dir, {user: USER, password: PASSWORD})
    server = await startRegistryServer({extraConfig: tokens.registryConfig})
    const push = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:public/app:pull,push`, {
      headers: {authorization: basic},
    })
    const {token} = (await push.json()) as {token: string}
    await new TestRegistryClient(server.host, {authorization: `Bearer ${token}`}).pushBundle('public/app', image, 'v1')
  })
  afterAll(async () => {
    await server?.stop()
    await tokens?.close()
  })

  it('pulls with an anonymous token for the pull scope', async () => {
    const before = tokens.issued.length
    const result = await runCli(['inspect', `${server.host}/public/app:v1`, '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect((JSON.parse(result.stdout) as {digest: string}).digest).toBe(image.manifest.digest)
    expect(tokens.issued.slice(before)).toEqual([
      {scopes: ['repository:public/app:pull'], user: null, granted: [{name: 'public/app', actions: ['pull']}]},
    ])
  })

  it('the registry refuses a push with a token that was granted pull only', async () => {
    const response = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:public/app:pull,push`)
    const {token} = (await response.json()) as {token: string}
    expect(tokens.issued.at(-1)?.granted).toEqual([{name: 'public/app', actions: ['pull']}])
    const upload = await new TestRegistryClient(server.host, {authorization: `Bearer ${token}`}).raw(
      'POST',
      '/v2/public/app/blobs/uploads/',
    )
    expect(upload.status).toBe(401)
  })

  it('fetches a new token once the last one has expired', async () => {
    tokens.setLifetime(2)
    const client = createRegistryClient({})
    try {
      const source = client.repository(parseReference(`${server.host}/public/app:v1`))
      const before = tokens.issued.length
      expect((await source.fetchManifest()).digest).toBe(image.manifest.digest)
      const old = (await (await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:public/app:pull`)).json()) as {
        token: string
      }
      await new Promise((resolve) => setTimeout(resolve, 2500))
      // The registry itself refuses the expired token: reusing it would fail.
      const stale = await new TestRegistryClient(server.host, {authorization: `Bearer ${old.token}`}).getManifest('public/app', 'v1')
      expect(stale.status).toBe(401)
      expect((await source.fetchManifest()).digest).toBe(image.manifest.digest)
      expect(tokens.issued.length - before).toBe(3)
    } finally {
      tokens.setLifetime(300)
      await client.close()
    }
  })
})

/** An address of this machine that archcheck does not treat as loopback (loopback registries are reached over plain HTTP). */
function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address
}

describe.skipIf(!nonLoopbackAddress())('TLS with a private CA', () => {
  let server: RegistryServer
  let ca: string
  beforeAll(async () => {
    const address = nonLoopbackAddress()!
    const certificates = caSignedServerCertificate(await mkdtemp(join(dir, 'tls-')), address)
    ca = certificates.ca
    server = await startRegistryServer({address, tls: {certificate: certificates.certificate, key: certificates.key}})
    const dispatcher = new Agent({connect: {ca: await readFile(ca)}})
    await new TestRegistryClient(server.host, {scheme: 'https', dispatcher}).pushBundle('tls/app', image, 'v1')
    await dispatcher.close()
  })
  afterAll(async () => server?.stop())

  it('verifies the registry through NODE_EXTRA_CA_CERTS', async () => {
    const result = await runCli(['inspect', `${server.host}/tls/app:v1`, '--json'], {env: {NODE_EXTRA_CA_CERTS: ca}})
    expect(result.code, result.stderr).toBe(0)
    expect((JSON.parse(result.stdout) as {digest: string}).digest).toBe(image.manifest.digest)
  })

  it('refuses it without the CA: one clear TLS error, exit 3', async () => {
    const result = await runCli(['inspect', `${server.host}/tls/app:v1`], {env: {NODE_EXTRA_CA_CERTS: undefined}})
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(
      new RegExp(
        `^archcheck: TLS certificate of ${server.host.replace(/\./g, '\\.')} could not be verified: .*\\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); use --insecure-registry ${server.host.replace(/\./g, '\\.')} only if you trust it\\n$`,
      ),
    )
  })

  it('accepts it with --insecure-registry', async () => {
    const result = await runCli(['inspect', `${server.host}/tls/app:v1`, '--json', '--insecure-registry', server.host], {
      env: {NODE_EXTRA_CA_CERTS: undefined},
    })
    expect(result.code, result.stderr).toBe(0)
  })
})
