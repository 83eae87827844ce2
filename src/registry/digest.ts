import {createHash, type Hash} from 'node:crypto'

import {validateDigest} from './reference.js'

/** A hash for the algorithm of `digest` (sha256 or sha512; validated). */
export function hashFor(digest: string): Hash {
  validateDigest(digest)
  return createHash(digest.slice(0, digest.indexOf(':')))
}

/** `ALGORITHM:HEX` of `bytes`. */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`
}

/** Whether `bytes` hash to `digest`, with the digest's own algorithm. */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  return `${digest.slice(0, digest.indexOf(':'))}:${hashFor(digest).update(bytes).digest('hex')}` === digest
}
