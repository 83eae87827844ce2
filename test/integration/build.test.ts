/**
 * `archcheck build` and `archcheck builder` for real: buildah builds two platforms (arm64 under
 * QEMU) from a busybox base pushed to the test registry, archcheck pushes and verifies, and the
 * test reads each platform's layer back through archcheck's registry client. The buildx path runs
 * through the stand-in docker (test/stubs/docker), which builds with buildah too.
 */
import {execFile} from 'node:child_process'
import {readFile, mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {createGunzip} from 'node:zlib'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseReference} from '../../src/oci/reference.js'
import {closeRegistryClients, registrySource} from '../helpers/registry-client.js'
import {buildahEnvironment, type BuildahStore, createStore, enableEmulation, pushBusyboxBase, removeStore} from '../helpers/buildah.js'
import {PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {testRegistryHost} from '../helpers/registry.js'
import {tempDir} from '../helpers/temp-dir.js'

const STUBS = join(PROJECT_ROOT, 'test', 'stubs')
const PLATFORMS = ['linux/amd64', 'linux/arm64']

let host: string
let work: string
let store: BuildahStore
let buildahEnv: Record<string, string>
let context: string

beforeAll(async () => {
  host = testRegistryHost()
  await enableEmulation()
  work = await tempDir('build-test')
  store = await createStore()
  buildahEnv = await buildahEnvironment(store, [host])
  const base = await pushBusyboxBase({reference: `${host}/build-test/busybox:base`})
  process.stderr.write(`busybox base for ${PLATFORMS.join(', ')} built and pushed in ${base.elapsedMs} ms\n`)
  context = join(work, 'context')
  await mkdir(context)
  await writeFile(
    join(context, 'Dockerfile'),
    [`FROM ${host}/build-test/busybox:base`, 'ARG TARGETPLATFORM', 'RUN echo "$TARGETPLATFORM" > /platform.txt', ''].join('\n'),
  )
})

afterAll(async () => {
  if (store) await removeStore(store)
})

// Manifests as parsed JSON; the test reads a few known fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>

/** The content of `path` in the last layer of each platform's image of `digest`, read through RegistrySource. */
async function fileFromEachPlatform(reference: string, digest: string, path: string): Promise<Record<string, string>> {
  const source = registrySource(parseReference(reference))
  try {
    const index = JSON.parse(Buffer.from((await source.fetchManifest(digest)).bytes).toString('utf8')) as Json
    const found: Record<string, string> = {}
    for (const entry of index.manifests as Json[]) {
      const manifest = JSON.parse(Buffer.from((await source.fetchManifest(entry.digest)).bytes).toString('utf8')) as Json
      const layer = (manifest.layers as Json[]).at(-1)!
      const blob = await source.openBlob(layer.digest)
      const tar = /gzip/.test(layer.mediaType) ? blob.pipe(createGunzip()) : blob
      found[`${entry.platform.os}/${entry.platform.architecture}`] = await readTarEntry(tar, path)
    }
    return found
  } finally {
    await closeRegistryClients()
  }
}

async function readTarEntry(stream: NodeJS.ReadableStream, path: string): Promise<string> {
  const {extract} = await import('tar-stream')
  const parser = extract()
  let content: string | undefined
  parser.on('entry', (header, entry, next) => {
    const chunks: Buffer[] = []
    const wanted = header.name.replace(/^\.?\//, '') === path
    entry.on('data', (chunk: unknown) => {
      if (wanted) chunks.push(chunk as Buffer)
    })
    entry.on('end', () => {
      if (chunks.length > 0) content = Buffer.concat(chunks).toString('utf8')
      next()
    })
    entry.resume()
  })
  await new Promise<void>((resolve, reject) => {
    parser.on('finish', resolve).on('error', reject)
    stream.on('error', reject)
    stream.pipe(parser)
  })
  if (content === undefined) throw new Error(`${path} is not in the layer`)
  return content
}

/** Every image in the test's buildah storage, intermediate ones included. */
async function storedImages(): Promise<Array<{id: string; names: string[] | null; createdatraw: string}>> {
  const {stdout} = await promisify(execFile)('buildah', ['images', '--all', '--json'], {env: buildahEnv})
  return JSON.parse(stdout || '[]') as Array<{id: string; names: string[] | null; createdatraw: string}>
}

describe('archcheck build --backend buildah', () => {
  it('builds both platforms, pushes, verifies, and each platform says which it is', async () => {
    const reference = `${host}/build-test/app:buildah`
    const layout = join(work, 'layout')
    const before = await storedImages()
    const result = await runCli(
      ['build', '--backend', 'buildah', '-t', reference, '--push', '--output', `oci:${layout}`, '--json', context],
      {env: buildahEnv, timeoutMs: 60_000},
    )
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as Json
    expect(report.verdict).toBe('pass')
    expect(report.platforms).toEqual(PLATFORMS)
    expect(report.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(report.commands[0]).toEqual([
      'buildah',
      'build',
      '--platform',
      'linux/amd64,linux/arm64',
      '--manifest',
      expect.stringMatching(/^localhost\/archcheck-build-/),
      context,
    ])
    expect(report.commands[1]).toEqual([
      'buildah',
      'manifest',
      'push',
      '--all',
      '--tls-verify=false',
      '--digestfile',
      expect.any(String),
      report.commands[0][5],
      `docker://${reference}`,
    ])
    // The registry tag and the OCI layout were both verified against the digests buildah reported.
    expect(report.verification.map((each: Json) => [each.reference, each.verdict])).toEqual([
      [reference, 'pass'],
      [`oci-layout:${layout}@${report.pushed[1].digest}`, 'pass'],
    ])
    const checks = report.verification[0].checks as Json[]
    expect(checks.find((check) => check.id === 'digest-mismatch')).toMatchObject({status: 'pass'})
    expect(checks.filter((check) => check.id === 'platform-missing').map((check) => [check.platform, check.status])).toEqual([
      ['linux/amd64', 'pass'],
      ['linux/arm64', 'pass'],
    ])
    // The progress went to stderr.
    expect(result.stderr).toContain('+ buildah build --platform linux/amd64,linux/arm64')
    expect(result.stderr).toMatch(/\[linux\/arm64\] STEP 3\/3: RUN/)

    expect(await fileFromEachPlatform(reference, report.digest, 'platform.txt')).toEqual({
      'linux/amd64': 'linux/amd64\n',
      'linux/arm64': 'linux/arm64\n',
    })

    // Neither the manifest list nor the per-platform images it held stay in buildah's storage. The
    // base images the FROM line pulled may, as with docker: they carry the fixture's 1970 timestamp.
    const made = (await storedImages()).filter(
      (image) => !before.some((old) => old.id === image.id) && image.createdatraw !== '1970-01-01T00:00:00Z',
    )
    expect(made).toEqual([])
  }, 60_000)

  it('fails with exit 1 when the Dockerfile does not build', async () => {
    const broken = join(work, 'broken')
    await mkdir(broken)
    await writeFile(join(broken, 'Dockerfile'), `FROM ${host}/build-test/busybox:base\nRUN exit 3\n`)
    const result = await runCli(
      ['build', '--backend', 'buildah', '--platform', 'linux/amd64', '-t', `${host}/build-test/app:broken`, '--push', broken],
      {env: buildahEnv, timeoutMs: 60_000},
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('archcheck: buildah build failed with exit code')
  }, 60_000)
})

/** A fresh stand-in docker state (builders, recorded calls); the stand-in is first on PATH. Its buildah storage is shared to reuse the pulled base. */
async function stubEnv(extra: Record<string, string> = {}): Promise<{env: Record<string, string>; calls: () => Promise<string[][]>}> {
  const state = await mkdtemp(join(work, 'stub-'))
  const env = {
    PATH: `${STUBS}:${process.env.PATH}`,
    STUB_DOCKER_STATE: state,
    STUB_BUILDAH_STORAGE: join(work, 'stub-buildah'),
    DOCKER_CONFIG: buildahEnv.DOCKER_CONFIG,
    ...extra,
  }
  const calls = async (): Promise<string[][]> =>
    (await readFile(join(state, 'calls.jsonl'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[])
  return {env, calls}
}

describe('archcheck builder and build --backend buildx (stand-in docker)', () => {
  it('create → inspect → build → metadata → verify, with exactly the seed workflow commands', async () => {
    const {env, calls} = await stubEnv()
    const created = await runCli(['builder', 'create', 'multiarch', '--use'], {env})
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toContain('created builder multiarch')
    expect(created.stdout).toMatch(/platforms: .*linux\/amd64.*linux\/arm64/)

    const again = await runCli(['builder', 'create', 'multiarch'], {env})
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('reusing the existing builder multiarch')

    const inspected = await runCli(['builder', 'inspect', 'multiarch', '--json'], {env})
    expect(inspected.code, inspected.stderr).toBe(0)
    expect(JSON.parse(inspected.stdout)).toMatchObject({name: 'multiarch', driver: 'docker-container', status: 'running', missing: []})

    const reference = `${host}/build-test/app:buildx`
    const built = await runCli(['build', '-t', reference, '--push', '--builder', 'multiarch', '--provenance', 'false', context], {
      env,
      timeoutMs: 60_000,
    })
    expect(built.code, built.stderr).toBe(0)
    expect(built.stdout).toMatch(new RegExp(`pushed ${reference} -> sha256:[a-f0-9]{64}`))
    expect(built.stdout).toContain(`PASS ${reference}: every check passed`)

    expect(await calls()).toEqual([
      ['--version'],
      ['buildx', 'version'],
      ['buildx', 'inspect', 'multiarch'],
      ['buildx', 'create', '--name', 'multiarch', '--driver', 'docker-container', '--use'],
      ['buildx', 'inspect', 'multiarch', '--bootstrap'],
      ['--version'],
      ['buildx', 'version'],
      ['buildx', 'inspect', 'multiarch'],
      ['buildx', 'inspect', 'multiarch', '--bootstrap'],
      ['--version'],
      ['buildx', 'version'],
      ['buildx', 'inspect', 'multiarch'],
      ['--version'],
      ['buildx', 'version'],
      ['buildx', 'inspect', 'multiarch', '--bootstrap'],
      [
        'buildx',
        'build',
        '--builder',
        'multiarch',
        '--platform',
        'linux/amd64,linux/arm64',
        '-t',
        reference,
        '--provenance=false',
        '--metadata-file',
        expect.stringMatching(/metadata\.json$/),
        '--push',
        context,
      ],
    ])
  }, 60_000)

  it('writes an OCI layout instead of pushing, and verifies it without a registry', async () => {
    const {env, calls} = await stubEnv()
    await runCli(['builder', 'create', '--use'], {env})
    const layout = join(work, 'buildx-layout')
    const result = await runCli(['build', '--output', `oci:${layout}`, '--json', context], {env, timeoutMs: 60_000})
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as Json
    expect(report.pushed).toEqual([{reference: `oci-layout:${layout}`, digest: report.digest}])
    expect(report.verification.map((each: Json) => [each.reference, each.verdict])).toEqual([
      [`oci-layout:${layout}@${report.digest}`, 'pass'],
    ])
    expect((await calls()).at(-1)).toEqual([
      'buildx',
      'build',
      '--builder',
      'archcheck',
      '--platform',
      'linux/amd64,linux/arm64',
      '--metadata-file',
      expect.any(String),
      '--output',
      `type=oci,dest=${layout},tar=false`,
      context,
    ])
  }, 60_000)

  it('exits 1 when the tag does not point to the digest the build reported', async () => {
    const {env} = await stubEnv({STUB_BUILDX_METADATA_DIGEST: `sha256:${'0'.repeat(64)}`})
    await runCli(['builder', 'create', '--use'], {env})
    const reference = `${host}/build-test/app:moved`
    const result = await runCli(['build', '-t', reference, '--push', '--platform', 'linux/arm64', '--json', context], {
      env,
      timeoutMs: 60_000,
    })
    expect(result.code, result.stderr).toBe(1)
    const report = JSON.parse(result.stdout) as Json
    expect(report.verdict).toBe('fail')
    expect(report.verification[0].checks.find((check: Json) => check.id === 'digest-mismatch')).toMatchObject({status: 'fail'})
    // The tables' data: the tag's index with its one platform, and the pull an arm64 host gets.
    expect(report.verification[0].inspect.platforms.map((platform: Json) => platform.platform)).toEqual(['linux/arm64'])
    expect(report.verification[0].resolve.results.map((each: Json) => [each.host, each.verdict])).toEqual([['linux/arm64', 'ok']])
  }, 60_000)

  it('builder inspect names the missing platforms and how to add them', async () => {
    const {env} = await stubEnv({STUB_BUILDX_PLATFORMS: 'linux/amd64, linux/amd64/v2, linux/386'})
    await runCli(['builder', 'create', 'x86only'], {env})
    const result = await runCli(['builder', 'inspect', 'x86only'], {env})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('missing:   linux/arm64, linux/arm/v7, linux/arm/v6, linux/ppc64le, linux/s390x, linux/riscv64')
    expect(result.stdout).toContain('docker run --privileged --rm tonistiigi/binfmt --install arm64,arm,ppc64le,s390x,riscv64')
  })
})

describe('preflight failures exit 2 before any build starts', () => {
  const cases: {name: string; args: string[]; env?: Record<string, string>; message: RegExp}[] = [
    {
      name: 'buildah not installed',
      args: ['build', '--backend', 'buildah', '-t', 'x/y:z', '--push'],
      env: {PATH: '/nonexistent'},
      message: /buildah is not installed/,
    },
    {
      name: 'podman not installed',
      args: ['build', '--backend', 'podman', '-t', 'x/y:z', '--push'],
      env: {PATH: '/nonexistent'},
      message: /podman is not installed/,
    },
    {
      name: 'docker without the buildx plugin (the real docker client here)',
      args: ['build', '-t', 'x/y:z', '--push'],
      env: {PATH: '/usr/local/bin:/usr/bin:/bin'},
      message: /the docker buildx plugin is not installed/,
    },
    {
      name: 'buildx too old for --provenance',
      args: ['build', '-t', 'x/y:z', '--push', '--provenance', 'mode=max'],
      env: {STUB_BUILDX_VERSION: 'v0.9.1'},
      message: /buildx 0\.9\.1 is too old for this build \(--provenance needs 0\.10\.0\)/,
    },
    {
      name: 'multi-platform build with nowhere to go',
      args: ['build', '-t', 'x/y:z'],
      message: /must be pushed \(--push\) or written to an OCI layout/,
    },
    {
      name: 'the default docker-driver builder cannot build two platforms',
      args: ['build', '-t', 'x/y:z', '--push'],
      message: /uses the docker driver/,
    },
    {
      name: 'builder without arm64',
      args: ['build', '-t', 'x/y:z', '--push', '--builder', 'x86only'],
      env: {STUB_BUILDX_PLATFORMS: 'linux/amd64, linux/386'},
      message: /builder "x86only" does not support linux\/arm64 .*tonistiigi\/binfmt --install arm64/,
    },
  ]

  it.each(cases)('$name', async ({args, env, message}) => {
    const stub = await stubEnv()
    const result = await runCli([...args, context], {env: {...stub.env, ...env}})
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('archcheck:')),
    ).toHaveLength(1)
    // Fails in the preflight: no build was asked for, and it took CLI start-up time, not a build's.
    expect(result.durationMs).toBeLessThan(15_000)
    expect((await stub.calls()).some((call) => call[1] === 'build')).toBe(false)
  })

  it('--strict turns Dockerfile lint warnings into a failure naming the line', async () => {
    const {env, calls} = await stubEnv()
    const dir = join(work, 'pitfall')
    await mkdir(dir)
    await writeFile(join(dir, 'Dockerfile'), 'FROM alpine\nRUN wget https://example.com/tool-linux-amd64 -O /tool\n')
    const result = await runCli(['build', '-t', 'x/y:z', '--push', '--strict', dir], {env})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`error: ${join(dir, 'Dockerfile')}:2: RUN in stage 0 names the architecture "amd64"`)
    expect(await calls()).toEqual([])
  })
})
