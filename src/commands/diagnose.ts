import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {registryFlags, registryOptionsFromFlags} from '../cli/flags.js'
import {layerFlags, layerReadOptionsFromFlags} from '../cli/layer-flags.js'
import {ExitCode} from '../errors.js'
import {CLIENT_NAMES} from '../platform/clients.js'
import type {ClientName} from '../platform/resolution.js'

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
    ref: Args.string({description: 'Image reference, oci-layout:PATH[:TAG] or oci-archive:FILE[:TAG].', required: true}),
  }

  static override flags = {
    host: Flags.string({description: 'Host platform(s), repeatable or comma-separated; native is this machine. Default: native, linux/amd64 and linux/arm64.', multiple: true}),
    client: Flags.string({description: 'Pull client whose platform choice is simulated.', options: CLIENT_NAMES, default: 'docker'}),
    'all-binaries': Flags.boolean({description: 'Also list every executable ELF whose architecture differs from its image\'s platform, counted per machine.'}),
    json: Flags.boolean({description: 'Print the report as JSON (schema: docs/diagnose.md).'}),
    ...layerFlags,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Diagnose)
    const [{openSource}, {fetchImageTree}, {parseHosts}, {diagnoseImage}, {LayerProgressLine, renderDiagnoseText}, {showProgress}, {styleFor}] = await Promise.all([
      import('../image/open.js'),
      import('../image/tree.js'),
      import('../platform/hosts.js'),
      import('../layers/diagnose.js'),
      import('../render/diagnose.js'),
      import('../render/progress.js'),
      import('../render/style.js'),
    ])
    const hosts = parseHosts(flags.host?.length ? flags.host : ['native', 'linux/amd64', 'linux/arm64'])
    const registry = registryOptionsFromFlags(flags, this.debugEnabled ? (line) => this.debugLog(line) : undefined)
    const source = await openSource(args.ref, registry)
    const progress = process.stderr.isTTY ? new LayerProgressLine() : undefined
    try {
      const tree = await showProgress(`Reading ${source.displayName}`, () => fetchImageTree(source, {maxManifestBytes: registry.maxManifestBytes}))
      const report = await diagnoseImage(source, tree, {
        hosts,
        client: flags.client as ClientName,
        allBinaries: flags['all-binaries'],
        read: {
          ...layerReadOptionsFromFlags(flags),
          onProgress: (event) => {
            progress?.update(event)
            if (event.done) this.debugLog(`layer ${event.digest}: ${event.bytesRead} bytes read`)
          },
        },
      })
      progress?.clear()
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderDiagnoseText(report, styleFor(process.stdout)))
      if (report.failed) process.exitCode = ExitCode.checkFailed
    } finally {
      progress?.clear()
      await source.close()
    }
  }
}
