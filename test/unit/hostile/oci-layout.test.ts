import {createHash} from 'node:crypto'
import {mkdir, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {RegistryError} from '../../../src/oci/errors.js'
import {openSource} from '../../../src/source/open.js'
import {elfImage, layoutWith, tempDir} from '../layout-helpers.js'

const SECRET = 'ghp_SECRETSECRETSECRET'

describe('OCI layouts that point outside themselves or hold garbage', () => {
  it('does not follow an index.json symlink out of the layout, nor quote what it leads to', async () => {
    const dir = await layoutWith(await elfImage('amd64'))
    const outside = path.join(await tempDir(), 'token')
    await writeFile(outside, SECRET)
    await rm(path.join(dir, 'index.json'))
    await symlink(outside, path.join(dir, 'index.json'))
    const error = await openSource(`oci-layout:${dir}`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as Error).message).toBe(
      `oci-layout:${dir}: index.json is a symlink that leads outside the layout directory; it is not followed`,
    )
    expect((error as Error).message).not.toContain('ghp_')
  })

  it('does not follow a blob symlink out of the layout', async () => {
    const image = await elfImage('amd64')
    const dir = await layoutWith(image)
    const config = image.config.digest.split(':')[1]
    const outside = path.join(await tempDir(), 'config')
    await writeFile(outside, image.config.bytes)
    await rm(path.join(dir, 'blobs/sha256', config))
    await symlink(outside, path.join(dir, 'blobs/sha256', config))
    const source = await openSource(`oci-layout:${dir}`)
    const error = await source.fetchBlob(image.config.digest).catch((e: unknown) => e)
    await source.close()
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as Error).message).toMatch(/blobs\/sha256\/[0-9a-f]{64} is a symlink that leads outside the layout directory/)
  })

  it('follows symlinks that stay inside the layout', async () => {
    const image = await elfImage('amd64')
    const dir = await layoutWith(image)
    const config = image.config.digest.split(':')[1]
    await mkdir(path.join(dir, 'store'))
    await writeFile(path.join(dir, 'store', 'c'), image.config.bytes)
    await rm(path.join(dir, 'blobs/sha256', config))
    await symlink('../../store/c', path.join(dir, 'blobs/sha256', config))
    const source = await openSource(`oci-layout:${dir}`)
    expect(Buffer.from(await source.fetchBlob(image.config.digest)).equals(image.config.bytes)).toBe(true)
    await source.close()
  })

  it("a manifest that is not JSON is named by its digest and the parser's position, not quoted", async () => {
    const dir = await layoutWith(await elfImage('amd64'))
    const bytes = Buffer.from(`${SECRET}\n`)
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    await writeFile(path.join(dir, 'blobs/sha256', digest.slice(7)), bytes)
    const source = await openSource(`oci-layout:${dir}`)
    const error = await source.fetchManifest(digest).catch((e: unknown) => e)
    await source.close()
    expect((error as Error).message).not.toContain('ghp_')
    expect((error as Error).message).toMatch(new RegExp(`^malformed manifest ${digest}: not valid JSON \\(at byte 0\\)$`))
  })

  it('an index.json that is not JSON is not quoted either', async () => {
    const dir = await layoutWith(await elfImage('amd64'))
    await writeFile(path.join(dir, 'index.json'), `{"manifests": [${SECRET}]}`)
    const error = await openSource(`oci-layout:${dir}`).catch((e: unknown) => e)
    expect((error as Error).message).not.toContain('ghp_')
    expect((error as Error).message).toMatch(/not valid JSON \(at byte 15\)$/)
  })
})
