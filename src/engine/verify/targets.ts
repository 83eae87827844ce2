import {UsageError} from '../../oci/errors.js'
import {formatSourceSpec, parseReference, validateDigest, type SourceSpec} from '../../oci/reference.js'
import type {BuildMetadata} from './metadata-file.js'

/** One image to verify and the digest it must point to, if known. */
export interface VerifyTargetSpec {
  spec: SourceSpec
  expectDigest?: string
}

/**
 * The references a run verifies: those given, then every name in the metadata file, each once.
 * A metadata name pushed without a tag (push-by-digest) is checked as `name@digest`. The expected
 * digest is the target's own, else --expect-digest, else the digest of the build that named the
 * reference, else the only build's digest.
 */
export function listTargets(
  references: readonly VerifyTargetSpec[],
  options: {expectDigest?: string; metadata?: BuildMetadata[]},
): VerifyTargetSpec[] {
  const {expectDigest, metadata = []} = options
  if (expectDigest) validateDigest(expectDigest)
  if (expectDigest && metadata.some((build) => build.digest !== expectDigest)) {
    throw new UsageError(
      `--expect-digest ${expectDigest} contradicts the metadata file's digest ${metadata.find((build) => build.digest !== expectDigest)!.digest}`,
    )
  }
  // Each name, as reports show it, with its build's digest and its parsed form.
  const byName = new Map<string, {digest: string; spec: SourceSpec}>()
  for (const build of metadata) {
    for (const name of build.names) {
      const reference = parseReference(name)
      if (!reference.tag && !reference.digest) reference.digest = build.digest
      const spec: SourceSpec = {kind: 'registry', reference}
      byName.set(formatSourceSpec(spec), {digest: build.digest, spec})
    }
  }
  const targets = new Map<string, VerifyTargetSpec>()
  const add = (spec: SourceSpec, digest: string | undefined): void => {
    targets.set(`${formatSourceSpec(spec)} ${digest ?? ''}`, digest ? {spec, expectDigest: digest} : {spec})
  }
  for (const {spec, expectDigest: own} of references) {
    if (own) validateDigest(own)
    const named = byName.get(formatSourceSpec(spec))?.digest
    add(spec, own ?? expectDigest ?? named ?? (metadata.length === 1 ? metadata[0].digest : undefined))
  }
  const named = new Set([...targets.values()].map((target) => formatSourceSpec(target.spec)))
  for (const [name, {digest, spec}] of byName) if (!named.has(name)) add(spec, digest)
  if (targets.size === 0) {
    throw new UsageError(
      metadata.length > 0
        ? 'the metadata file names no image ("image.name" is empty): give the references to verify'
        : 'no image to verify: give one or more references',
    )
  }
  return [...targets.values()]
}
