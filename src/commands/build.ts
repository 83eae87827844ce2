import {stat} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {BACKENDS, parsePlatformList, type BackendName} from '../api/build.js'
import {BaseCommand} from '../cli/base-command.js'
import {processEnvironment} from '../cli/environment.js'
import {writeJson, writeStdout} from '../cli/output.js'
import {renderBuildText} from '../render/build.js'
import {outputWidth} from '../render/fit.js'
import {styleFor} from '../render/style.js'
import {allowUnknownPlatformFlag, checkBuilderName, checkPlatformFlag, jsonFlag, parseFlag, registryFlags} from '../cli/flags.js'
import {checkOutputDirectory} from '../cli/output-file.js'
import {UsageError} from '../oci/errors.js'
import {parseReference} from '../oci/reference.js'

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
    tag: Flags.string({
      char: 't',
      description: 'Image reference to tag and push (repeatable).',
      helpValue: 'REF',
      multiple: true,
      multipleNonGreedy: true,
    }),
    platform: Flags.string({
      description: 'Platforms to build, comma-separated (repeatable).',
      helpValue: 'PLATFORMS',
      multiple: true,
      multipleNonGreedy: true,
      default: ['linux/amd64,linux/arm64'],
    }),
    'allow-unknown-platform': allowUnknownPlatformFlag,
    file: Flags.string({char: 'f', description: 'Dockerfile (default CONTEXT/Dockerfile).', helpValue: 'FILE'}),
    'build-arg': Flags.string({
      description: 'Build argument NAME=VALUE (repeatable).',
      helpValue: 'NAME=VALUE',
      multiple: true,
      multipleNonGreedy: true,
    }),
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
      if (!flags.output.startsWith('oci:') || flags.output.length === 4)
        throw new UsageError(`--output ${flags.output}: expected oci:PATH (an OCI layout directory)`)
      ociLayout = flags.output.slice(4)
      await checkOutputDirectory('output', flags.output, ociLayout)
    }
    // Each tag is a registry reference: a typo fails now, not after the build.
    for (const tag of flags.tag ?? []) parseFlag('tag', () => parseReference(tag))
    for (const buildArg of flags['build-arg'] ?? []) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*(=|$)/.test(buildArg)) throw new UsageError(`--build-arg ${buildArg}: expected NAME=VALUE`)
    }
    const platforms = parseFlag('platform', () => parsePlatformList(flags.platform))
    checkPlatformFlag('platform', platforms, flags['allow-unknown-platform'])
    await checkContextDirectory(args.context)

    const options = this.readOptions(flags)
    const [{build, buildExitCode}, {onInterrupt}] = await Promise.all([import('../api/build.js'), import('../cli/interrupt.js')])
    const result = await build({
      ...options,
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
      insecureRegistries: options.registry?.insecureRegistries,
      onInterrupt,
      verify: flags.verify,
    })
    if (flags.json) await writeJson(result)
    else {
      const env = processEnvironment()
      await writeStdout(await renderBuildText(result, styleFor(process.stdout, env), {width: outputWidth(process.stdout, env)}))
    }
    process.exitCode = buildExitCode(result)
  }
}

/** archcheck reads the Dockerfile from the context, so it must be a local directory. */
async function checkContextDirectory(context: string): Promise<void> {
  const found = await stat(context).catch(() => undefined)
  if (!found) throw new UsageError(`build context "${context}" does not exist`)
  if (!found.isDirectory()) throw new UsageError(`build context "${context}" is not a directory`)
}
