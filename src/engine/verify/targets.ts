import {UsageError} from '../../oci/errors.js'
import {checkNotLocalPath, parseSourceSpec} from '../../source/open.js'
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
 * given (skopeo's `oci:` as `oci-layout:`). A name that is a local path is refused with the prefix it needs. Throws a UsageError for a bad reference before anything is read.
 */
export function normalizeSpec(spec: string): string {
  const parsed = parseSourceSpec(spec)
  if (parsed.kind !== 'registry') return `${parsed.kind}:${parsed.path}`
  checkNotLocalPath(spec)
  return formatReference(parseReference(parsed.reference))
}

/**
 * The references a run verifies: those given, then every name in the metadata file, each once.
 * A metadata name pushed without a tag (push-by-digest) is checked as `name@digest`. The expected
 * digest is the target's own, else --expect-digest, else the digest of the build that named the
 * reference, else the only build's digest.
 */
export function listTargets(
  references: ReadonlyArray<string | VerifyTarget>,
  options: {expectDigest?: string; metadata?: BuildMetadata[]},
): VerifyTarget[] {
  const {expectDigest, metadata = []} = options
  if (expectDigest) validateDigest(expectDigest)
  if (expectDigest && metadata.some((build) => build.digest !== expectDigest)) {
    throw new UsageError(
      `--expect-digest ${expectDigest} contradicts the metadata file's digest ${metadata.find((build) => build.digest !== expectDigest)!.digest}`,
    )
  }
  const byName = new Map<string, string>()
  for (const build of metadata) {
    for (const name of build.names) {
      const parsed = parseReference(name)
      if (!parsed.tag && !parsed.digest) parsed.digest = build.digest
      byName.set(formatReference(parsed), build.digest)
    }
  }
  const targets = new Map<string, VerifyTarget>()
  const add = (reference: string, digest: string | undefined): void => {
    targets.set(`${reference} ${digest ?? ''}`, digest ? {reference, expectDigest: digest} : {reference})
  }
  for (const entry of references) {
    const {reference, expectDigest: own} = typeof entry === 'string' ? {reference: entry, expectDigest: undefined} : entry
    if (own) validateDigest(own)
    const normalized = normalizeSpec(reference)
    add(normalized, own ?? expectDigest ?? byName.get(normalized) ?? (metadata.length === 1 ? metadata[0].digest : undefined))
  }
  const named = new Set([...targets.values()].map((target) => target.reference))
  for (const [name, digest] of byName) if (!named.has(name)) add(name, digest)
  if (targets.size === 0) {
    throw new UsageError(
      metadata.length > 0
        ? 'the metadata file names no image ("image.name" is empty): give the references to verify'
        : 'no image to verify: give one or more references',
    )
  }
  return [...targets.values()]
}
