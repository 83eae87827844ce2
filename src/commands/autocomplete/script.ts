import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chooseShell, completionScript, SHELLS} from '../../cli/completion/index.js'
import {writeStdout} from '../../cli/output.js'

export default class AutocompleteScript extends BaseCommand {
  static override summary = "Print the shell's completion script, drawn from the commands of this archcheck."
  static override description = `What the line \`archcheck autocomplete SHELL\` shows loads at each shell start.
Exit codes: 0 printed, 2 unknown shell.`

  static override examples = ['eval "$(<%= config.bin %> autocomplete script bash)"', '<%= config.bin %> autocomplete script fish | source']

  static override args = {
    shell: Args.string({description: 'Shell (default: the one running, from $SHELL).', options: [...SHELLS]}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(AutocompleteScript)
    await writeStdout(completionScript(chooseShell(args.shell, this.config.shell), this.config.bin, this.config.commands))
  }
}
