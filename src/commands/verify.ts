import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {processEnvironment} from '../cli/environment.js'
import {writeJson, writeStdout} from '../cli/output.js'
import {checkOutputFile, checkStepSummary, writeOutputFile} from '../cli/output-file.js'
import {
  allowFallbackFlag,
  allowUnknownPlatformFlag,
  clientFlag,
  jsonFlag,
  noTruncFlag,
  noteClientAliases,
  parseFlag,
  registryFlags,
} from '../cli/flags.js'
import {layerFlags, layerReadOptionsFromFlags} from '../cli/layer-flags.js'
import type {SignatureScope} from '../api/verify.js'
import {UsageError} from '../oci/errors.js'
import {DEFAULT_HOSTS} from '../oci/platform/hosts.js'
import {validateDigest} from '../oci/reference.js'
import {sanitizeText} from '../oci/sanitize.js'

export default class Verify extends BaseCommand {
  static override summary = 'Gate a release: every required platform resolves to the right, complete image, or exit 1 with the reason.'
  static override description = `Checks each REF (registry reference, oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST]; several are checked concurrently) for:
platform-missing, platform-fallback, config-mismatch, single-platform, duplicate-platform, unexpected-platform (--forbid-extra),
dangling-manifest, missing-blob (--blobs), mixed-media-types (warning), attestation-orphan (warning), digest-mismatch (--expect-digest, --metadata-file); with --deep, entrypoint-arch, entrypoint-missing and loader-missing (layers read);
with --require-provenance, --require-sbom, --require-signature, --expect-source or --expect-revision, the supply-chain checks of docs/attestations.md, attestation-subject and base-platform included.
Exit codes: 0 every check passed (warnings allowed unless --strict), 1 a check failed, 2 bad input, 3 an image could not be read.
Under GitHub Actions (GITHUB_ACTIONS=true) failures are also printed as ::error annotations and a summary table is appended to $GITHUB_STEP_SUMMARY.
Details and the --json schema: docs/verify.md.`

  static override examples = [
    '<%= config.bin %> verify ghcr.io/owner/app:1.4.0',
    '<%= config.bin %> verify --metadata-file build-metadata.json --blobs --junit archcheck.xml',
    '<%= config.bin %> verify app:1 app:latest --require linux/amd64,linux/arm64,linux/arm/v7 --forbid-extra',
    '<%= config.bin %> verify localhost:5000/tool:dev --require linux/amd64 --allow-single-platform --json',
    '<%= config.bin %> verify ghcr.io/owner/app:1.4.0 --deep --require linux/amd64,linux/arm64',
  ]

  static override strict = false

  static override args = {
    ref: Args.string({description: 'Image references to verify (several allowed; optional with --metadata-file).'}),
  }

  static override flags = {
    require: Flags.string({
      description:
        'Platform every reference must serve natively: os/arch[/variant], windows(10.0.20348)/amd64, or native (this machine); repeatable or comma-separated.',
      multiple: true,
      // Non-greedy: `--require linux/arm64 REF` leaves REF to be an argument.
      multipleNonGreedy: true,
      helpValue: 'PLATFORM',
      default: [...DEFAULT_HOSTS],
    }),
    client: clientFlag(),
    'allow-fallback': allowFallbackFlag,
    'allow-single-platform': Flags.boolean({
      description: 'Accept a tag that is a single image when its platform is the only one required.',
    }),
    'forbid-extra': Flags.boolean({description: 'Fail index entries for platforms not in --require (attestations excluded).'}),
    blobs: Flags.boolean({description: 'HEAD every layer blob (each once) to catch garbage-collected or half-pushed images.'}),
    'expect-digest': Flags.string({description: 'The digest every reference must point to (sha256:…).', helpValue: 'DIGEST'}),
    'metadata-file': Flags.string({
      description: 'JSON written by `docker buildx build --metadata-file`: its names are verified against its digest.',
      helpValue: 'FILE',
    }),
    strict: Flags.boolean({description: 'Warnings fail too.'}),
    junit: Flags.string({description: 'Also write a JUnit XML report to this file.', helpValue: 'FILE'}),
    html: Flags.string({description: 'Also write a self-contained HTML report to this file (opens offline).', helpValue: 'FILE'}),
    json: jsonFlag('the result', 'docs/verify.md'),
    quiet: Flags.boolean({
      char: 'q',
      description: 'Print only failures (and references that could not be read); nothing when every check passed.',
      exclusive: ['json'],
    }),
    'no-trunc': noTruncFlag,
    'allow-unknown-platform': allowUnknownPlatformFlag,
    deep: Flags.boolean({
      description:
        "Also read the layers of each required platform's image: entrypoint-arch, entrypoint-missing, loader-missing (docs/diagnose.md).",
    }),
    'require-provenance': Flags.boolean({
      description: 'Every platform image must have readable SLSA provenance attached (docs/attestations.md).',
    }),
    'require-sbom': Flags.boolean({description: 'Every platform image must have a readable SBOM (SPDX or CycloneDX) attached.'}),
    'require-signature': Flags.string({
      description:
        'A cosign signature must name the digest: of the index (the default when given bare), of each platform image, or of any of them. Verified with --key.',
      options: ['index', 'each', 'any'],
      helpValue: 'index|each|any',
    }),
    key: Flags.string({description: 'PEM public key (ECDSA P-256, Ed25519, RSA) signatures must verify with.', helpValue: 'FILE'}),
    'expect-source': Flags.string({description: "The source repository every platform's provenance must name.", helpValue: 'URL'}),
    'expect-revision': Flags.string({description: "The commit every platform's provenance must name (7+ hex digits).", helpValue: 'SHA'}),
    ...layerFlags,
    ...registryFlags,
  }

  /** `--require-signature` alone means `--require-signature=index`: oclif has no optional flag values. */
  private bareSignatureFlag(argv: string[]): string[] {
    return argv.flatMap((arg, i) =>
      arg === '--require-signature' && !['index', 'each', 'any'].includes(argv[i + 1] ?? '') ? ['--require-signature=index'] : [arg],
    )
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Verify, this.bareSignatureFlag(this.argv))
    if (flags.junit !== undefined) await checkOutputFile('junit', flags.junit)
    await checkStepSummary()
    if (flags.html !== undefined) await checkOutputFile('html', flags.html)
    // Checked here too: an empty value would otherwise be skipped and check nothing.
    if (flags['expect-digest'] !== undefined) parseFlag('expect-digest', () => validateDigest(flags['expect-digest']!))
    if (flags['expect-revision'] !== undefined && !/^[0-9a-f]{7,64}$/i.test(flags['expect-revision']))
      throw new UsageError(`--expect-revision: "${sanitizeText(flags['expect-revision'])}" is not a commit (7 to 64 hex digits)`)
    if (flags.key !== undefined && flags['require-signature'] === undefined)
      throw new UsageError('--key verifies signatures: give --require-signature too')
    const {readBuildMetadata, unreadableLine, verify, verifyExitCode} = await import('../api/verify.js')
    const metadata = flags['metadata-file'] ? await readBuildMetadata(flags['metadata-file']) : undefined
    noteClientAliases([flags.client])
    const result = await verify(argv as string[], {
      ...this.readOptions(flags),
      require: flags.require,
      allowUnknownPlatform: flags['allow-unknown-platform'],
      client: flags.client,
      allowFallback: flags['allow-fallback'],
      allowSinglePlatform: flags['allow-single-platform'],
      forbidExtra: flags['forbid-extra'],
      blobs: flags.blobs,
      strict: flags.strict,
      expectDigest: flags['expect-digest'],
      metadata,
      deep: flags.deep ? layerReadOptionsFromFlags(flags) : false,
      supplyChain: {
        requireProvenance: flags['require-provenance'],
        requireSbom: flags['require-sbom'],
        requireSignature: flags['require-signature'] as SignatureScope | undefined,
        key: flags.key,
        expectSource: flags['expect-source'],
        expectRevision: flags['expect-revision'],
      },
    })

    for (const report of result.references)
      if (report.verdict === 'error') process.stderr.write(`archcheck: ${sanitizeText(unreadableLine(report))}\n`)
    if (flags.json) {
      await writeJson(result)
    } else {
      const [{renderVerifySummary, renderVerifyText}, {styleFor}, {outputWidth}] = await Promise.all([
        import('../render/verify-text.js'),
        import('../render/style.js'),
        import('../render/fit.js'),
      ])
      const style = styleFor(process.stdout, processEnvironment())
      const options = {width: outputWidth(process.stdout, processEnvironment()), noTrunc: flags['no-trunc'], quiet: flags.quiet}
      // Failures first: the references that failed or could not be read, then those that passed.
      const order = {error: 0, fail: 1, pass: 2} as const
      const reports = [...result.references].sort((a, b) => order[a.verdict] - order[b.verdict])
      for (const report of reports) {
        const text = await renderVerifyText(report, result.strict, style, options)
        if (text) await writeStdout(flags.quiet ? text : `${text}\n`)
      }
      if (result.references.length > 1 && !flags.quiet) await writeStdout(renderVerifySummary(result, style))
    }
    const env = processEnvironment()
    if (env.GITHUB_ACTIONS === 'true') {
      const {reportToGithub} = await import('../render/github.js')
      // Annotations go to stderr under --json so stdout stays one JSON document (the runner reads both).
      await reportToGithub(result, env, (text) => (flags.json ? process.stderr : process.stdout).write(text))
    }
    if (flags.junit !== undefined) {
      const {renderJunit} = await import('../render/junit.js')
      await writeOutputFile('junit', flags.junit, renderJunit(result))
    }
    if (flags.html !== undefined) {
      const {renderVerifyHtml} = await import('../render/html.js')
      await writeOutputFile('html', flags.html, renderVerifyHtml(result))
    }
    process.exitCode = verifyExitCode(result)
  }
}
