// Docker's keychain as a user's ~/.docker/config.json drives it: auths entries, credential helpers
// (real sh scripts on PATH), and the messages that name what is wrong without quoting a secret.
import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {AbortWatch} from '../../../src/oci/abort.js'
import {RegistryError} from '../../../src/oci/errors.js'
import {CredentialStore, dockerKeychain, type Credentials, type Keychain} from '../../../src/source/registry/credentials.js'
import {tempDir} from '../../helpers/temp-dir.js'

const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64')

/** A config dir holding `config` as config.json (a string is written as is). */
async function configDir(config: unknown): Promise<string> {
  const dir = await tempDir('docker-config')
  await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  return dir
}

const savedPath = process.env.PATH
afterEach(() => {
  process.env.PATH = savedPath
})

/** Puts `docker-credential-NAME` on PATH: an sh script (shell builtins only: unit tests have only node, npm and sh) that records the server it is asked about and runs `body`. */
async function helper(name: string, body: string): Promise<{asked: () => Promise<string>}> {
  const dir = await tempDir('helpers')
  const program = join(dir, `docker-credential-${name}`)
  await writeFile(program, `#!/bin/sh\nread -r server\nprintf %s "$server" > "${dir}/asked"\n${body}\n`)
  await chmod(program, 0o755)
  process.env.PATH = `${dir}:${savedPath}`
  return {asked: () => readFile(join(dir, 'asked'), 'utf8')}
}

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(RegistryError)
  return error as RegistryError
}

describe('dockerKeychain: auths entries', () => {
  it('reads user and password from `auth`, matching keys with scheme, path and any case', async () => {
    const dir = await configDir({auths: {'https://Registry.Example:5000/v2/': {auth: basic('ann', 'pa:ss')}}})
    expect(await dockerKeychain({configDir: dir}).get('registry.example:5000')).toEqual({
      username: 'ann',
      password: 'pa:ss',
      source: `from ${dir}/config.json`,
    })
    expect(await dockerKeychain({configDir: dir}).get('registry.example')).toBeNull()
  })

  it("finds Docker Hub under its legacy key, and prefers that key to Hub's other names", async () => {
    const dir = await configDir({
      auths: {'docker.io': {auth: basic('other', 'x')}, 'https://index.docker.io/v1/': {auth: basic('hub', 'secret')}},
    })
    expect(await dockerKeychain({configDir: dir}).get('docker.io')).toMatchObject({username: 'hub', password: 'secret'})
  })

  it('takes an identity token before a password, and username/password fields without `auth`', async () => {
    const dir = await configDir({
      auths: {'a.example': {identitytoken: 'refresh', username: 'ann'}, 'b.example': {username: 'bob', password: 'pw'}},
    })
    const keychain = dockerKeychain({configDir: dir})
    expect(await keychain.get('a.example')).toMatchObject({identityToken: 'refresh', username: 'ann'})
    expect(await keychain.get('b.example')).toMatchObject({username: 'bob', password: 'pw'})
  })

  it('is anonymous without a config.json', async () => {
    expect(await dockerKeychain({configDir: await tempDir('docker-config')}).get('registry.example')).toBeNull()
  })

  it('names the file as ~/… and never quotes its content when it is not JSON', async () => {
    const home = await tempDir('home')
    const dir = join(home, '.docker')
    await mkdir(dir)
    await writeFile(join(dir, 'config.json'), '{"auths": {"r.example": {"auth": "c2VjcmV0"}')
    const error = await failure(dockerKeychain({configDir: dir, homeDir: home}).get('r.example'))
    expect([error.kind, error.message]).toEqual(['credentials', '~/.docker/config.json is not valid JSON'])
  })

  it('refuses an `auth` that is not base64 of user:password, naming the registry', async () => {
    const dir = await configDir({auths: {'r.example': {auth: Buffer.from('no-colon').toString('base64')}}})
    const error = await failure(dockerKeychain({configDir: dir}).get('r.example'))
    expect(error.message).toBe(`the "auth" entry for r.example in ${dir}/config.json is not base64 of user:password`)
  })
})

describe('dockerKeychain: credential helpers', () => {
  it('asks the credHelpers entry for its registry, the server on stdin', async () => {
    const pass = await helper('pass', `echo '{"ServerURL":"r.example","Username":"ann","Secret":"s3cret"}'`)
    const dir = await configDir({credHelpers: {'r.example': 'pass'}, auths: {'r.example': {auth: basic('file', 'x')}}})
    expect(await dockerKeychain({configDir: dir}).get('r.example')).toEqual({
      username: 'ann',
      password: 's3cret',
      source: 'from docker-credential-pass',
    })
    expect(await pass.asked()).toBe('r.example')
  })

  it('asks the credsStore about Docker Hub by its legacy URL; the user `<token>` means an identity token', async () => {
    const store = await helper('store', `echo '{"Username":"<token>","Secret":"refresh"}'`)
    const dir = await configDir({credsStore: 'store'})
    expect(await dockerKeychain({configDir: dir}).get('docker.io')).toEqual({
      identityToken: 'refresh',
      source: 'from docker-credential-store',
    })
    expect(await store.asked()).toBe('https://index.docker.io/v1/')
  })

  it('falls back to the auths entry when the helper has no credentials for the registry', async () => {
    await helper('store', `echo 'credentials not found in native keychain'; exit 1`)
    const dir = await configDir({credsStore: 'store', auths: {'r.example': {auth: basic('file', 'pw')}}})
    expect(await dockerKeychain({configDir: dir}).get('r.example')).toMatchObject({username: 'file', password: 'pw'})
  })

  it('names a helper that is missing, or that fails, with its stderr and never its stdout', async () => {
    const missing = await configDir({credHelpers: {'r.example': 'nosuch'}})
    expect((await failure(dockerKeychain({configDir: missing}).get('r.example'))).message).toBe(
      `credential helper docker-credential-nosuch (credHelpers in ${missing}/config.json) is not installed or not on PATH`,
    )
    await helper('broken', `echo 'leaked-secret'; echo 'keyring locked' >&2; exit 3`)
    const broken = await configDir({credsStore: 'broken'})
    expect((await failure(dockerKeychain({configDir: broken}).get('r.example'))).message).toBe(
      'credential helper docker-credential-broken failed (exit 3): keyring locked',
    )
  })
})

describe('CredentialStore', () => {
  it('asks the keychain once per registry, and again after a failed lookup', async () => {
    const asked: string[] = []
    let fail = true
    const keychain: Keychain = {
      get: (registry) => {
        asked.push(registry)
        if (fail) return Promise.reject(new RegistryError('helper hung', 'credentials'))
        return Promise.resolve<Credentials>({username: 'u', password: 'p', source: 'test'})
      },
    }
    const store = new CredentialStore(new AbortWatch(), keychain)
    await expect(store.find('r.example')).rejects.toThrow('helper hung')
    fail = false
    await Promise.all([store.find('r.example'), store.find('r.example')])
    expect(await store.find('r.example')).toMatchObject({username: 'u'})
    expect(asked).toEqual(['r.example', 'r.example'])
    expect(await new CredentialStore(new AbortWatch()).find('r.example')).toBeUndefined()
  })
})
