import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {writeJson, writeStdout} from '../../cli/output.js'
import {checkBuilderName, jsonFlag, parseFlag} from '../../cli/flags.js'
import {parsePlatformList} from '../../api/build.js'
import {builderCreate} from '../../api/builder.js'
import {renderBuilderReport} from '../../render/builder.js'

export default class BuilderCreate extends BaseCommand {
  static override summary = 'Create (or reuse) a buildx builder that can build several platforms, start it and show what it supports.'
  static override description = `Runs \`docker buildx create --name NAME --driver docker-container [--platform …] [--use]\` unless a builder of that name exists (then it is reused), then \`docker buildx inspect NAME --bootstrap\`.
Exit codes: 0 ready, 2 docker/buildx missing or the builder could not be created.`

  static override examples = [
    '<%= config.bin %> builder create --use',
    '<%= config.bin %> builder create multiarch --platform linux/amd64,linux/arm64',
  ]

  static override args = {
    name: Args.string({description: 'Builder name.', default: 'archcheck'}),
  }

  static override flags = {
    driver: Flags.string({description: 'buildx driver.', helpValue: 'DRIVER', default: 'docker-container'}),
    platform: Flags.string({
      description: 'Pin the platforms the builder announces (comma-separated, repeatable).',
      helpValue: 'PLATFORMS',
      multiple: true,
      multipleNonGreedy: true,
    }),
    use: Flags.boolean({description: 'Make it the current builder.'}),
    json: jsonFlag('the builder', 'docs/build.md'),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuilderCreate)
    checkBuilderName(args.name)
    const platforms = flags.platform ? parseFlag('platform', () => parsePlatformList(flags.platform!)) : undefined
    const result = await builderCreate(args.name, {driver: flags.driver, platforms, use: flags.use})
    await (flags.json ? writeJson(result) : writeStdout(renderBuilderReport(result)))
  }
}
