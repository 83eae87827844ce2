import {createHash, type Hash} from 'node:crypto'
import {Transform} from 'node:stream'

import {RegistryError} from './errors.js'
import {validateDigest} from './reference.js'

/** Largest manifest, image config or index.json read whole, unless the user raises it (registries refuse pushes over 4 MiB). */
export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024

/** Whether `text` is a well-formed digest of a supported algorithm (for content that is not user input). */
export function isDigest(text: string): boolean {
  try {
    validateDigest(text)
    return true
  } catch {
    return false
  }
}

/** `sha256:0123456789ab`: enough to tell digests apart in a sentence or a table. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':')
  return colon === -1 ? digest.slice(0, 12) : digest.slice(0, colon + 13)
}

const algorithmOf = (digest: string): string => digest.slice(0, digest.indexOf(':'))

/** A hash for the algorithm of `digest` (sha256 or sha512; a malformed digest is a UsageError). */
function hashFor(digest: string): Hash {
  validateDigest(digest)
  return createHash(algorithmOf(digest))
}

/** `ALGORITHM:HEX` of `bytes`. */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`
}

/** Whether `bytes` hash to `digest`, with the digest's own algorithm. */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  return `${algorithmOf(digest)}:${hashFor(digest).update(bytes).digest('hex')}` === digest
}

const mismatch = (what: string, digest: string, where: string | undefined, problem: string): RegistryError =>
  new RegistryError(`${what} ${digest}${where ? ` in ${where}` : ''} ${problem}`, 'digest-mismatch')

/**
 * Throws RegistryError 'digest-mismatch' unless `bytes` hash to `digest`. `what` names the
 * object ("blob", "manifest"), `where` the source it came from.
 */
export function verifyDigest(bytes: Uint8Array, digest: string, what: string, where?: string): void {
  if (!matchesDigest(bytes, digest))
    throw mismatch(what, digest, where, `does not match its content (the bytes hash to ${digestOf(bytes, algorithmOf(digest))})`)
}

/** A pass-through that hashes what flows through it and fails the stream at the end when the bytes do not hash to `digest`. */
export function verifyingStream(digest: string, what: string, where?: string): Transform {
  const hash = hashFor(digest)
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      callback(null, chunk)
    },
    flush(callback) {
      const actual = `${algorithmOf(digest)}:${hash.digest('hex')}`
      callback(actual === digest ? undefined : mismatch(what, digest, where, `does not match its content (the bytes hash to ${actual})`))
    },
  })
}

/** Refuses an object larger than `maxBytes` before reading it. */
export function checkSize(size: number, maxBytes: number, what: string, digest: string): void {
  if (size > maxBytes) {
    throw new RegistryError(
      `${what} ${digest} is ${size} bytes, more than the limit of ${maxBytes} bytes (raise it with --max-manifest-size)`,
      'too-large',
    )
  }
}
