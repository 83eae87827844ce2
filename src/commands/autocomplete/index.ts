import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chooseShell, setupInstructions, SHELLS} from '../../cli/completion/index.js'
import {writeStdout} from '../../cli/output.js'

export default class Autocomplete extends BaseCommand {
  static override summary = 'Show how to turn on shell completion of commands, flags and their values.'
  static override description = `Completes commands, each command's flags, and flag values: --client, --format and the other fixed sets, platforms for --host, --require and --platform, file names for --from, --junit, --metadata-file and the other file flags.
Exit codes: 0 shown, 2 unknown shell.`

  static override examples = [
    '<%= config.bin %> autocomplete',
    '<%= config.bin %> autocomplete bash',
    '<%= config.bin %> autocomplete fish',
    '<%= config.bin %> autocomplete script zsh',
  ]

  static override args = {
    shell: Args.string({description: 'Shell (default: the one running, from $SHELL).', options: [...SHELLS]}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(Autocomplete)
    await writeStdout(setupInstructions(chooseShell(args.shell, this.config.shell), this.config.bin))
  }
}
