import type {KeyObject} from 'node:crypto'

import {RegistryError} from '../../oci/errors.js'
import {shortDigest} from '../../oci/digest.js'
import {formatPlatform, normalizePlatform} from '../../oci/platform/normalize.js'
import {parsePlatform} from '../../oci/platform/parse.js'
import type {CheckContext, CheckProvider, CheckResult} from '../verify/types.js'
import {collectArtifacts} from './collect.js'
import type {Artifact, ProvenanceSummary, SubjectArtifacts} from './types.js'

export const SUPPLY_CHAIN_CHECK_IDS = [
  'provenance-missing',
  'sbom-missing',
  'signature',
  'provenance-source',
  'provenance-revision',
  'attestation-subject',
  'base-platform',
] as const

/** Which digests must carry a signature: the tag's index, every platform image, or at least one of them. */
export type SignatureScope = 'index' | 'each' | 'any'

export interface SupplyChainCheckOptions {
  requireProvenance?: boolean
  requireSbom?: boolean
  requireSignature?: SignatureScope
  /** Signatures must verify with this key; without one a signature that names the digest is enough. */
  key?: KeyObject
  /** The source repository the provenance must name (`https://github.com/o/r`, `.git` and `#ref` ignored). */
  expectSource?: string
  /** The commit the provenance must name (full sha1, or a prefix of at least 7 hex digits). */
  expectRevision?: string
}

/**
 * verify's supply-chain checks: what must be attached (provenance, SBOM, signature), what the
 * provenance must say (source, revision), that every attestation and signature names the digest
 * the tag points to now, and `base-platform`. They read the artifacts once per reference.
 */
export function supplyChainChecks(options: SupplyChainCheckOptions): CheckProvider {
  return {
    ids: SUPPLY_CHAIN_CHECK_IDS,
    async run(context: CheckContext): Promise<CheckResult[]> {
      const {subjects, lookupProblems} = await collectArtifacts(context.source, context.tree, {key: options.key})
      // Checks on a partial view would pass what they could not see.
      if (lookupProblems.length > 0) throw new RegistryError(lookupProblems[0], 'unreadable')
      const result = (id: string, status: CheckResult['status'], message: string, platform?: string): CheckResult => ({
        id,
        status,
        message,
        reference: context.reference,
        ...(platform === undefined ? {} : {platform}),
      })
      const platforms = subjects.filter((subject) => subject.target !== 'index')
      const checks: CheckResult[] = []
      if (options.requireProvenance) checks.push(...platforms.map((s) => presence(s, 'provenance', result)))
      if (options.requireSbom) checks.push(...platforms.map((s) => presence(s, 'sbom', result)))
      if (options.requireSignature) checks.push(...signatureChecks(subjects, options.requireSignature, options.key !== undefined, result))
      if (options.expectSource !== undefined) checks.push(...platforms.map((s) => sourceCheck(s, options.expectSource!, result)))
      if (options.expectRevision !== undefined) checks.push(...platforms.map((s) => revisionCheck(s, options.expectRevision!, result)))
      checks.push(subjectCheck(subjects, result))
      for (const subject of platforms) {
        const check = basePlatformCheck(subject, result)
        if (check) checks.push(check)
      }
      return checks
    },
  }
}

export type Result = (id: string, status: CheckResult['status'], message: string, platform?: string) => CheckResult

const readable = (subject: SubjectArtifacts, kind: Artifact['kind']): Artifact[] =>
  subject.artifacts.filter((artifact) => artifact.kind === kind && artifact.unreadable === null)

const where = (artifact: Artifact): string =>
  ({index: 'in the index', 'referrers-api': 'as a referrer', 'referrers-tag': 'in the referrers tag', 'cosign-tag': 'in a cosign tag'})[
    artifact.origin
  ]

function presence(subject: SubjectArtifacts, kind: 'provenance' | 'sbom', result: Result): CheckResult {
  const id = `${kind}-missing`
  const name = kind === 'sbom' ? 'SBOM' : 'provenance'
  const found = readable(subject, kind)
  if (found.length > 0) return result(id, 'pass', `${name} attached ${where(found[0])}`, subject.target)
  const broken = subject.artifacts.find((artifact) => artifact.kind === kind && artifact.unreadable !== null)
  if (broken) return result(id, 'fail', `${name} is attached but cannot be read: ${broken.unreadable}`, subject.target)
  return result(
    id,
    'fail',
    `no ${name} is attached to the ${subject.target} image (docker buildx build ${kind === 'sbom' ? '--sbom=true' : '--provenance=mode=max'} attaches one)`,
    subject.target,
  )
}

function signatureChecks(subjects: SubjectArtifacts[], scope: SignatureScope, keyGiven: boolean, result: Result): CheckResult[] {
  const index = subjects.find((subject) => subject.target === 'index')
  const platforms = subjects.filter((subject) => subject.target !== 'index')
  const judge = (subject: SubjectArtifacts): {ok: boolean; message: string} => {
    const signatures = readable(subject, 'signature').filter((artifact) => artifact.signature!.signedDigest === subject.digest)
    const valid = signatures.find((artifact) => artifact.signature!.verification === 'valid')
    if (valid) return {ok: true, message: `signed (cosign, ${where(valid)}), verified with the key`}
    if (keyGiven) {
      const invalid = signatures.find((artifact) => artifact.signature!.verification === 'invalid')
      return {
        ok: false,
        message: invalid
          ? `its signature does not verify with the key: ${invalid.signature!.problem}`
          : 'no signature that verifies with the key',
      }
    }
    if (signatures.length > 0) return {ok: true, message: `signed (cosign, ${where(signatures[0])}); not verified: no --key`}
    const bundle = readable(subject, 'sigstore-bundle')[0]
    if (bundle)
      return {ok: true, message: `a sigstore bundle is attached ${where(bundle)}; not verified (keyless verification is not supported)`}
    return {ok: false, message: 'no signature of this digest is attached'}
  }
  if (scope === 'each')
    return platforms
      .map((subject) => ({subject, ...judge(subject)}))
      .map(({subject, ok, message}) => result('signature', ok ? 'pass' : 'fail', message, subject.target))
  const top = index ?? platforms[0]
  if (scope === 'index') {
    const {ok, message} = judge(top)
    return [
      result(
        'signature',
        ok ? 'pass' : 'fail',
        `${top.target === 'index' ? 'the index' : 'the image'} ${shortDigest(top.digest)}: ${message}`,
      ),
    ]
  }
  const signed = subjects.map((subject) => ({subject, ...judge(subject)})).find(({ok}) => ok)
  return [
    signed
      ? result('signature', 'pass', `${signed.subject.target} ${shortDigest(signed.subject.digest)}: ${signed.message}`)
      : result(
          'signature',
          'fail',
          keyGiven
            ? 'neither the index nor any platform image has a signature that verifies with the key'
            : 'neither the index nor any platform image is signed',
        ),
  ]
}

/** `https://github.com/o/r.git#refs/tags/v1` and `https://github.com/o/r/` both → `https://github.com/o/r`. */
const normaliseSource = (uri: string): string =>
  uri
    .replace(/#.*$/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .toLowerCase()

const provenances = (subject: SubjectArtifacts): ProvenanceSummary[] =>
  readable(subject, 'provenance').map((artifact) => artifact.provenance!)

function sourceCheck(subject: SubjectArtifacts, expected: string, result: Result): CheckResult {
  const found = provenances(subject)
  if (found.length === 0)
    return result('provenance-source', 'fail', 'no readable provenance says where the image was built from', subject.target)
  const want = normaliseSource(expected)
  const verified = found.find((p) => p.configSource.uri !== null && normaliseSource(p.configSource.uri) === want)
  if (verified) return result('provenance-source', 'pass', `built from ${verified.configSource.uri}`, subject.target)
  const hinted = found.find((p) => p.vcsHint?.source && normaliseSource(p.vcsHint.source) === want)
  if (hinted)
    return result(
      'provenance-source',
      'warn',
      `only the build client's vcs hint names ${expected}; the builder did not verify it (a local build context)`,
      subject.target,
    )
  const named = found.map((p) => p.configSource.uri ?? p.vcsHint?.source).find(Boolean)
  return result('provenance-source', 'fail', `the provenance names ${named ?? 'no source'}, not ${expected}`, subject.target)
}

function revisionCheck(subject: SubjectArtifacts, expected: string, result: Result): CheckResult {
  const found = provenances(subject)
  if (found.length === 0)
    return result('provenance-revision', 'fail', 'no readable provenance says which revision was built', subject.target)
  const want = expected.toLowerCase()
  const matches = (revision: string | null | undefined): boolean =>
    revision !== null && revision !== undefined && revision.toLowerCase().startsWith(want)
  const verified = found.find((p) => matches(p.configSource.digest.sha1))
  if (verified) return result('provenance-revision', 'pass', `built from revision ${verified.configSource.digest.sha1}`, subject.target)
  if (found.some((p) => matches(p.vcsHint?.revision)))
    return result(
      'provenance-revision',
      'warn',
      `only the build client's vcs hint names revision ${expected}; the builder did not verify it`,
      subject.target,
    )
  const named = found.map((p) => p.configSource.digest.sha1 ?? p.vcsHint?.revision).find(Boolean)
  return result('provenance-revision', 'fail', `the provenance names revision ${named ?? 'none'}, not ${expected}`, subject.target)
}

/** Every attestation and signature names the digest it is attached to: the digest the tag points to now. */
function subjectCheck(subjects: SubjectArtifacts[], result: Result): CheckResult {
  const stale = subjects.flatMap((subject) =>
    subject.artifacts
      .filter((artifact) => artifact.unreadable === null && artifact.subjects.length > 0 && !artifact.subjects.includes(subject.digest))
      .map(
        (artifact) =>
          `the ${artifact.kind} of ${subject.target} (${where(artifact)}) names ${artifact.subjects.map(shortDigest).join(', ')}, not ${shortDigest(subject.digest)}`,
      ),
  )
  if (stale.length === 0) return result('attestation-subject', 'pass', 'every attestation and signature names the digest it is attached to')
  return result('attestation-subject', 'fail', `${stale.join('; ')}: left over from an earlier push, or copied from another image`)
}

const platformOf = (spec: string): string | undefined => {
  try {
    return formatPlatform(normalizePlatform(parsePlatform(spec)))
  } catch {
    return undefined
  }
}

/**
 * `FROM --platform=$BUILDPLATFORM` on the final stage makes every platform's image from the
 * build machine's base: the arm64 image holds amd64 binaries. The provenance shows it: no
 * `pkg:docker` base was resolved for the image's own platform. A cross-compiling builder stage on
 * the build platform next to a base for the target is fine.
 */
export function basePlatformCheck(subject: SubjectArtifacts, result: Result): CheckResult | undefined {
  const own = platformOf(subject.target)
  const provenance = provenances(subject)[0]
  if (own === undefined || provenance === undefined) return undefined
  const bases = provenance.materials.filter((material) => material.image?.platform)
  if (bases.length === 0) return undefined
  if (bases.some((material) => platformOf(material.image!.platform!) === own))
    return result('base-platform', 'pass', `a base image was resolved for ${own}`, subject.target)
  const resolved = [...new Set(bases.map((material) => material.image!.platform!))].join(', ')
  const final = provenance.finalStageBase
  const finalNote = final ? `; the final stage starts FROM ${final.image} (${final.platform ?? 'platform unknown'})` : ''
  return result(
    'base-platform',
    'fail',
    `the ${own} image was built on base images resolved for ${resolved} only${finalNote}: FROM --platform=$BUILDPLATFORM on the final stage puts the build machine's binaries in every image`,
    subject.target,
  )
}
