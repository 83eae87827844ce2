import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {processEnvironment} from '../cli/environment.js'
import {
  allowFallbackFlag,
  allowUnknownPlatformFlag,
  clientsFlag,
  hostsFlag,
  jsonFlag,
  noTruncFlag,
  noteClientAliases,
  registryFlags,
} from '../cli/flags.js'
import {layerFlags, layerReadOptionsFromFlags} from '../cli/layer-flags.js'
import {writeJson, writeStdout} from '../cli/output.js'

export default class Resolve extends BaseCommand {
  static override summary = 'Simulate a pull: which image each host gets from a tag, and whether it will run there.'
  static override description = `REF is a registry reference, oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST].
For each host, archcheck picks the image the client would pick (matching entries only, never attestations, sorted by the client's preference) and checks the chosen image's declared platform and config against the host. Verdicts: ok, fallback (older variant or 32-bit mode), wrong-arch (exec format error ahead), no-match (the client refuses), ambiguous (several entries tie).
Only manifests and configs are read: a binary built for another architecture than its config says is found by --deep (or archcheck diagnose).
Exit status: 0 when every host is ok (or fallback with --allow-fallback), 1 otherwise, 2 for bad input, 3 when the image cannot be read. Details: docs/resolve.md.`

  static override examples = [
    '<%= config.bin %> resolve oci-layout:fixtures/demo',
    '<%= config.bin %> resolve ghcr.io/owner/app:v1 --host linux/arm/v7,linux/arm64 --explain',
    '<%= config.bin %> resolve alpine:3.20 --client all --host native',
    '<%= config.bin %> resolve localhost:5000/app:v1 --json',
  ]

  static override args = {
    ref: Args.string({description: 'Image reference, oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST].', required: true}),
  }

  static override flags = {
    host: hostsFlag({purpose: 'Host platform to simulate', defaultText: 'linux/amd64,linux/arm64'}),
    client: clientsFlag(),
    explain: Flags.boolean({description: 'List every index entry per host: accepted or rejected, why, and its rank.'}),
    json: jsonFlag('the result', 'docs/resolve.md'),
    'allow-fallback': allowFallbackFlag,
    deep: Flags.boolean({
      description:
        "Also read the layers of each chosen image and run verify --deep's checks: entrypoint-arch, entrypoint-missing, loader-missing.",
    }),
    'no-trunc': noTruncFlag,
    'allow-unknown-platform': allowUnknownPlatformFlag,
    ...layerFlags,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Resolve)
    const [{resolve, resolveExitCode}, {renderResolveText}, {styleFor}, {outputWidth}] = await Promise.all([
      import('../api/resolve.js'),
      import('../render/resolve.js'),
      import('../render/style.js'),
      import('../render/fit.js'),
    ])
    noteClientAliases(flags.client)
    const result = await resolve(args.ref, {
      ...this.readOptions(flags),
      hosts: flags.host,
      allowUnknownPlatform: flags['allow-unknown-platform'],
      clients: flags.client,
      allowFallback: flags['allow-fallback'],
      deep: flags.deep ? layerReadOptionsFromFlags(flags) : false,
    })
    if (flags.json) await writeJson(result)
    else
      await writeStdout(
        await renderResolveText(result, styleFor(process.stdout, processEnvironment()), {
          explain: flags.explain,
          width: outputWidth(process.stdout, processEnvironment()),
          noTrunc: flags['no-trunc'],
        }),
      )
    process.exitCode = resolveExitCode(result)
  }
}
