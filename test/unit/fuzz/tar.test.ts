import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, it} from 'vitest'

import {openSource} from '../../../src/source/open.js'
import {readTarEntries} from '../../../src/engine/layers/tar-entries.js'
import {BLOCK, END, paxRecord, tarData, tarHeader} from './tar-bytes.js'
import {fuzz, fuzzTimeout, withinDeadlineAsync} from './settings.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'archcheck-fuzz-tar-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** A size field as a hostile writer might fill it: right, wrong, negative, not a number, base-256. */
const sizeField = (actual: number): fc.Arbitrary<string | number | Uint8Array> =>
  fc.oneof(
    {weight: 4, arbitrary: fc.constant(actual)},
    {weight: 1, arbitrary: fc.nat({max: 5000})},
    {weight: 1, arbitrary: fc.constantFrom('-1536', 'abc', '', ' ', '0x10', '77777777777', '1e9', '\u0000\u0000', '8', '-0')},
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({minLength: 12, maxLength: 12})
        .map((bytes) => Uint8Array.from(bytes, (byte, index) => (index === 0 ? byte | 0x80 : byte))),
    },
  )

const name = fc.oneof(
  fc.constantFrom('oci-layout', 'index.json', './blobs/sha256/aa', 'a/../../b', '/abs', '', 'x'.repeat(100), 'dir/'),
  fc.string({maxLength: 30}),
)

const paxValue = fc.oneof(
  fc.constantFrom('-1536', 'abc', '1.5', '1e400', '999999999999999999', '0', '512', ''),
  fc.nat({max: 4096}).map(String),
  fc.string({maxLength: 10}),
)

interface EntrySpec {
  name: string
  type: string
  data: Uint8Array
  size: string | number | Uint8Array
  pax?: Array<[string, string]>
  longName?: string
}

const entry: fc.Arbitrary<EntrySpec> = fc
  .record({
    name,
    type: fc.constantFrom('0', '0', '5', '2', '1', '7', 'x', 'g', 'L', 'K', 'S', 'V', '\u0000', 'Z'),
    data: fc.uint8Array({maxLength: 1200}),
    pax: fc.option(fc.array(fc.tuple(fc.constantFrom('size', 'path', 'linkpath', 'mtime', 'x'), paxValue), {maxLength: 3}), {
      nil: undefined,
    }),
    longName: fc.option(fc.string({maxLength: 200}), {nil: undefined}),
  })
  .chain((spec) => sizeField(spec.data.length).map((size) => ({...spec, size})))

function entryBytes(spec: EntrySpec): Buffer {
  const parts: Buffer[] = []
  if (spec.pax) {
    const records = spec.pax.map(([key, value]) => paxRecord(key, value)).join('')
    parts.push(tarHeader({name: 'PaxHeader', type: 'x', size: Buffer.byteLength(records)}), tarData(records))
  }
  if (spec.longName !== undefined)
    parts.push(tarHeader({name: '././@LongLink', type: 'L', size: Buffer.byteLength(spec.longName) + 1}), tarData(`${spec.longName}\0`))
  const size = spec.size instanceof Uint8Array ? 0 : spec.size
  const header = tarHeader({
    name: spec.name,
    type: spec.type,
    size,
    linkname: spec.type === '2' ? spec.name : undefined,
    patch: spec.size instanceof Uint8Array ? [[124, spec.size]] : [],
  })
  if (spec.size instanceof Uint8Array) {
    // The checksum was computed before the base-256 field was patched in: compute it again.
    header.fill(0x20, 148, 156)
    let sum = 0
    for (const byte of header) sum += byte
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  }
  parts.push(header, tarData(spec.data))
  return Buffer.concat(parts)
}

const archive = fc
  .tuple(
    fc.array(entry, {minLength: 1, maxLength: 5}),
    fc.constantFrom('end', 'none', 'cut', 'garbage'),
    fc.nat(),
    fc.uint8Array({maxLength: 600}),
  )
  .map(([entries, ending, cut, garbage]) => {
    const body = Buffer.concat(entries.map(entryBytes))
    if (ending === 'end') return Buffer.concat([body, END])
    if (ending === 'cut') return body.subarray(0, cut % (body.length + 1))
    if (ending === 'garbage') return Buffer.concat([body, Buffer.from(garbage)])
    return body
  })

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

describe('fuzz: tar headers (ustar, GNU, pax)', () => {
  it(
    'the OCI archive scanner ends with its own error or a source, quickly',
    async () => {
      let count = 0
      await fc.assert(
        fc.asyncProperty(archive, async (bytes) => {
          const file = path.join(dir, `a${count++}.tar`)
          await writeFile(file, bytes)
          const source = await withinDeadlineAsync(() => openSource(`oci-archive:${file}`))
          await source?.close()
          await rm(file)
        }),
        fuzz(300),
      )
    },
    fuzzTimeout,
  )

  it(
    'the layer tar reader ends with its own error or the entries, quickly',
    async () => {
      await fc.assert(
        fc.asyncProperty(archive, fc.constantFrom(1, 7, BLOCK, 4096), async (bytes, chunkSize) => {
          await withinDeadlineAsync(() => readTarEntries(chunks(bytes, chunkSize), {label: 'layer sha256:fuzz', headBytes: 4096}))
        }),
        fuzz(400),
      )
    },
    fuzzTimeout,
  )
})
