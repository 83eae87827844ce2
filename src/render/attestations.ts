import type {Artifact, AttestationsResult, ProvenanceSummary} from '../api/attestations.js'
import {shortDigest} from '../oci/digest.js'
import {sanitizeDeep} from '../oci/sanitize.js'
import type {Style} from './style.js'

const ORIGIN_LABELS: Record<Artifact['origin'], string> = {
  index: 'in index',
  'referrers-api': 'referrers API',
  'referrers-tag': 'referrers tag',
  'cosign-tag': 'cosign tag',
}

/** `archcheck attestations`: per subject (index, each platform), what is attached, from where, and what it says. */
export function renderAttestations(raw: AttestationsResult, style: Style): string {
  const result = sanitizeDeep(raw)
  const lines = [`${style.bold(result.reference)} ${style.dim(result.digest)}`]
  for (const subject of result.subjects) {
    const where =
      subject.referrersApi === false
        ? ' (no referrers API: fallback tag read)'
        : subject.referrersApi === null
          ? ' (no referrers API in this source)'
          : ''
    lines.push('', `${style.bold(subject.target)} ${style.dim(shortDigest(subject.digest))}${style.dim(where)}`)
    if (subject.artifacts.length === 0) lines.push(`  ${style.dim('nothing attached')}`)
    for (const artifact of subject.artifacts) lines.push(...artifactLines(artifact, subject.digest, result.keyGiven, style))
  }
  if (result.sbomDiff) lines.push('', ...sbomDiffLines(result.sbomDiff, style))
  for (const problem of result.lookupProblems) lines.push('', style.red(`could not look: ${problem}`))
  return `${lines.join('\n')}\n`
}

function artifactLines(artifact: Artifact, subjectDigest: string, keyGiven: boolean, style: Style): string[] {
  const head = `  ${artifact.kind.padEnd(15)} ${ORIGIN_LABELS[artifact.origin].padEnd(14)}`
  const detail = (text: string): string => `${' '.repeat(33)}${text}`
  if (artifact.unreadable !== null) return [`${head} ${style.red('present but unreadable')}: ${artifact.unreadable}`]
  const envelope = artifact.envelope === null ? '' : style.dim(` (${artifact.envelope === 'dsse' ? 'DSSE envelope' : 'plain statement'})`)
  const foreign = artifact.subjects.length > 0 && !artifact.subjects.includes(subjectDigest)
  const subjectNote = foreign ? [detail(style.red(`names ${artifact.subjects.map(shortDigest).join(', ')}, not this digest`))] : []
  if (artifact.provenance)
    return [
      `${head} SLSA ${artifact.provenance.slsaVersion}${envelope}`,
      ...provenanceLines(artifact.provenance, style).map(detail),
      ...subjectNote,
    ]
  if (artifact.sbom) {
    const {format, version, tools, packages} = artifact.sbom
    const tool = tools.length > 0 ? `, by ${tools.join(', ')}` : ''
    return [`${head} ${format === 'spdx' ? 'SPDX' : 'CycloneDX'} ${version ?? '?'}, ${packages} packages${tool}${envelope}`, ...subjectNote]
  }
  if (artifact.signature) {
    const s = artifact.signature
    const status =
      s.verification === 'valid'
        ? style.green('✓ valid with the key')
        : s.verification === 'invalid'
          ? style.red(`✗ invalid: ${s.problem ?? ''}`)
          : style.yellow(keyGiven ? 'not verified' : 'not verified (no --key)')
    const signed = s.signedDigest === null ? 'signs no digest' : `signs ${shortDigest(s.signedDigest)}`
    const extras = Object.entries(s.annotations).map(([k, v]) => `${k}=${v}`)
    return [
      `${head} cosign ${signed} ${status}`,
      ...(s.identity ? [detail(`identity ${s.identity}`)] : []),
      ...(extras.length > 0 ? [detail(`annotations ${extras.join(', ')}`)] : []),
      ...subjectNote,
    ]
  }
  if (artifact.bundle) {
    const b = artifact.bundle
    return [
      `${head} sigstore bundle ${style.yellow('not verified (keyless verification is not supported)')}`,
      detail(b.certificateIdentity.length > 0 ? `certificate ${b.certificateIdentity.join(', ')}` : 'no certificate (public key bundle)'),
      ...(b.certificateIssuer ? [detail(`issued by ${b.certificateIssuer}`)] : []),
    ]
  }
  return [`${head} ${artifact.type}${envelope}`, ...subjectNote]
}

const yesNo = (value: boolean | null): string => (value === null ? '?' : value ? 'yes' : 'no')

function provenanceLines(p: ProvenanceSummary, style: Style): string[] {
  const lines: string[] = []
  if (p.builderId) lines.push(`builder ${p.builderId}`)
  const source = p.configSource
  const digest = Object.entries(source.digest).map(([algorithm, hex]) => `${algorithm}:${hex}`)
  if (source.uri || source.path) lines.push(`source ${[source.uri, digest.join(' '), source.path].filter(Boolean).join(' ')}`)
  if (p.vcsHint)
    lines.push(`vcs ${[p.vcsHint.source, p.vcsHint.revision].filter(Boolean).join(' @ ')} ${style.yellow('(hint, not verified)')}`)
  if (p.startedOn || p.finishedOn)
    lines.push(`built ${p.startedOn ?? '?'} → ${p.finishedOn ?? '?'}${p.builderPlatform ? ` on ${p.builderPlatform}` : ''}`)
  lines.push(
    `mode ${p.mode}, hermetic ${yesNo(p.hermetic)}, complete: parameters ${yesNo(p.completeness.parameters)}, materials ${yesNo(p.completeness.materials)}`,
  )
  for (const material of p.materials.filter((m) => m.image))
    lines.push(
      `base ${material.image!.name}${material.image!.version ? `:${material.image!.version}` : ''} for ${material.image!.platform ?? 'any platform'} ${shortDigest(`sha256:${material.digest.sha256 ?? '?'}`)}`,
    )
  if (p.finalStageBase) lines.push(`final stage FROM ${p.finalStageBase.image} (${p.finalStageBase.platform ?? 'platform unknown'})`)
  return lines
}

/** Names shown per side of an SBOM difference; the JSON has them all. */
const DIFF_NAMES_SHOWN = 10

function sbomDiffLines(diffs: NonNullable<AttestationsResult['sbomDiff']>, style: Style): string[] {
  if (diffs.length === 0) return [style.dim('SBOM differences: fewer than two platforms have a readable SBOM')]
  const names = (list: string[]): string =>
    list.length > DIFF_NAMES_SHOWN
      ? `${list.slice(0, DIFF_NAMES_SHOWN).join(', ')}, … (${list.length - DIFF_NAMES_SHOWN} more)`
      : list.join(', ')
  return [
    style.bold(`SBOM differences (against ${diffs[0].against})`),
    ...diffs.flatMap((diff) =>
      diff.onlyHere.length === 0 && diff.missingHere.length === 0
        ? [`  ${diff.platform}: the same packages`]
        : [
            `  ${diff.platform}: ${diff.onlyHere.length} only here, ${diff.missingHere.length} missing here`,
            ...(diff.onlyHere.length > 0 ? [`    + ${names(diff.onlyHere)}`] : []),
            ...(diff.missingHere.length > 0 ? [`    - ${names(diff.missingHere)}`] : []),
          ],
    ),
  ]
}
