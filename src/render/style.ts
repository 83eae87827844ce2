/**
 * src/render: api results drawn for people and CI: tables, text, Markdown, CSV, HTML, JUnit,
 * GitHub annotations and step summary, progress lines. A renderer takes a result document and
 * never calls the engine, so no view can disagree with --json; this module decides colours. It
 * may import src/api (result types) and src/oci.
 */

/** Terminal colours: only when the stream is a TTY and NO_COLOR is unset or empty (no-color.org). */
export interface Style {
  readonly enabled: boolean
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  yellow(text: string): string
  green(text: string): string
  cyan(text: string): string
}

const sgr = (open: number, close: number) => (text: string) => `\u001B[${open}m${text}\u001B[${close}m`
const plain = (text: string): string => text

/** `env` is the caller's (the CLI passes its own): NO_COLOR turns colours off. */
function colorEnabled(stream: {isTTY?: boolean}, env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR
}

export function styleFor(stream: {isTTY?: boolean}, env: Readonly<Record<string, string | undefined>> = {}): Style {
  if (!colorEnabled(stream, env)) return {enabled: false, bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain}
  return {enabled: true, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39)}
}
