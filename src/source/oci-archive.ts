/**
 * `oci-archive:FILE[:TAG|@DIGEST]`: an OCI image layout inside a tar file (`buildx --output
 * type=oci`, `skopeo copy … oci-archive:FILE`). Its header blocks are walked once to learn where each
 * file's bytes lie; blobs are then read straight from those ranges, so the archive is never read whole.
 */
import {createReadStream} from 'node:fs'
import {open, stat} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'

import {RegistryError, UsageError} from '../oci/errors.js'
import {parseLayoutSpec, type LayoutSpec} from '../oci/reference.js'
import {type LayoutFiles, type LayoutSourceOptions, OciLayoutSource} from './oci-layout.js'

/** Tar works in 512-byte blocks: a header block, then the file's bytes padded to whole blocks. */
const TAR_BLOCK = 512
/** pax and GNU long-name records are a few hundred bytes; larger ones are not an OCI layout's. */
const MAX_EXTENDED_HEADER = 1024 * 1024

/** Files of a layout inside a tar, served by byte range. */
class ArchiveFiles implements LayoutFiles {
  private constructor(
    readonly file: string,
    private readonly ranges: Map<string, {start: number; size: number}>,
  ) {}

  /**
   * Walks the tar's header blocks, skipping over each file's bytes (a multi-GB archive costs a
   * read per file, not a read of the archive), and records where each regular file's bytes lie.
   */
  static async scan(file: string): Promise<ArchiveFiles> {
    const ranges = new Map<string, {start: number; size: number}>()
    const handle = await open(file, 'r')
    const fail = (why: string): never => {
      throw new RegistryError(`cannot read ${file} as a tar archive: ${why}`, 'malformed')
    }
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length)
      const {bytesRead} = await handle.read(buffer, 0, length, position)
      if (bytesRead < length) fail(`it ends inside an entry (at byte ${position + bytesRead})`)
      return buffer
    }
    try {
      const {size: fileSize} = await handle.stat()
      let next: {path?: string; size?: number} = {}
      // Until the end-of-archive block, or the end of the file right after an entry.
      for (let position = 0; position < fileSize;) {
        const header = await read(position, TAR_BLOCK)
        if (header.every((byte) => byte === 0)) break
        if (!checksumMatches(header)) fail(`bad header checksum at byte ${position}`)
        const type = String.fromCharCode(header[156] || 0x30)
        // pax (x, g) and GNU long-name/link (L, K) records describe the entry after them.
        const extended = 'xgLK'.includes(type)
        const size = (extended ? undefined : next.size) ?? headerNumber(header.subarray(124, 136))
        // Every size must be a whole number of bytes inside the file: a negative or NaN one would
        // send the walk backwards (forever) or nowhere.
        if (!Number.isSafeInteger(size) || size < 0) fail(`invalid size field in the header at byte ${position}`)
        const start = position + TAR_BLOCK
        if (start + size > fileSize)
          fail(`it ends inside ${extended ? 'an extended header' : JSON.stringify(headerName(header))} (at byte ${position})`)
        position = start + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK
        if (extended) {
          if (type === 'x' || type === 'L') {
            if (size > MAX_EXTENDED_HEADER) fail(`an extended header of ${size} bytes`)
            const data = await read(start, size)
            next = type === 'L' ? {...next, path: cString(data)} : {...next, ...paxRecords(data, start - TAR_BLOCK, fail)}
          }
          continue
        }
        if (type === '0' || type === '7') {
          ranges.set(normalizeName(next.path ?? headerName(header)), {start, size})
        }
        next = {}
      }
    } finally {
      await handle.close()
    }
    return new ArchiveFiles(file, ranges)
  }

  async size(relativePath: string): Promise<number | undefined> {
    return this.ranges.get(relativePath)?.size
  }

  open(relativePath: string): Readable {
    const range = this.ranges.get(relativePath)
    if (!range) throw new RegistryError(`${relativePath} not found in ${this.file}`, 'not-found')
    if (range.size === 0) return Readable.from([])
    return createReadStream(this.file, {start: range.start, end: range.start + range.size - 1})
  }

  async close(): Promise<void> {}
}

/** The entry's name: a POSIX ustar header's prefix field joined to its name field. */
function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100))
  const prefix = header.subarray(257, 263).toString('latin1') === 'ustar\0' ? cString(header.subarray(345, 500)) : ''
  return prefix ? `${prefix}/${name}` : name
}

/**
 * A numeric field: octal text, or base-256 when the top bit is set (sizes of 8 GiB and more; a
 * set sign bit, 0x40, is a negative number). NaN when it is neither, for the caller to refuse.
 */
function headerNumber(field: Buffer): number {
  if (field[0] & 0x80) {
    if (field[0] & 0x40) return Number.NaN
    return field.subarray(1).reduce((value, byte) => value * 256 + byte, field[0] & 0x3f)
  }
  const text = cString(field).trim()
  if (!/^[0-7]*$/.test(text)) return Number.NaN
  return text ? Number.parseInt(text, 8) : 0
}

/** The header's checksum field against the sum of its bytes (the field itself counted as spaces). */
function checksumMatches(header: Buffer): boolean {
  let sum = 0
  for (let index = 0; index < TAR_BLOCK; index++) sum += index >= 148 && index < 156 ? 0x20 : header[index]
  return headerNumber(header.subarray(148, 156)) === sum
}

/**
 * The `path` and `size` of pax records (`LENGTH key=value\n`), which override the next header's.
 * A size that is not a plain decimal count of bytes is refused (`fail`), naming the header's offset.
 */
function paxRecords(data: Buffer, at: number, fail: (why: string) => never): {path?: string; size?: number} {
  const result: {path?: string; size?: number} = {}
  for (let offset = 0; offset < data.length;) {
    const space = data.indexOf(0x20, offset)
    const length = Number.parseInt(data.subarray(offset, space).toString('latin1'), 10)
    if (space < 0 || !(length > 0)) break
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8')
    const equals = record.indexOf('=')
    const [key, value] = [record.slice(0, equals), record.slice(equals + 1)]
    if (key === 'path') result.path = value
    if (key === 'size') {
      result.size = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
      if (!Number.isSafeInteger(result.size)) fail(`invalid size ${JSON.stringify(value.slice(0, 40))} in a pax header at byte ${at}`)
    }
    offset += length
  }
  return result
}

/** Text up to the first NUL. */
function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0)
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8')
}

/** `./blobs/sha256/x` and `blobs/sha256/x` name the same file. */
function normalizeName(name: string): string {
  return path.posix.normalize(name).replace(/^(\.\/|\/)+/, '')
}

/** Opens `FILE[:TAG|@DIGEST]` as an image source. */
export async function openOciArchive(spec: string | LayoutSpec, options: LayoutSourceOptions = {}): Promise<OciLayoutSource> {
  const parsed = typeof spec === 'string' ? parseLayoutSpec(spec, 'oci-archive') : spec
  const info = await stat(parsed.path).catch(() => undefined)
  if (!info) throw new UsageError(`OCI archive "${parsed.path}" does not exist`)
  if (!info.isFile()) throw new UsageError(`"${parsed.path}" is not a file; for a layout directory use oci-layout:${parsed.path}`)
  return OciLayoutSource.fromFiles(await ArchiveFiles.scan(parsed.path), parsed, 'oci-archive', options)
}
