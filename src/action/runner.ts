import {randomBytes} from 'node:crypto'
import {appendFile} from 'node:fs/promises'

import {fileErrorText, UsageError} from '../oci/errors.js'
import {escapeCommandData, escapeCommandProperty} from '../render/github.js'
import {appendStepSummary} from '../render/markdown.js'

/** What GitHub's runner reads from a step besides its exit status: the log's workflow commands and the files it names. */
export class Runner {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (text: string) => void,
  ) {}

  /**
   * Prints text that may hold a registry's or a file's words with workflow commands switched off
   * (`::stop-commands::TOKEN` … `::TOKEN::`): no line of it can start a command, whatever it says.
   * The token is random, so the text cannot name it to switch them back on.
   */
  printInert(text: string): void {
    const token = randomBytes(16).toString('hex')
    this.log(`::stop-commands::${token}\n${text.endsWith('\n') ? text : `${text}\n`}::${token}::\n`)
  }

  print(line: string): void {
    this.log(`${line}\n`)
  }

  annotate(level: 'error' | 'warning', title: string, message: string): void {
    this.log(`::${level} title=${escapeCommandProperty(title)}::${escapeCommandData(message)}\n`)
  }

  /** The file outputs go to; checked before any work, as a run whose outputs are lost is no use to the workflow. */
  outputFile(): string {
    const file = this.env.GITHUB_OUTPUT
    if (!file)
      throw new UsageError('$GITHUB_OUTPUT is not set: this is the GitHub Action; elsewhere run `archcheck verify` or `archcheck audit`')
    return file
  }

  /**
   * Each output as `name<<DELIMITER`, value, `DELIMITER`: with a random delimiter a value (a
   * digest, a path, JSON) cannot end its own block early and set another output.
   */
  async setOutputs(outputs: Record<string, string>): Promise<void> {
    const file = this.outputFile()
    let text = ''
    for (const [name, value] of Object.entries(outputs)) {
      const delimiter = `archcheck_${randomBytes(16).toString('hex')}`
      text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`
    }
    try {
      await appendFile(file, text)
    } catch (error) {
      throw new UsageError(`cannot append to $GITHUB_OUTPUT ${file}: ${fileErrorText(error)}`)
    }
  }

  /** Appends Markdown to the step summary (cut to GitHub's 1 MiB). */
  async summarize(markdown: string): Promise<void> {
    await appendStepSummary(this.env, () => markdown, 'the whole report is the `report` output')
  }
}
