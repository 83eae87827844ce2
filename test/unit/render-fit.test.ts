import {describe, expect, it} from 'vitest'

import {digestCell, fitTable, outputWidth, secondsOnly, shortDigests, visibleWidth, wrapText} from '../../src/render/fit.js'
import {styleFor} from '../../src/render/style.js'

const plain = styleFor({isTTY: false})
const digest = (c: string): string => `sha256:${c.repeat(64)}`
const widest = (text: string): number => Math.max(...text.split('\n').map(visibleWidth))

describe('outputWidth', () => {
  it('takes COLUMNS first, then the terminal, else nothing (a pipe gets everything)', () => {
    expect(outputWidth({isTTY: true, columns: 120}, {COLUMNS: '80'})).toBe(80)
    expect(outputWidth({isTTY: true, columns: 120}, {})).toBe(120)
    expect(outputWidth({isTTY: false}, {})).toBeUndefined()
    expect(outputWidth({isTTY: false}, {COLUMNS: 'wide'})).toBeUndefined()
  })
})

describe('digests and timestamps', () => {
  it('shortens to sha256: and 12 hex digits, wherever they appear', () => {
    expect(digestCell(digest('a'), true)).toBe('sha256:aaaaaaaaaaaa')
    expect(digestCell(digest('a'), false)).toBe(digest('a'))
    expect(shortDigests(`entry ${digest('b')} is`)).toBe('entry sha256:bbbbbbbbbbbb is')
  })

  it('cuts timestamps to the second', () => {
    expect(secondsOnly('2024-05-01T12:34:56.123456789Z')).toBe('2024-05-01T12:34:56Z')
    expect(secondsOnly('2024-05-01T12:34:56+02:00')).toBe('2024-05-01T12:34:56+02:00')
  })

  it('wraps at words, and inside words only when asked to', () => {
    expect(wrapText('wrong-arch linux/amd64', 11)).toBe('wrong-arch\nlinux/amd64')
    expect(wrapText('linux/amd64', 6)).toBe('linux/amd64')
    expect(wrapText('linux/amd64', 6, true)).toBe('linux/\namd64')
    expect(wrapText(`see ${digest('c')}`, 10, true)).toBe(`see\n${digest('c')}`)
  })
})

describe('fitTable', () => {
  const columns = [
    {header: 'PLATFORM', wrap: true},
    {header: 'DIGEST', digest: true},
    {header: 'SIZE', drop: 2},
    {header: 'NOTE', wrap: true},
    {header: 'LAYERS', drop: 1},
  ]
  const rows = [['linux/amd64', digest('d'), '1.2 KiB', 'a note that is rather long and can be wrapped over lines', '3']]

  it('draws everything at full width when the width is unknown or --no-trunc', async () => {
    const unknown = await fitTable(columns, rows, plain)
    expect(unknown.text).toContain(digest('d'))
    const noTrunc = await fitTable(columns, rows, plain, {width: 40, noTrunc: true})
    expect(noTrunc).toMatchObject({fits: false, short: false, dropped: []})
  })

  it('shortens digests, drops by priority, then wraps, to fit', async () => {
    const fitted = await fitTable(columns, rows, plain, {width: 80})
    expect(fitted.fits).toBe(true)
    expect(widest(fitted.text)).toBeLessThanOrEqual(80)
    expect(fitted.text).toContain('sha256:dddddddddddd ')
    const narrow = await fitTable(columns, rows, plain, {width: 50})
    expect(narrow.dropped).toEqual(['SIZE', 'LAYERS'])
    expect(widest(narrow.text)).toBeLessThanOrEqual(50)
    expect(narrow.text).toMatch(/│ linux\/amd64 │ sha256:dddddddddddd │/)
  })
})
