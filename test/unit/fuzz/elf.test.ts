import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {armAttributesSection, armTailRange, armVariantOf} from '../../../src/engine/layers/arm-attributes.js'
import {describeBinary, headBytesNeeded, identifyBinary, MAX_HEAD_BYTES} from '../../../src/engine/layers/binary.js'
import {ELF_ARCHITECTURES, makeElf} from '../../../scripts/fixtures/elf.js'
import {fuzz, fuzzTimeout, withinDeadline} from './settings.js'

const bases = ELF_ARCHITECTURES.flatMap((arch) => [makeElf(arch), makeElf(arch, {interpreter: '/lib/ld-linux.so'})])

/** A real ELF of some architecture with header fields and bytes overwritten, and cut anywhere. */
const hostileElf = fc
  .record({
    base: fc.constantFrom(...bases),
    // e_phoff, e_phentsize, e_phnum, e_shoff, e_shentsize, e_shnum of either class, and any byte.
    writes: fc.array(
      fc.tuple(
        fc.constantFrom(4, 5, 18, 28, 32, 36, 40, 42, 44, 46, 48, 52, 54, 56, 58, 60, 62, 64, 68, 72, 80, 96),
        fc.constantFrom(1, 2, 4, 8),
        fc.oneof(fc.nat(), fc.constantFrom(0, 1, 3, 4, 52, 56, 0xffff, 0xffffffff, 2 ** 53)),
      ),
      {maxLength: 6},
    ),
    bytes: fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255})), {maxLength: 8}),
    length: fc.oneof(fc.constant(undefined), fc.nat({max: 9000})),
  })
  .map(({base, writes, bytes, length}) => {
    const elf = Buffer.from(base)
    const le = elf[5] !== 2
    for (const [offset, width, value] of writes) {
      if (offset + width > elf.length) continue
      if (width === 1) elf[offset] = value & 0xff
      else if (width === 2) (le ? elf.writeUInt16LE : elf.writeUInt16BE).call(elf, value & 0xffff, offset)
      else if (width === 4) (le ? elf.writeUInt32LE : elf.writeUInt32BE).call(elf, value >>> 0, offset)
      else (le ? elf.writeBigUInt64LE : elf.writeBigUInt64BE).call(elf, BigInt(Math.min(value, 2 ** 53)), offset)
    }
    for (const [at, value] of bytes) if (elf.length > 0) elf[at % elf.length] = value
    return length === undefined ? elf : elf.subarray(0, length)
  })

const anyHead = fc.oneof(
  {weight: 4, arbitrary: hostileElf},
  {
    weight: 1,
    arbitrary: fc.uint8Array({maxLength: 300}).map((bytes) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from(bytes)])),
  },
  {weight: 1, arbitrary: fc.uint8Array({maxLength: 300}).map((bytes) => Buffer.from(bytes))},
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('MZ', '#!', '\xca\xfe\xba\xbe', '\xfe\xed\xfa\xce', '\xcf\xfa\xed\xfe'), fc.uint8Array({maxLength: 200}))
      .map(([magic, bytes]) => Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.from(bytes)])),
  },
)

describe('fuzz: ELF and other executable headers', () => {
  it(
    'identifyBinary and headBytesNeeded never throw, and stay within bounds',
    () => {
      fc.assert(
        fc.property(anyHead, (head) => {
          const needed = withinDeadline(() => headBytesNeeded(head))
          expect(needed).toBeGreaterThanOrEqual(0)
          expect(needed).toBeLessThanOrEqual(Math.max(MAX_HEAD_BYTES, head.length))
          const info = withinDeadline(() => identifyBinary(head))!
          expect(typeof describeBinary(info)).toBe('string')
        }),
        fuzz(5000),
      )
    },
    fuzzTimeout,
  )

  it(
    'the .ARM.attributes readers never throw on any header or section bytes',
    () => {
      fc.assert(
        fc.property(anyHead, fc.nat({max: 1 << 20}), fc.uint8Array({maxLength: 400}), fc.boolean(), (head, fileSize, section, le) => {
          const range = withinDeadline(() => armTailRange(head, fileSize))
          if (range) {
            const bytes = new Uint8Array(Math.min(range.end - range.start, 70_000))
            bytes.set(section.subarray(0, bytes.length))
            withinDeadline(() => armAttributesSection(head, {offset: range.start, bytes}))
          }
          withinDeadline(() => armVariantOf(Uint8Array.from([0x41, ...section]), le))
          withinDeadline(() => armVariantOf(section, le))
        }),
        fuzz(5000),
      )
    },
    fuzzTimeout,
  )
})
