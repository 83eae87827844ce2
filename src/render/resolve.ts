import {shortDigest} from '../image/digest.js'
import type {ImageNode, ImageTree} from '../image/types.js'
import {sanitizeDeep} from '../oci/sanitize.js'
import {formatPlatform, formatPlatformSpec} from '../platform/normalize.js'
import type {Candidate, Resolution, Verdict} from '../platform/resolution.js'
import type {Platform} from '../platform/types.js'
import {configPlatformOf} from './inspect-view.js'
import type {Style} from './style.js'
import {tableMaker} from './table.js'

/** Whether a verdict passes `resolve`: only ok, and fallback with --allow-fallback. */
export function verdictPasses(verdict: Verdict, allowFallback: boolean): boolean {
  return verdict === 'ok' || (allowFallback && verdict === 'fallback')
}

function chosenCandidate(resolution: Resolution): Candidate | undefined {
  return resolution.candidates.find((candidate) => candidate.rank === 1)
}

/** The chosen image's platform as the client judged it (the entry's, or its config's). */
function chosenPlatform(resolution: Resolution): string {
  const platform = chosenCandidate(resolution)?.platform
  return platform ? formatPlatformSpec(platform) : '-'
}

/** The config's own os/arch/variant, as written (what `inspect` shows). */
function configOf(resolution: Resolution): string {
  return resolution.chosen ? formatPlatform(configPlatformOf(resolution.chosen)) : '-'
}

function explanation(resolution: Resolution, withClient: boolean, style: Style): string {
  const who = withClient ? ` (${resolution.client})` : ''
  const said = resolution.clientMessage ? `\n  ${style.dim(`${resolution.client} says: ${resolution.clientMessage}`)}` : ''
  return `${style.bold(`${formatPlatformSpec(resolution.host)}${who}:`)} ${resolution.message}${said}`
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
export async function renderResolveText(originalTree: ImageTree, originalResolutions: Resolution[], style: Style, options: ResolveTextOptions = {}): Promise<string> {
  // Platforms and notes come from the registry: shown, never obeyed by the terminal. One copy keeps shared nodes shared.
  const [tree, resolutions] = sanitizeDeep([originalTree, originalResolutions] as const)
  const newTable = await tableMaker(style)
  const clients = [...new Set(resolutions.map((r) => r.client))]
  const hosts = [...new Set(resolutions.map((r) => formatPlatformSpec(r.host)))]
  const matrix = clients.length > 1
  const out: string[] = [`${style.bold('Reference:')} ${tree.reference}`, `${style.bold('Digest:')}    ${tree.root.descriptor.digest}`, '']
  if (matrix) {
    const table = newTable(['HOST', ...clients.map((c) => c.toUpperCase())])
    for (const host of hosts) {
      const cells = clients.map((client) => {
        const r = resolutions.find((x) => x.client === client && formatPlatformSpec(x.host) === host)
        if (!r) return '-'
        return r.chosen ? `${verdictText(r.verdict, style)} ${chosenPlatform(r)}` : verdictText(r.verdict, style)
      })
      table.push([host, ...cells])
    }
    out.push(table.toString())
  } else {
    const table = newTable(['HOST', 'CHOSEN', 'MANIFEST', 'CONFIG', 'VERDICT'])
    for (const r of resolutions) {
      table.push([formatPlatformSpec(r.host), chosenPlatform(r), r.chosen ? shortDigest(r.chosen.descriptor.digest) : '-', configOf(r), verdictText(r.verdict, style)])
    }
    out.push(table.toString())
  }
  const notes = resolutions.filter((r) => r.verdict !== 'ok')
  if (notes.length > 0) out.push('', ...notes.map((r) => explanation(r, matrix, style)))
  if (options.explain) {
    for (const r of resolutions) {
      const who = matrix ? ` (${r.client})` : ''
      out.push('', style.bold(`${formatPlatformSpec(r.host)}${who}: every entry, in index order`))
      const table = newTable(['RANK', 'PLATFORM', 'MANIFEST', 'STATUS', 'REASON'])
      for (const c of r.candidates) {
        table.push([
          c.rank === undefined ? '-' : `#${c.rank}`,
          c.platform ? formatPlatformSpec(c.platform) : style.dim('(none)'),
          shortDigest(c.node.descriptor.digest),
          c.accepted ? 'accepted' : style.dim('rejected'),
          c.reason,
        ])
      }
      out.push(table.toString())
    }
  }
  return `${out.join('\n')}\n`
}

function nodeJson(node: ImageNode, platform: Platform | undefined) {
  return {
    digest: node.descriptor.digest,
    mediaType: node.descriptor.mediaType,
    platform: platform ? formatPlatformSpec(platform) : null,
    configDigest: node.config.digest,
    configPlatform: formatPlatform(configPlatformOf(node)),
  }
}

/** The `--json` document (schema in docs/resolve.md). */
export function resolveJson(tree: ImageTree, resolutions: Resolution[], options: {allowFallback?: boolean} = {}) {
  const allowFallback = options.allowFallback ?? false
  return {
    // Bumped only when a field changes meaning or goes away; new fields are added without a bump.
    schemaVersion: 1,
    reference: tree.reference,
    digest: tree.root.descriptor.digest,
    mediaType: tree.root.descriptor.mediaType,
    passed: resolutions.every((r) => verdictPasses(r.verdict, allowFallback)),
    results: resolutions.map((r) => ({
      host: formatPlatformSpec(r.host),
      client: r.client,
      verdict: r.verdict,
      message: r.message,
      clientMessage: r.clientMessage ?? null,
      chosen: r.chosen ? nodeJson(r.chosen, chosenCandidate(r)?.platform) : null,
      tiedWith: r.tiedWith ?? [],
      candidates: r.candidates.map((c) => ({
        digest: c.node.descriptor.digest,
        platform: c.platform ? formatPlatformSpec(c.platform) : null,
        accepted: c.accepted,
        rank: c.rank ?? null,
        reason: c.reason,
      })),
    })),
  }
}
