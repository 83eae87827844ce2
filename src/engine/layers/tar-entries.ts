import {Readable} from 'node:stream'

import {RegistryError} from '../../oci/errors.js'
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

/** Entry types as stored in a column: an index into this list. */
export const ENTRY_TYPES: readonly EntryType[] = ['file', 'directory', 'symlink', 'hardlink', 'other']

/** What a few entries carry beyond their header's numbers. */
export type EntryExtras = Pick<LayerEntry, 'linkTarget' | 'head' | 'armAttributes'>

/** `array`, or a copy twice as long when index `length` does not fit. */
export function withRoomFor<T extends Uint8Array | Uint32Array | Float64Array>(array: T, length: number): T {
  if (length < array.length) return array
  const grown = new (array.constructor as new (length: number) => T)(Math.max(16, array.length * 2))
  grown.set(array)
  return grown
}

/**
 * A layer's entries in archive order, packed in columns: a layer can hold a million entries, and
 * an object with its own path string for each took about 100 bytes an entry, kept until every image
 * had applied the layer. Here an entry is its name, the index of its parent directory (distinct
 * directories are few, their paths stored once), its type, mode and size; link targets and the
 * first bytes of executables, which few entries have, sit in a map by entry index.
 */
export class LayerEntries implements Iterable<LayerEntry> {
  count = 0
  private readonly directories: string[] = []
  private readonly directoryIds = new Map<string, number>()
  private names: string[] = []
  private parents = new Uint32Array(0)
  private types = new Uint8Array(0)
  private modes = new Uint32Array(0)
  private sizes = new Float64Array(0)
  private readonly extras = new Map<number, EntryExtras>()

  static from(entries: Iterable<LayerEntry>): LayerEntries {
    const table = new LayerEntries()
    for (const entry of entries) table.push(entry)
    return table
  }

  /** Adds an entry; its path must be normalised (normalizePath). */
  push(entry: LayerEntry): void {
    const slash = entry.path.lastIndexOf('/')
    const parent = entry.path.slice(0, slash) || '/'
    let parentId = this.directoryIds.get(parent)
    if (parentId === undefined) {
      parentId = this.directories.push(parent) - 1
      this.directoryIds.set(parent, parentId)
    }
    const index = this.count++
    this.parents = withRoomFor(this.parents, index)
    this.types = withRoomFor(this.types, index)
    this.modes = withRoomFor(this.modes, index)
    this.sizes = withRoomFor(this.sizes, index)
    this.names[index] = entry.path.slice(slash + 1)
    this.parents[index] = parentId
    this.types[index] = ENTRY_TYPES.indexOf(entry.type)
    this.modes[index] = entry.mode
    this.sizes[index] = entry.size
    const {linkTarget, head, armAttributes} = entry
    if (linkTarget !== undefined || head || armAttributes) {
      this.extras.set(index, {
        ...(linkTarget === undefined ? {} : {linkTarget}),
        ...(head ? {head} : {}),
        ...(armAttributes ? {armAttributes} : {}),
      })
    }
  }

  /** The parent directory's index: the same for consecutive entries of one directory. */
  parentId(index: number): number {
    return this.parents[index]
  }

  parentPath(index: number): string {
    return this.directories[this.parents[index]]
  }

  /** The last component of the entry's path ("" for "/"). */
  name(index: number): string {
    return this.names[index]
  }

  type(index: number): EntryType {
    return ENTRY_TYPES[this.types[index]]
  }

  mode(index: number): number {
    return this.modes[index]
  }

  size(index: number): number {
    return this.sizes[index]
  }

  extra(index: number): EntryExtras | undefined {
    return this.extras.get(index)
  }

  /** Each entry as an object of its own (made on the way, for callers that want few). */
  *[Symbol.iterator](): Iterator<LayerEntry> {
    for (let index = 0; index < this.count; index++) {
      const parent = this.parentPath(index)
      const name = this.names[index]
      const path = name === '' ? parent : parent === '/' ? `/${name}` : `${parent}/${name}`
      yield {path, type: this.type(index), mode: this.modes[index], size: this.sizes[index], ...this.extras.get(index)}
    }
  }
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

/**
 * A header's size field: octal text (after leading spaces or NULs, ended by a space or NUL), or
 * GNU base-256 (first byte 0x80) for sizes over 8 GiB. NaN for anything else (a negative base-256
 * number, other text): tar-stream would read such a field differently, or as null and then wait
 * forever for the entry's end, so the layer is refused instead.
 */
function headerSize(header: Uint8Array): number {
  const field = header.subarray(124, 136)
  if (field[0] === 0x80) return field.subarray(1).reduce((size, byte) => size * 256 + byte, 0)
  if (field[0] & 0x80) return Number.NaN
  const text = Buffer.from(field)
    .toString('latin1')
    .replace(/^[ \0]+/, '')
  const match = /^([0-7]*)[ \0]*$/.exec(text)
  if (!match) return Number.NaN
  return match[1] ? Number.parseInt(match[1], 8) : 0
}

/**
 * The value of a pax header's `size` record, read exactly as tar-stream reads records (by their
 * length prefix, the last one winning; an empty value counts as none), so that this scan and
 * tar-stream agree on where every entry ends.
 */
function paxSizeRecord(data: Buffer): string | undefined {
  let size: string | undefined
  for (let rest = data; rest.length > 0;) {
    const space = rest.indexOf(0x20)
    const length = Number.parseInt(rest.subarray(0, space === -1 ? rest.length : space).toString(), 10)
    if (!length) break
    const record = rest.subarray((space === -1 ? rest.length : space) + 1, length - 1).toString()
    const equals = record.indexOf('=')
    if (equals === -1) break
    if (record.slice(0, equals) === 'size') size = record.slice(equals + 1)
    rest = rest.subarray(length)
  }
  return size || undefined
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
async function* upToEndOfArchive(tar: AsyncIterable<Uint8Array>, label: string): AsyncGenerator<Uint8Array> {
  const iterator = tar[Symbol.asyncIterator]()
  /** Bytes of the stream before the current chunk, to name where a bad header is. */
  let before = 0
  let header: Uint8Array = new Uint8Array(0)
  let dataLeft = 0
  let zeroBlocks = 0
  let pax: Uint8Array[] | undefined
  let paxSize: number | undefined
  let paxGlobal = false
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
          const size = paxSizeRecord(Buffer.concat(pax))
          if (size && paxGlobal)
            throw new RegistryError(`${label}: not a readable tar archive (a global pax header sets a size)`, 'bad-layer')
          // As tar-stream does, the last pax header before an entry is the one that counts; only a
          // plain decimal count is a size (tar-stream would read "1.5" as 1, "-1" as an error).
          if (!paxGlobal) paxSize = size ? (/^\d{1,16}$/.test(size) ? Number(size) : Number.NaN) : undefined
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
      const type = String.fromCharCode(block[156])
      // pax (x, g) and GNU long-name (L, K) records have sizes of their own and describe the
      // entry after them: a pax size waits for that entry.
      const extended = 'xgLK'.includes(type)
      const size = (extended ? undefined : paxSize) ?? headerSize(block)
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new RegistryError(
          `${label}: not a readable tar archive (invalid size in the header at byte ${before + offset - BLOCK})`,
          'bad-layer',
        )
      }
      if (!extended) paxSize = undefined
      pax = (type === 'x' || type === 'g') && size <= MAX_PAX_BYTES ? [] : undefined
      paxGlobal = type === 'g'
      // A directory has no contents whatever its size says: Go's archive/tar (Docker, containerd)
      // and tar-stream both read the next header right after it.
      dataLeft = type === '5' ? 0 : Math.ceil(size / BLOCK) * BLOCK
    }
    before += chunk.length
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
export async function readTarEntries(
  tar: AsyncIterable<Uint8Array>,
  options: {label: string; headBytes: number; onEntry?: () => void},
): Promise<LayerEntries> {
  const tarStream = await import('tar-stream')
  const {pipeline} = await import('node:stream/promises')
  const extract = tarStream.extract()
  const feeding = pipeline(Readable.from(upToEndOfArchive(tar, options.label)), extract)
  // Its error also ends the loop below, and the stream of the entry being read: tar-stream may
  // otherwise leave that stream open forever (a size it misread), and the read with it.
  let current: {destroy(error?: Error): void} | undefined
  feeding.catch((error: Error) => current?.destroy(error))
  const entries = new LayerEntries()
  try {
    for await (const entry of extract) {
      current = entry
      const {header} = entry
      // Every entry is kept: their number is what bounds memory (LayerLimits.maxEntries).
      options.onEntry?.()
      const type = TYPES[header.type ?? 'file'] ?? 'other'
      for (const [what, text] of [
        ["an entry's path", header.name],
        ['a symlink target', header.linkname ?? ''],
      ] as const) {
        const bytes = Buffer.byteLength(text)
        if (bytes > MAX_PATH_BYTES) {
          throw new RegistryError(
            `${options.label}: ${what} is ${bytes} bytes, longer than the ${MAX_PATH_BYTES} bytes Linux allows (PATH_MAX): no runtime can extract it`,
            'bad-layer',
          )
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
      // tar-stream never ends the stream of a directory whose size is not 0, and it has no bytes anyway.
      const contents = type === 'directory' ? [] : (entry as AsyncIterable<Uint8Array>)
      for await (const chunk of contents) {
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
