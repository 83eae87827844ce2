/** The human output of `archcheck inspect`: a header, a table of platform entries, then attestations and the rest. */
import {MediaType} from '../oci/media-types.js'
import {formatBytes} from './format.js'
import type {InspectView, PlatformView, Presence, SupplyChainPresence} from '../api/inspect.js'
import type {Style} from './style.js'
import {digestCell, fitTable, secondsOnly, type Column, type FitOptions} from './fit.js'
import {sanitizeDeep} from '../oci/sanitize.js'

const MEDIA_TYPE_NAMES: Record<string, string> = {
  [MediaType.ociIndex]: 'OCI image index',
  [MediaType.ociManifest]: 'OCI image manifest',
  [MediaType.dockerList]: 'Docker manifest list',
  [MediaType.dockerManifest]: 'Docker image manifest v2 schema 2',
}

const MISMATCH_MARK = '✗ MISMATCH'

const PLATFORM_COLUMNS: Column[] = [
  {header: 'PLATFORM', wrap: true},
  {header: 'MANIFEST DIGEST', digest: true},
  {header: 'SIZE', drop: 2},
  {header: 'CONFIG PLATFORM', wrap: true},
  {header: 'LAYERS', drop: 4},
  {header: 'COMPRESSED', drop: 3},
  {header: 'CREATED', drop: 1},
]

/** The text of `archcheck inspect`; `fit` gives the width the tables must fit (see fit.ts). */
export async function renderInspect(
  original: InspectView & {supplyChain?: SupplyChainPresence[]},
  style: Style,
  fit: FitOptions = {},
): Promise<string> {
  // Platforms, media types, config fields and notes come from the registry: shown, never obeyed by the terminal.
  const view = sanitizeDeep(original)
  const lines: string[] = []
  const dropped = new Set<string>()
  let short = false
  const draw = async (columns: Column[], rows: string[][]): Promise<string> => {
    const table = await fitTable(columns, rows, style, fit)
    for (const header of table.dropped) dropped.add(header)
    short ||= table.short
    return table.text
  }
  const typeName = MEDIA_TYPE_NAMES[view.mediaType]
  lines.push(
    `${style.bold('Reference:')}  ${view.reference}`,
    `${style.bold('Digest:')}     ${view.digest}`,
    `${style.bold('Media type:')} ${view.mediaType}${typeName ? ` (${typeName}, ${formatBytes(view.size)})` : ''}`,
  )
  if (view.platformFilter) lines.push(`${style.bold('Filter:')}     --platform ${view.platformFilter}`)
  lines.push('')

  if (view.platforms.length > 0) {
    const rows: string[][] = []
    let group: string | null = view.kind === 'index' ? view.digest : null
    for (const row of view.platforms) {
      if (row.index !== group) {
        group = row.index
        const nested = view.indexes.find((i) => i.digest === row.index)
        // A row of its own, not a cell spanning the table: cli-table3 draws a broken rule around spans.
        if (nested) {
          const entries = `${nested.entries} ${nested.entries === 1 ? 'entry' : 'entries'}:`
          rows.push([
            style.cyan(`nested index${nested.platform ? ` (${nested.platform})` : ''}`),
            style.cyan(nested.digest),
            formatBytes(nested.size),
            style.cyan(entries),
            '',
            '',
            '',
          ])
        }
      }
      const nestedRow = row.index !== null && row.index !== view.digest
      rows.push([
        `${nestedRow ? '↳ ' : ''}${row.platform ?? style.dim('(none declared)')}`,
        row.digest,
        formatBytes(row.size),
        row.platformMismatch ? style.red(`${row.configPlatform} ${MISMATCH_MARK}`) : row.configPlatform,
        String(row.layers),
        formatBytes(row.compressedSize),
        row.created ? secondsOnly(row.created) : style.dim('—'),
      ])
    }
    lines.push(await draw(PLATFORM_COLUMNS, rows))
  } else if (view.platformFilter) {
    lines.push(`No platform entry matches --platform ${view.platformFilter}.`)
  } else {
    lines.push('No runnable image here: no host can pull this reference to run it.')
  }

  for (const row of view.platforms.filter((p) => p.platformMismatch)) lines.push(mismatchNote(row, style, short))
  if (view.singlePlatform) {
    const row = view.platforms[0]
    lines.push(
      `Single-platform image (no index): every host pulls this ${row ? `${row.configPlatform} ` : ''}image, so hosts of other architectures will get this image anyway ` +
        '(and fail with "exec format error" unless emulation is set up).',
    )
  }

  if (view.attestations.length > 0) {
    lines.push(
      '',
      style.bold('Attestations') +
        style.dim(' (build provenance/SBOM manifests, platform unknown/unknown; not runnable, never pulled to run)'),
    )
    const columns: Column[] = [
      {header: 'ATTESTATION DIGEST', digest: true},
      {header: 'ATTESTS', digest: true, wrap: true},
      {header: 'OF PLATFORM', wrap: true},
      {header: 'PREDICATE', wrap: true},
    ]
    const rows = view.attestations.map((a) => [
      a.digest,
      a.attests ?? style.dim('(not named)'),
      a.attestsPlatform ?? style.dim('(not in this index)'),
      a.predicateTypes.join('\n') || style.dim('—'),
    ])
    lines.push(await draw(columns, rows))
  }

  if (view.missing.length > 0) {
    lines.push(
      '',
      style.red(style.bold('Missing')) + style.dim(' (listed, but the registry does not have them: pulls on these platforms fail)'),
    )
    const columns: Column[] = [
      {header: 'PLATFORM', wrap: true},
      {header: 'MANIFEST DIGEST', digest: true},
      {header: 'SIZE', drop: 1},
      {header: 'MISSING', digest: true, wrap: true},
    ]
    const rows = view.missing.map((m) => [
      m.platform ?? style.dim('(none declared)'),
      m.digest,
      formatBytes(m.size),
      style.red(`missing: ${m.missing === 'config' ? `config ${m.message}` : m.message}`),
    ])
    lines.push(await draw(columns, rows))
  }

  if (view.others.length > 0) {
    lines.push('', style.bold('Other entries') + style.dim(' (not images; shown, not read)'))
    const columns: Column[] = [
      {header: 'DIGEST', digest: true},
      {header: 'MEDIA TYPE', wrap: true},
      {header: 'SIZE', drop: 1},
      {header: 'PLATFORM', wrap: true},
      {header: 'NOTE', wrap: true},
    ]
    const rows = view.others.map((o) => [o.digest, o.mediaType, formatBytes(o.size), o.platform ?? style.dim('—'), o.note])
    lines.push(await draw(columns, rows))
  }
  if (dropped.size > 0)
    lines.push('', style.dim(`Not shown to fit ${fit.width} columns: ${[...dropped].join(', ')} (--no-trunc or --json shows everything).`))
  if (view.supplyChain) {
    lines.push('', style.bold('Supply chain') + style.dim(' (signatures not verified here: archcheck attestations --key)'))
    const mark = (name: string, presence: Presence): string =>
      presence === 'yes' ? style.green(`${name} ✓`) : presence === 'no' ? style.red(`${name} ✗`) : style.yellow(`${name} unreadable`)
    const width = Math.max(...view.supplyChain.map((line) => line.target.length))
    for (const line of view.supplyChain)
      lines.push(
        `${line.target.padEnd(width)}  ${[mark('provenance', line.provenance), mark('SBOM', line.sbom), mark('signed', line.signed)].join('  ')}`,
      )
  }
  return `${lines.join('\n')}\n`
}

function mismatchNote(row: PlatformView, style: Style, short: boolean): string {
  return style.red(
    `${MISMATCH_MARK}: entry ${digestCell(row.digest, short)} is declared ${row.platform} but its config says ${row.configPlatform}; ` +
      `hosts pulling ${row.platform} get ${row.config.architecture} binaries and may fail with "exec format error".`,
  )
}
