import {readFile} from 'node:fs/promises'

import {LineCounter, parseAllDocuments} from 'yaml'
import type {Document} from 'yaml'

import {UsageError} from '../../oci/errors.js'

/** The name stdin goes by in messages (`<stdin>:12: …`), so a user can tell it from a file called `-`. */
export const STDIN_NAME = '<stdin>'

/** Workload and node files are small; a bound keeps a wrong argument (a disk image, /dev/zero) from eating memory. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024

export interface InputText {
  /** What to call the input in messages: the path as given, or `<stdin>` for `-`. */
  name: string
  text: string
}

/**
 * Reads a `--from`/`--hosts-from` argument: a path, or `-` for stdin. The text comes back with its
 * display name so parse errors can say `FILE:LINE`. An unreadable file is a UsageError (exit 2).
 */
export async function readInput(path: string, options: {stdin?: NodeJS.ReadableStream; maxBytes?: number} = {}): Promise<InputText> {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES
  if (path === '-') {
    const stdin = options.stdin ?? process.stdin
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of stdin) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
      size += buffer.length
      if (size > maxBytes) throw new UsageError(`${STDIN_NAME}: input is larger than ${maxBytes} bytes`)
      chunks.push(buffer)
    }
    return {name: STDIN_NAME, text: decode(Buffer.concat(chunks))}
  }
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message
    throw new UsageError(`cannot read ${path}: ${why}`, {cause: error})
  }
  if (bytes.length > maxBytes) throw new UsageError(`${path}: file is larger than ${maxBytes} bytes`)
  return {name: path, text: decode(bytes)}
}

function decode(bytes: Buffer): string {
  // Files saved by Windows editors (and PowerShell's `>`) often start with a BOM; YAML and our list
  // format would otherwise see it as part of the first key or reference.
  const text = bytes.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

export interface ParsedYaml {
  docs: Document.Parsed[]
  /** 1-based line of a character offset in the text. */
  lineOf(offset: number | undefined): number
}

/**
 * Parses every document of a YAML (or JSON) text, keeping node positions, and turns the first
 * syntax error into a UsageError `FILE:LINE: …`. Merge keys (`<<: *defaults`) are on because
 * Compose files use them for shared service settings.
 */
export function parseYaml(text: string, name: string): ParsedYaml {
  const lineCounter = new LineCounter()
  const docs = parseAllDocuments(text, {lineCounter, merge: true, prettyErrors: false})
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line)
  // A stream with only a `...` marker yields an EmptyStream (array-like, no documents).
  const list = Array.isArray(docs) ? docs : []
  for (const doc of list) {
    const error = doc.errors[0]
    if (error) throw new UsageError(`${name}:${lineOf(error.pos[0])}: not valid YAML: ${firstLine(error.message)}`)
  }
  return {docs: list, lineOf}
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
}
