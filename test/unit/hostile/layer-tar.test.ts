import {describe, expect, it} from 'vitest'

import {RegistryError} from '../../../src/oci/errors.js'
import {readTarEntries} from '../../../src/engine/layers/tar-entries.js'
import {END, paxRecord, setChecksum, tarData, tarHeader} from '../fuzz/tar-bytes.js'

async function* chunks(bytes: Uint8Array, size = 512): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

/** Reads the layer, failing the test (not hanging it) when no answer comes within a second. */
async function readError(bytes: Buffer): Promise<unknown> {
  const reading = readTarEntries(chunks(bytes), {label: 'layer sha256:test', headBytes: 4096}).then(
    () => undefined,
    (error: unknown) => error,
  )
  const timeout = new Promise((resolve) => setTimeout(() => resolve('no answer within 1 s'), 1000).unref())
  return Promise.race([reading, timeout])
}

describe('layer tar headers with hostile sizes', () => {
  it('a size field in base-256 that tar-stream cannot read (first byte not 0x80) is refused, not waited on forever', async () => {
    // Seen from a fuzzer: a hard link whose size field starts 0xb7; tar-stream reads it as null and never ends the entry.
    const header = tarHeader({name: 'link', type: '1', linkname: 'x'})
    header.set([0xb7, 3, 0xf9, 0xff, 0xf8, 0xc2, 0xd8, 0x53, 1, 0x18, 0x5a, 0], 124)
    setChecksum(header)
    const error = await readError(Buffer.concat([header, tarData('abcdef'), END]))
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as Error).message).toBe('layer sha256:test: not a readable tar archive (invalid size in the header at byte 0)')
  })

  it.each(['-1536', 'abc', '1.5'])('a pax size=%s is refused', async (value) => {
    const pax = paxRecord('size', value)
    const bytes = Buffer.concat([
      tarHeader({name: 'PaxHeader', type: 'x', size: pax.length}),
      tarData(pax),
      tarHeader({name: 'f', size: 2}),
      tarData('ok'),
      END,
    ])
    const error = await readError(bytes)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).kind).toBe('bad-layer')
  })

  it('an octal size with junk after it is refused', async () => {
    const error = await readError(Buffer.concat([tarHeader({name: 'f', size: '12x4\0'}), tarData('x'.repeat(10)), END]))
    expect((error as Error).message).toMatch(/invalid size in the header at byte 0/)
  })

  it('ordinary sizes still read', async () => {
    const entries = await readTarEntries(
      chunks(Buffer.concat([tarHeader({name: 'f', size: 2}), tarData('ok'), tarHeader({name: 'g', size: ' 2 \0'}), tarData('ok'), END])),
      {label: 'l', headBytes: 0},
    )
    expect([...entries].map((entry) => [entry.path, entry.size])).toEqual([
      ['/f', 2],
      ['/g', 2],
    ])
  })
})

describe('directories with a size', () => {
  it('a directory whose pax size is not 0 has no contents: the next header follows at once', async () => {
    // Seen from a fuzzer: tar-stream never ended such a directory's stream, and the read waited forever.
    const pax = paxRecord('size', '89')
    const bytes = Buffer.concat([
      tarHeader({name: 'PaxHeader', type: 'x', size: pax.length}),
      tarData(pax),
      tarHeader({name: 'dir/', type: '5'}),
      tarHeader({name: 'dir/f', size: 2}),
      tarData('ok'),
      END,
    ])
    const entries = await Promise.race([
      readTarEntries(chunks(bytes), {label: 'l', headBytes: 0}).then((table) => [...table]),
      new Promise((resolve) => setTimeout(() => resolve('no answer within 1 s'), 1000).unref()),
    ])
    expect(entries).toMatchObject([
      {path: '/dir', type: 'directory'},
      {path: '/dir/f', type: 'file', size: 2},
    ])
  })
})

describe('pax sizes and GNU long names', () => {
  it('a pax size applies to the entry after a GNU long-name record, not to the record', async () => {
    // Seen from a fuzzer: the size was spent on the long-name record, the entry's own (8 GiB) size
    // hid the rest of the layer from the end-of-archive scan while tar-stream read on.
    const pax = paxRecord('size', '2')
    const bytes = Buffer.concat([
      tarHeader({name: 'PaxHeader', type: 'x', size: pax.length}),
      tarData(pax),
      tarHeader({name: '././@LongLink', type: 'L', size: 9}),
      tarData('long/name\0'),
      tarHeader({name: 'short', size: '77777777777\0'}),
      tarData('ok'),
      tarHeader({name: 'next', size: 1}),
      tarData('x'),
      END,
    ])
    const entries = await readTarEntries(chunks(bytes), {label: 'l', headBytes: 0})
    expect([...entries].map((entry) => [entry.path, entry.size])).toEqual([
      ['/long/name', 2],
      ['/next', 1],
    ])
    // So a bad header after it is seen (and refused) rather than hidden from the scan and waited on.
    const bad = tarHeader({name: 'bad', type: 'V'})
    bad.set([0x8d, 0xcc, 0x97, 0x19, 0x94, 0x52, 0x91, 0xdb, 0xe5, 0x78, 0xfe, 0xad], 124)
    setChecksum(bad)
    const error = await readError(Buffer.concat([bytes.subarray(0, 3072), bad, END]))
    expect((error as Error).message).toBe('layer sha256:test: not a readable tar archive (invalid size in the header at byte 3072)')
  })
})

describe('pax records read as tar-stream reads them', () => {
  it("the last size record wins, and an empty one means the header's own size", async () => {
    // Seen from a fuzzer: "size=3869" then "size=": tar-stream used the header's (unreadable)
    // size while the scan used 3869 and hid the header from the size check.
    const pax = paxRecord('size', '3869') + paxRecord('size', '')
    const bad = tarHeader({name: 'link', type: '1'})
    bad.set([0xd5, 0xe3, 0, 0x8e, 0x8e, 0x17, 0x98, 0x39, 0xac, 0xea, 0xcf, 0xa7], 124)
    setChecksum(bad)
    const error = await readError(
      Buffer.concat([tarHeader({name: 'PaxHeader', type: 'x', size: pax.length}), tarData(pax), bad, tarData('x'), END]),
    )
    expect((error as Error).message).toBe('layer sha256:test: not a readable tar archive (invalid size in the header at byte 1024)')
  })

  it("a size inside another record's value is not a size record", async () => {
    const pax = paxRecord('path', 'a\n12 size=5\n') + paxRecord('mtime', '1')
    const bytes = Buffer.concat([
      tarHeader({name: 'PaxHeader', type: 'x', size: pax.length}),
      tarData(pax),
      tarHeader({name: 'f', size: 2}),
      tarData('ok'),
      tarHeader({name: 'g', size: 1}),
      tarData('x'),
      END,
    ])
    const entries = await readTarEntries(chunks(bytes), {label: 'l', headBytes: 0})
    expect([...entries].map((entry) => [entry.path, entry.size])).toEqual([
      ['/a\n12 size=5\n', 2],
      ['/g', 1],
    ])
  })
})
