import {UsageError} from '../../oci/errors.js'
import {parseSourceSpec} from '../../source/open.js'
import {formatReference, parseReference, validateDigest} from '../../oci/reference.js'
import type {BuildMetadata} from './metadata-file.js'

/** One reference to verify and the digest it must point to, if known. */
export interface VerifyTarget {
  reference: string
  expectDigest?: string
}

/**
 * A source spec in the form reports show: registry references normalised (`alpine` →
 * `docker.io/library/alpine`, `docker://` dropped), local `oci-layout:`/`oci-archive:` specs as
 * given. Throws a UsageError for a bad reference before anything is read.
 */
export function normaliseSpec(spec: string): string {
  const parsed = parseSourceSpec(spec)
  return parsed.kind === 'registry' ? formatReference(parseReference(parsed.reference)) : spec
}

/**
 * The references a run verifies: those given, then every name in the metadata file, each once.
 * A metadata name pushed without a tag (push-by-digest) is checked as `name@digest`. The expected
 * digest is --expect-digest, else the digest of the build that named the reference, else the only
 * build's digest.
 */
export function verifyTargets(references: readonly string[], options: {expectDigest?: string; metadata?: BuildMetadata[]}): VerifyTarget[] {
  const {expectDigest, metadata = []} = options
  if (expectDigest) validateDigest(expectDigest)
  if (expectDigest && metadata.some((build) => build.digest !== expectDigest)) {
    throw new UsageError(`--expect-digest ${expectDigest} contradicts the metadata file's digest ${metadata.find((build) => build.digest !== expectDigest)!.digest}`)
  }
  const byName = new Map<string, string>()
  const targets = new Map<string, VerifyTarget>()
  for (const build of metadata) {
    for (const name of build.names) {
      const parsed = parseReference(name)
      if (!parsed.tag && !parsed.digest) parsed.digest = build.digest
      const normalised = formatReference(parsed)
      byName.set(normalised, build.digest)
    }
  }
  for (const reference of references) {
    const normalised = normaliseSpec(reference)
    const digest = expectDigest ?? byName.get(normalised) ?? (metadata.length === 1 ? metadata[0].digest : undefined)
    targets.set(normalised, digest ? {reference: normalised, expectDigest: digest} : {reference: normalised})
  }
  for (const [name, digest] of byName) if (!targets.has(name)) targets.set(name, {reference: name, expectDigest: digest})
  if (targets.size === 0) {
    throw new UsageError(metadata.length > 0 ? 'the metadata file names no image ("image.name" is empty): give the references to verify' : 'no image to verify: give one or more references')
  }
  return [...targets.values()]
}
