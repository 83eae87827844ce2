import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {lstat, mkdir, readdir, readFile, stat, symlink, unlink, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {beforeEach, describe, expect, it} from 'vitest'

import {ContentCache, defaultCacheDir, openContentCache} from '../../../src/source/cache.js'
import {payload} from './cache-payloads.js'
import {tempDir} from '../../helpers/temp-dir.js'

const run = promisify(execFile)
/** `--import tsx` resolves from the working directory: the repository's own tsx. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const entryPath = (dir: string, digest: string) => join(dir, 'sha256', digest.slice(7, 9), digest.slice(7))

let dir: string
beforeEach(async () => {
  dir = await tempDir('cache')
})

describe('cache location', () => {
  it('follows XDG_CACHE_HOME when absolute, else ~/.cache; opens only the folder it is given', () => {
    expect(defaultCacheDir({XDG_CACHE_HOME: '/var/cache/me'}, '/home/u')).toBe('/var/cache/me/archcheck')
    expect(defaultCacheDir({}, '/home/u')).toBe('/home/u/.cache/archcheck')
    expect(defaultCacheDir({XDG_CACHE_HOME: ''}, '/home/u')).toBe('/home/u/.cache/archcheck')
    expect(defaultCacheDir({XDG_CACHE_HOME: 'relative/cache'}, '/home/u')).toBe('/home/u/.cache/archcheck')
    expect(openContentCache({cacheDir: join(dir, 'c'), noCache: true})).toBeUndefined()
    expect(openContentCache({})).toBeUndefined()
    expect(openContentCache({cacheDir: join(dir, 'c')})?.dir).toBe(join(dir, 'c'))
  })
})

describe('ContentCache', () => {
  it('returns what was stored, from a new process-like instance, and counts hits, misses and bytes', async () => {
    const bytes = Buffer.from('{"schemaVersion":2}')
    const digest = digestOf(bytes)
    const first = new ContentCache({dir})
    expect(await first.get(digest)).toEqual({hit: false})
    expect(await first.put(digest, bytes)).toBe(true)
    expect(await readFile(entryPath(dir, digest))).toEqual(bytes)

    const second = new ContentCache({dir})
    const found = await second.get(digest)
    expect(found.hit && found.bytes.equals(bytes)).toBe(true)
    expect(first.stats()).toMatchObject({hits: 0, misses: 1, corrupt: 0, bytesWritten: bytes.length, entriesWritten: 1})
    expect(second.stats()).toMatchObject({hits: 1, misses: 0, bytesWritten: 0})
  })

  it('detects a corrupted entry, deletes it and reports it as a miss with a reason', async () => {
    const bytes = Buffer.from('{"config":{}}')
    const digest = digestOf(bytes)
    const notes: string[] = []
    const cache = new ContentCache({dir, debug: (m) => notes.push(m)})
    await cache.put(digest, bytes)
    await writeFile(entryPath(dir, digest), '{"config":{"evil":1}}')

    const found = await cache.get(digest)
    expect(found.hit).toBe(false)
    expect(!found.hit && found.reason).toMatch(new RegExp(`cache entry ${digest} was corrupt .*deleted it`))
    expect(existsSync(entryPath(dir, digest))).toBe(false)
    expect(cache.stats()).toMatchObject({hits: 0, misses: 1, corrupt: 1})
    expect(notes).toHaveLength(1)
    // Refetched and stored again, it is served.
    expect(await cache.put(digest, bytes)).toBe(true)
    expect((await cache.get(digest)).hit).toBe(true)
  })

  it('refuses to store bytes under a digest they do not hash to', async () => {
    const cache = new ContentCache({dir})
    const digest = digestOf(Buffer.from('a'))
    expect(await cache.put(digest, Buffer.from('b'))).toBe(false)
    expect(existsSync(entryPath(dir, digest))).toBe(false)
  })

  it('takes only well-formed sha256 digests and never builds a path from anything else', async () => {
    const cache = new ContentCache({dir})
    const bytes = Buffer.from('x')
    for (const digest of [
      'sha512:' + 'a'.repeat(128),
      'sha256:' + 'A'.repeat(64),
      'sha256:../../../../etc/passwd',
      'sha256:' + 'a'.repeat(63),
      'sha256:' + 'a'.repeat(64) + '/..',
      digestOf(bytes).slice(7),
    ]) {
      expect(await cache.put(digest, bytes)).toBe(false)
      const found = await cache.get(digest)
      expect(!found.hit && found.reason).toMatch(/only sha256 digests are cached/)
    }
    expect(await readdir(dir)).toEqual([])
  })

  it('neither stores nor serves an entry over the per-entry limit', async () => {
    const big = Buffer.alloc(2048, 1)
    const cache = new ContentCache({dir, maxEntryBytes: 1024})
    expect(await cache.put(digestOf(big), big)).toBe(false)
    // Written by a run with a larger limit: not read into memory by this one.
    await new ContentCache({dir}).put(digestOf(big), big)
    expect(await cache.get(digestOf(big))).toMatchObject({hit: false, reason: expect.stringMatching(/over the 1024-byte entry limit/)})
  })

  it('evicts the least recently used entries when the size bound is passed, not the recently read ones', async () => {
    const entries = ['a', 'b', 'c'].map((name) => Buffer.alloc(100, name))
    const setup = new ContentCache({dir})
    for (const bytes of entries) await setup.put(digestOf(bytes), bytes)
    // The run ends: what it wrote is in the size ledger the next run reads.
    setup.close()
    // Written three, two and one hours ago; then `a`, the oldest written, is read: it is the most recent use.
    const hour = 3600
    const now = Date.now() / 1000
    for (const [i, bytes] of entries.entries()) await utimes(entryPath(dir, digestOf(bytes)), now - (3 - i) * hour, now - (3 - i) * hour)
    const cache = new ContentCache({dir, maxBytes: 350})
    expect((await cache.get(digestOf(entries[0]))).hit).toBe(true)

    const d = Buffer.alloc(100, 'd')
    expect(await cache.put(digestOf(d), d)).toBe(true)
    const present = (bytes: Buffer) => existsSync(entryPath(dir, digestOf(bytes)))
    expect([...entries, d].map(present)).toEqual([true, false, true, true])
    expect(cache.stats().evicted).toBe(1)
  })

  it('marks an entry used on a hit only when its last mark is an hour old: eviction needs no finer order', async () => {
    const bytes = Buffer.from('used')
    const path = entryPath(dir, digestOf(bytes))
    await new ContentCache({dir}).put(digestOf(bytes), bytes)
    const minutesAgo = Date.now() / 1000 - 10 * 60
    await utimes(path, minutesAgo, minutesAgo)
    expect((await new ContentCache({dir}).get(digestOf(bytes))).hit).toBe(true)
    expect((await stat(path)).mtimeMs / 1000).toBeCloseTo(minutesAgo, 0)

    const hoursAgo = Date.now() / 1000 - 2 * 3600
    await utimes(path, hoursAgo, hoursAgo)
    expect((await new ContentCache({dir}).get(digestOf(bytes))).hit).toBe(true)
    expect((await stat(path)).mtimeMs).toBeGreaterThan(Date.now() - 60_000)
  })

  it('with memoryBytes, reads and verifies an entry once, hands out copies and counts every hit', async () => {
    const [one, two] = [Buffer.alloc(600, 1), Buffer.alloc(600, 2)]
    const cache = new ContentCache({dir, memoryBytes: 1000})
    await cache.put(digestOf(one), one)
    await new ContentCache({dir}).put(digestOf(two), two)
    const first = await cache.get(digestOf(two))
    expect(first.hit && first.bytes.equals(two)).toBe(true)
    // Gone from disk (another process evicted it): still served, from memory.
    await unlink(entryPath(dir, digestOf(two)))
    const again = await cache.get(digestOf(two))
    expect(again.hit && again.bytes.equals(two)).toBe(true)
    if (again.hit) again.bytes.fill(0)
    const third = await cache.get(digestOf(two))
    expect(third.hit && third.bytes.equals(two)).toBe(true)
    // `one` went out of memory to make room for `two`: it is read from disk again, where it is gone too.
    await unlink(entryPath(dir, digestOf(one)))
    expect((await cache.get(digestOf(one))).hit).toBe(false)
    expect(cache.stats()).toMatchObject({hits: 3, misses: 1})
    // Without memoryBytes nothing is kept.
    const plain = new ContentCache({dir})
    await plain.put(digestOf(two), two)
    await unlink(entryPath(dir, digestOf(two)))
    expect((await plain.get(digestOf(two))).hit).toBe(false)
  })

  it('removes temporary files left by a crashed writer, but not a running one', async () => {
    const bytes = Buffer.from('y')
    const cache = new ContentCache({dir})
    await cache.put(digestOf(bytes), bytes)
    const shard = join(dir, 'sha256', digestOf(bytes).slice(7, 9))
    await writeFile(join(shard, '.tmp-1-dead'), 'half')
    await writeFile(join(shard, '.tmp-2-live'), 'half')
    const old = Date.now() / 1000 - 2 * 3600
    await utimes(join(shard, '.tmp-1-dead'), old, old)
    await cache.evict()
    expect((await readdir(shard)).sort()).toEqual(['.tmp-2-live', digestOf(bytes).slice(7)])
  })

  it('keeps working without writing when the cache cannot be written, with one debug note', async () => {
    // A regular file where the cache directory should be: fails for root too, unlike a chmod.
    const blocked = join(dir, 'not-a-dir')
    await writeFile(blocked, '')
    const notes: string[] = []
    const cache = new ContentCache({dir: blocked, debug: (m) => notes.push(m)})
    const one = Buffer.from('1')
    const two = Buffer.from('2')
    expect(await cache.put(digestOf(one), one)).toBe(false)
    expect(await cache.put(digestOf(two), two)).toBe(false)
    expect(await cache.get(digestOf(one))).toMatchObject({hit: false})
    expect(notes).toHaveLength(1)
    expect(notes[0]).toMatch(/cannot write to .*not-a-dir .*continuing without caching/)
    expect(cache.stats()).toMatchObject({writeDisabled: true, bytesWritten: 0})
  })

  it('files are private to the user: manifests of private images may be cached', async () => {
    const bytes = Buffer.from('private')
    await new ContentCache({dir}).put(digestOf(bytes), bytes)
    expect((await stat(entryPath(dir, digestOf(bytes)))).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'sha256'))).mode & 0o777).toBe(0o700)
  })
})

/** Bytes whose digest starts with `prefix` (two hex digits: about 256 tries), to land in a chosen shard. */
function bytesInShard(prefix: string, label: string): Buffer {
  for (let i = 0; ; i++) {
    const bytes = Buffer.from(`${label} ${i}`)
    if (digestOf(bytes).startsWith(`sha256:${prefix}`)) return bytes
  }
}

const hoursAgo = (hours: number) => Date.now() / 1000 - hours * 3600

describe('ContentCache never follows a link below its directory', () => {
  it('a shard linked elsewhere is neither written, read nor cleaned: the other store keeps its files', async () => {
    const outside = await tempDir('cache-outside')
    const stale = join(outside, '.tmp-1-old')
    const foreign = bytesInShard('e0', 'foreign')
    await writeFile(stale, 'someone else')
    await utimes(stale, hoursAgo(2), hoursAgo(2))
    await writeFile(join(outside, digestOf(foreign).slice(7)), foreign)
    await mkdir(join(dir, 'sha256'), {recursive: true})
    await symlink(outside, join(dir, 'sha256', 'e0'))

    const notes: string[] = []
    // A bound every entry passes: a scan that followed the link would evict the foreign file.
    const cache = new ContentCache({dir, maxBytes: 1, debug: (m) => notes.push(m)})
    const mine = bytesInShard('e0', 'mine')
    expect(await cache.put(digestOf(mine), mine)).toBe(false)
    expect(await cache.get(digestOf(foreign))).toMatchObject({hit: false})
    const elsewhere = bytesInShard('e1', 'elsewhere')
    expect(await cache.put(digestOf(elsewhere), elsewhere)).toBe(true)
    await cache.evict()

    expect((await readdir(outside)).sort()).toEqual(['.tmp-1-old', digestOf(foreign).slice(7)])
    expect((await lstat(join(dir, 'sha256', 'e0'))).isSymbolicLink()).toBe(true)
    expect(notes.filter((n) => n.includes('symbolic link'))).toEqual([
      `cache: ${join(dir, 'sha256', 'e0')} is a symbolic link, which the cache did not make; not following, replacing or deleting it`,
    ])
    expect(notes.some((n) => n.includes(`skipped 1 links or other non-regular files in ${join(dir, 'sha256')}`))).toBe(true)
  })

  it('a linked sha256/ directory gets nothing written through it', async () => {
    const outside = await tempDir('cache-outside')
    await symlink(outside, join(dir, 'sha256'))
    const cache = new ContentCache({dir})
    const bytes = Buffer.from('through the link')
    expect(await cache.put(digestOf(bytes), bytes)).toBe(false)
    expect(await readdir(outside)).toEqual([])
  })

  it('an entry that is a link is a miss, not read, never replaced or deleted; its target stays', async () => {
    const outside = await tempDir('cache-outside')
    const bytes = Buffer.from('{"linked": true}')
    const target = join(outside, 'kept')
    await writeFile(target, bytes)
    const entry = entryPath(dir, digestOf(bytes))
    await mkdir(join(entry, '..'), {recursive: true})
    await symlink(target, entry)
    const cache = new ContentCache({dir, maxBytes: 1})
    expect(await cache.get(digestOf(bytes))).toEqual({hit: false, reason: `cache entry ${entry} is a symbolic link; not following it`})
    const other = Buffer.from('pressure')
    await cache.put(digestOf(other), other)
    await cache.evict()
    // Nor replaced by a write of the same digest.
    expect(await cache.put(digestOf(bytes), bytes)).toBe(false)
    expect((await lstat(entry)).isSymbolicLink()).toBe(true)
    expect(await readFile(target)).toEqual(bytes)
  })

  it('the cache directory itself may be a link the user chose', async () => {
    const real = await tempDir('cache-real')
    await symlink(real, join(dir, 'linked'))
    const cache = new ContentCache({dir: join(dir, 'linked')})
    const bytes = Buffer.from('via a chosen link')
    expect(await cache.put(digestOf(bytes), bytes)).toBe(true)
    expect(await readFile(entryPath(real, digestOf(bytes)))).toEqual(bytes)
    expect((await new ContentCache({dir: join(dir, 'linked')}).get(digestOf(bytes))).hit).toBe(true)
  })
})

describe('ContentCache size ledger', () => {
  const ledgerPath = () => join(dir, 'size-ledger')
  const readLedger = async () => JSON.parse(await readFile(ledgerPath(), 'utf8')) as {bytes: number; scannedAt: number}

  it('a writing run adds to the ledger instead of listing the cache; a day-old ledger brings a full scan', async () => {
    const first = new ContentCache({dir})
    const a = Buffer.alloc(100, 'a')
    await first.put(digestOf(a), a)
    first.close()
    expect((await readLedger()).bytes).toBe(100)

    // 300 bytes the ledger does not know of (as if written by a run killed before it recorded them).
    const unknown = Buffer.alloc(300, 'u')
    await mkdir(join(entryPath(dir, digestOf(unknown)), '..'), {recursive: true})
    await writeFile(entryPath(dir, digestOf(unknown)), unknown)
    await utimes(entryPath(dir, digestOf(unknown)), hoursAgo(5), hoursAgo(5))

    const second = new ContentCache({dir, maxBytes: 350})
    const b = Buffer.alloc(100, 'b')
    await second.put(digestOf(b), b)
    second.close()
    // The ledger says 200, under the bound: no scan, nothing evicted.
    expect((await readLedger()).bytes).toBe(200)
    expect(existsSync(entryPath(dir, digestOf(unknown)))).toBe(true)
    expect(second.stats().evicted).toBe(0)

    // A day later the ledger is due for a scan: it finds all 500 bytes and evicts the oldest.
    await writeFile(ledgerPath(), JSON.stringify({...(await readLedger()), scannedAt: Date.now() - 25 * 3600_000}))
    const third = new ContentCache({dir, maxBytes: 350})
    const c = Buffer.alloc(100, 'c')
    await third.put(digestOf(c), c)
    expect(existsSync(entryPath(dir, digestOf(unknown)))).toBe(false)
    expect(third.stats().evicted).toBe(1)
    expect(await readLedger()).toMatchObject({bytes: 300, scannedAt: expect.any(Number)})
    expect(Date.now() - (await readLedger()).scannedAt).toBeLessThan(60_000)
  })

  it('a missing, unreadable or linked ledger is replaced by a full scan', async () => {
    const setup = new ContentCache({dir})
    const a = Buffer.alloc(100, 'a')
    await setup.put(digestOf(a), a)
    const outside = await tempDir('cache-outside')
    await writeFile(join(outside, 'ledger'), JSON.stringify({bytes: 5, scannedAt: Date.now()}))
    for (const plant of [async () => {}, () => writeFile(ledgerPath(), 'not json'), () => symlink(join(outside, 'ledger'), ledgerPath())]) {
      await unlink(ledgerPath()).catch(() => {})
      await plant()
      const cache = new ContentCache({dir})
      const fresh = Buffer.from(`fresh ${Math.random()}`)
      await cache.put(digestOf(fresh), fresh)
      const ledger = await lstat(ledgerPath())
      expect(ledger.isFile()).toBe(true)
      expect((await readLedger()).bytes).toBeGreaterThan(100)
    }
    // The linked ledger's target was not written to.
    expect(JSON.parse(await readFile(join(outside, 'ledger'), 'utf8'))).toMatchObject({bytes: 5})
  })
})

describe('ContentCache shared by concurrent processes', () => {
  it('two writers storing the same keys while a reader reads: the reader never sees a partial entry', async () => {
    const worker = fileURLToPath(new URL('cache-worker.ts', import.meta.url))
    const keys = 4
    // Room for about two 1 MiB entries: writes keep evicting and rewriting the keys the reader reads.
    const args = (role: string) => ['--import', 'tsx', worker, role, dir, String(keys), '1500', String(2.5 * 1024 * 1024)]
    const results = await Promise.all(['writer', 'writer', 'reader'].map((role) => run(process.execPath, args(role), {cwd: ROOT})))
    const [w1, w2, reader] = results.map((r) => JSON.parse(r.stdout))
    // Both writers wrote (and evicted): the entries really were replaced under the reader.
    expect(w1.entriesWritten).toBeGreaterThan(keys)
    expect(w2.entriesWritten).toBeGreaterThan(keys)
    expect(w1.evicted + w2.evicted).toBeGreaterThan(0)
    // The reader got whole entries many times and never a half-written one.
    expect(reader.checked).toBeGreaterThan(10)
    expect(reader.wrong).toBe(0)
    expect(reader.corrupt).toBe(0)
    // Whatever is left is whole.
    for (let i = 0; i < keys; i++) {
      const {digest, bytes} = payload(i)
      const path = entryPath(dir, digest)
      if (existsSync(path)) expect((await readFile(path)).equals(bytes)).toBe(true)
    }
  }, 30_000)
})
