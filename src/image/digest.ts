import {createHash} from 'node:crypto'
import {Transform} from 'node:stream'

import {RegistryError} from '../errors.js'

const DIGEST_RE = /^(sha256|sha512):([a-f0-9]+)$/
const HEX_LENGTH: Record<string, number> = {sha256: 64, sha512: 128}

/** The algorithm and hex of a well-formed sha256/sha512 digest; undefined for anything else. */
export function splitDigest(digest: string): {algorithm: 'sha256' | 'sha512'; hex: string} | undefined {
  const match = DIGEST_RE.exec(digest)
  if (!match || match[2].length !== HEX_LENGTH[match[1]]) return undefined
  return {algorithm: match[1] as 'sha256' | 'sha512', hex: match[2]}
}

export const isDigest = (text: string): boolean => splitDigest(text) !== undefined

/** The digest of `bytes` with the algorithm `like` uses (sha256 by default). */
export function digestOf(bytes: Uint8Array, like = 'sha256:'): string {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256'
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`
}

const mismatch = (what: string, digest: string, where: string | undefined, problem: string): RegistryError =>
  new RegistryError(`${what} ${digest}${where ? ` in ${where}` : ''} ${problem}`, 'digest-mismatch')

/**
 * Throws RegistryError 'digest-mismatch' unless `bytes` hash to `digest`. `what` names the
 * object ("blob", "manifest"), `where` the source it came from.
 */
export function verifyDigest(bytes: Uint8Array, digest: string, what: string, where?: string): void {
  const actual = digestOf(bytes, digest)
  if (actual !== digest) throw mismatch(what, digest, where, `does not match its content (the bytes hash to ${actual})`)
}

/**
 * A pass-through that hashes what flows through it and fails the stream at the end when the
 * bytes do not hash to `digest` (or their count differs from `expectedSize`).
 */
export function verifyingStream(digest: string, what: string, where?: string, expectedSize?: number): Transform {
  const hash = createHash(digest.startsWith('sha512:') ? 'sha512' : 'sha256')
  let size = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      size += chunk.length
      callback(null, chunk)
    },
    flush(callback) {
      const actual = `${digest.split(':')[0]}:${hash.digest('hex')}`
      if (actual !== digest) callback(mismatch(what, digest, where, `does not match its content (the bytes hash to ${actual})`))
      else if (expectedSize !== undefined && size !== expectedSize) callback(mismatch(what, digest, where, `is ${size} bytes, expected ${expectedSize}`))
      else callback()
    },
  })
}

/** Refuses an object larger than `maxBytes` before reading it. */
export function checkSize(size: number, maxBytes: number, what: string, digest: string): void {
  if (size > maxBytes) {
    throw new RegistryError(`${what} ${digest} is ${size} bytes, more than the limit of ${maxBytes} bytes (raise it with --max-manifest-size)`, 'too-large')
  }
}

export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024
