/**
 * Checks made before a long build starts, each failing fast with the reason and exit 2: the backend
 * is installed and new enough for the flags used, the builder exists and supports every platform,
 * the result goes somewhere a manifest list can live, and the Dockerfile has no multi-arch pitfall
 * (warnings, failures with --strict).
 */
import {readFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import semver from 'semver'

import {splitList} from '../../oci/list.js'
import {fileErrorText, UsageError} from '../../oci/errors.js'
import {nativePlatform} from '../../oci/platform/host.js'
import {formatPlatform, normalizePlatform} from '../../oci/platform/normalize.js'
import {parsePlatform} from '../../oci/platform/parse.js'
import type {BuildRequest} from './argv.js'
import {lintDockerfile, type LintWarning} from './dockerfile-lint.js'

/**
 * The oldest buildx that knows each flag archcheck may pass, from buildx's release notes:
 * - `--metadata-file`: docker/buildx#605 (merged June 2021), released in v0.6.0 (16 July 2021,
 *   "Engineering Update: BuildKit 0.9 and Docker Buildx 0.6 Releases", docker.com blog);
 * - `--provenance`, `--sbom`: v0.10.0 notes, "Build command supports new flags --attest and
 *   shorthands --sbom and --provenance" (they also need BuildKit 0.11 on the builder);
 * - `--output type=oci,…,tar=false` (an OCI layout directory): docker/buildx#1420 "Support new
 *   `tar` option for oci+docker exporters" (merged November 2022), released in v0.10.0;
 * - `--push` with `--output`: v0.13.0 notes, "Builds can now use multiple outputs with a single
 *   command (requires BuildKit v0.13+)".
 */
export const BUILDX_FLAG_MINIMUMS: Readonly<Record<string, string>> = {
  '--metadata-file': '0.6.0',
  '--provenance': '0.10.0',
  '--sbom': '0.10.0',
  '--output type=oci,tar=false': '0.10.0',
  /** `--push` and `--output` together are two exporters in one build. */
  '--push with --output': '0.13.0',
}

/** The oldest docker CLI that runs the buildx plugin as `docker buildx` (CLI plugins came with Docker 19.03, per buildx's README). */
export const MINIMUM_DOCKER_VERSION = '19.3.0'

/** The buildx flags a request needs (the metadata file is how archcheck learns the digest). */
export function usedBuildxFlags(request: Pick<BuildRequest, 'provenance' | 'sbom' | 'push' | 'ociLayout'>): string[] {
  const flags = ['--metadata-file']
  if (request.provenance !== undefined) flags.push('--provenance')
  if (request.sbom !== undefined) flags.push('--sbom')
  if (request.ociLayout) flags.push('--output type=oci,tar=false')
  if (request.push && request.ociLayout) flags.push('--push with --output')
  return flags
}

/** Throws when the docker CLI or buildx is older than the flags in use need. */
export function checkBuildxVersions(versions: {docker?: string; buildx: string}, flags: readonly string[]): void {
  if (versions.docker && semver.lt(versions.docker, MINIMUM_DOCKER_VERSION)) {
    throw new UsageError(`docker ${versions.docker} is too old for the buildx plugin: docker ${MINIMUM_DOCKER_VERSION} or newer is needed`)
  }
  const tooOld = flags.filter((flag) => {
    const minimum = BUILDX_FLAG_MINIMUMS[flag]
    return minimum !== undefined && semver.lt(versions.buildx, minimum)
  })
  if (tooOld.length > 0) {
    const needed = tooOld.map((flag) => `${flag} needs ${BUILDX_FLAG_MINIMUMS[flag]}`).join(', ')
    throw new UsageError(`buildx ${versions.buildx} is too old for this build (${needed}); update the docker buildx plugin`)
  }
}

/** Normalises `--platform` values (comma-separated, repeatable) into `os/arch[/variant]`, each once. */
export function parsePlatformList(values: readonly string[]): string[] {
  const platforms = splitList(values)
  if (platforms.length === 0) throw new UsageError('--platform names no platform')
  return [...new Set(platforms.map((spec) => formatPlatform(normalizePlatform(parsePlatform(spec)))))]
}

/**
 * The result must go somewhere archcheck can read it back: a registry (--push) or an OCI layout.
 * A multi-platform result cannot go anywhere else: no local image store holds a manifest list.
 */
export function checkDestination(request: Pick<BuildRequest, 'platforms' | 'push' | 'ociLayout' | 'tags'>): void {
  if (request.push && request.tags.length === 0) throw new UsageError('--push needs at least one -t/--tag to push to')
  if (request.push || request.ociLayout) return
  if (request.platforms.length > 1) {
    throw new UsageError(
      `a build for ${request.platforms.length} platforms (${request.platforms.join(', ')}) must be pushed (--push) or written to an OCI layout (--output oci:PATH): the local image store cannot hold a manifest list`,
    )
  }
  throw new UsageError(
    'archcheck build verifies what it pushes: pass --push or --output oci:PATH (to load a single-platform image into the local image store, run `docker buildx build --load` instead)',
  )
}

/** The requested platforms a builder does not list, compared after normalisation. */
export function missingPlatforms(requested: readonly string[], supported: readonly string[]): string[] {
  const available = new Set(
    supported.flatMap((spec) => {
      try {
        return [formatPlatform(normalizePlatform(parsePlatform(spec)))]
      } catch {
        return []
      }
    }),
  )
  return requested.filter((platform) => !available.has(platform))
}

/** The architecture names of tonistiigi/binfmt and of QEMU's binfmt_misc handlers. */
const QEMU_NAMES: Readonly<Record<string, string>> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  arm: 'arm',
  '386': 'i386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64le: 'mips64el',
  mips64: 'mips64',
  loong64: 'loongarch64',
}

/** How to make a machine run binaries of other architectures. */
export function emulationHint(platforms: readonly string[]): string {
  const arches = [...new Set(platforms.map((platform) => platform.split('/')[1]))].join(',')
  return `register QEMU emulators with \`docker run --privileged --rm tonistiigi/binfmt --install ${arches}\` (or on Debian: apt-get install qemu-user-static binfmt-support)`
}

/** Architectures this machine runs without emulation. */
function nativeArchitectures(): Set<string> {
  const arch = nativePlatform().architecture
  const native = new Set([arch])
  if (arch === 'amd64') native.add('386')
  if (arch === 'arm64') native.add('arm')
  return native
}

/**
 * For buildah/podman, which run RUN steps on this kernel: the platforms whose binaries can neither
 * run natively nor through an enabled QEMU handler in binfmt_misc.
 */
export async function platformsWithoutEmulation(platforms: readonly string[], binfmtDir = '/proc/sys/fs/binfmt_misc'): Promise<string[]> {
  const native = nativeArchitectures()
  const missing: string[] = []
  for (const platform of platforms) {
    const [os, arch] = platform.split('/')
    if (os !== 'linux' || native.has(arch)) continue
    const handler = QEMU_NAMES[arch] ?? arch
    const status = await readFile(join(binfmtDir, `qemu-${handler}`), 'utf8').catch(() => '')
    if (!status.startsWith('enabled')) missing.push(platform)
  }
  return missing
}

/** Reads the Dockerfile (CONTEXT/Dockerfile by default) and lints it; a missing file fails with exit 2. */
export async function lintBuildDockerfile(
  request: Pick<BuildRequest, 'context' | 'file' | 'platforms' | 'target'>,
): Promise<{path: string; warnings: LintWarning[]}> {
  const path = request.file ? resolve(request.file) : join(resolve(request.context), 'Dockerfile')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read Dockerfile ${path}: ${fileErrorText(error)}`)
  }
  return {path, warnings: lintDockerfile(text, {platforms: request.platforms, target: request.target})}
}

/** `Dockerfile:12: message` lines, as editors and CI annotate them. */
export function formatLintWarning(path: string, warning: LintWarning): string {
  return `${path}:${warning.line}: ${warning.message} [${warning.rule}]`
}
