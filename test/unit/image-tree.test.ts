import {execFile} from 'node:child_process'
import {readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {
  MediaTypes,
  buildArtifact,
  buildAttestation,
  buildImage,
  buildIndex,
  buildManifest,
  contentObject,
  jsonObject,
} from '../../scripts/fixtures/image-builder.js'
import {blobPath} from '../../scripts/fixtures/oci-layout-writer.js'
import {RegistryError, UsageError} from '../../src/oci/errors.js'
import {openOciArchive} from '../../src/source/oci-archive.js'
import {OciLayoutSource} from '../../src/source/oci-layout.js'
import type {ImageSource} from '../../src/source/source.js'
import {fetchImageTree} from '../../src/engine/tree.js'
import type {ImageNode, IndexNode, OtherNode} from '../../src/oci/types.js'
import {archiveWith, elfImage, layoutWith} from './layout-helpers.js'

const run = promisify(execFile)

const treeOf = async (dir: string, options: {maxManifestBytes?: number} = {}) => {
  const source = await OciLayoutSource.open(dir, options)
  try {
    return await fetchImageTree(source)
  } finally {
    await source.close()
  }
}

describe('fetchImageTree over an OCI layout', () => {
  it('resolves an OCI index into per-platform images with configs, layers and a linked attestation', async () => {
    const [amd, arm] = [await elfImage('amd64'), await elfImage('arm64')]
    const attestation = await buildAttestation(amd.manifest)
    const index = buildIndex({entries: [{target: amd}, {target: arm}, {target: attestation}]})
    const dir = await layoutWith(index)
    const tree = await treeOf(dir)

    expect(tree.reference).toBe(`oci-layout:${dir}:latest`)
    const root = tree.root as IndexNode
    expect(root.kind).toBe('index')
    expect(root.descriptor).toEqual({mediaType: MediaTypes.ociIndex, digest: index.index.digest, size: index.index.size})
    const [amdNode, armNode, attNode] = root.children as ImageNode[]
    expect(amdNode.descriptor).toMatchObject({
      digest: amd.manifest.digest,
      size: amd.manifest.size,
      platform: {os: 'linux', architecture: 'amd64'},
    })
    expect(amdNode.config).toMatchObject({
      digest: amd.config.digest,
      os: 'linux',
      architecture: 'amd64',
      entrypoint: ['/app'],
      cmd: ['--help'],
      created: '2024-01-01T00:00:00Z',
    })
    expect(amdNode.layers.map((l) => l.digest)).toEqual([amd.layers[0].digest])
    expect(amdNode.compressedSize).toBe(amd.layers[0].size)
    expect(armNode.config.architecture).toBe('arm64')
    expect(amdNode.platformMismatch).toBeUndefined()
    expect(attNode.attestationFor).toBe(amd.manifest.digest)
    expect(attNode.descriptor.platform).toEqual({os: 'unknown', architecture: 'unknown'})
    expect(amdNode.attestationFor).toBeUndefined()
  })

  it('reads a Docker manifest list of Docker v2 schema 2 manifests', async () => {
    const [amd, arm] = [await elfImage('amd64', 'docker'), await elfImage('arm', 'docker')]
    const list = buildIndex({format: 'docker', entries: [{target: amd}, {target: arm}]})
    const root = (await treeOf(await layoutWith(list))).root as IndexNode
    expect(root.descriptor.mediaType).toBe(MediaTypes.dockerList)
    expect(root.children.map((c) => c.descriptor.mediaType)).toEqual([MediaTypes.dockerManifest, MediaTypes.dockerManifest])
    const armNode = root.children[1] as ImageNode
    expect(armNode.config).toMatchObject({mediaType: MediaTypes.dockerConfig, architecture: 'arm', variant: 'v7'})
    expect(armNode.descriptor.platform).toEqual({os: 'linux', architecture: 'arm', variant: 'v7'})
  })

  it('reads an OCI index mixing Docker and OCI manifests', async () => {
    const index = buildIndex({entries: [{target: await elfImage('amd64', 'docker')}, {target: await elfImage('arm64', 'oci')}]})
    const root = (await treeOf(await layoutWith(index))).root as IndexNode
    expect(root.children.map((c) => [c.kind, c.descriptor.mediaType])).toEqual([
      ['image', MediaTypes.dockerManifest],
      ['image', MediaTypes.ociManifest],
    ])
  })

  it('follows a nested index', async () => {
    const inner = buildIndex({entries: [{target: await elfImage('arm64')}, {target: await elfImage('s390x')}]})
    const outer = buildIndex({entries: [{target: await elfImage('amd64')}, {target: inner, platform: null}]})
    const root = (await treeOf(await layoutWith(outer))).root as IndexNode
    const nested = root.children[1] as IndexNode
    expect(nested.kind).toBe('index')
    expect(nested.descriptor.digest).toBe(inner.index.digest)
    expect(nested.children.map((c) => (c as ImageNode).config.architecture)).toEqual(['arm64', 's390x'])
  })

  it('flags an entry whose config disagrees with the declared platform, after normalisation only', async () => {
    const arm = await elfImage('arm64')
    const aliased = await buildImage({config: {architecture: 'aarch64'}, files: [{path: 'x', content: 'x'}]})
    const index = buildIndex({
      entries: [
        {target: arm, platform: {os: 'linux', architecture: 'amd64'}},
        {target: aliased, platform: {os: 'linux', architecture: 'arm64', variant: 'v8'}},
      ],
    })
    const [wrong, alias] = ((await treeOf(await layoutWith(index))).root as IndexNode).children as ImageNode[]
    expect(wrong.platformMismatch).toEqual({declared: {os: 'linux', architecture: 'amd64'}, config: {os: 'linux', architecture: 'arm64'}})
    expect(alias.platformMismatch).toBeUndefined()
  })

  it("judges a config without a variant by the entry's variant, as the pull simulation does", async () => {
    const noVariant = await buildImage({config: {architecture: 'arm'}, files: [{path: 'x', content: 'x'}]})
    const v7 = await buildImage({config: {architecture: 'arm', variant: 'v7'}, files: [{path: 'y', content: 'y'}]})
    const index = buildIndex({
      entries: [
        {target: noVariant, platform: {os: 'linux', architecture: 'arm', variant: 'v6'}},
        {target: v7, platform: {os: 'linux', architecture: 'arm', variant: 'v6'}},
      ],
    })
    const [silent, contradicting] = ((await treeOf(await layoutWith(index))).root as IndexNode).children as ImageNode[]
    expect(silent.platformMismatch).toBeUndefined()
    expect(contradicting.platformMismatch).toEqual({
      declared: {os: 'linux', architecture: 'arm', variant: 'v6'},
      config: {os: 'linux', architecture: 'arm', variant: 'v7'},
    })
  })

  it('shows artifacts and unknown media types as other nodes instead of failing', async () => {
    const amd = await elfImage('amd64')
    const sbom = buildArtifact({
      artifactType: 'application/spdx+json',
      layers: [contentObject('{}', 'application/spdx+json')],
      subject: amd.manifest,
    })
    const unknown = jsonObject({hello: 'world'}, 'application/vnd.example.thing.v1+json')
    const index = buildIndex({entries: [{target: amd}, {target: sbom, platform: null}, {target: unknown}]})
    const [, artifact, other] = ((await treeOf(await layoutWith(index))).root as IndexNode).children as OtherNode[]
    expect(artifact).toMatchObject({kind: 'other', note: 'artifact of type application/spdx+json, not an image'})
    expect(other).toMatchObject({kind: 'other', note: 'unknown media type application/vnd.example.thing.v1+json'})
  })

  it('marks an entry whose manifest or config the source lacks as missing, keeping the rest, and still fails a missing tag', async () => {
    const [amd, arm, s390x] = await Promise.all((['amd64', 'arm64', 's390x'] as const).map((a) => elfImage(a)))
    const dir = await layoutWith(buildIndex({entries: [{target: amd}, {target: arm}, {target: s390x}]}))
    await rm(path.join(dir, blobPath(arm.manifest.digest)))
    await rm(path.join(dir, blobPath(s390x.config.digest)))
    const [image, dangling, configless] = ((await treeOf(dir)).root as IndexNode).children
    expect(image).toMatchObject({kind: 'image', config: {architecture: 'amd64'}})
    expect(dangling).toEqual({
      kind: 'other',
      descriptor: expect.objectContaining({digest: arm.manifest.digest}),
      note: 'manifest not found (dangling index entry)',
      missing: 'manifest',
    })
    expect(configless).toMatchObject({
      kind: 'other',
      missing: 'config',
      note: expect.stringContaining(`blob ${s390x.config.digest} not found`),
    })
    const source = await OciLayoutSource.open(dir)
    await expect(fetchImageTree(source, {reference: arm.manifest.digest})).rejects.toMatchObject({kind: 'not-found'})
    await source.close()
  })

  it('makes a single-platform tag an image root described by its own manifest', async () => {
    const arm = await elfImage('arm64')
    const tree = await treeOf(await layoutWith(arm))
    expect(tree.root).toMatchObject({
      kind: 'image',
      descriptor: {mediaType: MediaTypes.ociManifest, digest: arm.manifest.digest, size: arm.manifest.size},
      config: {architecture: 'arm64'},
    })
    expect(tree.root.descriptor.platform).toBeUndefined()
  })

  it('fetches each distinct manifest and config once, with bounded concurrency', async () => {
    const images = await Promise.all(['amd64', 'arm64', 'arm', 's390x'].map((a) => elfImage(a as 'amd64')))
    // The same manifest listed twice, and two manifests sharing one config.
    const sharedConfig = await buildImage({config: {architecture: 'amd64'}, files: [{path: 'x', content: 'x'}], annotations: {copy: '2'}})
    const sharedConfigToo = await buildImage({
      config: {architecture: 'amd64'},
      files: [{path: 'x', content: 'x'}],
      annotations: {copy: '3'},
    })
    const index = buildIndex({
      entries: [...images.map((target) => ({target})), {target: images[0]}, {target: sharedConfig}, {target: sharedConfigToo}],
    })
    const source = await OciLayoutSource.open(await layoutWith(index))
    const calls: string[] = []
    let inFlight = 0
    let maxInFlight = 0
    const counted = new Proxy(source, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (property !== 'fetchManifest' && property !== 'fetchBlob') return value
        return async (...args: unknown[]) => {
          calls.push(`${String(property)} ${args[0]}`)
          maxInFlight = Math.max(maxInFlight, ++inFlight)
          await new Promise((resolve) => setTimeout(resolve, 5))
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
          } finally {
            inFlight--
          }
        }
      },
    }) as ImageSource
    const tree = await fetchImageTree(counted, {concurrency: 2})
    expect((tree.root as IndexNode).children).toHaveLength(7)
    expect(new Set(calls).size).toBe(calls.length)
    expect(calls.filter((c) => c.startsWith('fetchManifest'))).toHaveLength(1 + 6)
    expect(calls.filter((c) => c.startsWith('fetchBlob'))).toHaveLength(5)
    expect(maxInFlight).toBe(2)
  })
})

describe('OCI archive', () => {
  it('gives the same tree as the layout directory', async () => {
    const amd = await elfImage('amd64')
    const index = buildIndex({entries: [{target: amd}, {target: await elfImage('arm64')}, {target: await buildAttestation(amd.manifest)}]})
    const fromLayout = await treeOf(await layoutWith(index))
    const file = await archiveWith(index)
    const source = await openOciArchive(file)
    const fromArchive = await fetchImageTree(source)
    expect(fromArchive.reference).toBe(`oci-archive:${file}:latest`)
    expect(fromArchive.root).toEqual(fromLayout.root)
    const layer = amd.layers[0]
    const chunks: Buffer[] = []
    for await (const chunk of await source.openBlob(layer.digest)) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).equals(layer.bytes)).toBe(true)
    await source.close()
  })

  it('reads an archive GNU tar wrote with pax headers and ./ names', async () => {
    const amd = await elfImage('amd64')
    const dir = await layoutWith(buildIndex({entries: [{target: amd}]}))
    const file = path.join(path.dirname(dir), 'pax.tar')
    await run('tar', ['-C', dir, '--format=posix', '-cf', file, '.'])
    const source = await openOciArchive(file)
    const tree = await fetchImageTree(source)
    expect(((tree.root as IndexNode).children[0] as ImageNode).config.digest).toBe(amd.config.digest)
    await source.close()
  })

  // Names over 100 bytes: GNU tar writes them as 'L' records, pax as 'path' records.
  it.each(['gnu', 'posix'])('reads an archive whose names need %s long-name records', async (format) => {
    const amd = await elfImage('amd64')
    const dir = await layoutWith(buildIndex({entries: [{target: amd}]}))
    const file = path.join(path.dirname(dir), `long-${format}.tar`)
    const detour = `${'d'.repeat(60)}/../`
    await run('tar', ['-C', dir, `--format=${format}`, `--transform=s,^,${detour},`, '-cf', file, 'index.json', 'oci-layout', 'blobs'])
    const {stdout} = await run('tar', ['-tf', file])
    expect(Math.max(...stdout.split('\n').map((name) => name.length))).toBeGreaterThan(100)
    const source = await openOciArchive(file)
    const tree = await fetchImageTree(source)
    expect(((tree.root as IndexNode).children[0] as ImageNode).config.digest).toBe(amd.config.digest)
    await source.close()
  })

  it('refuses an archive cut off inside an entry, naming where', async () => {
    const dir = await layoutWith(buildIndex({entries: [{target: await elfImage('amd64')}]}))
    const file = path.join(path.dirname(dir), 'whole.tar')
    await run('tar', ['-C', dir, '-cf', file, '.'])
    const cut = path.join(path.dirname(dir), 'cut.tar')
    await writeFile(cut, (await readFile(file)).subarray(0, 3000))
    await expect(openOciArchive(cut)).rejects.toMatchObject({
      kind: 'malformed',
      message: `cannot read ${cut} as a tar archive: it ends inside an entry (at byte 3000)`,
    })
  })
})

describe('verification and limits', () => {
  it('refuses a config whose bytes do not match its digest, naming the digest', async () => {
    const amd = await elfImage('amd64')
    const dir = await layoutWith(buildIndex({entries: [{target: amd}]}))
    await writeFile(path.join(dir, blobPath(amd.config.digest)), amd.config.bytes.toString().replace('amd64', 'arm64'))
    const error = await treeOf(dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect(error).toMatchObject({kind: 'digest-mismatch', message: expect.stringContaining(amd.config.digest)})
  })

  it('refuses a manifest whose config descriptor gives the wrong size, as it does for index entries', async () => {
    const amd = await elfImage('amd64')
    const manifest = buildManifest({config: {...amd.config, size: amd.config.size + 1}, layers: amd.layers})
    const dir = await layoutWith({top: manifest, manifests: [manifest], blobs: [amd.config, ...amd.layers]})
    await expect(treeOf(dir)).rejects.toMatchObject({
      kind: 'malformed',
      message: `image config ${amd.config.digest} is ${amd.config.size} bytes but its manifest says ${amd.config.size + 1}`,
    })
  })

  it('fails a layer stream whose bytes do not match its digest', async () => {
    const amd = await elfImage('amd64')
    const dir = await layoutWith(amd)
    const corrupt = Buffer.from(amd.layers[0].bytes)
    corrupt[corrupt.length - 1] ^= 0xff
    await writeFile(path.join(dir, blobPath(amd.layers[0].digest)), corrupt)
    const source = await OciLayoutSource.open(dir)
    const stream = await source.openBlob(amd.layers[0].digest)
    await expect(async () => {
      for await (const _ of stream) void _
    }).rejects.toMatchObject({kind: 'digest-mismatch'})
  })

  it("closes a layout blob's file when its reader stops early", async () => {
    const amd = await elfImage('amd64')
    const source = await OciLayoutSource.open(await layoutWith(buildIndex({entries: [{target: amd}]})))
    const openFiles = async (): Promise<number> => (await readdir('/proc/self/fd')).length
    const before = await openFiles()
    const stream = await source.openBlob(amd.layers[0].digest)
    await new Promise((resolve) => stream.once('readable', resolve))
    stream.destroy()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await openFiles()).toBe(before)
    await source.close()
  })

  it('refuses a child manifest over the size limit by its descriptor, before reading it', async () => {
    const amd = await elfImage('amd64')
    const index = buildIndex({entries: [{target: amd}]})
    const dir = await layoutWith(index)
    // Room for the layout's index.json and the top index, not for the child manifest.
    const limit = Math.max(index.index.size, (await stat(path.join(dir, 'index.json'))).size)
    expect(amd.manifest.size).toBeGreaterThan(limit)
    await expect(treeOf(dir, {maxManifestBytes: limit})).rejects.toMatchObject({
      kind: 'too-large',
      message: `manifest ${amd.manifest.digest} is ${amd.manifest.size} bytes, more than the limit of ${limit} bytes (raise it with --max-manifest-size)`,
    })
  })

  it('refuses an index.json over the size limit', async () => {
    const dir = await layoutWith(buildIndex({entries: [{target: await elfImage('amd64')}]}))
    const {size} = await stat(path.join(dir, 'index.json'))
    await expect(OciLayoutSource.open(dir, {maxManifestBytes: size - 1})).rejects.toMatchObject({
      kind: 'too-large',
      message: `index.json of oci-layout:${dir} is ${size} bytes, more than the limit of ${size - 1} bytes (raise it with --max-manifest-size)`,
    })
  })

  it('names the digest of malformed JSON and refuses schema 1', async () => {
    const broken = contentObject(
      '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"digest": 5}]}',
      MediaTypes.ociIndex,
    )
    const schema1 = contentObject(
      '{"schemaVersion": 1, "name": "x", "fsLayers": []}',
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
    )
    const bundle = (object: typeof broken) => ({top: object, manifests: [object], blobs: []})
    const dir = await layoutWith([
      {bundle: bundle(broken), tag: 'broken'},
      {bundle: bundle(schema1), tag: 'old'},
    ])
    const open = (tag: string) => OciLayoutSource.open({path: dir, tag}).then((s) => fetchImageTree(s))
    await expect(open('broken')).rejects.toMatchObject({
      kind: 'malformed',
      message: `malformed manifest ${broken.digest}: manifests[0] has no mediaType`,
    })
    await expect(open('old')).rejects.toMatchObject({kind: 'unsupported', message: expect.stringContaining('schema 1')})
  })
})

describe('OciLayoutSource references', () => {
  it('picks the latest tag by default, a named tag, or a digest, and lists tags when it cannot choose', async () => {
    const [amd, arm] = [await elfImage('amd64'), await elfImage('arm64')]
    const dir = await layoutWith([
      {bundle: amd, tag: 'v1'},
      {bundle: arm, tag: 'v2'},
    ])
    await expect(OciLayoutSource.open(dir)).rejects.toThrow(
      new UsageError(`oci-layout:${dir} holds 2 images; name one as oci-layout:${dir}:TAG or @DIGEST (available tags: v1, v2)`),
    )
    await expect(OciLayoutSource.open(`${dir}:v3`)).rejects.toThrow(`tag "v3" not found in oci-layout:${dir} (available tags: v1, v2)`)
    expect((await OciLayoutSource.open(`${dir}:v2`)).defaultReference).toBe('v2')
    const byDigest = await OciLayoutSource.open(`${dir}@${amd.manifest.digest}`)
    expect(byDigest.displayName).toBe(`oci-layout:${dir}@${amd.manifest.digest}`)
    expect((await fetchImageTree(byDigest)).root.descriptor.digest).toBe(amd.manifest.digest)

    const withLatest = await layoutWith([
      {bundle: amd, tag: 'v1'},
      {bundle: arm, tag: 'latest'},
    ])
    expect((await OciLayoutSource.open(withLatest)).displayName).toBe(`oci-layout:${withLatest}:latest`)
  })

  it('says plainly when the path is missing or not a layout', async () => {
    await expect(OciLayoutSource.open('/nonexistent/layout')).rejects.toThrow(
      new UsageError('OCI layout directory "/nonexistent/layout" does not exist'),
    )
    const dir = path.dirname(await layoutWith(await elfImage('amd64')))
    await expect(OciLayoutSource.open(dir)).rejects.toThrow(`oci-layout:${dir} is not an OCI image layout: it has no "oci-layout" file`)
  })
})
