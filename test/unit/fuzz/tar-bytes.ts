/**
 * Raw tar blocks for hostile-input tests: fields are written as given (a size of "abc" or "-1536"
 * stays so), and the header checksum is made right, so parsers get past it to the field under test.
 */
export const BLOCK = 512

export interface RawHeader {
  name: string
  /** The size field's text as written (octal by convention), or a number written in octal. */
  size?: string | number
  /** Type flag: '0' file, '5' directory, 'x' pax, 'L' GNU long name, … */
  type?: string
  mode?: number
  linkname?: string
  /** Write the ustar magic (default true). */
  ustar?: boolean
  /** Bytes written over the header after the fields, before the checksum ([offset, bytes]). */
  patch?: Array<[number, Uint8Array]>
}

export function tarHeader(header: RawHeader): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(header.name.slice(0, 100), 0, 'utf8')
  block.write(`${(header.mode ?? 0o755).toString(8).padStart(7, '0')}\0`, 100, 'latin1')
  block.write('0000000\0', 108, 'latin1')
  block.write('0000000\0', 116, 'latin1')
  const size = typeof header.size === 'string' ? header.size : `${(header.size ?? 0).toString(8).padStart(11, '0')}\0`
  block.write(size.slice(0, 12), 124, 'latin1')
  block.write('00000000000\0', 136, 'latin1')
  block.write(header.type ?? '0', 156, 'latin1')
  if (header.linkname) block.write(header.linkname.slice(0, 100), 157, 'utf8')
  if (header.ustar ?? true) block.write('ustar\x0000', 257, 'latin1')
  for (const [offset, bytes] of header.patch ?? []) block.set(bytes.subarray(0, BLOCK - offset), offset)
  setChecksum(block)
  return block
}

/** Writes the checksum field of a header block from its bytes (the field itself counted as spaces). */
export function setChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
}

/** Contents padded to whole blocks. */
export function tarData(bytes: Uint8Array | string): Buffer {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes)
  return Buffer.concat([data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)])
}

/** One pax record, `LENGTH key=value\n`, its length counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  let length = body.length + 1
  while (`${length}${body}`.length !== length) length = `${length}${body}`.length
  return `${length}${body}`
}

/** Two zero blocks: the end-of-archive marker. */
export const END = Buffer.alloc(2 * BLOCK)
