/**
 * Tables that fit the terminal. A renderer describes its columns (which hold digests, which may
 * wrap, which may go first) and fitTable draws the widest version that fits: full digests when
 * they fit, else `sha256:` + 12 hex digits, then text wrapped at word boundaries, then the least
 * important columns dropped. A digest is never cut mid-way below its 12 hex digits.
 */
import type {Style} from './style.js'
import {tableMaker} from './table.js'

/** How wide the output may be: unknown (undefined) means nothing is shortened. */
export interface FitOptions {
  /** Columns available; undefined when stdout is not a terminal and COLUMNS is unset. */
  width?: number
  /** docker's --no-trunc: full digests and every column, whatever the width. */
  noTrunc?: boolean
}

export interface Column {
  header: string
  /** Holds digests (or `-`): documents the column; digests anywhere are shortened as a whole, never broken. */
  digest?: boolean
  /**
   * May be wrapped at spaces and after `/` (its header too); `'words'`: the header so, its cells
   * only at spaces (a verdict such as `no-match` is never broken inside).
   */
  wrap?: boolean | 'words'
  /** Dropped when the table does not fit otherwise, highest number first; columns without one stay. */
  drop?: number
}

/** The width to draw for: COLUMNS when set to a positive number, else the terminal's, else unknown. */
export function outputWidth(
  stream: {isTTY?: boolean; columns?: number},
  env: Readonly<Record<string, string | undefined>>,
): number | undefined {
  const columns = Number.parseInt(env.COLUMNS ?? '', 10)
  if (Number.isInteger(columns) && columns > 0) return columns
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : undefined
}

const DIGEST = /\b([a-z0-9]+(?:[+._-][a-z0-9]+)*):([0-9a-f]{32,})\b/g

/** `sha256:` and the first 12 hex digits: enough to tell images apart, and what docker shows. */
export function shortDigests(text: string): string {
  return text.replace(DIGEST, (_all, algorithm: string, hex: string) => `${algorithm}:${hex.slice(0, 12)}`)
}

/** A digest as a cell: whole, or shortened when `short`. */
export function digestCell(digest: string, short: boolean): string {
  return short ? shortDigests(digest) : digest
}

/** Timestamps to the second: buildah writes nanoseconds, which only widen the table. */
export function secondsOnly(timestamp: string): string {
  return timestamp.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+/, '$1')
}

const SGR = /\u001B\[[0-9;]*m/g

/** Columns a string takes on a terminal (colour codes take none). */
export function visibleWidth(text: string): number {
  return Array.from(text.replace(SGR, '')).length
}

function cellWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map(visibleWidth))
}

/** Words longer than this may break after a `/` in the first pass (URLs, media types); shorter ones (linux/arm64) stay whole. */
const LONG_WORD = 20

/** A digest, whole or short: never broken. */
const DIGEST_WORD = /^[a-z0-9]+:[0-9a-f]{12,}\W?$/

/**
 * Pieces a cell may break between. Softly: words, and long words after each `/`. Hard (when
 * nothing else fits): also after `/ . + - @ _` inside any word but a digest. Colour codes stay
 * with their text.
 */
function pieces(text: string, hard: boolean): string[] {
  return text.split(/(?<= )/).flatMap((word) => {
    const bare = word.trimEnd().replace(SGR, '')
    if (hard && !DIGEST_WORD.test(bare)) return word.split(/(?<=[/.+@_-])(?=[^\s/.+@_-])/)
    return visibleWidth(bare) > LONG_WORD && !DIGEST_WORD.test(bare) ? word.split(/(?<=\/)(?=[^/\s])/) : [word]
  })
}

/** The widest piece: a wrapped column is never narrower. */
function minimumWidth(text: string, hard: boolean): number {
  return Math.max(0, ...text.split('\n').flatMap((line) => pieces(line, hard).map((piece) => visibleWidth(piece.trimEnd()))))
}

/** Greedy word wrap to `width`; a piece longer than the width stays whole (the column is at least that wide). */
export function wrapText(text: string, width: number, hard = false): string {
  return text
    .split('\n')
    .map((line) => {
      if (visibleWidth(line) <= width) return line
      const out: string[] = []
      let current = ''
      for (const piece of pieces(line, hard)) {
        if (current !== '' && visibleWidth((current + piece).trimEnd()) > width) {
          out.push(current.trimEnd())
          current = piece
        } else {
          current += piece
        }
      }
      if (current !== '') out.push(current.trimEnd())
      return out.join('\n')
    })
    .join('\n')
}

/** The largest `measure` of `items` (at least `floor`): a loop, as a spread of 100,000 rows would overflow the stack. */
function widest<T>(items: readonly T[], measure: (item: T) => number, floor = 0): number {
  let most = floor
  for (const item of items) most = Math.max(most, measure(item))
  return most
}

/** Width of a cli-table3 table with one space of padding each side and a border between columns. */
function tableWidth(widths: number[]): number {
  return widths.reduce((sum, width) => sum + width + 2, 0) + widths.length + 1
}

interface Layout {
  short: boolean
  keep: number[]
  widths: number[]
  /** Cells wrapped: softly (at words), or hard (inside words too). */
  wrapped: false | 'soft' | 'hard'
  fits: boolean
}

/**
 * Chooses the layout, the first that fits of: everything at full width; digests shortened; then
 * the droppable columns left out one by one (highest `drop` first); then the same with the
 * wrapping columns narrowed (rightmost first) to their widest word, and at last to their widest
 * piece of a word. Dropping a column of detail reads better than breaking every platform name.
 */
function layout(columns: readonly Column[], rows: readonly string[][], options: FitOptions): Layout {
  const shown = (text: string, short: boolean): string => (short ? shortDigests(text) : text)
  const natural = (short: boolean, keep: number[]): number[] =>
    keep.map((c) => widest(rows, (row) => cellWidth(shown(row[c], short)), cellWidth(columns[c].header)))
  const all = columns.map((_column, index) => index)
  const full = natural(false, all)
  if (options.width === undefined || options.noTrunc || tableWidth(full) <= options.width) {
    return {short: false, keep: all, widths: full, wrapped: false, fits: options.width === undefined || tableWidth(full) <= options.width}
  }
  const width = options.width
  const droppable = all.filter((c) => columns[c].drop !== undefined).sort((a, b) => columns[b].drop! - columns[a].drop!)
  const levels = [all]
  for (const column of droppable) levels.push(levels.at(-1)!.filter((c) => c !== column))
  for (const keep of levels) {
    const widths = natural(true, keep)
    if (tableWidth(widths) <= width) return {short: true, keep, widths, wrapped: false, fits: true}
  }
  let last: Layout | undefined
  for (const mode of ['soft', 'hard'] as const) {
    for (const keep of levels) {
      const widths = natural(true, keep)
      const floors = keep.map((c, k) => {
        const wrap = columns[c].wrap
        if (!wrap) return widths[k]
        const header = minimumWidth(columns[c].header, mode === 'hard')
        return widest(rows, (row) => minimumWidth(shown(row[c], true), mode === 'hard' && wrap === true), header)
      })
      // One column at a time, always the widest that can still narrow: the wrapping is shared out.
      while (tableWidth(widths) > width) {
        let widest = -1
        for (let k = 0; k < keep.length; k++) if (widths[k] > floors[k] && (widest === -1 || widths[k] > widths[widest])) widest = k
        if (widest === -1) break
        widths[widest]--
      }
      last = {short: true, keep, widths, wrapped: mode, fits: tableWidth(widths) <= width}
      if (last.fits) return last
    }
  }
  return last!
}

/**
 * Past this many rows a table is drawn by drawTable: cli-table3 lays a table out in quadratic
 * time (8 s for 10,000 rows, minutes for 50,000), and an audit of many tags has that many.
 */
const LARGE_TABLE_ROWS = 200

/**
 * The table cli-table3 draws with archcheck's settings (see table.ts: box borders, one space of
 * padding, no rule between rows, cells top-aligned), in one pass over the cells. Widths are
 * counted in code points (visibleWidth), as the layout counts them.
 */
export function drawTable(head: readonly string[], rows: readonly string[][]): string {
  const all = [head, ...rows]
  const widths = head.map((_h, k) => widest(all, (row) => cellWidth(row[k] ?? '')))
  const rule = (left: string, middle: string, right: string): string =>
    `${left}${widths.map((width) => '─'.repeat(width + 2)).join(middle)}${right}`
  const out = [rule('┌', '┬', '┐')]
  for (const row of all) {
    const lines = widths.map((_w, k) => (row[k] ?? '').split('\n'))
    const height = Math.max(1, ...lines.map((cellLines) => cellLines.length))
    for (let i = 0; i < height; i++) {
      const parts = widths.map((width, k) => {
        const text = lines[k][i] ?? ''
        return ` ${text}${' '.repeat(width - visibleWidth(text))} `
      })
      out.push(`│${parts.join('│')}│`)
    }
  }
  out.push(rule('└', '┴', '┘'))
  return out.join('\n')
}

export interface FittedTable {
  text: string
  /** Whether it fits the width (always when the width is unknown). */
  fits: boolean
  /** Whether digests were shortened: prose around the table may follow suit. */
  short: boolean
  /** Whether cells were wrapped over several lines. */
  wrapped: boolean
  /** Headers of the columns left out to fit. */
  dropped: string[]
}

/** Draws `rows` under `columns` as wide as `options` allow (see the module comment). */
export async function fitTable(
  columns: readonly Column[],
  rows: readonly string[][],
  style: Style,
  options: FitOptions = {},
): Promise<FittedTable> {
  const chosen = layout(columns, rows, options)
  const cell = (text: string, c: number, k: number, header = false): string => {
    // Short digests everywhere in the table once shortened: a long one in a message would not fit either.
    const shown = chosen.short ? shortDigests(text) : text
    const wrap = columns[c].wrap
    if (!wrap || !chosen.wrapped) return shown
    return wrapText(shown, chosen.widths[k], chosen.wrapped === 'hard' && (wrap === true || header))
  }
  const head = chosen.keep.map((c, k) => cell(columns[c].header, c, k, true))
  const body = rows.map((row) => chosen.keep.map((c, k) => cell(row[c], c, k)))
  let text: string
  if (body.length > LARGE_TABLE_ROWS) {
    text = drawTable(
      head.map((h) => style.bold(h)),
      body,
    )
  } else {
    const table = (await tableMaker(style))(head)
    for (const row of body) table.push(row)
    text = table.toString()
  }
  return {
    text,
    fits: chosen.fits,
    short: chosen.short,
    wrapped: chosen.wrapped !== false,
    dropped: columns.filter((_column, index) => !chosen.keep.includes(index)).map((column) => column.header),
  }
}
