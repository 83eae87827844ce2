// A manifest as a registry serves it is checked before anything reads it; each refusal names the
// manifest, the repository and what is wrong, with an error kind the exit code follows.
import {describe, expect, it} from 'vitest'

import {digestOf} from '../../../src/oci/digest.js'
import {RegistryError} from '../../../src/oci/errors.js'
import {checkManifest, type ServedManifest} from '../../../src/oci/manifest-check.js'

const INDEX = 'application/vnd.oci.image.index.v1+json'
const bytesOf = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))
const index = bytesOf({schemaVersion: 2, mediaType: INDEX, manifests: []})
const WHERE = 'r.example/app'

function served(fields: Partial<ServedManifest>): ServedManifest {
  return {bytes: index, contentType: INDEX, dockerContentDigest: null, requested: 'latest', where: WHERE, ...fields}
}

function refusal(fields: Partial<ServedManifest>): [string, string] {
  try {
    checkManifest(served(fields))
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError)
    return [(error as RegistryError).kind, (error as RegistryError).message]
  }
  throw new Error('expected the manifest to be refused')
}

describe('checkManifest', () => {
  it('returns the media type and digest of a good manifest, with a charset or a generic Content-Type', () => {
    const expected = {mediaType: INDEX, digest: digestOf(index)}
    expect(checkManifest(served({}))).toEqual(expected)
    expect(checkManifest(served({contentType: `${INDEX}; charset=utf-8`}))).toEqual(expected)
    expect(checkManifest(served({contentType: 'application/octet-stream', requested: digestOf(index)}))).toEqual(expected)
  })

  it('takes the Content-Type when the manifest declares no mediaType, and refuses when neither says', () => {
    const bare = bytesOf({schemaVersion: 2, manifests: []})
    expect(checkManifest(served({bytes: bare})).mediaType).toBe(INDEX)
    expect(refusal({bytes: bare, contentType: 'application/json'})).toEqual([
      'malformed',
      `manifest latest of ${WHERE} has no mediaType and the registry sent no specific Content-Type`,
    ])
  })

  it('refuses bytes that do not hash to the requested digest or to Docker-Content-Digest', () => {
    const other = `sha256:${'0'.repeat(64)}`
    expect(refusal({requested: other})).toEqual([
      'digest-mismatch',
      `manifest ${other} of ${WHERE} does not match the requested digest: its bytes hash to ${digestOf(index)}`,
    ])
    expect(refusal({dockerContentDigest: other})).toEqual([
      'digest-mismatch',
      `manifest latest of ${WHERE} does not match the registry's Docker-Content-Digest ${other}: its bytes hash to ${digestOf(index)}`,
    ])
    expect(refusal({dockerContentDigest: 'sha256:nothex'})[0]).toBe('digest-mismatch')
  })

  it('names schema 1, truncated JSON, a non-object and a Content-Type that disagrees', () => {
    expect(refusal({bytes: bytesOf({schemaVersion: 1, name: 'app'}), contentType: 'application/json'})).toEqual([
      'unsupported',
      `${WHERE}@latest: schema 1 manifests are deprecated and unsupported; re-push the image with a current client`,
    ])
    expect(refusal({bytes: index.subarray(0, 10)})).toEqual([
      'malformed',
      `manifest latest of ${WHERE} is not valid JSON (truncated or corrupt, 10 bytes)`,
    ])
    expect(refusal({bytes: bytesOf([1, 2])})).toEqual(['malformed', `manifest latest of ${WHERE} is not a JSON object`])
    expect(refusal({contentType: 'application/vnd.oci.image.manifest.v1+json'})).toEqual([
      'media-type-mismatch',
      `manifest latest of ${WHERE} was served as application/vnd.oci.image.manifest.v1+json but declares mediaType ${INDEX}`,
    ])
  })
})
