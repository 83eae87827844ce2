/** GitHub refuses a step summary over 1 MiB (and shows none of it): a summary is cut to fit. */
export const STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024

/**
 * `markdown` as it fits in `limitBytes`: whole lines from the start, then `… N more lines` saying
 * where the rest is. A summary that fits is returned as it is.
 */
export function capStepSummary(markdown: string, rest: string, limitBytes = STEP_SUMMARY_LIMIT_BYTES): string {
  if (Buffer.byteLength(markdown) <= limitBytes) return markdown
  const lines = markdown.replace(/\n$/, '').split('\n')
  // The closing line's size with the largest count it can show: the count only shrinks as lines are kept.
  const footer = (count: number): string => `\n… ${count} more lines (${rest})\n`
  let budget = limitBytes - Buffer.byteLength(footer(lines.length))
  let kept = 0
  while (kept < lines.length) {
    const size = Buffer.byteLength(lines[kept]) + 1
    if (size > budget) break
    budget -= size
    kept += 1
  }
  return `${lines.slice(0, kept).join('\n')}${footer(lines.length - kept)}`
}
