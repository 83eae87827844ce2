import {ARM_VARIANTS, type ArmVariant, armVariantOf} from './arm-attributes.js'

/**
 * What the kernel would make of a file, judged from its first bytes only (pure, no I/O): an ELF
 * and its architecture, a Windows PE, a Mach-O, a `#!` script, or nothing executable.
 */

/** The OCI architecture (and variant-like detail) an ELF is built for. */
export interface ElfInfo {
  kind: 'elf'
  bits: 32 | 64
  endian: 'little' | 'big'
  /** e_machine. */
  machine: number
  /** A reader's name for the machine, e.g. "x86-64", "AArch64". */
  machineName: string
  /** OCI architecture (amd64, arm64, arm, 386, ppc64le, s390x, riscv64, mips64le, loong64, …); undefined when unknown. */
  architecture?: string
  /** ET_EXEC, ET_DYN (PIE or shared object), ET_REL, ET_CORE. */
  type: 'executable' | 'shared-object' | 'relocatable' | 'core' | 'unknown'
  /** PT_INTERP: the dynamic loader the kernel starts, e.g. /lib/ld-musl-aarch64.so.1. Absent for static binaries. */
  interpreter?: string
  /** Set when the program headers or the loader path lie past the bytes that were read. */
  truncated?: boolean
  /**
   * 32-bit ARM: EABI version and float ABI from e_flags, and the architecture version the code
   * needs (`Tag_CPU_arch` of `.ARM.attributes`, as an OCI variant) when that section was read.
   */
  arm?: {eabiVersion: number; float: 'hard' | 'soft' | 'unspecified'; variant?: ArmVariant}
  /** RISC-V: float ABI from e_flags (soft, single, double, quad) and whether it is RV32E/RV64E. */
  riscv?: {floatAbi: 'soft' | 'single' | 'double' | 'quad'; rve: boolean}
}

export interface PeInfo {
  kind: 'pe'
  machine: number
  /** OCI architecture of the COFF machine, when known. */
  architecture?: string
}

export interface MachOInfo {
  kind: 'macho'
  /** OCI architectures present (a universal binary has several). */
  architectures: string[]
}

export interface ScriptInfo {
  kind: 'script'
  /** The interpreter path as the kernel reads it (without a trailing CR). */
  interpreter: string
  /** The single optional argument (the kernel passes the rest of the line as one). */
  argument?: string
  /** The line ends with "\r\n": the kernel looks for "interpreter\r" (or passes "arg\r"). */
  crlf: boolean
}

export interface NotExecutableInfo {
  kind: 'not-executable'
  /** Why, for a user: "empty file", "text without #!", … */
  reason: string
}

export type BinaryInfo = ElfInfo | PeInfo | MachOInfo | ScriptInfo | NotExecutableInfo

/** How many leading bytes are kept of every executable: enough for the program headers and PT_INTERP of ordinary binaries. */
export const DEFAULT_HEAD_BYTES = 4096

/**
 * The most kept of one executable: an ELF whose program headers or PT_INTERP lie past
 * DEFAULT_HEAD_BYTES (custom linker scripts, some Go and Rust toolchains) is read further, up to this.
 */
export const MAX_HEAD_BYTES = 64 * 1024

/**
 * How many leading bytes identifying this file needs, judged from the bytes seen so far: for an
 * ELF, up to the end of its program header table and, once that is seen, of its PT_INTERP string
 * (at most MAX_HEAD_BYTES); for anything else, no more than what was seen.
 */
export function headBytesNeeded(head: Uint8Array): number {
  if (!isElf(head)) return head.length
  return Math.min(MAX_HEAD_BYTES, Math.max(head.length, readElf(head).needed))
}

const ELF_MACHINES: Record<number, {name: string; arch: (bits: 32 | 64, endian: 'little' | 'big') => string | undefined}> = {
  3: {name: 'Intel 80386', arch: () => '386'},
  8: {
    name: 'MIPS',
    arch: (bits, endian) => (bits === 64 ? (endian === 'little' ? 'mips64le' : 'mips64') : endian === 'little' ? 'mipsle' : 'mips'),
  },
  20: {name: 'PowerPC', arch: () => 'ppc'},
  21: {name: 'PowerPC64', arch: (_bits, endian) => (endian === 'little' ? 'ppc64le' : 'ppc64')},
  22: {name: 'IBM S/390', arch: (bits) => (bits === 64 ? 's390x' : 's390')},
  40: {name: 'ARM', arch: () => 'arm'},
  62: {name: 'x86-64', arch: (bits) => (bits === 64 ? 'amd64' : 'amd64p32')},
  183: {name: 'AArch64', arch: (bits) => (bits === 64 ? 'arm64' : 'arm64be32')},
  243: {name: 'RISC-V', arch: (bits) => (bits === 64 ? 'riscv64' : 'riscv32')},
  258: {name: 'LoongArch', arch: (bits) => (bits === 64 ? 'loong64' : 'loong32')},
}

const PE_MACHINES: Record<number, string> = {0x8664: 'amd64', 0x14c: '386', 0xaa64: 'arm64', 0x1c4: 'arm'}

const MACHO_CPU: Record<number, string> = {7: '386', 0x01000007: 'amd64', 12: 'arm', 0x0100000c: 'arm64', 18: 'ppc', 0x01000012: 'ppc64'}

/**
 * Identifies a file from its first bytes (`head`, DEFAULT_HEAD_BYTES suffice for ordinary
 * binaries) and, for a 32-bit ARM ELF, its `.ARM.attributes` section (arm-attributes.ts)
 * for the architecture version its code needs.
 */
export function identifyBinary(head: Uint8Array, armAttributes?: Uint8Array): BinaryInfo {
  if (head.length === 0) return {kind: 'not-executable', reason: 'empty file'}
  if (isElf(head)) {
    const {info} = readElf(head)
    const variant = info.kind === 'elf' && info.arm && armAttributes ? armVariantOf(armAttributes, info.endian === 'little') : undefined
    if (info.kind === 'elf' && info.arm && variant) info.arm.variant = variant
    return info
  }
  if (head[0] === 0x23 && head[1] === 0x21) return parseShebang(head)
  if (head[0] === 0x4d && head[1] === 0x5a) return parsePe(head)
  const macho = parseMachO(head)
  if (macho) return macho
  return {kind: 'not-executable', reason: 'not an ELF binary and no #! line'}
}

function view(head: Uint8Array): DataView {
  return new DataView(head.buffer, head.byteOffset, head.byteLength)
}

const isElf = (head: Uint8Array): boolean => head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46

/**
 * An ELF's identification, and how many leading bytes it needs to be complete (`needed`, larger
 * than `head` when the program headers or the PT_INTERP string lie past it).
 */
function readElf(head: Uint8Array): {info: ElfInfo | NotExecutableInfo; needed: number} {
  try {
    return readElfFields(head)
  } catch (error) {
    if (error instanceof MalformedElf) return {info: malformedElf(error.message), needed: head.length}
    throw error
  }
}

/** A field of an ELF that cannot be where its headers say. */
class MalformedElf extends Error {}

const malformedElf = (why: string): NotExecutableInfo => ({kind: 'not-executable', reason: `malformed ELF: ${why}`})

function readElfFields(head: Uint8Array): {info: ElfInfo | NotExecutableInfo; needed: number} {
  const headerSize = head[4] === 2 ? 64 : 52
  if (head.length < 0x34) return {info: {kind: 'not-executable', reason: 'truncated ELF header'}, needed: headerSize}
  const bits = head[4] === 2 ? 64 : head[4] === 1 ? 32 : undefined
  const endian = head[5] === 1 ? 'little' : head[5] === 2 ? 'big' : undefined
  if (!bits || !endian)
    return {info: {kind: 'not-executable', reason: 'ELF header with an invalid class or byte order'}, needed: head.length}
  const le = endian === 'little'
  const dv = view(head)
  // Every read is bounds-checked: an offset from the file that runs past the bytes kept makes the
  // ELF malformed (a finding about the image), never a RangeError.
  const inside = (offset: number, width: number): number => {
    if (!(offset >= 0 && offset + width <= head.length)) throw new MalformedElf(`a field at byte ${offset} lies past the bytes read`)
    return offset
  }
  const u16 = (offset: number): number => dv.getUint16(inside(offset, 2), le)
  const u32 = (offset: number): number => dv.getUint32(inside(offset, 4), le)
  const addr = (offset: number): number => (bits === 64 ? Number(dv.getBigUint64(inside(offset, 8), le)) : u32(offset))
  const eType = u16(16)
  const machine = u16(18)
  const known = ELF_MACHINES[machine]
  const info: ElfInfo = {
    kind: 'elf',
    bits,
    endian,
    machine,
    machineName: known?.name ?? `machine ${machine}`,
    architecture: known?.arch(bits, endian),
    type: eType === 2 ? 'executable' : eType === 3 ? 'shared-object' : eType === 1 ? 'relocatable' : eType === 4 ? 'core' : 'unknown',
  }
  const flagsOffset = bits === 64 ? 48 : 36
  if (head.length < headerSize) return {info: {...info, truncated: true}, needed: headerSize}
  const flags = u32(flagsOffset)
  if (machine === 40) {
    const floatFlags = flags & 0x600
    info.arm = {eabiVersion: flags >>> 24, float: floatFlags === 0x400 ? 'hard' : floatFlags === 0x200 ? 'soft' : 'unspecified'}
  } else if (machine === 243) {
    const floatAbi = (['soft', 'single', 'double', 'quad'] as const)[(flags & 0x6) >> 1]
    info.riscv = {floatAbi, rve: (flags & 0x8) !== 0}
  }
  const phoff = addr(bits === 64 ? 32 : 28)
  const phentsize = u16(bits === 64 ? 54 : 42)
  const phnum = u16(bits === 64 ? 56 : 44)
  // The kernel refuses an e_phentsize other than its Elf_Phdr's size (ENOEXEC); a smaller one would
  // have the fields of a program header read past its entry.
  const phdrSize = bits === 64 ? 56 : 32
  if (phnum > 0 && phentsize < phdrSize) {
    return {info: malformedElf(`e_phentsize is ${phentsize}, smaller than a program header (${phdrSize} bytes)`), needed: head.length}
  }
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize
    if (ph + phentsize > head.length) return {info: {...info, truncated: true}, needed: phoff + phnum * phentsize}
    if (u32(ph) !== 3) continue // PT_INTERP
    const offset = addr(bits === 64 ? ph + 8 : ph + 4)
    const size = bits === 64 ? addr(ph + 32) : u32(ph + 16)
    if (offset + size > head.length) return {info: {...info, truncated: true}, needed: offset + size}
    const bytes = head.subarray(offset, offset + size)
    const nul = bytes.indexOf(0)
    info.interpreter = Buffer.from(nul === -1 ? bytes : bytes.subarray(0, nul)).toString('latin1')
    break
  }
  return {info, needed: head.length}
}

/** Linux reads at most this many bytes of a `#!` line (BINPRM_BUF_SIZE since 5.1). */
const SHEBANG_MAX = 256

function parseShebang(head: Uint8Array): ScriptInfo | NotExecutableInfo {
  const limit = Math.min(head.length, SHEBANG_MAX)
  let end = head.subarray(0, limit).indexOf(0x0a)
  if (end === -1) end = limit
  let line = Buffer.from(head.subarray(2, end)).toString('latin1')
  const crlf = line.endsWith('\r')
  if (crlf) line = line.slice(0, -1)
  const trimmed = line.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '')
  if (!trimmed) return {kind: 'not-executable', reason: '#! line names no interpreter'}
  const split = trimmed.search(/[ \t]/)
  const interpreter = split === -1 ? trimmed : trimmed.slice(0, split)
  const argument = split === -1 ? undefined : trimmed.slice(split).replace(/^[ \t]+/, '')
  return argument ? {kind: 'script', interpreter, argument, crlf} : {kind: 'script', interpreter, crlf}
}

function parsePe(head: Uint8Array): PeInfo | NotExecutableInfo {
  if (head.length < 0x40) return {kind: 'not-executable', reason: 'truncated MZ header'}
  const dv = view(head)
  const peOffset = dv.getUint32(0x3c, true)
  if (peOffset + 6 > head.length || dv.getUint32(peOffset, false) !== 0x50450000) {
    return {kind: 'not-executable', reason: 'MZ header without a PE signature in the bytes read'}
  }
  const machine = dv.getUint16(peOffset + 4, true)
  return {kind: 'pe', machine, architecture: PE_MACHINES[machine]}
}

function parseMachO(head: Uint8Array): MachOInfo | undefined {
  if (head.length < 8) return undefined
  const dv = view(head)
  const magicBE = dv.getUint32(0, false)
  if (magicBE === 0xfeedface || magicBE === 0xfeedfacf) return {kind: 'macho', architectures: machOArch(dv.getUint32(4, false))}
  if (magicBE === 0xcefaedfe || magicBE === 0xcffaedfe) return {kind: 'macho', architectures: machOArch(dv.getUint32(4, true))}
  if (magicBE === 0xcafebabe) {
    // Java class files share this magic; their next word is a version (>= 45), a fat header's is a small count.
    const count = dv.getUint32(4, false)
    if (count === 0 || count > 20) return undefined
    const architectures: string[] = []
    for (let i = 0; i < count && 8 + i * 20 + 4 <= head.length; i++) architectures.push(...machOArch(dv.getUint32(8 + i * 20, false)))
    return {kind: 'macho', architectures}
  }
  return undefined
}

function machOArch(cpuType: number): string[] {
  const arch = MACHO_CPU[cpuType >>> 0]
  return arch ? [arch] : []
}

/** One line for a user: "ELF 64-bit LSB x86-64 executable, dynamically linked (/lib64/ld-linux-x86-64.so.2)". */
export function describeBinary(info: BinaryInfo): string {
  switch (info.kind) {
    case 'elf': {
      const parts = [`ELF ${info.bits}-bit ${info.endian === 'little' ? 'LSB' : 'MSB'} ${info.machineName} ${info.type}`]
      if (info.arm)
        parts.push(
          `EABI${info.arm.eabiVersion}${info.arm.float === 'unspecified' ? '' : ` ${info.arm.float}-float`}${info.arm.variant ? `, ARM${info.arm.variant}` : ''}`,
        )
      if (info.riscv) parts.push(`${info.riscv.floatAbi}-float ABI${info.riscv.rve ? ', RVE' : ''}`)
      parts.push(
        info.interpreter
          ? `dynamically linked (${info.interpreter})`
          : info.truncated
            ? 'program headers not in the bytes read'
            : 'statically linked',
      )
      return parts.join(', ')
    }
    case 'pe':
      return `PE32 Windows executable (${info.architecture ?? `machine 0x${info.machine.toString(16)}`})`
    case 'macho':
      return `Mach-O macOS binary (${info.architectures.join(', ') || 'unknown CPU'})`
    case 'script':
      return `script, #!${info.interpreter}${info.argument ? ` ${info.argument}` : ''}${info.crlf ? ' with CRLF line endings' : ''}`
    case 'not-executable':
      return info.reason
  }
}

/**
 * Whether a Linux host of `hostArch` runs this ELF natively: 'yes', 'no' (exec format error), or
 * 'maybe' (32-bit ARM on arm64 needs a CPU with AArch32, which many arm64 servers lack).
 */
export function elfRunsOn(info: ElfInfo, hostArch: string): 'yes' | 'no' | 'maybe' {
  if (info.type !== 'executable' && info.type !== 'shared-object') return 'no'
  if (info.architecture === hostArch) return 'yes'
  if (hostArch === 'amd64' && info.architecture === '386') return 'yes'
  if (hostArch === 'arm64' && info.architecture === 'arm') return 'maybe'
  return 'no'
}

/**
 * Whether a 32-bit ARM CPU of `hostVariant` lacks the architecture version this ELF's code needs
 * (from `.ARM.attributes`): the kernel starts it, and the first newer instruction kills it with
 * SIGILL ("Illegal instruction"), e.g. an ARMv7 binary on an arm/v6 Raspberry Pi Zero.
 */
export function needsNewerArm(info: ElfInfo, hostVariant: string | undefined): boolean {
  const needed = info.arm?.variant
  const host = ARM_VARIANTS.indexOf(hostVariant as ArmVariant)
  return needed !== undefined && host !== -1 && ARM_VARIANTS.indexOf(needed) > host
}
