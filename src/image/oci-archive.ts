/**
 * `oci-archive:FILE[:TAG|@DIGEST]`: an OCI image layout inside a tar file (`buildx --output
 * type=oci`, `skopeo copy … oci-archive:FILE`). The tar is scanned once to learn where each file's
 * bytes lie; blobs are then read straight from those ranges, so the archive is never held in memory.
 */
import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'

import {RegistryError, UsageError} from '../errors.js'
import {type LayoutFiles, type LayoutSourceOptions, OciLayoutSource, parseLayoutSpec} from './oci-layout.js'

/** The tar header block that precedes each file's bytes. */
const TAR_BLOCK = 512

/** Files of a layout inside a tar, served by byte range. */
class ArchiveFiles implements LayoutFiles {
  private constructor(
    readonly file: string,
    private readonly ranges: Map<string, {start: number; size: number}>,
  ) {}

  /** Reads the tar's headers once (the bytes stream past unread) and records each regular file's range. */
  static async scan(file: string): Promise<ArchiveFiles> {
    const {extract} = await import('tar-stream')
    const ranges = new Map<string, {start: number; size: number}>()
    const extractor = extract()
    const input = createReadStream(file)
    input.on('error', (error) => extractor.destroy(error))
    input.pipe(extractor)
    try {
      for await (const entry of extractor) {
        const {header} = entry
        if (header.type === 'file' || header.type === 'contiguous-file') {
          // tar-stream gives each entry the offset of its header block; the bytes follow it.
          const headerOffset = (entry as unknown as {offset: number}).offset
          ranges.set(normalizeName(header.name), {start: headerOffset + TAR_BLOCK, size: header.size ?? 0})
        }
        entry.resume()
      }
    } catch (error) {
      throw new RegistryError(`cannot read ${file} as a tar archive: ${(error as Error).message}`, 'malformed', {cause: error})
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

/** `./blobs/sha256/x` and `blobs/sha256/x` name the same file. */
function normalizeName(name: string): string {
  return path.posix.normalize(name).replace(/^(\.\/|\/)+/, '')
}

/** Opens `FILE[:TAG|@DIGEST]` as an image source. */
export async function openOciArchive(spec: string, options: LayoutSourceOptions = {}): Promise<OciLayoutSource> {
  const parsed = parseLayoutSpec(spec, 'oci-archive')
  const info = await stat(parsed.path).catch(() => undefined)
  if (!info) throw new UsageError(`OCI archive "${parsed.path}" does not exist`)
  if (!info.isFile()) throw new UsageError(`"${parsed.path}" is not a file; for a layout directory use oci-layout:${parsed.path}`)
  return OciLayoutSource.fromFiles(await ArchiveFiles.scan(parsed.path), parsed, 'oci-archive', options)
}
