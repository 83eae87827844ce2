import {Args, Flags, loadHelpClass} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'

/**
 * `archcheck help [COMMAND]`: the same help `--help` shows. Our own rather than
 * @oclif/plugin-help's, so oclif loads no plugin at start (no plugin manifest read, no pattern
 * matching of the dependencies).
 */
export default class Help extends BaseCommand {
  static override summary = 'Show help for archcheck or one of its commands.'

  static override args = {
    command: Args.string({description: 'The command to show help for (`builder create` or builder:create).', required: false}),
  }

  static override flags = {
    'nested-commands': Flags.boolean({char: 'n', description: 'Include every nested command in the list.'}),
  }

  // `help builder create`: the words of a command are arguments.
  static override strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    // `help "builder create"`, as the argument's description writes it, is `help builder create`.
    const words = (argv as string[]).flatMap((word) => word.split(/\s+/)).filter(Boolean)
    await new HelpClass(this.config, {all: flags['nested-commands']}).showHelp(words)
  }
}
