import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {processEnvironment} from '../cli/environment.js'
import {writeJson, writeStdout} from '../cli/output.js'
import {allowUnknownPlatformFlag, clientFlag, hostsFlag, jsonFlag, parsePlatformFlag, registryFlags} from '../cli/flags.js'
import {layerFlags, layerReadOptionsFromFlags} from '../cli/layer-flags.js'

export default class Diagnose extends BaseCommand {
  static override summary = 'Look inside the layers: find the file that will fail with "exec format error" on each host.'

  static override description = `REF is a registry reference, oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST].
Simulates the pull on each host, follows the chosen image's entrypoint (Entrypoint + Cmd, PATH, symlinks, #! interpreters, the ELF loader) through its layers and says, per host, whether it will start, and if not which file fails with which error. Nothing is run and nothing is written to disk.
Exit status: 0 every host starts it, 1 some host will fail, 2 bad usage, 3 the image or a layer could not be read (also a layer over the decompression limits). Details and the --json schema: docs/diagnose.md.`

  static override examples = [
    '<%= config.bin %> diagnose ghcr.io/acme/app:1.4',
    '<%= config.bin %> diagnose ghcr.io/acme/app:1.4 --host linux/arm64 --all-binaries',
    '<%= config.bin %> diagnose oci-layout:./out:latest --json',
  ]

  static override args = {
    ref: Args.string({description: 'Image reference, oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST].', required: true}),
  }

  static override flags = {
    host: hostsFlag({purpose: 'Host platform to diagnose', defaultText: 'native,linux/amd64,linux/arm64'}),
    client: clientFlag(),
    'all-binaries': Flags.boolean({
      description: "Also list every executable ELF whose architecture differs from its image's platform, counted per machine.",
    }),
    json: jsonFlag('the report', 'docs/diagnose.md'),
    'allow-unknown-platform': allowUnknownPlatformFlag,
    ...layerFlags,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Diagnose)
    const [{diagnose, diagnoseExitCode}, {LayerProgressLine, renderDiagnoseText}, {styleFor}] = await Promise.all([
      import('../api/diagnose.js'),
      import('../render/diagnose.js'),
      import('../render/style.js'),
    ])
    const hosts = flags.host?.length ? parsePlatformFlag('host', flags.host, flags['allow-unknown-platform']) : undefined
    const progress = process.stderr.isTTY ? new LayerProgressLine() : undefined
    try {
      const result = await diagnose(args.ref, {
        ...this.readOptions(flags),
        hosts,
        client: flags.client,
        allBinaries: flags['all-binaries'],
        layers: {
          ...layerReadOptionsFromFlags(flags),
          onProgress: (event) => {
            progress?.update(event)
            if (event.done) this.debugLog(`layer ${event.digest}: ${event.bytesRead} bytes read`)
          },
        },
      })
      progress?.clear()
      if (flags.json) await writeJson(result)
      else await writeStdout(renderDiagnoseText(result, styleFor(process.stdout, processEnvironment())))
      process.exitCode = diagnoseExitCode(result)
    } finally {
      progress?.clear()
    }
  }
}
