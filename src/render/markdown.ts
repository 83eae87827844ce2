import {appendFile} from 'node:fs/promises'

import {fileErrorText, UsageError} from '../oci/errors.js'

/** A Markdown table cell: no line breaks, no pipes, no HTML. */
export function markdownCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
}

/** Appends Markdown to $GITHUB_STEP_SUMMARY when GitHub Actions names that file; nothing otherwise. */
export async function appendStepSummary(env: NodeJS.ProcessEnv, markdown: () => string): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY
  if (!file) return
  try {
    await appendFile(file, markdown())
  } catch (error) {
    throw new UsageError(`cannot append to $GITHUB_STEP_SUMMARY ${file}: ${fileErrorText(error)}`)
  }
}
