import {createHash, randomBytes} from 'node:crypto'
import {
  closeSync,
  constants,
  fstatSync,
  futimesSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs'
import {lstat, readdir, unlink} from 'node:fs/promises'
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
 *
 * Nothing below the cache directory is followed: `sha256/`, each shard and each entry must be a
 * real directory or regular file (lstat, O_NOFOLLOW), so a link planted in the cache can neither
 * make a run write or read elsewhere nor make eviction delete elsewhere; links and other files
 * are skipped (named under --debug) and never deleted. The directory itself may be a link the
 * user chose. Eviction deletes only regular files with the names the cache writes.
 *
 * The total size is kept in a small ledger file, updated atomically by each writing run, so a
 * writing run need not list the whole cache; a full scan happens when the ledger is missing,
 * unreadable or a day old, and whenever the total passes the bound.
 */

export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024
/** Registries refuse manifests over 4 MiB; configs are rarely over 1 MiB. Larger entries are not worth keeping. */
export const DEFAULT_CACHE_MAX_ENTRY_BYTES = 16 * 1024 * 1024
/** Eviction goes below the bound by this share, so a full cache is not rescanned on every write. */
const EVICT_TO = 0.9
/** A temporary file this old belongs to a process that died mid-write. */
const STALE_TEMP_MS = 60 * 60 * 1000
/**
 * A ledger older than this is replaced by a full scan: runs that share the cache and write at the
 * same moment may each miss the other's additions, and runs killed outright never record theirs.
 */
const RESCAN_AFTER_MS = 24 * 60 * 60 * 1000
/** A run records what it wrote in the ledger once this much is unrecorded, and when it closes. */
const LEDGER_FLUSH_BYTES = 1024 * 1024
const LEDGER_NAME = 'size-ledger'
/** The ledger is one line of JSON; anything larger is not one. */
const MAX_LEDGER_BYTES = 4096
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

/** The cache's total entry size as of its last full scan plus what runs recorded since. */
interface Ledger {
  bytes: number
  scannedAt: number
}

/** Opens without following a link in the last component (O_NOFOLLOW: ELOOP on a link). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0

function hexOf(digest: string): string | undefined {
  return DIGEST.exec(digest)?.[1]
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Marks an entry used: its modification time is the last use, and eviction removes the least
 * recently used first. (Access times are unreliable: relatime and noatime mounts do not update
 * them on every read.) Through the open descriptor: the path is never looked up again.
 */
function touch(fd: number, mtimeMs: number): void {
  const now = Date.now()
  if (now - mtimeMs < TOUCH_AFTER_MS) return
  try {
    futimesSync(fd, now / 1000, now / 1000)
  } catch {
    // Only the eviction order suffers.
  }
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
  /** The cache's total entry size as this process knows it (the ledger plus its own changes); undefined before it is read. */
  private knownSize: number | undefined
  /** Bytes this process added (or removed) that the ledger does not have yet. */
  private unrecorded = 0
  private evicting: Promise<void> | undefined
  /** Directories below `dir` found to be real directories, not links (checked once per process). */
  private readonly realDirs = new Set<string>()
  /** Paths below `dir` that are not what the cache makes there (links, other files), each named once under --debug. */
  private readonly refused = new Set<string>()
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
    return join(this.shardOf(hex), hex)
  }

  private shardOf(hex: string): string {
    return join(this.dir, 'sha256', hex.slice(0, 2))
  }

  stats(): CacheStats {
    return {...this.counters, writeDisabled: this.writeDisabled}
  }

  /** Whether `sha256/` and the shard are real directories, so an entry path leads nowhere else. */
  private shardIsReal(shard: string): boolean {
    return this.isRealDir(join(this.dir, 'sha256')) && this.isRealDir(shard)
  }

  /**
   * Whether a directory below the cache directory is a real one (lstat: a link is not followed);
   * a link or other file there is named once under --debug, a missing one is simply not there yet.
   */
  private isRealDir(path: string): boolean {
    if (this.realDirs.has(path)) return true
    const info = lstatOrUndefined(path)
    if (!info) return false
    if (!info.isDirectory()) {
      this.refuse(path, info)
      return false
    }
    this.realDirs.add(path)
    return true
  }

  private refuse(path: string, info: Stats): void {
    if (this.refused.has(path)) return
    this.refused.add(path)
    this.debug(`cache: ${path} is ${describe(info)}, which the cache did not make; not following, replacing or deleting it`)
  }

  /**
   * The bytes cached under a digest, re-verified; a miss otherwise. A miss has a reason when it is
   * worth a `--debug` line (a corrupt entry, an unreadable file, a link, a digest the cache does not take).
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
    if (!this.shardIsReal(this.shardOf(hex))) return this.miss()
    const path = this.pathOf(hex)
    let bytes: Buffer
    let actual: string
    try {
      // Non-blocking: a FIFO planted in the cache directory must not stop the whole process.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | NO_FOLLOW)
      try {
        const info = fstatSync(fd)
        if (!info.isFile()) return this.miss(`cache entry ${path} is ${describe(info)}; not reading it`)
        if (info.size > this.maxEntryBytes) {
          return this.miss(`cache entry ${digest} is ${info.size} bytes, over the ${this.maxEntryBytes}-byte entry limit`)
        }
        bytes = readAll(fd, info.size)
        actual = sha256Hex(bytes)
        if (actual === hex) touch(fd, info.mtimeMs)
      } finally {
        closeSync(fd)
      }
    } catch (error) {
      // Not there, or the cache directory does not exist as one: simply not cached.
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return this.miss()
      if (code === 'ELOOP') return this.miss(`cache entry ${path} is a symbolic link; not following it`)
      const reason = `cannot read cache entry ${path}: ${errorText(error)}`
      if (!this.readNoted) this.debug(reason)
      this.readNoted = true
      return this.miss(reason)
    }
    if (actual !== hex) {
      this.counters.corrupt++
      let removed = 'deleted it'
      // A regular file (opened without following links) in a real shard, under the cache's own name.
      await unlink(path).then(
        () => {
          this.unrecorded -= bytes.length
          if (this.knownSize !== undefined) this.knownSize -= bytes.length
        },
        (error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') removed = `could not delete it (${errorText(error)})`
        },
      )
      const reason = `cache entry ${digest} was corrupt (${bytes.length} bytes hashing to sha256:${actual}); ${removed}`
      this.debug(reason)
      return this.miss(reason)
    }
    this.counters.hits++
    this.keep(hex, bytes)
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
    const written = this.write(hex, bytes)
    if (written !== 'written') return written === 'present'
    this.counters.bytesWritten += bytes.length
    this.counters.entriesWritten++
    this.unrecorded += bytes.length
    this.knownSize ??= this.readLedger()?.bytes
    if (this.knownSize === undefined) {
      // No usable ledger: one full scan (which counts this entry) writes one.
      await this.evict()
      return true
    }
    this.knownSize += bytes.length
    if (this.knownSize > this.maxBytes) await this.evict()
    else if (this.unrecorded >= LEDGER_FLUSH_BYTES) this.recordSize()
    return true
  }

  /**
   * Writes an entry: a temporary file created exclusively, never through a link, renamed into
   * place. Synchronous, like reads (entries are small): a temporary file never outlives the call,
   * so a run interrupted by a signal leaves none behind.
   */
  private write(hex: string, bytes: Uint8Array): 'written' | 'present' | 'refused' {
    const shard = this.shardOf(hex)
    const path = this.pathOf(hex)
    const temp = join(shard, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`)
    let created = false
    try {
      // 0700/0600: manifests of private images are not for other users of the machine.
      if (!this.realDirs.has(shard)) {
        // One level at a time, each checked: a recursive mkdir would make the shard through a linked `sha256/`.
        mkdirSync(join(this.dir, 'sha256'), {recursive: true, mode: 0o700})
        if (!this.isRealDir(join(this.dir, 'sha256'))) return 'refused'
        makeDir(shard)
        if (!this.isRealDir(shard)) return 'refused'
      }
      const existing = lstatOrUndefined(path)
      if (existing && !existing.isFile()) {
        this.refuse(path, existing)
        return 'refused'
      }
      if (existing?.isFile() && existing.size === bytes.length) {
        // Another run wrote it already (a re-read will verify it); just mark it used.
        if (Date.now() - existing.mtimeMs >= TOUCH_AFTER_MS) lutimesSync(path, Date.now() / 1000, Date.now() / 1000)
        return 'present'
      }
      const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600)
      created = true
      try {
        for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done)
      } finally {
        closeSync(fd)
      }
      renameSync(temp, path)
      return 'written'
    } catch (error) {
      if (created) tryUnlink(temp)
      // Where rename cannot replace a file another process holds open (Windows), that process
      // has just written the same bytes: the entry is there, and writing still works.
      const now = lstatOrUndefined(path)
      if (now?.isFile() && now.size === bytes.length) return 'present'
      this.disableWrites(error)
      return 'refused'
    }
  }

  private disableWrites(error: unknown): void {
    if (this.writeDisabled) return
    this.writeDisabled = true
    this.debug(`cache: cannot write to ${this.dir} (${errorText(error)}); continuing without caching`)
  }

  /**
   * Records what this process wrote in the size ledger, so the next run need not scan. Call it when
   * the run ends, and from a signal handler when it is interrupted: synchronous, never throws.
   */
  close(): void {
    if (this.unrecorded !== 0 && this.knownSize !== undefined) this.recordSize()
  }

  /** The ledger, or undefined when it is missing, unreadable, a link, or due for a full scan. */
  private readLedger(): Ledger | undefined {
    let text: string
    try {
      const fd = openSync(join(this.dir, LEDGER_NAME), constants.O_RDONLY | constants.O_NONBLOCK | NO_FOLLOW)
      try {
        const info = fstatSync(fd)
        if (!info.isFile() || info.size > MAX_LEDGER_BYTES) return undefined
        text = readAll(fd, info.size).toString('utf8')
      } finally {
        closeSync(fd)
      }
    } catch {
      return undefined
    }
    try {
      const {bytes, scannedAt} = JSON.parse(text) as Partial<Ledger>
      if (!Number.isSafeInteger(bytes) || bytes! < 0 || typeof scannedAt !== 'number') return undefined
      const age = Date.now() - scannedAt
      if (!(age >= 0 && age < RESCAN_AFTER_MS)) return undefined
      return {bytes: bytes!, scannedAt}
    } catch {
      return undefined
    }
  }

  /** Adds this process's unrecorded bytes to the ledger as it is now (other runs may have added theirs). */
  private recordSize(): void {
    const current = this.readLedger()
    if (!current) {
      // Due for a scan: the next writing run makes one.
      return
    }
    const ledger = {bytes: Math.max(0, current.bytes + this.unrecorded), scannedAt: current.scannedAt}
    if (this.writeLedger(ledger)) {
      this.unrecorded = 0
      this.knownSize = ledger.bytes
    }
  }

  /** Replaces the ledger atomically (a temporary file renamed over it); false when it cannot be written. */
  private writeLedger(ledger: Ledger): boolean {
    const temp = join(this.dir, `${TEMP_PREFIX}${LEDGER_NAME}-${process.pid}-${randomBytes(6).toString('hex')}`)
    try {
      const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600)
      try {
        writeSync(fd, `${JSON.stringify(ledger)}\n`)
      } finally {
        closeSync(fd)
      }
      renameSync(temp, join(this.dir, LEDGER_NAME))
      return true
    } catch (error) {
      tryUnlink(temp)
      this.debug(`cache: cannot record its size in ${join(this.dir, LEDGER_NAME)} (${errorText(error)})`)
      return false
    }
  }

  /**
   * Scans the cache, brings it under its bound, least recently used entries first, removes
   * temporary files left by processes that died mid-write, and writes the ledger. Safe while
   * other processes use the cache: an entry deleted under a reader is a miss for it, never a
   * partial read.
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
    let skipped = 0
    const rootInfo = await lstat(root).catch(() => undefined)
    if (rootInfo && !rootInfo.isDirectory()) this.refuse(root, rootInfo)
    const shards = rootInfo?.isDirectory() ? await readdir(root, {withFileTypes: true}).catch(() => []) : []
    for (const shard of shards) {
      if (!SHARD_NAME.test(shard.name)) continue
      // Dirent types come from the directory itself: a link to a directory is not one.
      if (!shard.isDirectory()) {
        skipped++
        continue
      }
      const names = await readdir(join(root, shard.name)).catch(() => [] as string[])
      for (const name of names) {
        const isTemp = name.startsWith(TEMP_PREFIX)
        // Only the names the cache writes, each in its own shard; anything else is not the cache's.
        if (!isTemp && !(ENTRY_NAME.test(name) && name.startsWith(shard.name))) continue
        const path = join(root, shard.name, name)
        const info = await lstat(path).catch(() => undefined)
        if (!info) continue
        if (!info.isFile()) {
          skipped++
          continue
        }
        if (!isTemp) entries.push({path, size: info.size, mtimeMs: info.mtimeMs})
        else if (now - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => {})
      }
    }
    if (skipped > 0) this.debug(`cache: skipped ${skipped} links or other non-regular files in ${root}; not following or deleting them`)
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
    this.unrecorded = 0
    if (!this.writeDisabled) this.writeLedger({bytes: total, scannedAt: now})
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}

/** mkdir of one level; one that exists is checked by the caller (it may be a link). */
function makeDir(path: string): void {
  try {
    mkdirSync(path, {mode: 0o700})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Gone already, or never made.
  }
}

/** What a file that is not a regular file (or a directory that is not one) is, for --debug. */
function describe(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link'
  if (info.isDirectory()) return 'a directory'
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  if (info.isFile()) return 'a regular file'
  return 'a device or other special file'
}

/**
 * The cache for a run at `cacheDir` (resolved against the working directory; the caller picks
 * it, the CLI with defaultCacheDir); undefined without one or with `noCache`. Opening does no
 * I/O: a cache that turns out unusable degrades on first use.
 */
export function openContentCache(options: {
  noCache?: boolean
  cacheDir?: string
  maxBytes?: number
  maxEntryBytes?: number
  memoryBytes?: number
  debug?: (message: string) => void
}): ContentCache | undefined {
  if (options.noCache || !options.cacheDir) return undefined
  return new ContentCache({
    dir: resolve(options.cacheDir),
    maxBytes: options.maxBytes,
    maxEntryBytes: options.maxEntryBytes,
    memoryBytes: options.memoryBytes,
    debug: options.debug,
  })
}
