import {stat} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {BACKENDS, type BackendName} from '../build/argv.js'
import {parsePlatformList} from '../build/preflight.js'
import {BaseCommand} from '../cli/base-command.js'
import {writeStdout} from '../cli/output.js'
import {checkBuilderName, jsonFlag, parseFlag, registryFlags} from '../cli/flags.js'
import {checkOutputDirectory} from '../cli/output-file.js'
import {ExitCode, UsageError} from '../errors.js'
import {normalizePlatform} from '../platform/normalize.js'
import {parsePlatform} from '../platform/parse.js'
import {parseReference} from '../registry/reference.js'

export default class Build extends BaseCommand {
  static override summary = 'Build a multi-platform image, push it, and verify that what landed in the registry is right.'
  static override description = `Preflight first (each failure exits 2 before the build starts): the backend is installed and new enough for the flags used, the buildx builder exists (created when named and missing) and supports every platform, a multi-platform result is pushed or written to an OCI layout, and the Dockerfile is linted for multi-arch pitfalls (warnings; failures with --strict).
Then the backend builds with its progress on stderr, archcheck learns the pushed digest (buildx --metadata-file, buildah/podman --digestfile) and verifies it: the tag points to that digest and every built platform resolves.
Exit codes: 0 built and verified, 1 the build or the verification failed, 2 preflight or usage error, 3 the result could not be read back.`

  static override examples = [
    '<%= config.bin %> build -t ghcr.io/acme/app:1.2 --push .',
    '<%= config.bin %> build --backend buildah -t localhost:5000/app:dev --push --platform linux/amd64,linux/arm64 .',
    '<%= config.bin %> build --output oci:out/app --platform linux/amd64,linux/arm64 .',
  ]

  static override args = {
    context: Args.string({description: 'Build context directory.', default: '.'}),
  }

  static override flags = {
    tag: Flags.string({char: 't', description: 'Image reference to tag and push (repeatable).', helpValue: 'REF', multiple: true, multipleNonGreedy: true}),
    platform: Flags.string({description: 'Platforms to build, comma-separated (repeatable).', helpValue: 'PLATFORMS', multiple: true, multipleNonGreedy: true, default: ['linux/amd64,linux/arm64']}),
    file: Flags.string({char: 'f', description: 'Dockerfile (default CONTEXT/Dockerfile).', helpValue: 'FILE'}),
    'build-arg': Flags.string({description: 'Build argument NAME=VALUE (repeatable).', helpValue: 'NAME=VALUE', multiple: true, multipleNonGreedy: true}),
    target: Flags.string({description: 'Stage to build.', helpValue: 'STAGE'}),
    builder: Flags.string({description: 'buildx builder (default: the current one; created when missing).', helpValue: 'NAME'}),
    push: Flags.boolean({description: 'Push every tag to its registry.'}),
    output: Flags.string({description: 'Also write the result as an OCI layout directory: oci:PATH.', helpValue: 'oci:PATH'}),
    backend: Flags.string({description: 'What builds.', options: [...BACKENDS], default: 'buildx'}),
    provenance: Flags.string({description: 'Passed to buildx as --provenance=VALUE (buildx 0.10+).'}),
    sbom: Flags.string({description: 'Passed to buildx as --sbom=VALUE (buildx 0.10+).'}),
    verify: Flags.boolean({description: 'Verify the pushed result (--no-verify skips it).', default: true, allowNo: true}),
    strict: Flags.boolean({description: 'Dockerfile lint warnings and verify warnings fail.'}),
    json: jsonFlag('the build, lint and verification results', 'docs/build.md'),
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Build)
    const backend = flags.backend as BackendName
    if (backend !== 'buildx') {
      for (const flag of ['builder', 'provenance', 'sbom'] as const) {
        if (flags[flag] !== undefined) throw new UsageError(`--${flag} applies to --backend buildx only`)
      }
    }
    if (flags.builder !== undefined) checkBuilderName(flags.builder)
    let ociLayout: string | undefined
    if (flags.output !== undefined) {
      if (!flags.output.startsWith('oci:') || flags.output.length === 4) throw new UsageError(`--output ${flags.output}: expected oci:PATH (an OCI layout directory)`)
      ociLayout = flags.output.slice(4)
      await checkOutputDirectory('output', flags.output, ociLayout)
    }
    // Each tag is a registry reference: a typo fails now, not after the build.
    for (const tag of flags.tag ?? []) parseFlag('tag', () => parseReference(tag))
    for (const buildArg of flags['build-arg'] ?? []) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*(=|$)/.test(buildArg)) throw new UsageError(`--build-arg ${buildArg}: expected NAME=VALUE`)
    }
    const platforms = parseFlag('platform', () => parsePlatformList(flags.platform))
    await checkContextDirectory(args.context)

    const registry = this.registryOptions(flags)
    const {runBuild} = await import('../build/run-build.js')
    const result = await runBuild({
      backend,
      context: args.context,
      file: flags.file,
      tags: flags.tag ?? [],
      platforms,
      buildArgs: flags['build-arg'] ?? [],
      target: flags.target,
      builder: flags.builder,
      push: flags.push,
      ociLayout,
      provenance: flags.provenance,
      sbom: flags.sbom,
      strict: flags.strict,
      insecureRegistries: registry.insecureRegistries,
    })

    let verifications
    if (flags.verify) {
      const {verifyBuild} = await import('../build/verify-build.js')
      const required = platforms.map((platform) => normalizePlatform(parsePlatform(platform)))
      verifications = await verifyBuild(result.pushed, required, {registry, strict: flags.strict})
    }
    const reports = verifications?.map((verification) => verification.report)
    const {exitCodeOf} = await import('../verify/report.js')
    const exitCode = reports ? exitCodeOf(reports) : ExitCode.ok

    const {inspectView} = await import('../render/inspect-view.js')
    if (flags.json) {
      const {resolveJson} = await import('../render/resolve.js')
      const verification = verifications?.map(({report, tree, resolutions}) => ({...report, inspect: tree ? inspectView(tree) : null, resolve: tree ? resolveJson(tree, resolutions) : null}))
      const verdict = reports ? (reports.some((report) => report.verdict === 'error') ? 'error' : reports.some((report) => report.verdict === 'fail') ? 'fail' : 'pass') : 'skipped'
      await writeStdout(`${JSON.stringify({...result, verification: verification ?? null, verdict}, null, 2)}\n`)
    } else {
      const lines = [`built ${result.digest} for ${result.platforms.join(', ')} with ${result.backend}`]
      for (const target of result.pushed) lines.push(`pushed ${target.reference} -> ${target.digest}`)
      await writeStdout(`${lines.join('\n')}\n`)
      if (verifications) {
        const [{renderInspect}, {renderResolveText}, {renderVerifyText}, {styleFor}] = await Promise.all([
          import('../render/inspect-table.js'),
          import('../render/resolve.js'),
          import('../render/verify-text.js'),
          import('../render/style.js'),
        ])
        for (const {report, tree, resolutions} of verifications) {
          // tag -> index -> per-platform table, the pull each host gets, then verify's checks and verdict.
          if (tree) await writeStdout(`\n${await renderInspect(inspectView(tree), styleFor(process.stdout))}\n${await renderResolveText(tree, resolutions, styleFor(process.stdout))}`)
          await writeStdout(`\n${await renderVerifyText(report, styleFor(process.stdout))}`)
        }
      } else {
        await writeStdout('verification skipped (--no-verify)\n')
      }
    }
    if (exitCode !== ExitCode.ok) process.exitCode = exitCode
  }
}

/** archcheck reads the Dockerfile from the context, so it must be a local directory. */
async function checkContextDirectory(context: string): Promise<void> {
  const found = await stat(context).catch(() => undefined)
  if (!found) throw new UsageError(`build context "${context}" does not exist`)
  if (!found.isDirectory()) throw new UsageError(`build context "${context}" is not a directory`)
}
