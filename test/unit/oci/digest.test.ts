// Every object read is checked against its digest; the messages name the object and what its bytes hash to.
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {Writable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {checkSize, digestOf, isDigest, matchesDigest, shortDigest, verifyDigest, verifyingStream} from '../../../src/oci/digest.js'
import {RegistryError, UsageError} from '../../../src/oci/errors.js'

const BYTES = Buffer.from('hello')
const SHA256 = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
const OTHER = `sha256:${'0'.repeat(64)}`

describe('digests', () => {
  it('hashes with sha256 or sha512 and checks bytes against either', () => {
    expect(digestOf(BYTES)).toBe(SHA256)
    const sha512 = digestOf(BYTES, 'sha512')
    expect(sha512).toMatch(/^sha512:[a-f0-9]{128}$/)
    expect([matchesDigest(BYTES, SHA256), matchesDigest(BYTES, sha512), matchesDigest(BYTES, OTHER)]).toEqual([true, true, false])
  })

  it('tells well-formed digests from the rest, and refuses to check against a malformed one', () => {
    expect([isDigest(SHA256), isDigest('sha256:abc'), isDigest('md5:' + 'a'.repeat(32)), isDigest('latest')]).toEqual([
      true,
      false,
      false,
      false,
    ])
    expect(() => matchesDigest(BYTES, 'sha256:ABC')).toThrow(UsageError)
  })

  it('shortens to the algorithm and 12 hex digits', () => {
    expect(shortDigest(SHA256)).toBe('sha256:2cf24dba5fb0')
    expect(shortDigest('2cf24dba5fb0a30e26e8')).toBe('2cf24dba5fb0')
  })
})

describe('verifyDigest', () => {
  it('names the object, where it came from and what the bytes hash to', () => {
    expect(() => verifyDigest(BYTES, SHA256, 'blob')).not.toThrow()
    let error: unknown
    try {
      verifyDigest(BYTES, OTHER, 'manifest', 'r.example/app')
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(RegistryError)
    expect([(error as RegistryError).kind, (error as RegistryError).message]).toEqual([
      'digest-mismatch',
      `manifest ${OTHER} in r.example/app does not match its content (the bytes hash to ${SHA256})`,
    ])
  })
})

describe('verifyingStream', () => {
  const drain = (digest: string): Promise<Buffer> => {
    const chunks: Buffer[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk)
        callback()
      },
    })
    return pipeline(Readable.from([Buffer.from('hel'), Buffer.from('lo')]), verifyingStream(digest, 'blob', 'layout'), sink).then(() =>
      Buffer.concat(chunks),
    )
  }

  it('passes the bytes through when they hash to the digest', async () => {
    expect((await drain(SHA256)).toString()).toBe('hello')
  })

  it('fails the stream at its end when they do not', async () => {
    await expect(drain(OTHER)).rejects.toThrow(`blob ${OTHER} in layout does not match its content (the bytes hash to ${SHA256})`)
  })
})

describe('checkSize', () => {
  it('refuses an object over the limit before reading it, saying how to raise it', () => {
    expect(() => checkSize(4, 4, 'manifest', SHA256)).not.toThrow()
    expect(() => checkSize(5, 4, 'manifest', SHA256)).toThrow(
      `manifest ${SHA256} is 5 bytes, more than the limit of 4 bytes (raise it with --max-manifest-size)`,
    )
  })
})
