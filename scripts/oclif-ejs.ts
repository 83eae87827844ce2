// The stand-in for ejs in the CLI's bundle (scripts/bundle.js, oclifTemplates), apart so that
// test/unit/cli/oclif-ejs.test.ts can hold it to the real ejs.
//
// Why: oclif renders every help text and command example through `ejs.render(text, context)`,
// which compiles each text to a function; loading ejs and compiling the root help's texts was about
// 5 ms of every `--help`. archcheck's texts use no tag but `<%= config.bin %>`-like ones.

/** `<%= name.name %>`: output a value, escaped; the only tag filled in without ejs. */
const VALUE_TAG = /<%=\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*%>/g
/** What ejs's `<%=` escapes, and how. */
const ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;'}

/** Whether `key` can be read from `value` as ejs would find it (own or inherited property of an object). */
const has = (value: unknown, key: string): value is Record<string, unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && key in value

/**
 * `text` with its value tags filled in from `data`, as ejs renders it; undefined when the text
 * needs ejs itself: another kind of tag (`<%`, `<%-`, `<%_`, `-%>`), a stray `%>` (which ejs drops),
 * a name `data` lacks (ejs would look it up among the globals) or a value that is neither a string
 * nor a number (ejs's rules for those are its own).
 */
export function fillValueTags(text: unknown, data: unknown): string | undefined {
  if (typeof text !== 'string' || data === null || typeof data !== 'object') return undefined
  if (/<%|%>/.test(text.replace(VALUE_TAG, ''))) return undefined
  let filled = true
  const out = text.replace(VALUE_TAG, (_, path: string) => {
    let value: unknown = data
    for (const key of path.split('.')) value = has(value, key) ? value[key] : undefined
    if (typeof value !== 'string' && typeof value !== 'number') {
      filled = false
      return ''
    }
    return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char])
  })
  return filled ? out : undefined
}

/** What oclif uses of ejs. */
export interface Ejs {
  render(text: string, data?: object, options?: object): string
}

/** ejs's `render` for oclif (the only function of ejs oclif calls): value tags here, anything else by the real ejs from `loadEjs()`. */
export function templateRenderer(loadEjs: () => Ejs): Ejs['render'] {
  return (text, data, options) => (options === undefined ? fillValueTags(text, data) : undefined) ?? loadEjs().render(text, data, options)
}
