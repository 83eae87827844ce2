/** OCI archives written by GNU tar (pax headers, long names, cut short): needs `tar`. */
import {execFile} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {buildIndex} from '../../scripts/fixtures/image-builder.js'
import {openOciArchive} from '../../src/source/oci-archive.js'
import {fetchImageTree} from '../../src/engine/tree.js'
import type {ImageNode, IndexNode} from '../../src/oci/types.js'
import {elfImage, layoutWith} from '../helpers/layouts.js'

const run = promisify(execFile)

describe('OCI archive written by GNU tar', () => {
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
