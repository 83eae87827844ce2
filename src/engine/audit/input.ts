import {constants as fsConstants, fstat, open, close, createReadStream} from 'node:fs'
import {Socket} from 'node:net'
import {StringDecoder} from 'node:string_decoder'
import {promisify} from 'node:util'

import {Composer, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser} from 'yaml'
import type {Document, Node} from 'yaml'

import {abortError} from '../../oci/abort.js'
import {UsageError} from '../../oci/errors.js'

/** The name stdin goes by in messages (`<stdin>:12: …`), so a user can tell it from a file called `-`. */
export const STDIN_NAME = '<stdin>'

/** Workload and node files are small; a bound keeps a wrong argument (a disk image, /dev/zero) from eating memory. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024

/** How long a pipe, FIFO or stdin may stay silent before the read gives up (a FIFO nobody writes to). */
export const DEFAULT_INPUT_IDLE_MS = 30_000

export interface InputText {
  /** What to call the input in messages: the path as given, or `<stdin>` for `-`. */
  name: string
  text: string
}

export interface ReadInputOptions {
  stdin?: NodeJS.ReadableStream
  maxBytes?: number
  /** Give up when no byte arrives for this long (default DEFAULT_INPUT_IDLE_MS). */
  idleTimeoutMs?: number
  /** Stops the read (Ctrl-C): it rejects with an AbortError. */
  signal?: AbortSignal
}

const openFile = promisify(open)
const statFd = promisify(fstat)

/**
 * Reads a `--from`/`--hosts-from` argument: a path, or `-` for stdin. The text comes back with its
 * display name so parse errors can say `FILE:LINE`. Files, devices, FIFOs and stdin are read the
 * same way: as a stream that stops at `maxBytes` whatever the file claims to hold, and that gives
 * up when no data comes for `idleTimeoutMs`. Anything it cannot read is a UsageError (exit 2).
 */
export async function readInput(path: string, options: ReadInputOptions = {}): Promise<InputText> {
  const limits = {
    maxBytes: options.maxBytes ?? MAX_INPUT_BYTES,
    idleMs: options.idleTimeoutMs ?? DEFAULT_INPUT_IDLE_MS,
    signal: options.signal,
  }
  if (path === '-') return {name: STDIN_NAME, text: withoutBom(await readBounded(options.stdin ?? process.stdin, STDIN_NAME, limits))}
  let fd: number
  try {
    // Non-blocking: opening a FIFO nobody writes to would otherwise wait in a thread that even a signal cannot end.
    fd = await openFile(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${fileProblem(error)}`, {cause: error})
  }
  let stream: NodeJS.ReadableStream
  try {
    const info = await statFd(fd)
    if (info.isDirectory()) throw new UsageError(`cannot read ${path}: is a directory`)
    // Pipes and sockets wait for data through the event loop; files and devices are read in chunks.
    stream = info.isFIFO() || info.isSocket() ? new Socket({fd, readable: true, writable: false}) : createReadStream('', {fd})
  } catch (error) {
    close(fd, () => {})
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot read ${path}: ${fileProblem(error)}`, {cause: error})
  }
  return {name: path, text: withoutBom(await readBounded(stream, path, limits))}
}

function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EISDIR') return 'is a directory'
  if (code === 'EACCES') return 'permission denied'
  return (error as Error).message
}

/**
 * The text of a stream up to `maxBytes`; more, or silence for `idleMs`, ends it with a UsageError.
 * Decoded chunk by chunk, so that the bytes are not held twice (chunks and their concatenation).
 */
function readBounded(
  stream: NodeJS.ReadableStream,
  name: string,
  limits: {maxBytes: number; idleMs: number; signal?: AbortSignal},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8')
    let text = ''
    let size = 0
    let timer: NodeJS.Timeout | undefined
    const onAbort = () => finish(abortError(limits.signal!))
    const finish = (error: Error | undefined) => {
      clearTimeout(timer)
      limits.signal?.removeEventListener('abort', onAbort)
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      // stdin belongs to the process: pause it; a stream opened here is closed.
      if (stream === process.stdin) stream.pause()
      else (stream as NodeJS.ReadableStream & {destroy?: () => void}).destroy?.()
      if (error) reject(error)
      else resolve(text + decoder.end())
    }
    const arm = () => {
      clearTimeout(timer)
      timer = setTimeout(() => finish(new UsageError(`${name}: no data for ${limits.idleMs / 1000} s`)), limits.idleMs)
      timer.unref?.()
    }
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += buffer.length
      if (size > limits.maxBytes) {
        finish(new UsageError(`${name}: input is larger than ${limits.maxBytes} bytes`))
        return
      }
      text += decoder.write(buffer)
      arm()
    }
    const onEnd = () => finish(undefined)
    const onError = (error: Error) => finish(new UsageError(`cannot read ${name}: ${fileProblem(error)}`, {cause: error}))
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', onError)
    if (limits.signal?.aborted) return onAbort()
    limits.signal?.addEventListener('abort', onAbort)
    arm()
    stream.resume()
  })
}

function withoutBom(text: string): string {
  // Files saved by Windows editors (and PowerShell's `>`) often start with a BOM; YAML and our list
  // format would otherwise see it as part of the first key or reference.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** References one list may name (each line counts, repeats too): far more than a cluster runs, far less than memory holds. */
export const MAX_LIST_REFERENCES = 100_000

/** The lines of a text with their 1-based numbers, without a CR before the LF; one at a time, so a long text is never split whole. */
export function* textLines(text: string): Generator<{text: string; number: number}> {
  let number = 0
  for (let start = 0; start <= text.length;) {
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    number++
    yield {text: text.slice(start, end).replace(/\r$/, ''), number}
    start = end + 1
  }
}

/**
 * What one YAML input may cost. The parser keeps a syntax tree of every token (about 50 bytes of
 * memory per byte of YAML) and its work grows with tokens; aliases and merge keys can make a few
 * hundred bytes stand for billions of nodes. Each bound is checked as the text is read.
 */
export interface YamlBudget {
  /** Lexical tokens (a key, a value, an indicator): about 3 MB of Kubernetes YAML at the default. */
  maxTokens: number
  maxDocuments: number
  /** Nesting of collections. */
  maxDepth: number
  /** Nodes that aliases (`*a`) and merge keys (`<<: *a`) stand for, each use counted in full. */
  maxAliasNodes: number
  /** Aliases are found by a scan of their document: at most this many node visits for them all. */
  maxAliasScan: number
}

export const DEFAULT_YAML_BUDGET: YamlBudget = {
  maxTokens: 750_000,
  maxDocuments: 10_000,
  maxDepth: 100,
  maxAliasNodes: 100_000,
  maxAliasScan: 50_000_000,
}

export interface ParsedYaml {
  docs: Document.Parsed[]
  /** 1-based line of a character offset in the text. */
  lineOf: (offset: number | undefined) => number
}

/**
 * Parses every document of a YAML text, keeping node positions, and turns the first
 * syntax error into a UsageError `FILE:LINE: …`. Merge keys (`<<: *defaults`) are on because
 * Compose files use them for shared service settings. Input over the budget is refused as
 * `FILE:LINE: …` naming the bound hit, before the work it would cost: every alias and merge of
 * the documents returned resolves to a bounded amount of data (so `toJS(doc)` is safe on them).
 * JSON, which YAML also reads, takes json-input.ts instead: item by item, without this budget.
 */
export function parseYaml(text: string, name: string, budget: YamlBudget = DEFAULT_YAML_BUDGET): ParsedYaml {
  const lineCounter = new LineCounter()
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line)
  const refuse = (offset: number | undefined, what: string): never => {
    throw new UsageError(`${name}:${lineOf(offset)}: ${what}`)
  }
  const parser = new Parser(lineCounter.addNewLine)
  const composer = new Composer({merge: true, prettyErrors: false})
  const docs: Document.Parsed[] = []
  let tokens = 0
  const aliasWork = {nodes: 0, scan: 0}
  const take = (doc: Document.Parsed) => {
    const error = doc.errors[0]
    if (error) refuse(error.pos[0], `not valid YAML: ${firstLine(error.message)}`)
    if (docs.length >= budget.maxDocuments) refuse(doc.range[0], `more than ${budget.maxDocuments} YAML documents`)
    checkAliases(doc, budget, aliasWork, refuse)
    docs.push(doc)
  }
  const compose = (token: Parameters<Composer['next']>[0]) => {
    try {
      for (const doc of composer.next(token)) take(doc)
    } catch (error) {
      // The composer recurses once per nesting level: refuse, never crash, whatever the depth check missed.
      if (error instanceof RangeError) refuse(parser.offset, `nesting deeper than ${budget.maxDepth} levels`)
      throw error
    }
  }
  lineCounter.addNewLine(0)
  for (const lexeme of new Lexer().lex(text)) {
    if (++tokens > budget.maxTokens) refuse(parser.offset, `more than ${budget.maxTokens} YAML tokens (about 3 MB of Kubernetes YAML)`)
    for (const token of parser.next(lexeme)) compose(token)
    if (parser.stack.length > budget.maxDepth) refuse(parser.offset, `nesting deeper than ${budget.maxDepth} levels`)
  }
  for (const token of parser.end()) compose(token)
  for (const doc of composer.end()) take(doc)
  return {docs, lineOf}
}

/**
 * Sizes every node of a document as its aliases and merge keys expand it, each size computed
 * once (an alias costs its anchor's size, not a second walk), and refuses a document whose
 * expansion, or whose alias look-ups, exceed the budget. Also refuses what the YAML library
 * would later throw on: an alias with no anchor before it, an alias inside the node it names,
 * a merge key whose value is not a mapping (or a list of them).
 */
function checkAliases(
  doc: Document.Parsed,
  budget: YamlBudget,
  work: {nodes: number; scan: number},
  refuse: (offset: number | undefined, what: string) => never,
): void {
  if (!doc.contents) return
  const anchors = new Map<string, Node>()
  const sizes = new Map<Node, number>()
  const aliases: Node[] = []
  let nodes = 0
  // Depth-first in document order without recursion: an anchor is always seen before its aliases.
  const stack: Array<{node: Node; children: Node[]; next: number; size: number}> = []
  const enter = (node: Node) => {
    nodes++
    if (node.anchor) anchors.set(node.anchor, node)
    if (isAlias(node)) {
      aliases.push(node)
      const target = anchors.get(node.source)
      if (!target) refuse(node.range?.[0], `alias *${node.source} has no anchor &${node.source} before it`)
      const size = sizes.get(target)
      if (size === undefined) refuse(node.range?.[0], `alias *${node.source} is inside the node it names`)
      work.nodes += size
      if (work.nodes > budget.maxAliasNodes) {
        refuse(node.range?.[0], `aliases and merge keys expand to more than ${budget.maxAliasNodes} nodes`)
      }
      return size
    }
    const children: Node[] = []
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isMergeKey(pair.key)) checkMergeValue(pair.value as Node | null, anchors, refuse)
        if (pair.key) children.push(pair.key as Node)
        if (pair.value) children.push(pair.value as Node)
      }
    } else if (isSeq(node)) {
      // In document order, so that an anchor is met before its aliases; `[a: 1]` holds pairs.
      for (const item of node.items) {
        if (isPair(item)) children.push(...([item.key, item.value].filter(Boolean) as Node[]))
        else if (item) children.push(item as Node)
      }
    }
    stack.push({node, children, next: 0, size: 1})
    return undefined
  }
  const rootSize = enter(doc.contents)
  if (rootSize !== undefined) return
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]
    if (frame.next < frame.children.length) {
      const childSize = enter(frame.children[frame.next++])
      if (childSize !== undefined) frame.size += childSize
      continue
    }
    stack.pop()
    sizes.set(frame.node, frame.size)
    if (stack.length > 0) stack[stack.length - 1].size += frame.size
  }
  work.scan += aliases.length * nodes
  if (work.scan > budget.maxAliasScan) {
    refuse(aliases.at(-1)?.range?.[0], `too many aliases (${aliases.length}) for a document of ${nodes} nodes`)
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.value === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<'))
}

/** `<<` takes a mapping, an alias of one, or a list of those (YAML 1.1's merge type). */
function checkMergeValue(value: Node | null, anchors: Map<string, Node>, refuse: (offset: number | undefined, what: string) => never) {
  const isMapping = (node: unknown) => isMap(isAlias(node) ? anchors.get(node.source) : node)
  const sources = isSeq(value) ? value.items : [value]
  for (const source of sources) {
    if (!isMapping(source)) {
      refuse(
        (source as Node | null)?.range?.[0] ?? value?.range?.[0],
        'a merge key (<<) takes a mapping, an alias of one, or a list of them',
      )
    }
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
}
