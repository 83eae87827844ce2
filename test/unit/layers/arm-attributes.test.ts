import {describe, expect, it} from 'vitest'

import {armAttributesSection, armTailRange} from '../../../src/engine/layers/arm-attributes.js'
import {needsNewerArm} from '../../../src/engine/layers/binary.js'
import {describeBinary, type ElfInfo, identifyBinary} from '../../../src/engine/layers/binary.js'
import {makeElf} from '../../../scripts/fixtures/elf.js'

describe('the ARM version of a 32-bit binary', () => {
  it('reads the ARM architecture version from .ARM.attributes, found through the section headers kept', () => {
    const variantOf = (elf: Buffer) => {
      const range = armTailRange(elf, elf.length)
      const attributes = range && armAttributesSection(elf, {offset: range.start, bytes: elf.subarray(range.start, range.end)})
      return (identifyBinary(elf.subarray(0, 52), attributes) as ElfInfo).arm!.variant
    }
    expect(variantOf(makeElf('arm', {armCpuArch: 6}))).toBe('v6')
    expect(variantOf(makeElf('arm', {armCpuArch: 10}))).toBe('v7')
    expect(variantOf(makeElf('arm', {armCpuArch: 14}))).toBe('v8')
    expect(variantOf(makeElf('arm', {armCpuArch: 11}))).toBeUndefined() // ARMv6-M: a microcontroller, no OCI variant
    // Unstripped: .symtab and .strtab push the attributes further from the section headers than is kept.
    expect(variantOf(makeElf('arm', {armCpuArch: 10, bytesBeforeSectionHeaders: 70_000}))).toBeUndefined()
    expect(armTailRange(makeElf('arm'), 1000)).toBeUndefined() // no section headers
    expect(armTailRange(makeElf('arm64'), 1000)).toBeUndefined()
    const v7 = makeElf('arm', {armCpuArch: 10})
    const info = identifyBinary(v7, armAttributesSection(v7, {offset: 0, bytes: v7})) as ElfInfo
    expect(describeBinary(info)).toBe('ELF 32-bit LSB ARM executable, EABI5 hard-float, ARMv7, statically linked')
    expect(needsNewerArm(info, 'v6')).toBe(true)
    expect(needsNewerArm(info, 'v7')).toBe(false)
    expect(needsNewerArm(identifyBinary(v7) as ElfInfo, 'v6')).toBe(false) // version unknown: not judged
  })
})
