import type {HostResult, ResolveResult, Verdict} from '../api/resolve.js'
import type {LayerCheck} from '../api/resolve.js'
import type {Style} from './style.js'
import {fitTable, type Column, type FitOptions} from './fit.js'
import {sanitizeDeep} from '../oci/sanitize.js'

function explanation(result: HostResult, withClient: boolean, style: Style): string {
  const who = withClient ? ` (${result.client})` : ''
  const said = result.clientMessage ? `\n  ${style.dim(`${result.client} says: ${result.clientMessage}`)}` : ''
  return `${style.bold(`${result.host}${who}:`)} ${result.message}${said}`
}

const VERDICT_COLOURS: Record<Verdict, keyof Omit<Style, 'enabled'>> = {
  ok: 'green',
  fallback: 'yellow',
  ambiguous: 'yellow',
  'wrong-arch': 'red',
  'no-match': 'red',
}

const verdictText = (verdict: Verdict, style: Style): string => style[VERDICT_COLOURS[verdict]](verdict)

export interface ResolveTextOptions extends FitOptions {
  /** List every candidate per host: accepted or rejected, why, and its rank. */
  explain?: boolean
}

/** What a matrix cell says: the verdict and the platform of the image actually pulled (its config's, when that differs). */
function matrixCell(r: HostResult, style: Style): string {
  if (!r.chosen) return verdictText(r.verdict, style)
  const pulled =
    r.chosen.configPlatform && r.chosen.configPlatform !== r.chosen.platform ? r.chosen.configPlatform : (r.chosen.platform ?? '-')
  return `${verdictText(r.verdict, style)} ${pulled}`
}

/** Host rows × client columns; when that is too wide, client rows × host columns (the default hosts are few). */
async function matrixTable(resolutions: readonly HostResult[], style: Style, fit: FitOptions): Promise<string> {
  const clients = [...new Set(resolutions.map((r) => r.client))]
  const hosts = [...new Set(resolutions.map((r) => r.host))]
  const cell = (host: string, client: string): string => {
    const r = resolutions.find((x) => x.client === client && x.host === host)
    return r ? matrixCell(r, style) : ''
  }
  const byHost = await fitTable(
    [{header: 'HOST', wrap: true}, ...clients.map((c) => ({header: c.toUpperCase(), wrap: true}))],
    hosts.map((host) => [host, ...clients.map((client) => cell(host, client))]),
    style,
    fit,
  )
  if (byHost.fits && !byHost.wrapped) return byHost.text
  const byClient = await fitTable(
    [{header: 'CLIENT'}, ...hosts.map((h) => ({header: h, wrap: true}))],
    clients.map((client) => [client, ...hosts.map((host) => cell(host, client))]),
    style,
    fit,
  )
  if (byClient.fits && (!byClient.wrapped || !byHost.fits)) return byClient.text
  return byHost.text
}

/** The hosts whose image was judged by its manifest and config alone: their binaries may still be foreign. */
function notReadLine(result: ResolveResult, style: Style): string | undefined {
  if (result.layers !== null) return undefined
  const hosts = [...new Set(result.results.filter((r) => r.chosen).map((r) => r.host))]
  if (hosts.length === 0) return undefined
  return style.dim(
    `layers not read: \`archcheck diagnose ${result.reference} --host ${hosts.join(',')}\` checks the binaries (or resolve --deep)`,
  )
}

const LAYER_MARK: Record<LayerCheck['status'], (style: Style) => string> = {
  pass: (style) => style.green('pass'),
  fail: (style) => style.red('FAIL'),
  warn: (style) => style.yellow('warn'),
  skip: (style) => style.dim('skip'),
}

/** --deep: per host (and client, when several), the layer checks that did not pass; passes folded into one line. */
function layerLines(result: ResolveResult, matrix: boolean, style: Style): string[] {
  if (result.layers === null) return []
  const problems = result.layers.filter((check) => check.status === 'fail' || check.status === 'warn')
  const passed = result.layers.filter((check) => check.status === 'pass').length
  const lines = ['', style.bold('Layers read (entrypoint-arch, entrypoint-missing, loader-missing):')]
  for (const check of problems) {
    lines.push(`  ${LAYER_MARK[check.status](style)} ${check.id} (${check.host}${matrix ? `, ${check.client}` : ''}): ${check.message}`)
  }
  lines.push(`  ${passed} passed${problems.length ? `, ${problems.length} did not` : ''}`)
  return lines
}

/**
 * The human report: a table (host → chosen platform → manifest → config platform → verdict, or a
 * host × client matrix when several clients are modelled), one explanation per host that is not
 * ok, what was not looked at (or with --deep the layer checks), and with `explain` every candidate
 * with its verdict, reason and rank. Tables fit `options.width` (see fit.ts).
 */
export async function renderResolveText(original: ResolveResult, style: Style, options: ResolveTextOptions = {}): Promise<string> {
  // Platforms and messages come from the registry: shown, never obeyed by the terminal.
  const result = sanitizeDeep(original)
  const resolutions = result.results
  const fit: FitOptions = {width: options.width, noTrunc: options.noTrunc}
  const clients = [...new Set(resolutions.map((r) => r.client))]
  const matrix = clients.length > 1
  const out: string[] = [`${style.bold('Reference:')} ${result.reference}`, `${style.bold('Digest:')}    ${result.digest}`, '']
  if (matrix) {
    out.push(await matrixTable(resolutions, style, fit))
  } else {
    const rows = resolutions.map((r) => [
      r.host,
      r.chosen?.platform ?? '-',
      r.chosen ? r.chosen.digest : '-',
      r.chosen?.configPlatform ?? '-',
      verdictText(r.verdict, style),
    ])
    const columns: Column[] = [
      {header: 'HOST', wrap: true},
      {header: 'CHOSEN', wrap: true},
      {header: 'MANIFEST', digest: true},
      {header: 'CONFIG', wrap: true},
      {header: 'VERDICT'},
    ]
    out.push((await fitTable(columns, rows, style, fit)).text)
  }
  const notRead = notReadLine(result, style)
  if (notRead) out.push(notRead)
  const notes = resolutions.filter((r) => r.verdict !== 'ok')
  if (notes.length > 0) out.push('', ...notes.map((r) => explanation(r, matrix, style)))
  out.push(...layerLines(result, matrix, style))
  if (options.explain) {
    for (const r of resolutions) {
      const who = matrix ? ` (${r.client})` : ''
      out.push('', style.bold(`${r.host}${who}: every entry, in index order`))
      const columns: Column[] = [
        {header: 'RANK'},
        {header: 'PLATFORM', wrap: true},
        {header: 'MANIFEST', digest: true},
        {header: 'STATUS'},
        {header: 'REASON', wrap: true},
      ]
      const rows = r.candidates.map((c) => [
        c.rank === null ? '-' : `#${c.rank}`,
        c.platform ?? style.dim('(none)'),
        c.digest,
        c.accepted ? 'accepted' : style.dim('rejected'),
        c.reason,
      ])
      out.push((await fitTable(columns, rows, style, fit)).text)
    }
  }
  return `${out.join('\n')}\n`
}
