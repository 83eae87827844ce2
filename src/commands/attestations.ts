import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {processEnvironment} from '../cli/environment.js'
import {jsonFlag, registryFlags} from '../cli/flags.js'
import {writeJson, writeStdout} from '../cli/output.js'
import {sanitizeText} from '../oci/sanitize.js'

export default class Attestations extends BaseCommand {
  static override summary = 'Show who built an image, from what, and who signed it: provenance, SBOMs and signatures per platform.'
  static override description = `Looks for artifacts of the tag's index and of each platform image in three places: buildx attestation manifests in the index, the OCI referrers API (or its fallback tag sha256-<hex>), and cosign's sha256-<hex>.sig/.att/.sbom tags.
Reads SLSA provenance v0.2 and v1, SPDX and CycloneDX SBOMs, cosign signatures (verified with --key) and sigstore bundles (identity shown, not verified).
Exit codes: 0 read, 2 bad input, 3 something attached could not be read or a place could not be looked in. Details: docs/attestations.md.`

  static override examples = [
    '<%= config.bin %> attestations ghcr.io/owner/app:1.4.0',
    '<%= config.bin %> attestations ghcr.io/owner/app:1.4.0 --key cosign.pub --json',
    '<%= config.bin %> attestations ghcr.io/owner/app:1.4.0 --predicate https://slsa.dev/provenance/v0.2 --platform linux/arm64',
  ]

  static override args = {
    ref: Args.string({description: 'Image reference, oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST].', required: true}),
  }

  static override flags = {
    json: jsonFlag('the result', 'docs/attestations.md'),
    key: Flags.string({
      description: 'PEM public key (ECDSA P-256, Ed25519 or RSA, as cosign.pub) to verify cosign signatures with.',
      helpValue: 'FILE',
    }),
    predicate: Flags.string({
      description: 'Print the decoded predicate of this type (e.g. https://slsa.dev/provenance/v1) as JSON instead.',
      helpValue: 'TYPE',
      exclusive: ['json'],
    }),
    platform: Flags.string({
      description: 'With --predicate: the platform (os/arch[/variant], or index) whose predicate to print.',
      helpValue: 'PLATFORM|index',
      dependsOn: ['predicate'],
    }),
    'diff-platforms': Flags.boolean({description: "Compare each platform's SBOM packages with the first platform's."}),
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Attestations)
    const [{attestations, attestationsExitCode, attestationProblems, selectPredicate}, {renderAttestations}, {styleFor}] =
      await Promise.all([import('../api/attestations.js'), import('../render/attestations.js'), import('../render/style.js')])
    const result = await attestations(args.ref, {
      ...this.readOptions(flags),
      key: flags.key,
      predicate: flags.predicate,
      diffPlatforms: flags['diff-platforms'],
    })
    if (flags.predicate !== undefined) {
      await writeStdout(`${JSON.stringify(selectPredicate(result, flags.predicate, flags.platform), null, 2)}\n`)
      return
    }
    if (flags.json) await writeJson(result)
    else await writeStdout(renderAttestations(result, styleFor(process.stdout, processEnvironment())))
    for (const line of attestationProblems(result)) process.stderr.write(`archcheck: ${sanitizeText(line)}\n`)
    process.exitCode = attestationsExitCode(result)
  }
}
