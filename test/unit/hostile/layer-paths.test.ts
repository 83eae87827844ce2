import tar from 'tar-stream'
import {describe, expect, it} from 'vitest'

import {RegistryError} from '../../../src/oci/errors.js'
import {traceExecution} from '../../../src/engine/layers/entrypoint.js'
import {ImageFilesystem} from '../../../src/engine/layers/filesystem.js'
import {MAX_PATH_BYTES, readTarEntries} from '../../../src/engine/layers/tar-entries.js'
import {makeElf} from '../../../scripts/fixtures/elf.js'
import {collectPack} from '../../../scripts/fixtures/image-builder.js'

/** A tar of the given entries (names as given: tar-stream writes long ones as pax records). */
async function tarOf(
  entries: Array<{name: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string; content?: Buffer}>,
): Promise<Buffer> {
  const pack = tar.pack()
  const done = collectPack(pack)
  for (const entry of entries)
    pack.entry({name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname, mode: 0o755}, entry.content ?? Buffer.alloc(0))
  pack.finalize()
  return done
}

async function* chunks(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536)
}

const read = async (bytes: Buffer) => readTarEntries(chunks(bytes), {label: 'layer sha256:test', headBytes: 4096})
const config = {digest: 'sha256:c', size: 1, mediaType: 'x', os: 'linux', architecture: 'amd64'}

describe('long and deep paths in layers', () => {
  it('a 40,000-component path is refused at once with the limit named (exit 3)', async () => {
    const started = performance.now()
    const error = await read(await tarOf([{name: `${'a/'.repeat(40_000)}app`}])).catch((e: unknown) => e)
    expect(performance.now() - started).toBeLessThan(2000)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).kind).toBe('bad-layer')
    expect((error as Error).message).toBe(
      `layer sha256:test: an entry's path is 80003 bytes, longer than the ${MAX_PATH_BYTES} bytes Linux allows (PATH_MAX): no runtime can extract it`,
    )
  })

  it('a symlink target longer than PATH_MAX is refused too', async () => {
    const error = await read(await tarOf([{name: 'link', type: 'symlink', linkname: 'b/'.repeat(3000)}])).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/a symlink target is 6000 bytes, longer than the 4096 bytes/)
  })

  it('a path of 2,000 components (just under the limit) is read, merged and traced in linear time', async () => {
    const deep = `${'d/'.repeat(2000)}app`
    const layer = await tarOf([
      {name: deep, content: makeElf('amd64')},
      {name: 'start', type: 'symlink', linkname: deep},
    ])
    const started = performance.now()
    const fs = new ImageFilesystem()
    for (let i = 0; i < 5; i++) fs.applyLayer(await read(layer))
    const trace = traceExecution(fs, {...config, entrypoint: ['/start']}, 'amd64')
    const files = [...fs.files()]
    expect(fs.removedBy(`/${deep}/x`)).toBeUndefined()
    const elapsed = performance.now() - started
    expect(trace.failure).toBeUndefined()
    expect(trace.steps[0].path).toBe(`/${deep}`)
    expect(files.map((f) => f.path)).toEqual([`/${deep}`])
    expect(elapsed).toBeLessThan(1500)
  })
})
