import {writeFile} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {registryFlags, registryOptionsFromFlags} from '../cli/flags.js'
import {layerFlags, layerReadOptionsFromFlags} from '../cli/layer-flags.js'
import {UsageError} from '../errors.js'
import {openSource} from '../image/open.js'
import {toHostPlatform} from '../platform/match.js'
import type {ClientName} from '../platform/resolution.js'
import {reportToGithub} from '../render/github.js'
import {renderJunit} from '../render/junit.js'
import {renderVerifyJson} from '../render/verify-json.js'
import {renderVerifyText} from '../render/verify-text.js'
import {styleFor} from '../render/style.js'
import {readBuildMetadata} from '../verify/metadata-file.js'
import {exitCodeOf} from '../verify/report.js'
import {verifyTargets} from '../verify/targets.js'
import {DEFAULT_REQUIRED_PLATFORMS, verifyTargetsWith} from '../verify/verify.js'

const CLIENTS: ClientName[] = ['docker', 'containerd', 'podman', 'exact']

export default class Verify extends BaseCommand {
  static override summary = 'Gate a release: every required platform resolves to the right, complete image, or exit 1 with the reason.'
  static override description = `Checks each REF (registry reference, oci-layout:PATH[:TAG] or oci-archive:FILE[:TAG]; several are checked concurrently) for:
platform-missing, platform-fallback, config-mismatch, single-platform, duplicate-platform, unexpected-platform (--forbid-extra),
dangling-manifest, missing-blob (--blobs), mixed-media-types (warning), attestation-orphan (warning), digest-mismatch (--expect-digest, --metadata-file); with --deep, entrypoint-arch, entrypoint-missing and loader-missing (layers read).
Exit codes: 0 every check passed (warnings allowed unless --strict), 1 a check failed, 2 bad input, 3 an image could not be read.
Under GitHub Actions (GITHUB_ACTIONS=true) failures are also printed as ::error annotations and a summary table is appended to $GITHUB_STEP_SUMMARY.
Details and the --json schema: docs/verify.md.`

  static override examples = [
    '<%= config.bin %> verify ghcr.io/owner/app:1.4.0',
    '<%= config.bin %> verify --metadata-file build-metadata.json --blobs --junit archcheck.xml',
    '<%= config.bin %> verify app:1 app:latest --require linux/amd64,linux/arm64,linux/arm/v7 --forbid-extra',
    '<%= config.bin %> verify localhost:5000/tool:dev --require linux/amd64 --allow-single-platform --json',
  ]

  static override strict = false

  static override args = {
    ref: Args.string({description: 'Image references to verify (several allowed; optional with --metadata-file).'}),
  }

  static override flags = {
    require: Flags.string({
      description: 'Platforms every reference must serve natively, comma-separated or repeated (native = this machine).',
      multiple: true,
      default: DEFAULT_REQUIRED_PLATFORMS.map((platform) => `${platform.os}/${platform.architecture}`),
    }),
    client: Flags.string({description: 'Whose platform choice decides.', options: CLIENTS, default: 'docker'}),
    'allow-fallback': Flags.boolean({description: 'Accept a platform served through a fallback (arm64 hosts running arm/v7).'}),
    'allow-single-platform': Flags.boolean({description: 'Accept a tag that is a single image when its platform is the only one required.'}),
    'forbid-extra': Flags.boolean({description: 'Fail index entries for platforms not in --require (attestations excluded).'}),
    blobs: Flags.boolean({description: 'HEAD every layer blob (each once) to catch garbage-collected or half-pushed images.'}),
    'expect-digest': Flags.string({description: 'The digest every reference must point to (sha256:…).'}),
    'metadata-file': Flags.string({description: 'JSON written by `docker buildx build --metadata-file`: its names are verified against its digest.'}),
    strict: Flags.boolean({description: 'Warnings fail too.'}),
    junit: Flags.string({description: 'Also write a JUnit XML report to this file.'}),
    json: Flags.boolean({description: 'Print the result as JSON (schema: docs/verify.md).'}),
    deep: Flags.boolean({description: 'Also read the layers of each required platform\'s image: entrypoint-arch, entrypoint-missing, loader-missing (docs/diagnose.md).'}),
    ...layerFlags,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Verify)
    const require = flags.require.flatMap((value) => value.split(',')).map((spec) => spec.trim()).filter(Boolean).map((spec) => toHostPlatform(spec))
    if (require.length === 0) throw new UsageError('--require needs at least one platform')
    const metadata = flags['metadata-file'] ? await readBuildMetadata(flags['metadata-file']) : undefined
    const targets = verifyTargets(argv as string[], {expectDigest: flags['expect-digest'], metadata})
    const registry = registryOptionsFromFlags(flags, this.debugEnabled ? (line) => this.debugLog(line) : undefined)
    const client = flags.client as ClientName
    const options = {
      require,
      client,
      allowFallback: flags['allow-fallback'],
      allowSinglePlatform: flags['allow-single-platform'],
      forbidExtra: flags['forbid-extra'],
      blobs: flags.blobs,
      strict: flags.strict,
      maxManifestBytes: registry.maxManifestBytes,
      providers: flags.deep ? [(await import('../layers/deep-checks.js')).deepChecks(layerReadOptionsFromFlags(flags))] : [],
    }
    const reports = await verifyTargetsWith(targets, options, (reference) => openSource(reference, registry))

    for (const report of reports) if (report.verdict === 'error') process.stderr.write(`archcheck: ${report.reference}: ${report.error}\n`)
    if (flags.json) {
      process.stdout.write(renderVerifyJson(reports, {require, client, strict: Boolean(flags.strict)}))
    } else {
      const style = styleFor(process.stdout)
      for (const report of reports) process.stdout.write(`${await renderVerifyText(report, style)}\n`)
    }
    if (process.env.GITHUB_ACTIONS === 'true') {
      // Annotations go to stderr under --json so stdout stays one JSON document (the runner reads both).
      await reportToGithub(reports, process.env, (text) => (flags.json ? process.stderr : process.stdout).write(text))
    }
    if (flags.junit) await writeJunit(flags.junit, renderJunit(reports))
    process.exitCode = exitCodeOf(reports)
  }
}

async function writeJunit(file: string, xml: string): Promise<void> {
  try {
    await writeFile(file, xml)
  } catch (error) {
    throw new UsageError(`cannot write JUnit file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
