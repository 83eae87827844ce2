import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/oci/errors.js'
import {openSource, parseSourceText} from '../../src/source/open.js'
import {tempDir} from '../helpers/temp-dir.js'
import {archiveWith, elfImage, layoutWith} from '../helpers/layouts.js'

describe('openSource', () => {
  it('opens local layouts and archives by prefix', async () => {
    const image = await elfImage('arm64')
    const layout = await openSource(`oci-layout:${await layoutWith(image)}`)
    expect((await layout.fetchManifest()).digest).toBe(image.manifest.digest)
    const file = await archiveWith(image)
    const archive = await openSource(`oci-archive:${file}:latest`)
    expect(archive.displayName).toBe(`oci-archive:${file}:latest`)
    expect((await archive.fetchManifest()).digest).toBe(image.manifest.digest)
  })

  it('treats anything else, with or without docker://, as a registry reference', async () => {
    const source = await openSource('docker://alpine')
    expect(source.displayName).toBe('docker.io/library/alpine:latest')
    expect((await openSource('localhost:5000/app:v1')).displayName).toBe('localhost:5000/app:v1')
  })

  it.each([
    ['Upper/Case', 'invalid repository name'],
    ['oci-layout:/no/such/dir', 'OCI layout directory "/no/such/dir" does not exist'],
    ['oci-archive:/no/such/file.tar', 'OCI archive "/no/such/file.tar" does not exist'],
    ['oci-layout:', 'names no path'],
  ])('refuses %s with a usage error', async (spec, message) => {
    const error = await openSource(spec).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).toContain(message)
  })
})

describe('parseSourceText', () => {
  it('points a name that is a local path to its prefix, whether or not it also reads as a reference', async () => {
    const dir = await tempDir('named')
    await mkdir(join(dir, 'Out'))
    // An absolute path is no valid reference: the local directory is the reading to offer, not the grammar.
    expect(() => parseSourceText(join(dir, 'Out'))).toThrow(
      `"${join(dir, 'Out')}" is a local directory: did you mean oci-layout:${join(dir, 'Out')}?`,
    )
    expect(() => parseSourceText(join(dir, 'Missing/Upper'))).toThrow(/repository names must be lower-case|invalid/)
    expect(parseSourceText(`docker://localhost:5000/app`)).toEqual({
      kind: 'registry',
      reference: {registry: 'localhost:5000', repository: 'app'},
    })
  })
})
