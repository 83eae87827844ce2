/** Talking to `docker buildx`: versions, builders and the build itself. */
import {BuildError, UsageError} from '../../oci/errors.js'
import {buildxCreateArgv, buildxInspectArgv} from './argv.js'
import {type BuilderInfo, parseBuilderInspect, parseBuildxVersion, parseDockerVersion} from './buildx-output.js'
import {captureCommand, formatCommand, NotInstalledError} from './exec.js'

/** The docker CLI, found on PATH (tests put a stand-in first). */
export const DOCKER = 'docker'

const firstLine = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.trim())
    .find(Boolean) ?? ''

export interface BuildxVersions {
  docker?: string
  buildx: string
}

/** Reads the docker CLI and buildx versions; fails (exit 2) when either is missing. */
export async function readBuildxVersions(signal?: AbortSignal): Promise<BuildxVersions> {
  const docker = DOCKER
  let dockerOutput
  try {
    dockerOutput = await captureCommand(docker, ['--version'], {timeoutMs: 15_000, signal})
  } catch (error) {
    if (error instanceof NotInstalledError)
      throw new UsageError(
        `docker is not installed (not found on PATH): buildx needs the docker CLI with the buildx plugin (archcheck build can use buildah instead: --backend buildah)`,
      )
    throw error
  }
  const buildx = await captureCommand(docker, ['buildx', 'version'], {timeoutMs: 15_000, signal})
  if (buildx.code !== 0) {
    throw new UsageError(
      `the docker buildx plugin is not installed (${formatCommand(docker, ['buildx', 'version'])}: ${firstLine(buildx.stderr || buildx.stdout)}); install docker-buildx (archcheck build can use buildah instead: --backend buildah)`,
    )
  }
  const buildxVersion = parseBuildxVersion(buildx.stdout)
  if (!buildxVersion) throw new UsageError(`cannot read the buildx version from "${firstLine(buildx.stdout)}"`)
  return {docker: parseDockerVersion(dockerOutput.stdout), buildx: buildxVersion}
}

/** `docker buildx inspect [NAME] [--bootstrap]`; undefined when no such builder exists. */
export async function inspectBuilder(name: string | undefined, bootstrap: boolean, signal?: AbortSignal): Promise<BuilderInfo | undefined> {
  const argv = buildxInspectArgv(name, bootstrap)
  const result = await captureCommand(DOCKER, argv, {timeoutMs: 120_000, signal})
  if (result.code !== 0) {
    const reason = firstLine(result.stderr || result.stdout)
    if (/no builder .*found|not found/i.test(reason)) return undefined
    throw new UsageError(`${formatCommand('docker', argv)} failed: ${reason}`)
  }
  return parseBuilderInspect(result.stdout)
}

export interface CreateBuilderOptions {
  driver: string
  platforms?: string[]
  use?: boolean
  /** Kills the docker commands it runs and rejects with an AbortError. */
  signal?: AbortSignal
}

/**
 * Creates the builder unless one of that name exists (then it is reused as it is, and made current
 * with `buildx use` when asked), boots it and returns what it supports.
 */
export async function createBuilder(name: string, options: CreateBuilderOptions): Promise<{builder: BuilderInfo; created: boolean}> {
  const docker = DOCKER
  let created = false
  const {signal} = options
  const existing = await inspectBuilder(name, false, signal)
  if (existing) {
    if (options.use) await runOrFail(docker, ['buildx', 'use', name], signal)
  } else {
    await runOrFail(docker, buildxCreateArgv(name, options), signal)
    created = true
  }
  const builder = await inspectBuilder(name, true, signal)
  if (!builder) throw new BuildError(`builder ${name} vanished after it was created`, 'builder-vanished')
  return {builder, created}
}

async function runOrFail(program: string, argv: string[], signal: AbortSignal | undefined): Promise<void> {
  const result = await captureCommand(program, argv, {timeoutMs: 120_000, signal})
  if (result.code !== 0) throw new UsageError(`${formatCommand('docker', argv)} failed: ${firstLine(result.stderr || result.stdout)}`)
}
