/**
 * Text from a registry or an image (error messages, annotations, file names, platform strings)
 * must not drive the terminal, log viewer or CI page it is shown in: an ESC sequence can set the
 * window title, erase the line and print a fake "ok"; bidi controls can reorder what is read.
 * Such characters are shown visibly instead, as `\uXXXX` escapes a reader can see and report:
 * `\u001b` for ESC, likewise every C0 control, DEL and C1 control (U+0080–U+009F), and the bidi
 * embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). Tab is kept; newline and CR are kept only
 * where a text may have several lines: elsewhere a line break is folded into its escape, so a
 * registry message can never start a line of its own (a CI runner obeys lines such as
 * `::add-mask::` on stdout and stderr alike). A backslash itself is left as it is. A value longer
 * than FOREIGN_TEXT_MAX characters is cut there and ends in "…": a registry can send a header or
 * message of any length, and no report line needs more.
 *
 * Imports nothing: every output path may use it. JSON output does not (JSON.stringify escapes
 * control characters, and JSON keeps exact values).
 */

const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

const UNSAFE_KEEPING_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/** JavaScript's and JSON's spelling, which JUnit reports already use for what XML cannot carry. */
const visible = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`

/** The longest foreign value shown, in characters (code points), before it is cut with "…". */
export const FOREIGN_TEXT_MAX = 1000

export interface SanitizeOptions {
  /** Keep LF (for texts that may have several lines, such as a CSV or Markdown body); CR is escaped either way. */
  lines?: boolean
  /** Characters kept before the cut (default FOREIGN_TEXT_MAX). */
  max?: number
}

/** Cut to `max` code points (never inside a surrogate pair), "…" marking the cut. */
function truncated(text: string, max: number): string {
  if (text.length <= max) return text
  const points = Array.from(text)
  return points.length <= max ? text : `${points.slice(0, Math.max(0, max - 1)).join('')}…`
}

/** `text` cut to a bounded length and with every control character shown as an escape (see above); `lines` keeps LF. */
export function sanitizeText(text: string, options: SanitizeOptions = {}): string {
  const short = truncated(text, options.max ?? FOREIGN_TEXT_MAX)
  const pattern = options.lines ? UNSAFE_KEEPING_LINES : UNSAFE
  pattern.lastIndex = 0
  return pattern.test(short) ? short.replace(pattern, visible) : short
}

/**
 * A copy of `value` with sanitizeText applied to every string in it: plain objects, arrays and
 * Maps are copied (keys too), anything else (class instances, byte arrays) is kept as it is.
 * For the text renderers, which take whole reports: one call at their entry, not one per field.
 */
export function sanitizeDeep<T>(value: T, options: SanitizeOptions = {}): T {
  const copies = new Map<object, unknown>()
  const copy = (item: unknown): unknown => {
    if (typeof item === 'string') return sanitizeText(item, options)
    if (typeof item !== 'object' || item === null) return item
    const done = copies.get(item)
    if (done !== undefined) return done
    if (Array.isArray(item)) {
      const result: unknown[] = []
      copies.set(item, result)
      for (const element of item) result.push(copy(element))
      return result
    }
    if (item instanceof Map) {
      const result = new Map()
      copies.set(item, result)
      for (const [key, element] of item) result.set(copy(key), copy(element))
      return result
    }
    const prototype: unknown = Object.getPrototypeOf(item)
    if (prototype !== Object.prototype && prototype !== null) return item
    const result: Record<string, unknown> = {}
    copies.set(item, result)
    for (const [key, element] of Object.entries(item)) result[sanitizeText(key, options)] = copy(element)
    return result
  }
  return copy(value) as T
}
