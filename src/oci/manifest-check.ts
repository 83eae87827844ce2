import {RegistryError} from './errors.js'
import {digestOf, matchesDigest} from './digest.js'
import {isObject} from './manifest.js'
import {SCHEMA1_MESSAGE, isSchema1Type} from './media-types.js'

/** Content types some registries send that say nothing about the manifest kind. */
const GENERIC_CONTENT_TYPES = new Set(['', 'application/json', 'application/octet-stream', 'text/plain'])

export interface ServedManifest {
  bytes: Uint8Array
  /** The Content-Type header, if any. */
  contentType: string | null
  /** The Docker-Content-Digest header, if any. */
  dockerContentDigest: string | null
  /** The tag or digest that was asked for. */
  requested: string
  /** For messages: `docker.io/library/alpine`. */
  where: string
  /**
   * The bytes' sha256 digest when the caller has just verified it (bytes read back from the
   * content cache by digest, which re-hashes them): not hashed again. A warm audit reads the same
   * few cached indexes for every tag.
   */
  sha256?: string
}

/**
 * Verifies a manifest as served and returns its media type and sha256 digest: the bytes must hash
 * to the requested digest (or to Docker-Content-Digest when fetched by tag), be a JSON object, not
 * schema 1, and carry a `mediaType` that agrees with Content-Type.
 */
export function checkManifest(served: ServedManifest): {mediaType: string; digest: string} {
  const {bytes, requested, where} = served
  const contentType = (served.contentType ?? '').split(';')[0].trim().toLowerCase()
  const body = parseJson(bytes)
  const {mediaType: declared, schemaVersion} = (isObject(body) ? body : {}) as {mediaType?: unknown; schemaVersion?: unknown}
  // Schema 1 is named before the digest check: a signed schema 1 manifest's digest is that of its
  // payload without the signatures, so it never matches the bytes and would hide the real reason.
  if (isSchema1Type(contentType) || schemaVersion === 1 || (typeof declared === 'string' && isSchema1Type(declared))) {
    throw new RegistryError(`${where}@${requested}: ${SCHEMA1_MESSAGE}`, 'unsupported')
  }
  const byDigest = requested.includes(':')
  const expected = byDigest ? requested : served.dockerContentDigest?.trim() || undefined
  // One hash of the bytes serves the check and the digest returned (most digests are sha256).
  const sha256 = served.sha256 ?? digestOf(bytes)
  const matches = expected === undefined || expected === sha256 || (!expected.startsWith('sha256:') && matchesDigestSafely(bytes, expected))
  if (!matches) {
    const source = byDigest ? 'the requested digest' : `the registry's Docker-Content-Digest ${expected}`
    throw new RegistryError(`manifest ${requested} of ${where} does not match ${source}: its bytes hash to ${sha256}`, 'digest-mismatch')
  }
  if (body === undefined) {
    throw new RegistryError(
      `manifest ${requested} of ${where} is not valid JSON (truncated or corrupt, ${bytes.byteLength} bytes)`,
      'malformed',
    )
  }
  if (!isObject(body)) throw new RegistryError(`manifest ${requested} of ${where} is not a JSON object`, 'malformed')
  if (declared !== undefined && typeof declared !== 'string') {
    throw new RegistryError(`manifest ${requested} of ${where} has a mediaType that is not a string`, 'malformed')
  }
  const headerType = GENERIC_CONTENT_TYPES.has(contentType) ? undefined : contentType
  if (declared && headerType && declared !== headerType) {
    throw new RegistryError(
      `manifest ${requested} of ${where} was served as ${headerType} but declares mediaType ${declared}`,
      'media-type-mismatch',
    )
  }
  const mediaType = declared || headerType
  if (!mediaType) {
    throw new RegistryError(
      `manifest ${requested} of ${where} has no mediaType and the registry sent no specific Content-Type`,
      'malformed',
    )
  }
  return {mediaType, digest: sha256}
}

/** Decodes whole texts only (no stream state kept between calls), so one serves every call. */
const STRICT_UTF8 = new TextDecoder('utf-8', {fatal: true})

/** The JSON value of `bytes`, or undefined when they are not UTF-8 JSON. */
function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(STRICT_UTF8.decode(bytes))
  } catch {
    return undefined
  }
}

/** A malformed Docker-Content-Digest counts as a mismatch, not as bad user input. */
function matchesDigestSafely(bytes: Uint8Array, digest: string): boolean {
  try {
    return matchesDigest(bytes, digest)
  } catch {
    return false
  }
}
