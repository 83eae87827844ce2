/**
 * `archcheck build`: preflight, the backend's build and push with its progress on stderr, the
 * pushed digest, then verification of what landed.
 */
import {randomBytes} from 'node:crypto'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {throwIfAborted} from '../../oci/abort.js'
import {BuildError, UsageError} from '../../oci/errors.js'
import {isDigest} from '../../oci/digest.js'
import {parseReference} from '../../oci/reference.js'
import {registryConnection} from '../../source/registry/scheme.js'
import {readBuildMetadata} from '../verify/metadata-file.js'
import {type BackendName, buildxBuildArgv, type BuildRequest, manifestBuildArgv, manifestPushArgvs} from './argv.js'
import type {BuilderInfo} from './buildx-output.js'
import {createBuilder, DOCKER, inspectBuilder, readBuildxVersions} from './buildx.js'
import type {LintWarning} from './dockerfile-lint.js'
import {captureCommand, formatCommand, NotInstalledError, streamCommand} from './exec.js'
import {
  checkBuildxVersions,
  checkDestination,
  emulationHint,
  formatLintWarning,
  lintBuildDockerfile,
  missingPlatforms,
  platformsWithoutEmulation,
  usedBuildxFlags,
} from './preflight.js'

const ignoreInterrupts = (): (() => void) => () => {}

export interface BuildOptions extends BuildRequest {
  backend: BackendName
  /** Lint warnings fail the preflight. */
  strict: boolean
  /** Where progress and warnings go (default stderr). */
  log?: (line: string) => void
  /** --insecure-registry hosts: pushed to over plain HTTP like loopback ones (with $ARCHCHECK_INSECURE_REGISTRIES). */
  insecureRegistries?: string[]
  /**
   * Registers a clean-up to run if the user interrupts the build (the CLI's Ctrl-C handler);
   * returns the function that unregisters it. Without it, nothing is registered.
   */
  onInterrupt?: (cleanup: () => unknown) => () => void
  /**
   * Cancels the build: the running backend command is killed (its clean-ups still run) and the
   * build rejects with an AbortError.
   */
  signal?: AbortSignal
}

/** Where one destination's result can be read back from, and the digest the build reported for it. */
export interface PushedTarget {
  /** A registry reference, or `oci-layout:PATH` for --output oci:PATH. */
  reference: string
  digest: string
}

export interface BuildResult {
  backend: BackendName
  platforms: string[]
  tags: string[]
  /** The digest of the pushed index (the first destination's, when several). */
  digest: string
  pushed: PushedTarget[]
  lint: {dockerfile: string; warnings: LintWarning[]}
  /** The backend's tool versions and, for buildx, the builder used. */
  tool: {name: string; version?: string; dockerVersion?: string; builder?: Pick<BuilderInfo, 'name' | 'driver' | 'status' | 'platforms'>}
  /** Every backend command run, program first. */
  commands: string[][]
}

const defaultLog = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

/** Preflight, build and push. Preflight failures throw UsageError (exit 2); a failing build exits 1. */
export async function runBuild(options: BuildOptions): Promise<BuildResult> {
  const log = options.log ?? defaultLog
  throwIfAborted(options.signal)
  checkDestination(options)
  const lint = await lintBuildDockerfile(options)
  for (const warning of lint.warnings) log(`${options.strict ? 'error' : 'warning'}: ${formatLintWarning(lint.path, warning)}`)
  if (options.strict && lint.warnings.length > 0) {
    throw new UsageError(
      `${lint.warnings.length} multi-arch problem${lint.warnings.length === 1 ? '' : 's'} in ${lint.path} (--strict); see above`,
    )
  }
  const lintResult = {dockerfile: lint.path, warnings: lint.warnings}
  return options.backend === 'buildx'
    ? buildWithBuildx(options, lintResult, log)
    : buildWithManifestTool(options.backend, options, lintResult, log)
}

async function buildWithBuildx(options: BuildOptions, lint: BuildResult['lint'], log: (line: string) => void): Promise<BuildResult> {
  const versions = await readBuildxVersions(options.signal)
  checkBuildxVersions(versions, usedBuildxFlags(options))
  const builder = await builderFor(options, log)
  if (builder.driver === 'docker' && options.platforms.length > 1) {
    throw new UsageError(
      `builder "${builder.name}" uses the docker driver, which cannot build several platforms into one image: create a docker-container builder with \`archcheck builder create --use\` or pass --builder NAME`,
    )
  }
  const missing = missingPlatforms(options.platforms, builder.platforms)
  if (missing.length > 0) {
    throw new UsageError(
      `builder "${builder.name}" does not support ${missing.join(', ')} (it supports ${builder.platforms.join(', ') || 'no platform'}); ${emulationHint(missing)}, then run \`archcheck builder inspect ${builder.name}\``,
    )
  }

  const work = await mkdtemp(join(tmpdir(), 'archcheck-build-'))
  const forgetWork = (options.onInterrupt ?? ignoreInterrupts)(() => rm(work, {recursive: true, force: true}))
  try {
    const metadataFile = join(work, 'metadata.json')
    const argv = buildxBuildArgv({...options, builder: options.builder ?? builder.name}, metadataFile)
    await runStep(DOCKER, argv, log, options.signal)
    // The build ran: a metadata file without a digest means its result went nowhere readable (exit 1, not a usage error).
    const [metadata] = await readBuildMetadata(metadataFile).catch((error: Error) => {
      throw new BuildError(`docker buildx build finished but reported no image digest: ${error.message}`, 'build-failed')
    })
    const pushed = [
      ...(options.push ? options.tags.map((reference) => ({reference, digest: metadata.digest})) : []),
      ...(options.ociLayout ? [{reference: `oci-layout:${options.ociLayout}`, digest: metadata.digest}] : []),
    ]
    return {
      backend: 'buildx',
      platforms: options.platforms,
      tags: options.tags,
      digest: metadata.digest,
      pushed,
      lint,
      tool: {
        name: 'buildx',
        version: versions.buildx,
        dockerVersion: versions.docker,
        builder: {name: builder.name, driver: builder.driver, status: builder.status, platforms: builder.platforms},
      },
      commands: [['docker', ...argv]],
    }
  } finally {
    forgetWork()
    await rm(work, {recursive: true, force: true})
  }
}

/** The named builder (created when missing) or the current one, booted. */
async function builderFor(options: BuildOptions, log: (line: string) => void): Promise<BuilderInfo> {
  if (options.builder) {
    const existing = await inspectBuilder(options.builder, true, options.signal)
    if (existing) return existing
    log(`builder "${options.builder}" does not exist yet: creating it (docker-container driver)`)
    return (await createBuilder(options.builder, {driver: 'docker-container', signal: options.signal})).builder
  }
  const current = await inspectBuilder(undefined, true, options.signal)
  if (!current) throw new UsageError('buildx has no current builder: create one with `archcheck builder create --use`')
  return current
}

async function buildWithManifestTool(
  tool: 'buildah' | 'podman',
  options: BuildOptions,
  lint: BuildResult['lint'],
  log: (line: string) => void,
): Promise<BuildResult> {
  let version: string | undefined
  try {
    const result = await captureCommand(tool, ['--version'], {timeoutMs: 15_000, signal: options.signal})
    version = /version\s+(\S+)/.exec(result.stdout)?.[1]
  } catch (error) {
    if (error instanceof NotInstalledError)
      throw new UsageError(
        `${tool} is not installed (not found on PATH): install it (Debian/Ubuntu: apt-get install ${tool}) or choose another --backend`,
      )
    throw error
  }
  const unemulated = await platformsWithoutEmulation(options.platforms)
  if (unemulated.length > 0) {
    throw new UsageError(
      `this machine cannot run ${unemulated.join(', ')} binaries, which RUN steps of a ${tool} build need: ${emulationHint(unemulated)}`,
    )
  }

  const work = await mkdtemp(join(tmpdir(), 'archcheck-build-'))
  const forgetWork = (options.onInterrupt ?? ignoreInterrupts)(() => rm(work, {recursive: true, force: true}))
  // A fresh list name: `--manifest` adds to an existing list of that name.
  const manifestName = `localhost/archcheck-build-${randomBytes(6).toString('hex')}`
  const commands: string[][] = []
  const before = await storedImages(tool)
  try {
    const buildArgv = manifestBuildArgv(options, manifestName)
    commands.push([tool, ...buildArgv])
    await runStep(tool, buildArgv, log, options.signal)
    const pushed: PushedTarget[] = []
    const digestFile = join(work, 'digest')
    const plainHttp = (tag: string): boolean =>
      registryConnection(parseReference(tag).registry, options.insecureRegistries ?? []) !== 'https'
    for (const pushArgv of manifestPushArgvs(options, manifestName, digestFile, plainHttp)) {
      commands.push([tool, ...pushArgv])
      await rm(digestFile, {force: true})
      await runStep(tool, pushArgv, log, options.signal)
      // buildah 1.28 can fail a push (e.g. TLS to a plain-HTTP registry) and still exit 0: only the digest file proves it landed.
      const digest = (await readFile(digestFile, 'utf8').catch(() => '')).trim()
      if (!isDigest(digest))
        throw new BuildError(
          `${tool} manifest push to ${pushArgv.at(-1)} wrote no digest: the push failed (see its output above)`,
          'build-failed',
        )
      const destination = pushArgv.at(-1)!
      pushed.push({
        reference: destination.startsWith('oci:') ? `oci-layout:${destination.slice(4)}` : destination.replace(/^docker:\/\//, ''),
        digest,
      })
    }
    return {
      backend: tool,
      platforms: options.platforms,
      tags: options.tags,
      digest: pushed[0].digest,
      pushed,
      lint,
      tool: {name: tool, version},
      commands,
    }
  } finally {
    forgetWork()
    await removeManifestList(tool, manifestName, before)
    await rm(work, {recursive: true, force: true})
  }
}

/** An image in buildah's or podman's storage: its id and the digest of its manifest. */
interface StoredImage {
  id: string
  digest: string
}

/** The images in local storage (buildah `images --json`, podman `images --format json`); empty when they cannot be listed. */
async function storedImages(tool: 'buildah' | 'podman'): Promise<StoredImage[]> {
  try {
    const {stdout} = await captureCommand(
      tool,
      tool === 'buildah' ? ['images', '--all', '--json'] : ['images', '--all', '--format', 'json'],
      {timeoutMs: 30_000},
    )
    const listed = JSON.parse(stdout || '[]') as Array<Record<string, unknown>>
    return listed.flatMap((image) => {
      const id = image.id ?? image.Id ?? image.ID
      const digest = image.digest ?? image.Digest
      return typeof id === 'string' && typeof digest === 'string' ? [{id, digest}] : []
    })
  } catch {
    return []
  }
}

/**
 * Removes the manifest list the build made and the per-platform images it holds, which `manifest
 * rm` leaves behind in storage. Only images that were not there before the build go: a cached
 * build may reuse an image the user already had.
 */
async function removeManifestList(tool: 'buildah' | 'podman', manifestName: string, before: readonly StoredImage[]): Promise<void> {
  const instances = await captureCommand(tool, ['manifest', 'inspect', manifestName], {timeoutMs: 30_000})
    .then(({stdout}) =>
      ((JSON.parse(stdout) as {manifests?: Array<{digest?: unknown}>}).manifests ?? []).map((entry) => String(entry.digest)),
    )
    .catch(() => [] as string[])
  await captureCommand(tool, ['manifest', 'rm', manifestName]).catch(() => undefined)
  const existed = new Set(before.map((image) => image.id))
  const made = (await storedImages(tool)).filter((image) => instances.includes(image.digest) && !existed.has(image.id))
  if (made.length > 0) await captureCommand(tool, ['rmi', ...made.map((image) => image.id)]).catch(() => undefined)
}

/** Runs one backend command with its progress on stderr; a non-zero exit fails the build (exit 1). */
async function runStep(program: string, argv: string[], log: (line: string) => void, signal: AbortSignal | undefined): Promise<void> {
  log(`+ ${formatCommand(program, argv)}`)
  const code = await streamCommand(program, argv, {signal})
  if (code !== 0) {
    const step = argv.slice(0, 2).filter((arg) => !arg.startsWith('-'))
    throw new BuildError(`${formatCommand(program, step)} failed with exit code ${code}; see its output above`, 'build-failed')
  }
}
