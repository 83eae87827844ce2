import type {BuildRunResult} from '../api/build.js'
import {renderInspect} from './inspect-table.js'
import {renderResolveText} from './resolve.js'
import type {FitOptions} from './fit.js'
import type {Style} from './style.js'
import {renderVerifyText} from './verify-text.js'

/**
 * The text of `archcheck build`: what was built and pushed, then per destination the tag → index →
 * per-platform table, the pull each host gets, and verify's checks and verdict.
 */
export async function renderBuildText(result: BuildRunResult, style: Style, fit: FitOptions): Promise<string> {
  const lines = [`built ${result.digest} for ${result.platforms.join(', ')} with ${result.backend}`]
  for (const target of result.pushed) lines.push(`pushed ${target.reference} -> ${target.digest}`)
  const parts = [`${lines.join('\n')}\n`]
  if (!result.verification) return `${parts[0]}verification skipped (--no-verify)\n`
  for (const entry of result.verification) {
    if (entry.inspect && entry.resolve)
      parts.push(`\n${await renderInspect(entry.inspect, style, fit)}\n${await renderResolveText(entry.resolve, style, fit)}`)
    parts.push(`\n${await renderVerifyText(entry, result.strict, style, fit)}`)
  }
  return parts.join('')
}
