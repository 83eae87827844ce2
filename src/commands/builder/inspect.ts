import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {writeJson, writeStdout} from '../../cli/output.js'
import {checkBuilderName, jsonFlag} from '../../cli/flags.js'
import {builderInspect} from '../../api/builder.js'
import {renderBuilderReport} from '../../render/builder.js'

export default class BuilderInspect extends BaseCommand {
  static override summary = 'Show a buildx builder: driver, status, supported platforms, and how to add missing ones.'
  static override description = `Parses \`docker buildx inspect [NAME]\`. Common platforms the builder lacks are listed with the command that registers QEMU emulators for them.
Exit codes: 0 shown, 2 docker/buildx missing or no such builder.`

  static override examples = ['<%= config.bin %> builder inspect', '<%= config.bin %> builder inspect multiarch --bootstrap']

  static override args = {
    name: Args.string({description: 'Builder name (default: the current builder).'}),
  }

  static override flags = {
    bootstrap: Flags.boolean({description: 'Start the builder first, so its platforms are known.'}),
    json: jsonFlag('the builder', 'docs/build.md'),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuilderInspect)
    if (args.name !== undefined) checkBuilderName(args.name)
    const result = await builderInspect(args.name, {bootstrap: flags.bootstrap})
    await (flags.json ? writeJson(result) : writeStdout(renderBuilderReport(result)))
  }
}
