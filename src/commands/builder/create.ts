import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {builderReport, renderBuilderReport} from '../../build/builder-report.js'
import {createBuilder, readBuildxVersions} from '../../build/buildx.js'
import {parsePlatformList} from '../../build/preflight.js'

export default class BuilderCreate extends BaseCommand {
  static override summary = 'Create (or reuse) a buildx builder that can build several platforms, start it and show what it supports.'
  static override description = `Runs \`docker buildx create --name NAME --driver docker-container [--platform …] [--use]\` unless a builder of that name exists (then it is reused), then \`docker buildx inspect NAME --bootstrap\`.
Exit codes: 0 ready, 2 docker/buildx missing or the builder could not be created.`

  static override examples = ['<%= config.bin %> builder create --use', '<%= config.bin %> builder create multiarch --platform linux/amd64,linux/arm64']

  static override args = {
    name: Args.string({description: 'Builder name.', default: 'archcheck'}),
  }

  static override flags = {
    driver: Flags.string({description: 'buildx driver.', default: 'docker-container'}),
    platform: Flags.string({description: 'Pin the platforms the builder announces (comma-separated, repeatable).', multiple: true, multipleNonGreedy: true}),
    use: Flags.boolean({description: 'Make it the current builder.'}),
    json: Flags.boolean({description: 'Print the builder as JSON.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuilderCreate)
    const platforms = flags.platform ? parsePlatformList(flags.platform) : undefined
    await readBuildxVersions()
    const {builder, created} = await createBuilder(args.name, {driver: flags.driver, platforms, use: flags.use})
    const report = builderReport(builder, created)
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderBuilderReport(report))
  }
}
