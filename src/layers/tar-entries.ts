import {Readable} from 'node:stream'

import {RegistryError} from '../errors.js'

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

/**
 * Reads a layer's tar stream into its list of entries, in archive order. Contents are drained,
 * except the first `headBytes` of regular files with an exec bit.
 */
export async function readTarEntries(tar: AsyncIterable<Uint8Array>, options: {label: string; headBytes: number}): Promise<LayerEntry[]> {
  const tarStream = await import('tar-stream')
  const {pipeline} = await import('node:stream/promises')
  const extract = tarStream.extract()
  const feeding = pipeline(Readable.from(tar), extract)
  // Its error also ends the loop below; this only keeps it from being reported as unhandled.
  feeding.catch(() => {})
  const entries: LayerEntry[] = []
  try {
    for await (const entry of extract) {
      const {header} = entry
      const type = TYPES[header.type ?? 'file'] ?? 'other'
      const record: LayerEntry = {path: normalizePath(header.name), type, mode: header.mode ?? 0, size: header.size ?? 0}
      if (type === 'symlink') record.linkTarget = header.linkname ?? ''
      if (type === 'hardlink') record.linkTarget = normalizePath(header.linkname ?? '')
      const wantHead = type === 'file' && isExecutableMode(record.mode) && options.headBytes > 0
      const head: Uint8Array[] = []
      let kept = 0
      for await (const chunk of entry as AsyncIterable<Uint8Array>) {
        if (!wantHead || kept >= options.headBytes) continue
        const part = chunk.subarray(0, options.headBytes - kept)
        // Copy: the chunk may be a view into a large shared buffer.
        head.push(Uint8Array.prototype.slice.call(part))
        kept += part.length
      }
      if (wantHead) record.head = head.length === 1 ? head[0] : Buffer.concat(head)
      entries.push(record)
    }
    await feeding
  } catch (error) {
    if (error instanceof RegistryError) throw error
    throw new RegistryError(`${options.label}: not a readable tar archive (${(error as Error).message})`, 'bad-layer', {cause: error})
  }
  return entries
}
