import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {writeStdout} from '../../cli/output.js'
import {checkBuilderName, jsonFlag} from '../../cli/flags.js'
import {builderReport, renderBuilderReport} from '../../engine/build/builder-report.js'
import {inspectBuilder, readBuildxVersions} from '../../engine/build/buildx.js'
import {UsageError} from '../../oci/errors.js'

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
    await readBuildxVersions()
    const builder = await inspectBuilder(args.name, flags.bootstrap)
    if (!builder) throw new UsageError(`no builder "${args.name}": create it with \`archcheck builder create ${args.name}\``)
    const report = builderReport(builder)
    await writeStdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderBuilderReport(report))
  }
}
