import type {HostResult, ResolveResult, Verdict} from '../api/resolve.js'
import {shortDigest} from '../oci/digest.js'
import type {Style} from './style.js'
import {tableMaker} from './table.js'
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

export interface ResolveTextOptions {
  /** List every candidate per host: accepted or rejected, why, and its rank. */
  explain?: boolean
}

/**
 * The human report: a table (host → chosen platform → manifest → config platform → verdict, or a
 * host × client matrix when several clients are modelled), one explanation per host that is not
 * ok, and with `explain` every candidate with its verdict, reason and rank.
 */
export async function renderResolveText(original: ResolveResult, style: Style, options: ResolveTextOptions = {}): Promise<string> {
  // Platforms and messages come from the registry: shown, never obeyed by the terminal.
  const result = sanitizeDeep(original)
  const resolutions = result.results
  const newTable = await tableMaker(style)
  const clients = [...new Set(resolutions.map((r) => r.client))]
  const hosts = [...new Set(resolutions.map((r) => r.host))]
  const matrix = clients.length > 1
  const out: string[] = [`${style.bold('Reference:')} ${result.reference}`, `${style.bold('Digest:')}    ${result.digest}`, '']
  if (matrix) {
    const table = newTable(['HOST', ...clients.map((c) => c.toUpperCase())])
    for (const host of hosts) {
      const cells = clients.map((client) => {
        const r = resolutions.find((x) => x.client === client && x.host === host)
        if (!r) return '-'
        return r.chosen ? `${verdictText(r.verdict, style)} ${r.chosen.platform ?? '-'}` : verdictText(r.verdict, style)
      })
      table.push([host, ...cells])
    }
    out.push(table.toString())
  } else {
    const table = newTable(['HOST', 'CHOSEN', 'MANIFEST', 'CONFIG', 'VERDICT'])
    for (const r of resolutions) {
      table.push([
        r.host,
        r.chosen?.platform ?? '-',
        r.chosen ? shortDigest(r.chosen.digest) : '-',
        r.chosen?.configPlatform ?? '-',
        verdictText(r.verdict, style),
      ])
    }
    out.push(table.toString())
  }
  const notes = resolutions.filter((r) => r.verdict !== 'ok')
  if (notes.length > 0) out.push('', ...notes.map((r) => explanation(r, matrix, style)))
  if (options.explain) {
    for (const r of resolutions) {
      const who = matrix ? ` (${r.client})` : ''
      out.push('', style.bold(`${r.host}${who}: every entry, in index order`))
      const table = newTable(['RANK', 'PLATFORM', 'MANIFEST', 'STATUS', 'REASON'])
      for (const c of r.candidates) {
        table.push([
          c.rank === null ? '-' : `#${c.rank}`,
          c.platform ?? style.dim('(none)'),
          shortDigest(c.digest),
          c.accepted ? 'accepted' : style.dim('rejected'),
          c.reason,
        ])
      }
      out.push(table.toString())
    }
  }
  return `${out.join('\n')}\n`
}
