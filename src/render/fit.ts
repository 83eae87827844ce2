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
  /** Holds digests (or `-`): shortened as a whole, never wrapped. */
  digest?: boolean
  /** May be wrapped at spaces and after `/` (its header too). */
  wrap?: boolean
  /** Dropped when the table does not fit otherwise, highest number first; columns without one stay. */
  drop?: number
}

/** The width to draw for: COLUMNS when set to a positive number, else the terminal's, else unknown. */
export function outputWidth(stream: {isTTY?: boolean; columns?: number} = process.stdout, env: NodeJS.ProcessEnv = process.env): number | undefined {
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

// eslint-disable-next-line no-control-regex
const SGR = /\u001B\[[0-9;]*m/g

/** Columns a string takes on a terminal (colour codes take none). */
export function visibleWidth(text: string): number {
  return Array.from(text.replace(SGR, '')).length
}

function cellWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map(visibleWidth))
}

/** Words longer than this may also break after a `/` (URLs, media types); shorter ones (linux/arm64) stay whole. */
const LONG_WORD = 20

/** Pieces a cell may break between: words, and long words after each `/`. Colour codes stay with their text. */
function pieces(text: string): string[] {
  return text.split(/(?<= )/).flatMap((word) => (visibleWidth(word.trimEnd()) > LONG_WORD ? word.split(/(?<=\/)(?=[^/\s])/) : [word]))
}

/** The widest piece: a wrapped column is never narrower. */
function minimumWidth(text: string): number {
  return Math.max(0, ...text.split('\n').flatMap((line) => pieces(line).map((piece) => visibleWidth(piece.trimEnd()))))
}

/** Greedy word wrap to `width`; a piece longer than the width stays whole (the column is at least that wide). */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (visibleWidth(line) <= width) return line
      const out: string[] = []
      let current = ''
      for (const piece of pieces(line)) {
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

/** Width of a cli-table3 table with one space of padding each side and a border between columns. */
function tableWidth(widths: number[]): number {
  return widths.reduce((sum, width) => sum + width + 2, 0) + widths.length + 1
}

interface Layout {
  short: boolean
  keep: number[]
  widths: number[]
  wrapped: boolean
  fits: boolean
}

/**
 * Chooses the layout, the first that fits of: everything at full width; digests shortened; then
 * the droppable columns left out one by one (highest `drop` first); then the same with the
 * wrapping columns narrowed (rightmost first, never below their widest word). Dropping a column
 * of detail reads better than breaking every platform name over two lines.
 */
function layout(columns: readonly Column[], rows: readonly string[][], options: FitOptions): Layout {
  const natural = (short: boolean, keep: number[]): number[] =>
    keep.map((c) => Math.max(cellWidth(columns[c].header), ...rows.map((row) => cellWidth(short && columns[c].digest ? shortDigests(row[c]) : row[c]))))
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
  for (const keep of levels) {
    const widths = natural(true, keep)
    for (let k = keep.length - 1; k >= 0 && tableWidth(widths) > width; k--) {
      const column = columns[keep[k]]
      if (!column.wrap) continue
      const floor = Math.max(minimumWidth(column.header), ...rows.map((row) => minimumWidth(column.digest ? shortDigests(row[keep[k]]) : row[keep[k]])))
      widths[k] = Math.max(floor, widths[k] - (tableWidth(widths) - width))
    }
    last = {short: true, keep, widths, wrapped: true, fits: tableWidth(widths) <= width}
    if (last.fits) return last
  }
  return last!
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
export async function fitTable(columns: readonly Column[], rows: readonly string[][], style: Style, options: FitOptions = {}): Promise<FittedTable> {
  const chosen = layout(columns, rows, options)
  const newTable = await tableMaker(style)
  const cell = (text: string, c: number, k: number): string => {
    const shown = chosen.short && columns[c].digest ? shortDigests(text) : text
    return columns[c].wrap ? wrapText(shown, chosen.widths[k]) : shown
  }
  const table = newTable(chosen.keep.map((c, k) => cell(columns[c].header, c, k)))
  for (const row of rows) table.push(chosen.keep.map((c, k) => cell(row[c], c, k)))
  return {
    text: table.toString(),
    fits: chosen.fits,
    short: chosen.short,
    wrapped: chosen.wrapped,
    dropped: columns.filter((_column, index) => !chosen.keep.includes(index)).map((column) => column.header),
  }
}
