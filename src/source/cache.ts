import {createHash, randomBytes} from 'node:crypto'
import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'
import {mkdir, readdir, rename, stat, unlink, utimes, writeFile} from 'node:fs/promises'
import {isAbsolute, join, resolve} from 'node:path'

/*
 * An on-disk cache of manifests and configs keyed by digest. Content addressed by digest never
 * changes, so an entry is valid forever as long as its bytes still hash to its name: every read
 * re-hashes, and a file that does not match is deleted and reported, never returned. Writes go to
 * a temporary file in the entry's own directory and are renamed into place (atomic on POSIX file
 * systems), so concurrent archcheck processes sharing the cache see a whole entry or none.
 *
 * The cache is an optimisation: no failure of it may fail the caller. A cache that cannot be
 * written (read-only, disk full, not a directory) turns writes off for the rest of the process
 * with one debug note; reads that fail are misses.
 */

export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024
/** Registries refuse manifests over 4 MiB; configs are rarely over 1 MiB. Larger entries are not worth keeping. */
export const DEFAULT_CACHE_MAX_ENTRY_BYTES = 16 * 1024 * 1024
/** Eviction goes below the bound by this share, so a full cache is not rescanned on every write. */
const EVICT_TO = 0.9
/** A temporary file this old belongs to a process that died mid-write. */
const STALE_TEMP_MS = 60 * 60 * 1000
/**
 * A used entry's modification time is refreshed only when it is older than this: eviction needs
 * only a coarse order of use, and an `utimes` on every hit would cost more than the read it marks.
 */
const TOUCH_AFTER_MS = 60 * 60 * 1000

const DIGEST = /^sha256:([a-f0-9]{64})$/
const ENTRY_NAME = /^[a-f0-9]{64}$/
const SHARD_NAME = /^[a-f0-9]{2}$/
const TEMP_PREFIX = '.tmp-'

/**
 * `$XDG_CACHE_HOME/archcheck`, else `~/.cache/archcheck` (the XDG base directory rule: a relative
 * or empty XDG_CACHE_HOME is ignored). Takes the environment and home directory so tests and
 * callers choose them.
 */
export function defaultCacheDir(env: Record<string, string | undefined>, homedir: string): string {
  const xdg = env.XDG_CACHE_HOME
  if (xdg && isAbsolute(xdg)) return join(xdg, 'archcheck')
  return join(homedir, '.cache', 'archcheck')
}

/** `--cache-dir` when given (resolved against the working directory), else the default. */
export function resolveCacheDir(options: {cacheDir?: string; env: Record<string, string | undefined>; homedir: string}): string {
  return options.cacheDir ? resolve(options.cacheDir) : defaultCacheDir(options.env, options.homedir)
}

export type CacheLookup = {hit: true; bytes: Buffer} | {hit: false; reason?: string}

export interface CacheStats {
  hits: number
  misses: number
  /** Entries whose bytes did not match their digest (each also counted as a miss, and deleted). */
  corrupt: number
  bytesWritten: number
  entriesWritten: number
  /** Entries removed to keep the cache under its size bound. */
  evicted: number
  /** True once a write failed and the cache stopped writing for this process. */
  writeDisabled: boolean
}

export interface ContentCacheOptions {
  dir: string
  /** Bound on the total size of entries; least recently used ones are evicted above it. */
  maxBytes?: number
  /** Entries larger than this are neither written nor read. */
  maxEntryBytes?: number
  /** Where notes for `--debug` go (a corrupt entry, writes turned off). */
  debug?: (message: string) => void
  /**
   * Verified entries also kept in this process's memory, up to this many bytes in all (default 0,
   * none): a run that asks for the same digest again and again (an audit of many tags naming a few
   * indexes) then reads and hashes it once. The least recently used go first.
   */
  memoryBytes?: number
}

interface Entry {
  path: string
  size: number
  mtimeMs: number
}

function hexOf(digest: string): string | undefined {
  return DIGEST.exec(digest)?.[1]
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Marks an entry used: its modification time is the last use, and eviction removes the least
 * recently used first. (Access times are unreliable: relatime and noatime mounts do not update
 * them on every read.)
 */
async function touch(path: string, mtimeMs: number): Promise<void> {
  const now = Date.now()
  if (now - mtimeMs < TOUCH_AFTER_MS) return
  await utimes(path, now / 1000, now / 1000).catch(() => {})
}

/**
 * The whole file, `size` bytes as its fstat said (a shorter read is left to the hash check to refuse).
 * Synchronous: entries are small (manifests and configs, bounded by maxEntryBytes), and four trips
 * through libuv's thread pool per entry cost more than the reads (a warm audit reads ~200 entries).
 */
function readAll(fd: number, size: number): Buffer {
  // Not from the shared pool: the caller keeps these bytes, and nothing else should share their memory.
  const bytes = Buffer.allocUnsafeSlow(size)
  let filled = 0
  while (filled < size) {
    const bytesRead = readSync(fd, bytes, filled, size - filled, filled)
    if (bytesRead === 0) return bytes.subarray(0, filled)
    filled += bytesRead
  }
  return bytes
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  return code ? `${code}: ${(error as Error).message}` : String(error)
}

export class ContentCache {
  readonly dir: string
  readonly maxBytes: number
  readonly maxEntryBytes: number
  private readonly debug: (message: string) => void
  private readonly counters = {hits: 0, misses: 0, corrupt: 0, bytesWritten: 0, entriesWritten: 0, evicted: 0}
  private writeDisabled = false
  private readNoted = false
  /** Total size of entries as last scanned plus what this process wrote since; undefined before the first scan. */
  private knownSize: number | undefined
  private evicting: Promise<void> | undefined
  private readonly memoryBytes: number
  /** Verified bytes by hex digest, least recently used first; never handed out, only copies of them. */
  private readonly memory = new Map<string, Buffer>()
  private memorySize = 0

  constructor(options: ContentCacheOptions) {
    this.dir = resolve(options.dir)
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES
    this.maxEntryBytes = options.maxEntryBytes ?? DEFAULT_CACHE_MAX_ENTRY_BYTES
    this.debug = options.debug ?? (() => {})
    this.memoryBytes = options.memoryBytes ?? 0
  }

  /** Where an entry lives. Only for a validated sha256 hex: no path is ever built from other input. */
  private pathOf(hex: string): string {
    return join(this.dir, 'sha256', hex.slice(0, 2), hex)
  }

  stats(): CacheStats {
    return {...this.counters, writeDisabled: this.writeDisabled}
  }

  /**
   * The bytes cached under a digest, re-verified; a miss otherwise. A miss has a reason when it is
   * worth a `--debug` line (a corrupt entry, an unreadable file, a digest the cache does not take).
   */
  async get(digest: string): Promise<CacheLookup> {
    const hex = hexOf(digest)
    if (!hex) return this.miss(`not cached: only sha256 digests are cached, not "${digest.slice(0, 80)}"`)
    const kept = this.memory.get(hex)
    if (kept) {
      this.memory.delete(hex)
      this.memory.set(hex, kept)
      this.counters.hits++
      return {hit: true, bytes: Buffer.from(kept)}
    }
    const path = this.pathOf(hex)
    let bytes: Buffer
    let mtimeMs: number
    try {
      // Non-blocking: a FIFO planted in the cache directory must not stop the whole process.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
      try {
        const info = fstatSync(fd)
        if (!info.isFile()) return this.miss(`cache entry ${path} is not a regular file`)
        if (info.size > this.maxEntryBytes) {
          return this.miss(`cache entry ${digest} is ${info.size} bytes, over the ${this.maxEntryBytes}-byte entry limit`)
        }
        bytes = readAll(fd, info.size)
        mtimeMs = info.mtimeMs
      } finally {
        closeSync(fd)
      }
    } catch (error) {
      // Not there, or the cache directory does not exist as one: simply not cached.
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return this.miss()
      const reason = `cannot read cache entry ${path}: ${errorText(error)}`
      if (!this.readNoted) this.debug(reason)
      this.readNoted = true
      return this.miss(reason)
    }
    const actual = sha256Hex(bytes)
    if (actual !== hex) {
      this.counters.corrupt++
      let removed = 'deleted it'
      await unlink(path).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') removed = `could not delete it (${errorText(error)})`
      })
      const reason = `cache entry ${digest} was corrupt (${bytes.length} bytes hashing to sha256:${actual}); ${removed}`
      this.debug(reason)
      return this.miss(reason)
    }
    this.counters.hits++
    this.keep(hex, bytes)
    await touch(path, mtimeMs)
    return {hit: true, bytes}
  }

  /** Keeps a copy of verified bytes in memory, within the bound. */
  private keep(hex: string, bytes: Uint8Array): void {
    if (this.memoryBytes === 0 || bytes.length > this.memoryBytes || this.memory.has(hex)) return
    this.memory.set(hex, Buffer.from(bytes))
    this.memorySize += bytes.length
    for (const [oldest, kept] of this.memory) {
      if (this.memorySize <= this.memoryBytes) break
      this.memory.delete(oldest)
      this.memorySize -= kept.length
    }
  }

  private miss(reason?: string): CacheLookup {
    this.counters.misses++
    return reason ? {hit: false, reason} : {hit: false}
  }

  /**
   * Stores bytes under their digest. Returns whether the entry is now in the cache; never throws.
   * Bytes that do not hash to the digest are refused: the cache must not be poisoned by a caller's bug.
   */
  async put(digest: string, bytes: Uint8Array): Promise<boolean> {
    if (this.writeDisabled) return false
    const hex = hexOf(digest)
    if (!hex || bytes.length > this.maxEntryBytes) return false
    if (sha256Hex(bytes) !== hex) {
      this.debug(`not caching ${digest}: the bytes given hash to something else`)
      return false
    }
    this.keep(hex, bytes)
    const path = this.pathOf(hex)
    const existing = await stat(path).catch(() => undefined)
    if (existing?.isFile() && existing.size === bytes.length) {
      // Another run wrote it already (a re-read will verify it); just mark it used.
      await touch(path, existing.mtimeMs)
      return true
    }
    const shard = join(this.dir, 'sha256', hex.slice(0, 2))
    const temp = join(shard, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`)
    try {
      // 0700/0600: manifests of private images are not for other users of the machine.
      await mkdir(shard, {recursive: true, mode: 0o700})
      await writeFile(temp, bytes, {flag: 'wx', mode: 0o600})
      await rename(temp, path)
    } catch (error) {
      await unlink(temp).catch(() => {})
      // Where rename cannot replace a file another process holds open (Windows), that process
      // has just written the same bytes: the entry is there, and writing still works.
      const now = await stat(path).catch(() => undefined)
      if (now?.isFile() && now.size === bytes.length) return true
      this.disableWrites(error)
      return false
    }
    this.counters.bytesWritten += bytes.length
    this.counters.entriesWritten++
    if (this.knownSize !== undefined) this.knownSize += bytes.length
    // Scan once per process (the first write), and again whenever the writes pass the bound.
    if (this.knownSize === undefined || this.knownSize > this.maxBytes) await this.evict()
    return true
  }

  private disableWrites(error: unknown): void {
    if (this.writeDisabled) return
    this.writeDisabled = true
    this.debug(`cache: cannot write to ${this.dir} (${errorText(error)}); continuing without caching`)
  }

  /**
   * Brings the cache under its bound, least recently used entries first, and removes temporary
   * files left by processes that died mid-write. Safe while other processes use the cache: an
   * entry deleted under a reader is a miss for it, never a partial read.
   */
  async evict(): Promise<void> {
    this.evicting ??= this.scanAndEvict().finally(() => {
      this.evicting = undefined
    })
    return this.evicting
  }

  private async scanAndEvict(): Promise<void> {
    const entries: Entry[] = []
    const root = join(this.dir, 'sha256')
    const now = Date.now()
    const shards = await readdir(root).catch(() => [] as string[])
    for (const shard of shards) {
      if (!SHARD_NAME.test(shard)) continue
      const names = await readdir(join(root, shard)).catch(() => [] as string[])
      for (const name of names) {
        const path = join(root, shard, name)
        const info = await stat(path).catch(() => undefined)
        if (!info?.isFile()) continue
        if (name.startsWith(TEMP_PREFIX)) {
          if (now - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => {})
        } else if (ENTRY_NAME.test(name)) {
          entries.push({path, size: info.size, mtimeMs: info.mtimeMs})
        }
      }
    }
    let total = entries.reduce((sum, entry) => sum + entry.size, 0)
    if (total > this.maxBytes) {
      const target = Math.floor(this.maxBytes * EVICT_TO)
      entries.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1))
      for (const entry of entries) {
        if (total <= target) break
        try {
          await unlink(entry.path)
          this.counters.evicted++
        } catch (error) {
          // Gone already: another process evicted it too.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') continue
        }
        total -= entry.size
      }
    }
    this.knownSize = total
  }
}

/**
 * The cache for a run: undefined with `--no-cache`, else one at `--cache-dir` or the default
 * place. Opening does no I/O: a cache that turns out unusable degrades on first use.
 */
export function openContentCache(options: {
  noCache?: boolean
  cacheDir?: string
  env: Record<string, string | undefined>
  homedir: string
  maxBytes?: number
  maxEntryBytes?: number
  memoryBytes?: number
  debug?: (message: string) => void
}): ContentCache | undefined {
  if (options.noCache) return undefined
  return new ContentCache({
    dir: resolveCacheDir(options),
    maxBytes: options.maxBytes,
    maxEntryBytes: options.maxEntryBytes,
    memoryBytes: options.memoryBytes,
    debug: options.debug,
  })
}
