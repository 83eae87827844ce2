import {describe, expect, it} from 'vitest'

import {ImageFilesystem} from '../../../src/engine/layers/filesystem.js'
import type {LayerEntry} from '../../../src/engine/layers/tar-entries.js'

const file = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry => ({path, type: 'file', mode: 0o755, size: 10, ...extra})
const dir = (path: string): LayerEntry => ({path, type: 'directory', mode: 0o755, size: 0})
const symlink = (path: string, linkTarget: string): LayerEntry => ({path, type: 'symlink', mode: 0o777, size: 0, linkTarget})

function build(...layers: LayerEntry[][]): ImageFilesystem {
  const fs = new ImageFilesystem()
  for (const layer of layers) fs.applyLayer(layer)
  return fs
}

const paths = (fs: ImageFilesystem): string[] => [...fs.files()].map((f) => f.path).sort()

describe('ImageFilesystem', () => {
  it('lets later layers replace files and records which layer wrote each', () => {
    const fs = build([file('/app', {size: 1})], [file('/app', {size: 2})])
    const found = fs.lookup('/app')
    expect(found.found && found.node).toMatchObject({size: 2, layer: 1})
  })

  it('hides a lower file behind a whiteout, and says which layer did it', () => {
    const fs = build([file('/usr/bin/app'), file('/usr/bin/keep')], [file('/usr/bin/.wh.app')])
    expect(paths(fs)).toEqual(['/usr/bin/keep'])
    expect(fs.lookup('/usr/bin/app')).toMatchObject({found: false, error: 'not-found'})
    expect(fs.removedBy('/usr/bin/app')).toEqual({path: '/usr/bin/app', layer: 1})
    expect(fs.removedBy('/usr/bin/keep')).toBeUndefined()
  })

  it('whites out whole directories', () => {
    const fs = build([file('/opt/tool/bin/run'), file('/opt/other')], [file('/opt/.wh.tool')])
    expect(paths(fs)).toEqual(['/opt/other'])
    expect(fs.removedBy('/opt/tool/bin/run')).toEqual({path: '/opt/tool', layer: 1})
  })

  it('applies a whiteout to lower layers only, not to its own layer', () => {
    const fs = build([file('/a')], [file('/b'), file('/.wh.b'), file('/.wh.a')])
    expect(paths(fs)).toEqual(['/b'])
  })

  it('empties an opaque directory of lower layers but keeps what its own layer wrote, at any depth', () => {
    const fs = build(
      [file('/d/old'), file('/d/sub/old'), file('/d/sub2/old'), file('/other')],
      [file('/d/.a-new'), file('/d/.wh..wh..opq'), file('/d/sub/new')],
    )
    expect(paths(fs)).toEqual(['/d/.a-new', '/d/sub/new', '/other'])
    expect(fs.removedBy('/d/sub2/old')).toEqual({path: '/d/sub2', layer: 1})
  })

  it('replaces a directory by a file and a file by a directory', () => {
    const fs = build([file('/x/inner'), file('/y')], [file('/x'), dir('/y'), file('/y/z')])
    expect(paths(fs)).toEqual(['/x', '/y/z'])
  })

  it('gives a hard link the contents of its target, also from a lower layer', () => {
    const head = Buffer.from('#!/bin/sh\n')
    const fs = build(
      [file('/bin/busybox', {head, size: 900})],
      [{path: '/bin/sh', type: 'hardlink', mode: 0o755, size: 0, linkTarget: '/bin/busybox'}],
    )
    const found = fs.lookup('/bin/sh')
    expect(found.found && found.node).toMatchObject({type: 'file', size: 900, head, hardLinkOf: '/bin/busybox', layer: 1})
  })

  it('follows symlinks across layers, relative and absolute, and detects loops', () => {
    const fs = build(
      [file('/usr/lib/ld.so'), symlink('/lib', 'usr/lib')],
      [symlink('/usr/local/bin/app', '../../bin/real'), file('/usr/bin/real')],
      [symlink('/loop/a', 'b'), symlink('/loop/b', '/loop/a')],
    )
    expect(fs.lookup('/lib/ld.so')).toMatchObject({found: true, path: '/usr/lib/ld.so', symlinks: ['/lib -> usr/lib']})
    expect(fs.lookup('/usr/local/bin/app')).toMatchObject({found: true, path: '/usr/bin/real'})
    expect(fs.lookup('/usr/local/bin/app', {followLast: false})).toMatchObject({found: true, path: '/usr/local/bin/app'})
    expect(fs.lookup('/loop/a')).toMatchObject({found: false, error: 'loop'})
    expect(fs.lookup('bin/real', {cwd: '/usr'})).toMatchObject({found: true, path: '/usr/bin/real'})
  })

  it("writes through a lower layer's directory symlink, as tar extraction onto the snapshot does", () => {
    const fs = build([dir('/usr/lib'), symlink('/lib', 'usr/lib')], [file('/lib/ld-linux.so')])
    expect(paths(fs)).toEqual(['/usr/lib/ld-linux.so'])
    expect(fs.lookup('/lib/ld-linux.so')).toMatchObject({found: true, path: '/usr/lib/ld-linux.so'})
  })
})
