import {appendFile} from 'node:fs/promises'

import {fileErrorText, UsageError} from '../oci/errors.js'
import {capStepSummary} from './step-summary.js'

/** A Markdown table cell: no line breaks, no pipes, no HTML. */
export function markdownCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
}

/**
 * Appends Markdown to $GITHUB_STEP_SUMMARY when GitHub Actions names that file; nothing otherwise.
 * Cut to GitHub's 1 MiB, closing with a line that says where the rest is (`rest`).
 */
export async function appendStepSummary(env: NodeJS.ProcessEnv, markdown: () => string, rest = 'the whole report: --json'): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY
  if (!file) return
  try {
    await appendFile(file, capStepSummary(markdown(), rest))
  } catch (error) {
    throw new UsageError(`cannot append to $GITHUB_STEP_SUMMARY ${file}: ${fileErrorText(error)}`)
  }
}
