import type {ImageNode, ImageTree} from '../image/types.js'
import {configPlatform} from '../platform/resolve.js'
import {formatPlatform, formatPlatformSpec} from '../platform/normalize.js'
import type {Candidate, ClientName, Resolution, Verdict} from '../platform/resolution.js'

/** Whether a verdict passes `resolve`: only ok, and fallback with --allow-fallback. */
export function verdictPasses(verdict: Verdict, allowFallback: boolean): boolean {
  return verdict === 'ok' || (allowFallback && verdict === 'fallback')
}

const shortDigest = (digest: string): string => digest.slice(0, 19)

function chosenCandidate(resolution: Resolution): Candidate | undefined {
  return resolution.candidates.find((candidate) => candidate.rank === 1)
}

/** The chosen image's platform as the client judged it (the entry's, or its config's). */
function chosenPlatform(resolution: Resolution): string {
  const platform = chosenCandidate(resolution)?.platform
  return platform ? formatPlatformSpec(platform) : '-'
}

function configOf(resolution: Resolution): string {
  const {chosen} = resolution
  return chosen ? formatPlatform(configPlatform(chosen, chosenCandidate(resolution)?.platform)) : '-'
}

/** Columns padded to their widest cell, separated by two spaces. */
function columns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')
}

function explanation(resolution: Resolution, withClient: boolean): string {
  const who = withClient ? ` (${resolution.client})` : ''
  const said = resolution.clientMessage ? `\n  ${resolution.client} says: ${resolution.clientMessage}` : ''
  return `${formatPlatformSpec(resolution.host)}${who}: ${resolution.message}${said}`
}

function candidateLines(resolution: Resolution, withClient: boolean): string {
  const who = withClient ? ` (${resolution.client})` : ''
  const rows = resolution.candidates.map((c) => [
    c.rank === undefined ? '  -' : `  #${c.rank}`,
    c.platform ? formatPlatformSpec(c.platform) : '(no platform)',
    shortDigest(c.node.descriptor.digest),
    c.accepted ? 'accepted' : 'rejected',
    c.reason,
  ])
  return `${formatPlatformSpec(resolution.host)}${who}, candidates in index order:\n${rows.length > 0 ? columns(rows) : '  (none)'}`
}

export interface ResolveTextOptions {
  explain?: boolean
}

/**
 * The human report: a table (host → chosen platform → manifest → config platform → verdict, or a
 * host × client matrix when several clients are modelled), one line per host that does not pass,
 * and with `explain` every candidate with its verdict, reason and rank.
 */
export function renderResolveText(tree: ImageTree, resolutions: Resolution[], options: ResolveTextOptions = {}): string {
  const clients = [...new Set(resolutions.map((r) => r.client))]
  const hosts = [...new Set(resolutions.map((r) => formatPlatformSpec(r.host)))]
  const matrix = clients.length > 1
  const out: string[] = [`${tree.reference} (${shortDigest(tree.root.descriptor.digest)})`, '']
  if (matrix) {
    const cell = (host: string, client: ClientName) => {
      const r = resolutions.find((x) => x.client === client && formatPlatformSpec(x.host) === host)
      return r ? (r.chosen ? `${r.verdict} ${chosenPlatform(r)}` : r.verdict) : '-'
    }
    out.push(columns([['HOST', ...clients.map((c) => c.toUpperCase())], ...hosts.map((host) => [host, ...clients.map((c) => cell(host, c))])]))
  } else {
    out.push(
      columns([
        ['HOST', 'CHOSEN', 'MANIFEST', 'CONFIG', 'VERDICT'],
        ...resolutions.map((r) => [
          formatPlatformSpec(r.host),
          chosenPlatform(r),
          r.chosen ? shortDigest(r.chosen.descriptor.digest) : '-',
          configOf(r),
          r.verdict,
        ]),
      ]),
    )
  }
  const notes = resolutions.filter((r) => r.verdict !== 'ok')
  if (notes.length > 0) out.push('', ...notes.map((r) => explanation(r, matrix)))
  if (options.explain) for (const r of resolutions) out.push('', candidateLines(r, matrix))
  return `${out.join('\n')}\n`
}

function nodeJson(node: ImageNode, platform: Candidate['platform']) {
  return {
    digest: node.descriptor.digest,
    mediaType: node.descriptor.mediaType,
    platform: platform ? formatPlatformSpec(platform) : null,
    configDigest: node.config.digest,
    configPlatform: formatPlatform(configPlatform(node, platform)),
  }
}

/** The `--json` document (schema in docs/resolve.md). */
export function resolveJson(tree: ImageTree, resolutions: Resolution[], options: {allowFallback?: boolean} = {}) {
  const allowFallback = options.allowFallback ?? false
  return {
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
