/**
 * src/commands: the oclif commands, one per file (builder/: `builder create|inspect`). A command
 * maps its flags to an api call, hands the result to a renderer and sets the exit code; rules on
 * input belong to src/api. Commands may import src/api, src/cli, src/render and src/oci.
 */

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {processEnvironment} from '../cli/environment.js'
import {allowUnknownPlatformFlag, checkPlatformFlag, noTruncFlag, parseFlag, registryFlags} from '../cli/flags.js'
import {writeJson, writeStdout} from '../cli/output.js'
import {sanitizeText} from '../oci/sanitize.js'

export default class Inspect extends BaseCommand {
  static override summary = 'Show what an image tag points to: its index, one row per platform, configs and attestations.'
  static override description = `REF is a registry reference (alpine:3.20, ghcr.io/o/r@sha256:…, optionally prefixed docker://), an OCI layout directory (oci-layout:PATH[:TAG|@DIGEST]) or an OCI archive (oci-archive:FILE[:TAG|@DIGEST]).
Each row shows the platform the index declares and the platform the image's config says; a disagreement is marked, as it causes "exec format error".`

  static override examples = [
    '<%= config.bin %> inspect oci-layout:fixtures/demo',
    '<%= config.bin %> inspect alpine:3.20 --platform linux/arm64',
    '<%= config.bin %> inspect ghcr.io/owner/app:v1 --json',
    '<%= config.bin %> inspect localhost:5000/app:v1 --raw | sha256sum',
  ]

  static override args = {
    ref: Args.string({description: 'Image reference, oci-layout:PATH[:TAG] or oci-archive:FILE[:TAG].', required: true}),
  }

  static override flags = {
    json: Flags.boolean({description: 'Print the result as JSON on stdout (schema: docs/inspect.md).', exclusive: ['raw']}),
    raw: Flags.boolean({
      description: 'Print the exact bytes of the top manifest as served (their sha256 is the tag digest).',
      exclusive: ['json', 'platform'],
    }),
    platform: Flags.string({
      helpValue: 'PLATFORM',
      description:
        "Only show entries a host of this platform accepts, by containerd's rules: its own platform, then older variants and 32-bit mode (linux/arm64 also shows linux/arm/v7). os/arch[/variant], windows(10.0.20348)/amd64, or native.",
    }),
    'supply-chain': Flags.boolean({
      description:
        'Also show, per platform, whether provenance, an SBOM and a signature are attached (looks in the referrers and cosign tags: 5 requests more per platform; docs/attestations.md).',
      exclusive: ['raw'],
    }),
    'no-trunc': noTruncFlag,
    'allow-unknown-platform': allowUnknownPlatformFlag,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Inspect)
    const [{inspect, inspectExitCode, inspectRaw, platformFilter}, {renderInspect}, {styleFor}, {outputWidth}] = await Promise.all([
      import('../api/inspect.js'),
      import('../render/inspect-table.js'),
      import('../render/style.js'),
      import('../render/fit.js'),
    ])
    if (flags.platform !== undefined) {
      parseFlag('platform', () => platformFilter(flags.platform!))
      checkPlatformFlag('platform', [flags.platform], flags['allow-unknown-platform'])
    }
    const options = this.readOptions(flags)
    if (flags.raw) {
      const manifest = await inspectRaw(args.ref, options)
      this.debugLog(`top manifest ${manifest.digest} (${manifest.mediaType}, ${manifest.bytes.length} bytes)`)
      await writeStdout(manifest.bytes)
      return
    }
    const result = await inspect(args.ref, {...options, platform: flags.platform, supplyChain: flags['supply-chain']})
    if (flags.json) await writeJson(result)
    else
      await writeStdout(
        await renderInspect(result, styleFor(process.stdout, processEnvironment()), {
          width: outputWidth(process.stdout, processEnvironment()),
          noTrunc: flags['no-trunc'],
        }),
      )
    if (result.missing.length > 0) {
      // The readable part is shown, but the source cannot serve the whole tag.
      const list = result.missing.map((m) => `${m.platform ?? 'the image'} (${m.digest}: ${m.missing})`).join(', ')
      process.stderr.write(
        `archcheck: warning: ${result.missing.length} of the tag's images cannot be pulled, missing from the registry: ${sanitizeText(list)}\n`,
      )
    }
    process.exitCode = inspectExitCode(result)
  }
}
