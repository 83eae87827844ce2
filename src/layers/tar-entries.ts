import {Readable} from 'node:stream'

import {RegistryError} from '../errors.js'
import {armAttributesSection, armTailRange, type FileTail} from './arm-attributes.js'
import {headBytesNeeded} from './binary.js'

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'

/** One tar header of a layer, as kept in memory: no contents except the first bytes of candidates. */
export interface LayerEntry {
  /** Normalised absolute path: "/usr/bin/app". */
  path: string
  type: EntryType
  mode: number
  size: number
  /** Symlink target as written, or the hard link's target path (normalised). */
  linkTarget?: string
  /** The first bytes of a regular file that has an exec bit. */
  head?: Uint8Array
  /** For a 32-bit ARM ELF with an exec bit: its `.ARM.attributes` section, when found near its end. */
  armAttributes?: Uint8Array
}

/**
 * Normalises a path inside an image: absolute, no "." or empty components, ".." never above "/".
 * `base` is the directory relative paths start from.
 */
export function normalizePath(path: string, base = '/'): string {
  const parts: string[] = []
  for (const part of (path.startsWith('/') ? path : `${base}/${path}`).split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return `/${parts.join('/')}`
}

const TYPES: Record<string, EntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
}

/** Exec bit for anyone: what makes a regular file worth identifying. */
export const isExecutableMode = (mode: number): boolean => (mode & 0o111) !== 0

const BLOCK = 512

/**
 * Linux's PATH_MAX: no system call takes a longer path or writes a longer symlink target
 * (ENAMETOOLONG), so no runtime can extract an entry past it. An entry's path (or link target)
 * over this many bytes makes the layer unreadable; it also bounds the cost of every path walk.
 */
export const MAX_PATH_BYTES = 4096

/** A header's size field: octal text, or GNU base-256 (high bit set) for sizes over 8 GiB. */
function headerSize(header: Uint8Array): number {
  const field = header.subarray(124, 136)
  if (field[0] & 0x80) return field.subarray(1).reduce((size, byte) => size * 256 + byte, field[0] & 0x7f)
  const text = Buffer.from(field).toString('latin1').replace(/[\0 ].*$/s, '').trim()
  return text ? Number.parseInt(text, 8) : 0
}

/** PAX records are small ("size=…", paths, times); one larger than this is skipped unread. */
const MAX_PAX_BYTES = 1 << 20

/**
 * The tar stream up to its end-of-archive marker (two zero blocks where a header is due); what
 * follows is read (so the digest and the decompression limits still see it) but not passed on.
 * Docker and containerd read layers with Go's archive/tar, which stops at the marker and ignores
 * the rest (record padding, bytes appended by a tool); tar-stream would parse it as headers.
 * Only sizes are read here, to know where the next header starts: a PAX `size` record overrides
 * the next header's size, as for files over 8 GiB.
 */
async function* upToEndOfArchive(tar: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = tar[Symbol.asyncIterator]()
  let header: Uint8Array = new Uint8Array(0)
  let dataLeft = 0
  let zeroBlocks = 0
  let pax: Uint8Array[] | undefined
  let paxSize: number | undefined
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const chunk = next.value
    let offset = 0
    let ended = false
    while (offset < chunk.length && !ended) {
      if (dataLeft > 0) {
        const part = chunk.subarray(offset, offset + dataLeft)
        pax?.push(part)
        dataLeft -= part.length
        offset += part.length
        if (dataLeft === 0 && pax) {
          const size = /(?:^|\n)\d+ size=(\d+)\n/.exec(Buffer.concat(pax).toString('latin1'))
          if (size) paxSize = Number(size[1])
          pax = undefined
        }
        continue
      }
      const part = chunk.subarray(offset, offset + BLOCK - header.length)
      header = header.length === 0 ? part : Buffer.concat([header, part])
      offset += part.length
      if (header.length < BLOCK) continue
      const block = header
      header = new Uint8Array(0)
      if (block.every((byte) => byte === 0)) {
        ended = ++zeroBlocks === 2
        continue
      }
      zeroBlocks = 0
      const size = paxSize ?? headerSize(block)
      paxSize = undefined
      const type = String.fromCharCode(block[156])
      pax = type === 'x' && size <= MAX_PAX_BYTES ? [] : undefined
      dataLeft = Math.ceil(size / BLOCK) * BLOCK
    }
    yield ended ? chunk.subarray(0, offset) : chunk
    if (ended) {
      // Drain the rest unseen.
      for (let rest = await iterator.next(); !rest.done; rest = await iterator.next());
      return
    }
  }
}

/** Copies the part of `bytes` (which start at file offset `at`) that falls in `tail`'s range into it. */
function keepOverlap(tail: FileTail, bytes: Uint8Array, at: number): void {
  const from = Math.max(at, tail.offset)
  const to = Math.min(at + bytes.length, tail.offset + tail.bytes.length)
  if (from < to) tail.bytes.set(bytes.subarray(from - at, to - at), from - tail.offset)
}

/**
 * Reads a layer's tar stream into its list of entries, in archive order. Contents are drained,
 * except the first `headBytes` of regular files with an exec bit (more of an ELF whose program
 * headers or loader path lie further, up to MAX_HEAD_BYTES) and, of a 32-bit ARM ELF, its
 * `.ARM.attributes` section, looked for in a window at the end of the file. Bytes after the end-of-archive
 * marker are ignored, as Docker ignores them.
 */
export async function readTarEntries(tar: AsyncIterable<Uint8Array>, options: {label: string; headBytes: number; onEntry?: () => void}): Promise<LayerEntry[]> {
  const tarStream = await import('tar-stream')
  const {pipeline} = await import('node:stream/promises')
  const extract = tarStream.extract()
  const feeding = pipeline(Readable.from(upToEndOfArchive(tar)), extract)
  // Its error also ends the loop below; this only keeps it from being reported as unhandled.
  feeding.catch(() => {})
  const entries: LayerEntry[] = []
  try {
    for await (const entry of extract) {
      const {header} = entry
      // Every entry is kept: their number is what bounds memory (LayerLimits.maxEntries).
      options.onEntry?.()
      const type = TYPES[header.type ?? 'file'] ?? 'other'
      for (const [what, text] of [['an entry\'s path', header.name], ['a symlink target', header.linkname ?? '']] as const) {
        const bytes = Buffer.byteLength(text)
        if (bytes > MAX_PATH_BYTES) {
          throw new RegistryError(`${options.label}: ${what} is ${bytes} bytes, longer than the ${MAX_PATH_BYTES} bytes Linux allows (PATH_MAX): no runtime can extract it`, 'bad-layer')
        }
      }
      const record: LayerEntry = {path: normalizePath(header.name), type, mode: header.mode ?? 0, size: header.size ?? 0}
      if (type === 'symlink') record.linkTarget = header.linkname ?? ''
      if (type === 'hardlink') record.linkTarget = normalizePath(header.linkname ?? '')
      const wantHead = type === 'file' && isExecutableMode(record.mode) && options.headBytes > 0
      let head: Uint8Array = new Uint8Array(0)
      let want = options.headBytes
      let tail: FileTail | undefined
      let tailLooked = false
      let position = 0
      for await (const chunk of entry as AsyncIterable<Uint8Array>) {
        let offset = 0
        while (wantHead && head.length < want && offset < chunk.length) {
          // Copy: the chunk may be a view into a large shared buffer.
          const part = Uint8Array.prototype.slice.call(chunk.subarray(offset, offset + want - head.length))
          head = head.length === 0 ? part : Buffer.concat([head, part])
          offset += part.length
          // An ELF may name its loader further on than the bytes kept so far.
          if (head.length >= want) want = headBytesNeeded(head)
        }
        if (wantHead && !tailLooked && head.length >= 52) {
          tailLooked = true
          const range = armTailRange(head, record.size)
          if (range) {
            tail = {offset: range.start, bytes: new Uint8Array(range.end - range.start)}
            keepOverlap(tail, head, 0)
          }
        }
        if (tail) keepOverlap(tail, chunk, position)
        position += chunk.length
      }
      if (wantHead) record.head = head
      // Only the attributes are kept, not the window they were found in.
      const armAttributes = tail && armAttributesSection(head, tail)
      if (armAttributes) record.armAttributes = armAttributes
      entries.push(record)
    }
    await feeding
  } catch (error) {
    if (error instanceof RegistryError) throw error
    throw new RegistryError(`${options.label}: not a readable tar archive (${(error as Error).message})`, 'bad-layer', {cause: error})
  }
  return entries
}
