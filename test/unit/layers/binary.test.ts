import {describe, expect, it} from 'vitest'

import {
  describeBinary,
  elfRunsOn,
  type ElfInfo,
  headBytesNeeded,
  identifyBinary,
  MAX_HEAD_BYTES,
} from '../../../src/engine/layers/binary.js'
import {ELF_ARCHITECTURES, ELF_MACHINES, makeElf, makePeHeader} from '../../../scripts/fixtures/elf.js'

/** An ELF of `base` with e_machine rewritten (for machines the fixture generator has no program for). */
function withMachine(base: Buffer, machine: number, littleEndian = true): Buffer {
  const copy = Buffer.from(base)
  if (littleEndian) copy.writeUInt16LE(machine, 18)
  else copy.writeUInt16BE(machine, 18)
  return copy
}

describe('identifyBinary: ELF', () => {
  it.each(ELF_ARCHITECTURES)('maps the %s fixture to its OCI architecture', (arch) => {
    const info = identifyBinary(makeElf(arch)) as ElfInfo
    expect(info.kind).toBe('elf')
    expect(info.architecture).toBe(ELF_MACHINES[arch].platform.architecture)
    expect(info.type).toBe('executable')
    expect(info.interpreter).toBeUndefined()
  })

  it('maps MIPS64 little-endian and LoongArch64 by class and byte order', () => {
    expect((identifyBinary(withMachine(makeElf('amd64'), 8)) as ElfInfo).architecture).toBe('mips64le')
    expect((identifyBinary(withMachine(makeElf('amd64'), 258)) as ElfInfo).architecture).toBe('loong64')
    expect((identifyBinary(withMachine(makeElf('s390x'), 21, false)) as ElfInfo).architecture).toBe('ppc64')
  })

  it('reads the PT_INTERP loader of a dynamically linked binary', () => {
    const info = identifyBinary(makeElf('arm64', {interpreter: '/lib/ld-musl-aarch64.so.1'})) as ElfInfo
    expect(info.interpreter).toBe('/lib/ld-musl-aarch64.so.1')
    expect(describeBinary(info)).toBe('ELF 64-bit LSB AArch64 executable, dynamically linked (/lib/ld-musl-aarch64.so.1)')
  })

  it('reads ARM EABI version and float ABI from e_flags', () => {
    expect((identifyBinary(makeElf('arm')) as ElfInfo).arm).toEqual({eabiVersion: 5, float: 'hard'})
    expect((identifyBinary(makeElf('arm', {flags: 0x05000200})) as ElfInfo).arm).toEqual({eabiVersion: 5, float: 'soft'})
  })

  it('reads the RISC-V float ABI from e_flags', () => {
    expect((identifyBinary(makeElf('riscv64')) as ElfInfo).riscv).toEqual({floatAbi: 'double', rve: false})
    expect((identifyBinary(makeElf('riscv64', {flags: 0x1})) as ElfInfo).riscv).toEqual({floatAbi: 'soft', rve: false})
  })

  it('says when the loader lies past the bytes kept', () => {
    const elf = makeElf('amd64', {interpreter: '/lib64/ld-linux-x86-64.so.2'})
    const info = identifyBinary(elf.subarray(0, 130)) as ElfInfo
    expect(info.truncated).toBe(true)
    expect(info.interpreter).toBeUndefined()
  })

  it('says how many bytes an ELF needs to show its program headers and loader, at most 64 KiB', () => {
    const far = makeElf('amd64', {interpreter: '/lib64/ld-linux-x86-64.so.2', programHeaderOffset: 5000, interpreterOffset: 9000})
    expect(headBytesNeeded(far.subarray(0, 4096))).toBe(5000 + 2 * 56)
    expect(headBytesNeeded(far.subarray(0, 5112))).toBe(9000 + 28)
    expect(headBytesNeeded(far)).toBe(far.length)
    expect((identifyBinary(far) as ElfInfo).interpreter).toBe('/lib64/ld-linux-x86-64.so.2')
    const tooFar = makeElf('amd64', {interpreter: '/lib64/ld-linux-x86-64.so.2', interpreterOffset: 100_000})
    expect(headBytesNeeded(tooFar.subarray(0, 4096))).toBe(MAX_HEAD_BYTES)
    expect(headBytesNeeded(Buffer.from('#!/bin/sh\necho hi\n'))).toBe(18)
  })

  it('knows which hosts run which ELF', () => {
    const amd64 = identifyBinary(makeElf('amd64')) as ElfInfo
    expect(elfRunsOn(amd64, 'amd64')).toBe('yes')
    expect(elfRunsOn(amd64, 'arm64')).toBe('no')
    expect(elfRunsOn(identifyBinary(makeElf('386')) as ElfInfo, 'amd64')).toBe('yes')
    expect(elfRunsOn(identifyBinary(makeElf('arm')) as ElfInfo, 'arm64')).toBe('maybe')
    const relocatable = Buffer.from(makeElf('amd64'))
    relocatable.writeUInt16LE(1, 16)
    expect(elfRunsOn(identifyBinary(relocatable) as ElfInfo, 'amd64')).toBe('no')
  })
})

describe('identifyBinary: other formats', () => {
  it('reads a PE/COFF machine', () => {
    const pe = makePeHeader(0xaa64)
    expect(identifyBinary(pe)).toEqual({kind: 'pe', machine: 0xaa64, architecture: 'arm64'})
  })

  it('recognises thin and universal Mach-O, and leaves Java classes alone', () => {
    const thin = Buffer.alloc(32)
    thin.writeUInt32LE(0xfeedfacf, 0)
    thin.writeUInt32LE(0x0100000c, 4)
    expect(identifyBinary(thin)).toEqual({kind: 'macho', architectures: ['arm64']})
    const fat = Buffer.alloc(64)
    fat.writeUInt32BE(0xcafebabe, 0)
    fat.writeUInt32BE(2, 4)
    fat.writeUInt32BE(0x01000007, 8)
    fat.writeUInt32BE(0x0100000c, 28)
    expect(identifyBinary(fat)).toEqual({kind: 'macho', architectures: ['amd64', 'arm64']})
    const javaClass = Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61])
    expect(identifyBinary(javaClass).kind).toBe('not-executable')
  })

  it('parses #! lines: interpreter, one argument, CRLF', () => {
    expect(identifyBinary(Buffer.from('#!/bin/sh\necho hi\n'))).toEqual({kind: 'script', interpreter: '/bin/sh', crlf: false})
    expect(identifyBinary(Buffer.from('#! /usr/bin/env  python3 -u \nprint()\n'))).toEqual({
      kind: 'script',
      interpreter: '/usr/bin/env',
      argument: 'python3 -u',
      crlf: false,
    })
    expect(identifyBinary(Buffer.from('#!/bin/sh\r\necho hi\r\n'))).toEqual({kind: 'script', interpreter: '/bin/sh', crlf: true})
    expect(identifyBinary(Buffer.from('#!\n')).kind).toBe('not-executable')
  })

  it('calls anything else not executable', () => {
    expect(identifyBinary(new Uint8Array(0))).toEqual({kind: 'not-executable', reason: 'empty file'})
    expect(identifyBinary(Buffer.from('echo hello\n')).kind).toBe('not-executable')
  })
})
