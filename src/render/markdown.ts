import {appendFile} from 'node:fs/promises'

import {fileErrorText, UsageError} from '../oci/errors.js'
import {sanitizeText} from '../oci/sanitize.js'
import {capStepSummary} from './step-summary.js'

/**
 * Markdown's active ASCII characters: links and images (`[]!`: with the brackets escaped, a
 * parenthesis starts nothing), code (backtick), emphasis (`*_~`), headings and references (`#`),
 * and the backslash itself. Escaped, they show as written.
 */
const ACTIVE = /[\\`*_~[\]!#]/g

/**
 * Text from a registry or a file as Markdown that shows it and does nothing else: no link, image,
 * code span, emphasis, HTML, @mention or autolinked URL, and one table cell (no line break, no pipe).
 * A GitHub page fetches the images a step summary names and notifies the people it mentions.
 * Control characters are shown as escapes (sanitizeText), long texts cut.
 */
export function markdownCell(text: string): string {
  return (
    sanitizeText(text.replace(/[\r\n]+/g, ' '))
      .replace(ACTIVE, '\\$&')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\|/g, '\\|')
      // GitHub links @name and #123 after rendering, on the text itself: a word joiner after @ breaks the mention but reads the same.
      .replace(/@/g, '@\u2060')
      // Extended autolinks (http://…, www.…) start at the scheme's colon or the first dot: escaped, they stay text.
      .replace(/:\/\//g, '\\://')
      .replace(/\bwww\./gi, (match) => `${match.slice(0, 3)}\\.`)
  )
}

/**
 * Foreign text as an inline code span (a reference, a tag): shown exactly, nothing in it active.
 * The fence is one backtick longer than the longest run inside; in a table cell, pipes are escaped
 * (GitHub reads `\|` as a pipe there, even in code, and as two characters elsewhere).
 */
export function markdownCode(text: string, inTable = false): string {
  const line = sanitizeText(text.replace(/[\r\n]+/g, ' '))
  const flat = inTable ? line.replace(/\|/g, '\\|') : line
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
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
