import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {allowFallbackFlag, clientFlag, hostsFlag, jsonFlag, parseFlag, registryFlags} from '../cli/flags.js'
import {writeStdout} from '../cli/output.js'
import {readTree, withSource} from '../cli/source.js'
import {ExitCode} from '../oci/errors.js'
import {CLIENT_NAMES} from '../engine/resolve/clients.js'
import {parseHosts} from '../oci/platform/hosts.js'
import {resolveForHost} from '../engine/resolve/resolve.js'
import type {ClientName} from '../engine/resolve/resolution.js'
import {renderResolveText, resolveJson, verdictPasses} from '../render/resolve.js'
import {styleFor} from '../render/style.js'

export default class Resolve extends BaseCommand {
  static override summary = 'Simulate a pull: which image each host gets from a tag, and whether it will run there.'
  static override description = `REF is a registry reference, oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST].
For each host, archcheck picks the image the client would pick (matching entries only, never attestations, sorted by the client's preference) and checks the chosen image's declared platform and config against the host. Verdicts: ok, fallback (older variant or 32-bit mode), wrong-arch (exec format error ahead), no-match (the client refuses), ambiguous (several entries tie).
Exit status: 0 when every host is ok (or fallback with --allow-fallback), 1 otherwise, 2 for bad input, 3 when the image cannot be read. Details: docs/resolve.md.`

  static override examples = [
    '<%= config.bin %> resolve oci-layout:fixtures/demo',
    '<%= config.bin %> resolve ghcr.io/owner/app:v1 --host linux/arm/v7,linux/arm64 --explain',
    '<%= config.bin %> resolve alpine:3.20 --client all --host native',
    '<%= config.bin %> resolve localhost:5000/app:v1 --json',
  ]

  static override args = {
    ref: Args.string({description: 'Image reference, oci-layout:PATH[:TAG] or oci-archive:FILE[:TAG].', required: true}),
  }

  static override flags = {
    host: hostsFlag({purpose: 'Host platform to simulate', defaultText: 'linux/amd64,linux/arm64'}),
    client: clientFlag({all: true}),
    explain: Flags.boolean({description: 'List every index entry per host: accepted or rejected, why, and its rank.'}),
    json: jsonFlag('the result', 'docs/resolve.md'),
    'allow-fallback': allowFallbackFlag,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Resolve)
    const hosts = parseFlag('host', () => parseHosts(flags.host))
    const clients: ClientName[] = flags.client === 'all' ? CLIENT_NAMES : [flags.client as ClientName]
    const options = this.registryOptions(flags)
    await withSource(args.ref, options, async (source) => {
      const tree = await readTree(source)
      const resolutions = clients.flatMap((client) => hosts.map((host) => resolveForHost(tree, host, client)))
      const allowFallback = flags['allow-fallback']
      const output = flags.json
        ? `${JSON.stringify(resolveJson(tree, resolutions, {allowFallback}), null, 2)}\n`
        : await renderResolveText(tree, resolutions, styleFor(process.stdout), {explain: flags.explain})
      await writeStdout(output)
      if (!resolutions.every((r) => verdictPasses(r.verdict, allowFallback))) process.exitCode = ExitCode.checkFailed
    })
  }
}
