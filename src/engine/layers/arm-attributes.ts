/**
 * The ARM architecture version (v5 … v8) a 32-bit ARM ELF's code needs, from `Tag_CPU_arch` in
 * its `.ARM.attributes` section. The section is not in the headers: it sits near the end of the
 * file, found through the section header table, so the layer reader looks at a window there
 * (armTailRange) as the file streams by and keeps only the section (armAttributesSection).
 */

/** The OCI variants of 32-bit ARM, oldest first: a CPU runs code of its own version and older. */
export const ARM_VARIANTS = ['v5', 'v6', 'v7', 'v8'] as const
export type ArmVariant = (typeof ARM_VARIANTS)[number]

/** Bytes of a file from `offset` on, while it streams by (a 32-bit ARM ELF's section headers and what precedes them). */
export interface FileTail {
  offset: number
  bytes: Uint8Array
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/**
 * `.ARM.attributes` usually sits just before the section header table at the end of the file
 * (after the code, before `.shstrtab`); unstripped binaries put `.symtab`/`.strtab` in between.
 * This much before the table is kept, and the table itself when it is no larger.
 */
const ARM_TAIL_WINDOW = 64 * 1024
const SHT_ARM_ATTRIBUTES = 0x70000003
const TAG_CPU_ARCH = 6

/**
 * The byte range of a 32-bit ARM ELF to look at so that armAttributesSection finds its attributes: the
 * section header table (e_shoff, from the header) and ARM_TAIL_WINDOW bytes before it.
 * Undefined for anything else, or when the table is absent or oversized.
 */
export function armTailRange(head: Uint8Array, fileSize: number): {start: number; end: number} | undefined {
  const isElf32 = head.length >= 52 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46 && head[4] === 1
  if (!isElf32) return undefined
  const dv = view(head)
  const le = head[5] === 1
  if (dv.getUint16(18, le) !== 40) return undefined
  const shoff = dv.getUint32(32, le)
  const end = shoff + dv.getUint16(46, le) * dv.getUint16(48, le)
  if (shoff === 0 || end > fileSize || end - shoff > ARM_TAIL_WINDOW) return undefined
  return {start: Math.max(0, shoff - ARM_TAIL_WINDOW), end}
}

/** The OCI variant for `Tag_CPU_arch` values of A- and R-profile CPUs (M-profile microcontrollers run no Linux userland). */
function variantOfCpuArch(cpuArch: number): ArmVariant | undefined {
  if (cpuArch <= 5) return 'v5' // pre-v4 … v5TEJ
  if (cpuArch <= 9) return 'v6' // v6, v6KZ, v6T2, v6K
  if (cpuArch === 10) return 'v7'
  if (cpuArch === 14 || cpuArch === 15 || (cpuArch >= 18 && cpuArch <= 20) || cpuArch === 22) return 'v8' // v8-A, v8-R, v8.1–8.3-A, v9-A
  return undefined
}

/**
 * A copy of the `.ARM.attributes` section (sh_type SHT_ARM_ATTRIBUTES), found through the section
 * headers in `tail` (the range armTailRange gave); undefined when it lies outside what was kept.
 */
export function armAttributesSection(head: Uint8Array, tail: FileTail): Uint8Array | undefined {
  const le = head[5] === 1
  const header = view(head)
  const shoff = header.getUint32(32, le)
  const shentsize = header.getUint16(46, le)
  const dv = view(tail.bytes)
  const within = (offset: number, size: number): boolean => offset >= tail.offset && offset + size <= tail.offset + tail.bytes.length
  for (let i = 0; i < header.getUint16(48, le); i++) {
    const sh = shoff + i * shentsize
    if (!within(sh, 40) || dv.getUint32(sh - tail.offset + 4, le) !== SHT_ARM_ATTRIBUTES) continue
    const offset = dv.getUint32(sh - tail.offset + 16, le)
    const size = dv.getUint32(sh - tail.offset + 20, le)
    return within(offset, size) ? tail.bytes.slice(offset - tail.offset, offset - tail.offset + size) : undefined
  }
  return undefined
}

/**
 * Tag_CPU_arch of the "aeabi" subsection's file-scope attributes (ARM IHI 0045, "Build
 * Attributes"): 'A', then subsections (u32 length, vendor name), each holding tagged
 * sub-subsections (Tag_File = 1, u32 size) of (ULEB128 tag, value) pairs. A value is a NUL-ended
 * string for tags 4, 5, 67 and odd tags over 32, else a ULEB128 (Tag_compatibility, 32, is both).
 */
function cpuArchAttribute(section: Uint8Array, le: boolean): number | undefined {
  if (section[0] !== 0x41) return undefined
  const dv = view(section)
  let position = 1
  while (position + 4 <= section.length) {
    const length = dv.getUint32(position, le)
    const end = position + length
    if (length < 5 || end > section.length) return undefined
    const nul = section.indexOf(0, position + 4)
    const vendor = Buffer.from(section.subarray(position + 4, nul)).toString('latin1')
    if (vendor === 'aeabi' && nul !== -1 && nul < end) {
      let at = nul + 1
      while (at + 5 <= end) {
        const tag = uleb(section, at)
        // A long ULEB128 tag can run past the subsection: then there is no size to read.
        if (tag.next + 4 > end) return undefined
        const size = dv.getUint32(tag.next, le)
        const stop = at + size
        if (size < 5 || stop > end) return undefined
        if (tag.value === 1) return attributeValue(section, tag.next + 4, stop, TAG_CPU_ARCH)
        at = stop
      }
    }
    position = end
  }
  return undefined
}

/** The ULEB128 value of `wanted` among the attributes in [start, end), read in order. */
function attributeValue(bytes: Uint8Array, start: number, end: number, wanted: number): number | undefined {
  let at = start
  while (at < end) {
    const tag = uleb(bytes, at)
    at = tag.next
    if (tag.value === wanted) return uleb(bytes, at).value
    const text = tag.value === 4 || tag.value === 5 || tag.value === 67 || (tag.value > 32 && tag.value % 2 === 1)
    if (tag.value === 32) at = uleb(bytes, at).next // Tag_compatibility: flag, then a string
    if (text || tag.value === 32) {
      const nul = bytes.indexOf(0, at)
      if (nul === -1 || nul >= end) return undefined
      at = nul + 1
    } else {
      at = uleb(bytes, at).next
    }
  }
  return undefined
}

function uleb(bytes: Uint8Array, start: number): {value: number; next: number} {
  let value = 0
  let shift = 0
  let at = start
  while (at < bytes.length && shift < 35) {
    const byte = bytes[at++]
    value += (byte & 0x7f) * 2 ** shift
    shift += 7
    if (!(byte & 0x80)) break
  }
  return {value, next: at}
}

/** The OCI variant an `.ARM.attributes` section asks for, when it says. */
export function armVariantOf(section: Uint8Array, littleEndian: boolean): ArmVariant | undefined {
  const cpuArch = cpuArchAttribute(section, littleEndian)
  return cpuArch === undefined ? undefined : variantOfCpuArch(cpuArch)
}
