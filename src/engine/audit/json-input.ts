import {UsageError} from '../../oci/errors.js'
import {sanitizeText} from '../../oci/sanitize.js'

/**
 * The JSON fast path for `--from` and `--hosts-from`. `kubectl get … -o json` prints one object
 * whose `items` array holds every object of the cluster; a syntax tree of all of it costs about
 * 50 times the text. Instead one linear, string- and escape-aware scan finds the top-level keys
 * and the items (tracking depth and lines), and each item is parsed on its own with JSON.parse
 * when the reader asks for it, read, and dropped: memory stays a small multiple of the file.
 */

/**
 * A JSON text opens with `{` followed by a quoted key or `}`, or with `[` followed by a JSON value
 * or `]` (after blanks); anything else takes the other readers. YAML's flow style also opens with a
 * bracket (`{apiVersion: v1, kind: List}`), but its keys and scalars are unquoted.
 */
export function looksLikeJson(text: string): boolean {
  return /^\s*(?:\{\s*["}]|\[\s*(?:["{[\]\d-]|true\b|false\b|null\b))/.test(text)
}

export interface JsonBounds {
  /** One object of the cluster: etcd stores objects of at most 1.5 MiB, so this is far above any real one. */
  maxItemBytes: number
  /** Items of the `items` array: more than a cluster of the largest supported size holds in 64 MiB. */
  maxItems: number
  /** Nesting of objects and arrays, as the YAML reader bounds it. */
  maxDepth: number
}

export const DEFAULT_JSON_BOUNDS: JsonBounds = {
  maxItemBytes: 4 * 1024 * 1024,
  maxItems: 100_000,
  maxDepth: 100,
}

/** One value of the input, parsed on its own. */
export interface JsonItem {
  value: unknown
  /** 1-based line where the value starts. */
  line: number
  /**
   * Lines of the keys named by `lineKey` inside the value, by path from the value: the keys and
   * array indices on the way, then the key itself, joined by newlines (`spec⏎containers⏎0⏎image`).
   */
  keyLines: Map<string, number>
}

export interface JsonInput {
  /** The top-level value is an array (no object, so no kind). */
  isArray: boolean
  /** 1-based line of the top-level value. */
  line: number
  /** A top-level key's value, parsed (undefined when absent); for keys other than `items`. */
  field(key: string): unknown
  /** What the top-level `items` holds, and where. */
  itemsShape: {kind: 'absent' | 'null' | 'array' | 'other'; line: number}
  /** The elements of the top-level array, or of the top-level object's `items` array, one at a time. */
  items(): Generator<JsonItem>
  /** The top-level value as one item (a single object, or a Compose file). */
  whole(): JsonItem
}

interface Range {
  start: number
  end: number
  line: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const NEWLINE = 0x0a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a

/**
 * Scans a JSON text once: checks the top-level structure, bracket matching and nesting, and
 * records where each top-level value lies. Parsing waits for `field`, `items` and `whole`.
 * `lineKey` names the key whose lines the items report (`image`), or none.
 */
export function readJson(text: string, name: string, options: {lineKey?: string; bounds?: JsonBounds} = {}): JsonInput {
  const bounds = options.bounds ?? DEFAULT_JSON_BOUNDS
  const scanner = new Scanner(text, name, bounds)
  scanner.blanks()
  const root: Range = {start: scanner.pos, end: 0, line: scanner.line}
  const fields = new Map<string, Range>()
  const isArray = text.charCodeAt(scanner.pos) === OPEN_BRACKET
  if (isArray) {
    scanner.value()
  } else {
    scanner.expect(OPEN_BRACE, "'{'")
    scanner.blanks()
    if (!scanner.take(CLOSE_BRACE)) {
      for (;;) {
        scanner.blanks()
        const key = scanner.key()
        scanner.blanks()
        scanner.expect(COLON, "':'")
        scanner.blanks()
        const start = scanner.pos
        const line = scanner.line
        scanner.value(1)
        fields.set(key, {start, end: scanner.pos, line})
        scanner.blanks()
        if (scanner.take(CLOSE_BRACE)) break
        scanner.expect(COMMA, "',' or '}'")
      }
    }
  }
  root.end = scanner.pos
  scanner.blanks()
  if (scanner.pos < text.length) scanner.fail('unexpected text after the JSON value')

  const itemsRange = isArray ? root : fields.get('items')
  const itemsKind = (): JsonInput['itemsShape']['kind'] => {
    if (!itemsRange) return 'absent'
    const first = text.charCodeAt(itemsRange.start)
    if (first === OPEN_BRACKET) return 'array'
    return text.startsWith('null', itemsRange.start) && itemsRange.end - itemsRange.start === 4 ? 'null' : 'other'
  }
  return {
    isArray,
    line: root.line,
    field(key) {
      const range = fields.get(key)
      return range ? parseItem(text, name, range, bounds).value : undefined
    },
    itemsShape: {kind: itemsKind(), line: itemsRange?.line ?? root.line},
    *items() {
      if (!itemsRange || itemsKind() !== 'array') return
      const items = new Scanner(text, name, bounds, options.lineKey)
      items.pos = itemsRange.start + 1
      items.line = itemsRange.line
      items.blanks()
      if (items.take(CLOSE_BRACKET)) return
      for (let count = 1; ; count++) {
        items.blanks()
        if (count > bounds.maxItems) throw new UsageError(`${name}:${items.line}: more than ${bounds.maxItems} items`)
        const start = items.pos
        const line = items.line
        items.keyLines = new Map()
        items.value(isArray ? 1 : 2)
        yield parseItem(text, name, {start, end: items.pos, line}, bounds, items.keyLines)
        items.blanks()
        if (items.take(CLOSE_BRACKET)) return
        items.expect(COMMA, "',' or ']'")
      }
    },
    whole() {
      const scan = new Scanner(text, name, bounds, options.lineKey)
      scan.pos = root.start
      scan.line = root.line
      scan.keyLines = new Map()
      scan.value()
      return parseItem(text, name, root, bounds, scan.keyLines)
    },
  }
}

/** JSON.parse of one value, over the size bound or not valid refused at its line. */
function parseItem(text: string, name: string, range: Range, bounds: JsonBounds, keyLines = new Map<string, number>()): JsonItem {
  const size = range.end - range.start
  if (size > bounds.maxItemBytes) {
    throw new UsageError(
      `${name}:${range.line}: an item of ${size} characters is larger than ${bounds.maxItemBytes}, the most one item may hold`,
    )
  }
  try {
    return {value: JSON.parse(text.slice(range.start, range.end)) as unknown, line: range.line, keyLines}
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    // V8 quotes a part of the text in its message: keep only what it says is wrong.
    const reason = error.message.replace(/, ".*" is not valid JSON$/s, '').replace(/ (?:in |after )?JSON at position \d+.*$/s, '')
    const position = /at position (\d+)/.exec(error.message)
    const line = position ? range.line + countLines(text, range.start, range.start + Number(position[1])) : range.line
    throw new UsageError(`${name}:${line}: not valid JSON: ${sanitizeText(reason, {max: 200})}`)
  }
}

function countLines(text: string, start: number, end: number): number {
  let lines = 0
  for (let at = text.indexOf('\n', start); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) lines++
  return lines
}

/**
 * A position in the text with its line. `value` skips one JSON value, checking nesting and that
 * each bracket closes its own kind; what lies inside a value is checked later by JSON.parse. With
 * `lineKey`, it records the line of every key of that name by its path (see JsonItem.keyLines).
 */
class Scanner {
  pos = 0
  line = 1
  keyLines: Map<string, number> | undefined

  constructor(
    private readonly text: string,
    private readonly name: string,
    private readonly bounds: JsonBounds,
    private readonly lineKey?: string,
  ) {}

  fail(what: string): never {
    throw new UsageError(`${this.name}:${this.line}: not valid JSON: ${what}`)
  }

  blanks(): void {
    const {text} = this
    for (;;) {
      const c = text.charCodeAt(this.pos)
      if (c === NEWLINE) this.line++
      else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return
      this.pos++
    }
  }

  take(code: number): boolean {
    if (this.text.charCodeAt(this.pos) !== code) return false
    this.pos++
    return true
  }

  expect(code: number, what: string): void {
    if (!this.take(code)) this.fail(this.pos >= this.text.length ? `ends where ${what} was expected` : `expected ${what}`)
  }

  /** A key string, decoded. */
  key(): string {
    if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail("expected a key in double quotes or '}'")
    const start = this.pos
    this.pos = this.stringEnd(start) + 1
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string
    } catch {
      return this.fail('a key is not a valid string')
    }
  }

  /** The index of the quote that closes the string opening at `start`. */
  private stringEnd(start: number): number {
    const {text} = this
    for (let at = start + 1; ; at++) {
      at = text.indexOf('"', at)
      if (at === -1) this.fail('a string is not closed')
      let backslashes = 0
      while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++
      if (backslashes % 2 === 0) return at
    }
  }

  /** Skips the value at `pos`; `depth` is the nesting it sits at, for the bound. */
  value(depth = 0): void {
    const {text} = this
    const first = text.charCodeAt(this.pos)
    if (first === QUOTE) {
      this.pos = this.stringEnd(this.pos) + 1
      return
    }
    if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
      // A number, true, false or null: up to the next delimiter; JSON.parse judges it.
      const start = this.pos
      while (this.pos < text.length && !/[\s,\]}]/.test(text[this.pos])) this.pos++
      if (this.pos === start) this.fail(this.pos >= text.length ? 'ends where a value was expected' : 'expected a value')
      return
    }
    // Open brackets, and for the key lines: each level's current key (as a range) or array index.
    const opens: number[] = []
    const keyStarts: number[] = []
    const keyEnds: number[] = []
    const indices: number[] = []
    let expectKey = false
    do {
      const c = text.charCodeAt(this.pos)
      if (c === QUOTE) {
        const end = this.stringEnd(this.pos)
        const top = opens.length - 1
        if (expectKey && this.keyLines) {
          keyStarts[top] = this.pos + 1
          keyEnds[top] = end
          if (this.lineKey && end - this.pos - 1 === this.lineKey.length && text.startsWith(this.lineKey, this.pos + 1)) {
            const path = opens.map((open, level) =>
              open === OPEN_BRACE ? text.slice(keyStarts[level], keyEnds[level]) : String(indices[level]),
            )
            this.keyLines.set(path.join('\n'), this.line)
          }
        }
        expectKey = false
        this.pos = end + 1
        continue
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        opens.push(c)
        indices[opens.length - 1] = 0
        if (depth + opens.length > this.bounds.maxDepth) this.fail(`nesting deeper than ${this.bounds.maxDepth} levels`)
        expectKey = c === OPEN_BRACE
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        const open = opens.pop()
        if (open !== (c === CLOSE_BRACE ? OPEN_BRACE : OPEN_BRACKET))
          this.fail(`'${String.fromCharCode(c)}' does not close '${String.fromCharCode(open ?? c)}'`)
        expectKey = false
      } else if (c === COMMA) {
        if (opens.at(-1) === OPEN_BRACKET) indices[opens.length - 1]++
        else expectKey = true
      } else if (c === NEWLINE) {
        this.line++
      } else if (Number.isNaN(c)) {
        this.fail(`ends inside ${opens.length} open bracket${opens.length === 1 ? '' : 's'}`)
      }
      this.pos++
    } while (opens.length > 0)
  }
}
