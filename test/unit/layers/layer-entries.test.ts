import {describe, expect, it} from 'vitest'

import {ImageFilesystem} from '../../../src/engine/layers/filesystem.js'
import {type LayerEntry, LayerEntries} from '../../../src/engine/layers/tar-entries.js'

describe('LayerEntries', () => {
  it('gives back every entry as pushed, in order: the root, link targets, first bytes and ARM attributes included', () => {
    const entries: LayerEntry[] = [
      {path: '/', type: 'directory', mode: 0o755, size: 0},
      {path: '/usr', type: 'directory', mode: 0o755, size: 0},
      {
        path: '/usr/bin/app',
        type: 'file',
        mode: 0o755,
        size: 2 ** 40,
        head: new Uint8Array([0x7f, 0x45]),
        armAttributes: new Uint8Array([0x41]),
      },
      {path: '/usr/bin/sh', type: 'symlink', mode: 0o777, size: 0, linkTarget: 'busybox'},
      {path: '/usr/bin/ln', type: 'hardlink', mode: 0o644, size: 0, linkTarget: '/usr/bin/app'},
      {path: '/dev/null', type: 'other', mode: 0o666, size: 0},
      {path: '/usr/bin/.wh.old', type: 'file', mode: 0, size: 0},
    ]
    const table = LayerEntries.from(entries)
    expect(table.count).toBe(entries.length)
    expect([...table]).toEqual(entries)
  })

  it('shares one parent index between the entries of a directory, whatever order they come in', () => {
    const table = LayerEntries.from(['/a/x', '/b/y', '/a/z'].map((path): LayerEntry => ({path, type: 'file', mode: 0o644, size: 1})))
    expect(table.parentId(0)).toBe(table.parentId(2))
    expect(table.parentId(0)).not.toBe(table.parentId(1))
    expect([table.parentPath(0), table.name(0), table.name(2)]).toEqual(['/a', 'x', 'z'])
  })

  it('a layer rewriting a file many times leaves one file with the last version', () => {
    const fs = new ImageFilesystem()
    for (let layer = 0; layer < 50; layer++) fs.applyLayer([{path: '/etc/conf', type: 'file', mode: 0o644, size: layer}])
    const files = [...fs.files()]
    expect(files).toHaveLength(1)
    expect(files[0]).toMatchObject({path: '/etc/conf', node: {size: 49, layer: 49}})
  })

  it('a directory replaced by a file takes what was under it along; a directory written again over a file holds nothing of before', () => {
    const fs = new ImageFilesystem()
    fs.applyLayer([
      {path: '/opt/tool', type: 'directory', mode: 0o755, size: 0},
      {path: '/opt/tool/run', type: 'file', mode: 0o755, size: 1},
    ])
    fs.applyLayer([{path: '/opt/tool', type: 'file', mode: 0o644, size: 2}])
    expect(fs.lookup('/opt/tool/run')).toMatchObject({found: false, error: 'not-a-directory'})
    expect([...fs.files()].map((file) => file.path)).toEqual(['/opt/tool'])
    fs.applyLayer([{path: '/opt/tool/new', type: 'file', mode: 0o644, size: 3}])
    expect([...fs.files()].map((file) => file.path)).toEqual(['/opt/tool/new'])
    expect(fs.lookup('/opt/tool')).toMatchObject({found: true, node: {type: 'directory', layer: 2}})
  })
})
