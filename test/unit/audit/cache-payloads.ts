import {createHash} from 'node:crypto'

/** Deterministic 1 MiB payload number `i` and its digest: every process derives the same bytes. */
export function payload(i: number, size = 1024 * 1024): {digest: string; bytes: Buffer} {
  const bytes = Buffer.alloc(size)
  let block = createHash('sha256').update(`payload ${i}`).digest()
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(bytes, offset)
    block = createHash('sha256').update(block).digest()
  }
  return {digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes}
}
