import {describe, expect, it} from 'vitest'

import type {ImageTree} from '../../src/oci/types.js'
import {formatBytes} from '../../src/render/format.js'
import {renderInspect} from '../../src/render/inspect-table.js'
import {inspectView} from '../../src/engine/inspect-view.js'
import {styleFor} from '../../src/render/style.js'

describe('styleFor', () => {
  it('colours only a TTY, and never with NO_COLOR set', () => {
    expect(styleFor({isTTY: true}, {}).red('x')).toBe('\u001B[31mx\u001B[39m')
    expect(styleFor({isTTY: true}, {NO_COLOR: '1'}).red('x')).toBe('x')
    expect(styleFor({isTTY: false}, {}).red('x')).toBe('x')
    expect(styleFor({}, {}).enabled).toBe(false)
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
  ])('%i → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text))
})

describe('renderInspect', () => {
  it('says so when an index holds nothing runnable', async () => {
    const digest = `sha256:${'a'.repeat(64)}`
    const tree: ImageTree = {
      reference: 'example.com/sbom:1',
      root: {
        kind: 'index',
        descriptor: {mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: 300},
        children: [
          {
            kind: 'other',
            descriptor: {mediaType: 'application/vnd.example+json', digest: `sha256:${'b'.repeat(64)}`, size: 10},
            note: 'unknown media type application/vnd.example+json',
          },
        ],
      },
    }
    const text = await renderInspect(inspectView(tree), styleFor({isTTY: false}))
    expect(text).toContain('No runnable image here: no host can pull this reference to run it.')
    expect(text).toContain('unknown media type application/vnd.example+json')
  })
})
