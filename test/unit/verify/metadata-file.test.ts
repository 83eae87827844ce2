import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {parseBuildMetadata, readBuildMetadata} from '../../../src/engine/verify/metadata-file.js'
import {listTargets} from '../../../src/engine/verify/targets.js'
import {parseSourceSpec} from '../../../src/oci/reference.js'
import {tempDir} from '../../helpers/temp-dir.js'

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
    dir = await tempDir('meta')
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
  /** A target as verify reads it from text, with its expected digest. */
  const target = (text: string, expectDigest?: string) => ({spec: parseSourceSpec(text), ...(expectDigest ? {expectDigest} : {})})

  it('verifies every name of the metadata file against its digest', () => {
    expect(listTargets([], {metadata: [build]})).toEqual([
      target('localhost:5000/app:1.2', DIGEST),
      target('localhost:5000/app:latest', DIGEST),
    ])
  })

  it("adds references given on the command line once, with the build's digest", () => {
    expect(listTargets([target('localhost:5000/app:latest'), target('localhost:5000/mirror:1')], {metadata: [build]})).toEqual([
      target('localhost:5000/app:latest', DIGEST),
      target('localhost:5000/mirror:1', DIGEST),
      target('localhost:5000/app:1.2', DIGEST),
    ])
  })

  it('checks a name pushed by digest as name@digest', () => {
    const [byDigest] = parseBuildMetadata('m.json', JSON.stringify({...BUILDX, 'image.name': 'localhost:5000/app'}))
    expect(listTargets([], {metadata: [byDigest]})).toEqual([target(`localhost:5000/app@${DIGEST}`, DIGEST)])
  })

  it('uses --expect-digest, lists a reference once however it is written, and needs at least one', () => {
    expect(listTargets([target('alpine:3')], {expectDigest: OTHER})).toEqual([target('docker.io/library/alpine:3', OTHER)])
    expect(listTargets([target('alpine:3'), target('docker.io/library/alpine:3')], {})).toEqual([target('alpine:3')])
    expect(() => listTargets([], {})).toThrow(UsageError)
    expect(() => listTargets([target('a')], {expectDigest: OTHER, metadata: [build]})).toThrow(/contradicts/)
    expect(() => listTargets([target('a')], {expectDigest: 'sha256:xyz'})).toThrow(UsageError)
  })
})
