import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {RegistryError} from '../../../src/oci/errors.js'
import {sniffCompression} from '../../../src/engine/layers/decompress.js'
import {readTarEntries} from '../../../src/engine/layers/tar-entries.js'
import {makeElf} from '../../../scripts/fixtures/elf.js'
import {makeTar} from '../../../scripts/fixtures/image-builder.js'
import {identifyBinary} from '../../../src/engine/layers/binary.js'
import {chunked, decompress, noise} from '../../helpers/layer-streams.js'

describe('compression detection', () => {
  it('goes by magic bytes', () => {
    expect(sniffCompression(gzipSync('x'))).toBe('gzip')
    expect(sniffCompression(Buffer.from('usr/'))).toBe('none')
  })
})

describe('decompressLayer', () => {
  const data = Buffer.concat([noise(300_000), Buffer.alloc(500_000, 7), noise(100_000)])

  it('inflates gzip and plain bytes to the same content, whatever the chunking', async () => {
    expect((await decompress(gzipSync(data))).equals(data)).toBe(true)
    expect((await decompress(gzipSync(data), {}, 7)).equals(data)).toBe(true)
    expect((await decompress(data)).equals(data)).toBe(true)
  })

  it('refuses a gzip bomb by ratio, naming the layer and the flag', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024))
    await expect(decompress(bomb, {maxRatio: 50, ratioGraceBytes: 1024 * 1024})).rejects.toThrow(
      /layer sha256:test: expands more than 50:1 .*--max-ratio/,
    )
  })

  it('refuses past the total decompressed bytes', async () => {
    await expect(decompress(gzipSync(noise(3 * 1024 * 1024)), {maxTotalBytes: 2 * 1024 * 1024})).rejects.toThrow(
      /exceed the limit of 2 MiB in total/,
    )
  })

  it('reports corrupt and truncated gzip data as a bad layer', async () => {
    const gz = gzipSync(data)
    const truncated = await decompress(gz.subarray(0, gz.length / 2)).catch((e: unknown) => e)
    expect(truncated).toBeInstanceOf(RegistryError)
    expect((truncated as RegistryError).kind).toBe('bad-layer')
    const garbled = Buffer.from(gz)
    garbled.fill(0xff, 20, 60)
    await expect(decompress(garbled)).rejects.toThrow(/corrupt gzip data/)
  })
})

describe('readTarEntries', () => {
  it('keeps headers of every entry and the first bytes of executables only', async () => {
    const tar = await makeTar([
      {path: 'bin/app', content: noise(10_000), mode: 0o755},
      {path: 'etc/conf', content: 'x=1', mode: 0o644},
      {path: 'bin/link', type: 'symlink', linkname: 'app'},
      {path: 'bin/hard', type: 'link', linkname: 'bin/app'},
    ])
    const got = await readTarEntries(chunked(tar, 1000), {label: 'l', headBytes: 4096})
    const byPath = new Map([...got].map((entry) => [entry.path, entry]))
    expect([...byPath.keys()].sort()).toEqual(['/bin', '/bin/app', '/bin/hard', '/bin/link', '/etc', '/etc/conf'])
    expect(byPath.get('/bin/app')).toMatchObject({type: 'file', size: 10_000, mode: 0o755})
    expect(byPath.get('/bin/app')!.head!.length).toBe(4096)
    expect(Buffer.from(byPath.get('/bin/app')!.head!).equals(noise(4096))).toBe(true)
    expect(byPath.get('/etc/conf')!.head).toBeUndefined()
    expect(byPath.get('/bin/link')).toMatchObject({type: 'symlink', linkTarget: 'app'})
    expect(byPath.get('/bin/hard')).toMatchObject({type: 'hardlink', linkTarget: '/bin/app'})
  })

  it('keeps more of an ELF whose loader path lies further, never over 64 KiB', async () => {
    const far = makeElf('amd64', {interpreter: '/lib64/ld-linux-x86-64.so.2', interpreterOffset: 9000})
    const tooFar = makeElf('amd64', {interpreter: '/lib64/ld-linux-x86-64.so.2', interpreterOffset: 200_000})
    const tar = await makeTar([
      {path: 'far', content: far, mode: 0o755},
      {path: 'toofar', content: tooFar, mode: 0o755},
    ])
    const [first, second] = await readTarEntries(chunked(tar, 1000), {label: 'l', headBytes: 4096})
    expect(first.head!.length).toBe(9028)
    expect(second.head!.length).toBe(64 * 1024)
    expect(identifyBinary(second.head!)).toMatchObject({kind: 'elf', truncated: true})
  })

  it('keeps the .ARM.attributes of a 32-bit ARM binary, found near its end across chunks', async () => {
    const arm = makeElf('arm', {armCpuArch: 10, bytesBeforeSectionHeaders: 10_000})
    const tar = await makeTar([
      {path: 'arm', content: arm, mode: 0o755},
      {path: 'arm64', content: makeElf('arm64'), mode: 0o755},
    ])
    const [armEntry, arm64Entry] = await readTarEntries(chunked(tar, 1000), {label: 'l', headBytes: 4096})
    expect(armEntry.armAttributes!.length).toBe(33) // the section alone, not the window it was found in
    expect(identifyBinary(armEntry.head!, armEntry.armAttributes)).toMatchObject({kind: 'elf', arm: {variant: 'v7'}})
    expect(arm64Entry.armAttributes).toBeUndefined()
  })

  it('ignores whatever follows the end-of-archive marker, as Docker and containerd do, and still reads it', async () => {
    const longPath = `opt/${'deep/'.repeat(25)}tool` // over 100 characters: a PAX header carries it
    const tar = await makeTar([
      // Zero blocks inside a file's data are not the end of the archive.
      {path: 'bin/app', content: Buffer.concat([Buffer.alloc(2048), noise(100)]), mode: 0o755},
      {path: longPath, content: 'x', mode: 0o755},
      {path: 'zlast', content: 'after the long path'},
    ])
    let read = 0
    const counting = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunked(Buffer.concat([tar, Buffer.from('appended by some tool'), noise(700)]), 333)) {
        read += chunk.length
        yield chunk
      }
    }
    const got = await readTarEntries(counting(), {label: 'l', headBytes: 16})
    expect([...got].map((entry) => entry.path)).toEqual([
      '/bin',
      '/bin/app',
      '/opt',
      ...Array.from({length: 25}, (_, i) => `/opt${'/deep'.repeat(i + 1)}`),
      `/${longPath}`,
      '/zlast',
    ])
    expect(read).toBe(tar.length + 21 + 700)
  })

  it("finds the next header where a PAX size record says, not where the header's own size field says", async () => {
    const tar = await makeTar([
      {path: 'big', content: noise(1500)},
      {path: 'next', content: 'n'},
    ])
    // Clear the ustar size of "big" and give its size in a PAX record instead, as writers do for files over 8 GiB.
    const pax = paxHeader({size: '1500'})
    const patched = Buffer.concat([pax, withSizeField(tar.subarray(0, 512), 0), tar.subarray(512), Buffer.from('trailing')])
    const got = await readTarEntries(chunked(patched, 100), {label: 'l', headBytes: 0})
    expect([...got].map((entry) => `${entry.path} ${entry.size}`)).toEqual(['/big 1500', '/next 1'])
  })

  it('still reports a truncated archive as a bad layer', async () => {
    const tar = await makeTar([{path: 'bin/app', content: noise(5000), mode: 0o755}])
    await expect(readTarEntries(chunked(tar.subarray(0, 3000)), {label: 'layer sha256:abc', headBytes: 16})).rejects.toThrow(
      /layer sha256:abc: not a readable tar archive/,
    )
  })

  it('reports bytes that are not a tar archive as a bad layer', async () => {
    await expect(readTarEntries(chunked(noise(5000)), {label: 'layer sha256:abc', headBytes: 16})).rejects.toThrow(
      /layer sha256:abc: not a readable tar archive/,
    )
  })
})

/** A ustar header block with its size field set to `size` and the checksum recomputed. */
function withSizeField(header: Buffer, size: number): Buffer {
  const block = Buffer.from(header)
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1')
  block.fill(0x20, 148, 156)
  const sum = block.reduce((total, byte) => total + byte, 0)
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return block
}

/** A PAX extended header ("x") carrying `records`, padded to whole blocks. */
function paxHeader(records: Record<string, string>): Buffer {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const rest = ` ${key}=${value}\n`
      let length = rest.length + 1
      while (`${length}${rest}`.length !== length) length++
      return `${length}${rest}`
    })
    .join('')
  const header = Buffer.alloc(512)
  header.write('PaxHeaders/big', 0, 'latin1')
  header.write('0000644\0', 100, 'latin1')
  header.write('0000000\0', 108, 'latin1')
  header.write('0000000\0', 116, 'latin1')
  header.write('00000000000\0', 136, 'latin1')
  header.write('x', 156, 'latin1')
  header.write('ustar\0' + '00', 257, 'latin1')
  const data = Buffer.alloc(Math.ceil(body.length / 512) * 512)
  data.write(body, 'latin1')
  return Buffer.concat([withSizeField(header, body.length), data])
}
