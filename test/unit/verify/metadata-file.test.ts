import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {parseBuildMetadata, readBuildMetadata} from '../../../src/engine/verify/metadata-file.js'
import {normalizeSpec, listTargets} from '../../../src/engine/verify/targets.js'

const DIGEST = 'sha256:' + 'a'.repeat(64)
const OTHER = 'sha256:' + 'b'.repeat(64)

// What `docker buildx build --push --metadata-file` writes (buildx 0.12, shortened).
const BUILDX = {
  'buildx.build.ref': 'builder/builder0/x1',
  'containerimage.config.digest': 'sha256:' + 'c'.repeat(64),
  'containerimage.descriptor': {mediaType: 'application/vnd.oci.image.index.v1+json', digest: DIGEST, size: 1609},
  'containerimage.digest': DIGEST,
  'image.name': 'localhost:5000/app:1.2,localhost:5000/app:latest',
}

describe('parseBuildMetadata', () => {
  it('reads the digest and every name of a buildx build', () => {
    expect(parseBuildMetadata('m.json', JSON.stringify(BUILDX))).toEqual([
      {digest: DIGEST, names: ['localhost:5000/app:1.2', 'localhost:5000/app:latest']},
    ])
  })

  it('reads each target of a bake file', () => {
    const bake = {app: {...BUILDX, 'image.name': 'r.io/app:1'}, worker: {'containerimage.digest': OTHER, 'image.name': 'r.io/worker:1'}}
    expect(parseBuildMetadata('m.json', JSON.stringify(bake))).toEqual([
      {target: 'app', digest: DIGEST, names: ['r.io/app:1']},
      {target: 'worker', digest: OTHER, names: ['r.io/worker:1']},
    ])
  })

  it.each([
    ['not json', /m\.json is not valid JSON/],
    ['[1]', /not a JSON object/],
    [JSON.stringify({'image.name': 'a:1'}), /no "containerimage.digest": was the image pushed/],
    [JSON.stringify({'containerimage.digest': 'sha256:abc'}), /m\.json: invalid sha256 digest/],
    [JSON.stringify({...BUILDX, 'containerimage.descriptor': {digest: OTHER}}), /inconsistent/],
    [JSON.stringify({...BUILDX, 'image.name': 5}), /"image.name" is not a string/],
  ])('rejects %s with one line', (text, message) => {
    let error: unknown
    try {
      parseBuildMetadata('m.json', text)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).not.toContain('\n')
  })
})

describe('readBuildMetadata', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archcheck-meta-'))
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('reads a file', async () => {
    const file = join(dir, 'metadata.json')
    await writeFile(file, JSON.stringify(BUILDX))
    expect((await readBuildMetadata(file))[0].digest).toBe(DIGEST)
  })

  it('says a missing file is missing', async () => {
    await expect(readBuildMetadata(join(dir, 'nope.json'))).rejects.toThrow(
      new UsageError(`cannot read metadata file ${join(dir, 'nope.json')}: no such file`),
    )
  })

  it('refuses a directory', async () => {
    await expect(readBuildMetadata(dir)).rejects.toThrow(/is not a file/)
  })
})

describe('listTargets', () => {
  const [build] = parseBuildMetadata('m.json', JSON.stringify(BUILDX))

  it('verifies every name of the metadata file against its digest', () => {
    expect(listTargets([], {metadata: [build]})).toEqual([
      {reference: 'localhost:5000/app:1.2', expectDigest: DIGEST},
      {reference: 'localhost:5000/app:latest', expectDigest: DIGEST},
    ])
  })

  it("adds references given on the command line once, with the build's digest", () => {
    expect(listTargets(['localhost:5000/app:latest', 'localhost:5000/mirror:1'], {metadata: [build]})).toEqual([
      {reference: 'localhost:5000/app:latest', expectDigest: DIGEST},
      {reference: 'localhost:5000/mirror:1', expectDigest: DIGEST},
      {reference: 'localhost:5000/app:1.2', expectDigest: DIGEST},
    ])
  })

  it('checks a name pushed by digest as name@digest', () => {
    const [byDigest] = parseBuildMetadata('m.json', JSON.stringify({...BUILDX, 'image.name': 'localhost:5000/app'}))
    expect(listTargets([], {metadata: [byDigest]})).toEqual([{reference: `localhost:5000/app@${DIGEST}`, expectDigest: DIGEST}])
  })

  it('uses --expect-digest, normalises references and needs at least one', () => {
    expect(listTargets(['alpine:3'], {expectDigest: OTHER})).toEqual([{reference: 'docker.io/library/alpine:3', expectDigest: OTHER}])
    expect(listTargets(['alpine:3'], {})).toEqual([{reference: 'docker.io/library/alpine:3'}])
    expect(() => listTargets([], {})).toThrow(UsageError)
    expect(() => listTargets(['a'], {expectDigest: OTHER, metadata: [build]})).toThrow(/contradicts/)
    expect(() => listTargets(['a'], {expectDigest: 'sha256:xyz'})).toThrow(UsageError)
  })
})

describe('normalizeSpec', () => {
  it('normalises registry references and keeps local sources as given', () => {
    expect(normalizeSpec('docker://alpine:3.20')).toBe('docker.io/library/alpine:3.20')
    expect(normalizeSpec('oci-layout:./dir:v1')).toBe('oci-layout:./dir:v1')
    expect(normalizeSpec('oci-archive:/tmp/x.tar')).toBe('oci-archive:/tmp/x.tar')
    expect(() => normalizeSpec('Bad/Ref')).toThrow(UsageError)
  })
})
