import {describe, expect, it} from 'vitest'

import {armAttributesSection, armVariantOf} from '../../../src/engine/layers/arm-attributes.js'
import {headBytesNeeded, identifyBinary} from '../../../src/engine/layers/binary.js'
import {traceExecution} from '../../../src/engine/layers/entrypoint.js'
import {ImageFilesystem} from '../../../src/engine/layers/filesystem.js'
import {makeElf} from '../../../scripts/fixtures/elf.js'

/**
 * A 64-bit ELF header whose program header table holds one entry of `phentsize` bytes right at
 * the end of `length` bytes, typed PT_INTERP: a reader that trusts e_phentsize reads past the end.
 */
function shortPhentsize(phentsize: number, length = 100): Buffer {
  const elf = Buffer.from(makeElf('amd64').subarray(0, 64))
  const bytes = Buffer.concat([elf, Buffer.alloc(length - 64)])
  const phoff = length - phentsize
  bytes.writeBigUInt64LE(BigInt(phoff), 32)
  bytes.writeUInt16LE(phentsize, 54)
  bytes.writeUInt16LE(1, 56)
  if (phentsize >= 4) bytes.writeUInt32LE(3, phoff)
  return bytes
}

describe('malformed ELF headers are findings, not crashes', () => {
  it.each([4, 1, 8, 55])('e_phentsize %i, smaller than a program header, is a malformed ELF', (phentsize) => {
    const head = shortPhentsize(phentsize)
    expect(() => headBytesNeeded(head)).not.toThrow()
    const info = identifyBinary(head)
    expect(info).toEqual({
      kind: 'not-executable',
      reason: `malformed ELF: e_phentsize is ${phentsize}, smaller than a program header (56 bytes)`,
    })
  })

  it('a 32-bit ELF with e_phentsize 4 too', () => {
    const elf = Buffer.concat([Buffer.from(makeElf('arm').subarray(0, 52)), Buffer.alloc(48)])
    elf.writeUInt32LE(96, 28)
    elf.writeUInt16LE(4, 42)
    elf.writeUInt16LE(1, 44)
    elf.writeUInt32LE(3, 96)
    expect(identifyBinary(elf)).toMatchObject({kind: 'not-executable', reason: expect.stringMatching(/^malformed ELF: e_phentsize is 4/)})
  })

  it('diagnose reports the malformed entrypoint as exec format error', () => {
    const fs = new ImageFilesystem()
    const head = shortPhentsize(4)
    fs.applyLayer([{path: '/app', type: 'file', mode: 0o755, size: head.length, head}])
    const trace = traceExecution(
      fs,
      {digest: 'sha256:c', size: 1, mediaType: 'x', os: 'linux', architecture: 'amd64', entrypoint: ['/app']},
      'amd64',
    )
    expect(trace.failure).toMatchObject({
      error: 'exec format error',
      file: '/app',
      reason: expect.stringContaining('malformed ELF: e_phentsize is 4'),
    })
  })

  it('an .ARM.attributes subsection whose tag runs to the end is ignored, not read past', () => {
    // 'A', subsection length 16, "aeabi\0", then a tag of 5 continuation bytes with no size after it.
    const section = Buffer.concat([
      Buffer.from('A'),
      Buffer.from([16, 0, 0, 0]),
      Buffer.from('aeabi\0'),
      Buffer.from([0x81, 0x81, 0x81, 0x81, 0x01, 0]),
    ])
    expect(() => armVariantOf(section, true)).not.toThrow()
    expect(armVariantOf(section, true)).toBeUndefined()
  })

  it('an ARM section header table that points past the kept tail is ignored', () => {
    const head = Buffer.from(makeElf('arm').subarray(0, 52))
    head.writeUInt32LE(100, 32) // e_shoff
    head.writeUInt16LE(4, 46) // e_shentsize: smaller than a section header
    head.writeUInt16LE(3, 48)
    expect(() => armAttributesSection(head, {offset: 0, bytes: new Uint8Array(110)})).not.toThrow()
  })
})
