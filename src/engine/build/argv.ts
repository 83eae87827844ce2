/**
 * The command lines archcheck runs for each backend, as pure functions of the request: what a
 * user would have typed themselves (the seed workflow), shown with --debug and unit-tested.
 */

export type BackendName = 'buildx' | 'buildah' | 'podman'
export const BACKENDS: readonly BackendName[] = ['buildx', 'buildah', 'podman']

export interface BuildRequest {
  /** Build context directory. */
  context: string
  /** Dockerfile path (default: the backend's, CONTEXT/Dockerfile). */
  file?: string
  /** Image references to tag and push. */
  tags: string[]
  /** Normalised `os/arch[/variant]` strings. */
  platforms: string[]
  /** `K=V` pairs, passed on as given. */
  buildArgs: string[]
  target?: string
  /** buildx builder name (default: the current builder). */
  builder?: string
  push: boolean
  /** Write an OCI layout directory here instead of (or besides) pushing. */
  ociLayout?: string
  /** buildx `--provenance` value, passed through (e.g. `false`, `mode=max`). */
  provenance?: string
  /** buildx `--sbom` value, passed through. */
  sbom?: string
}

/** `docker buildx build …`: pushed digest and names land in `metadataFile`. */
export function buildxBuildArgv(request: BuildRequest, metadataFile: string): string[] {
  const argv = ['buildx', 'build']
  if (request.builder) argv.push('--builder', request.builder)
  argv.push('--platform', request.platforms.join(','))
  for (const tag of request.tags) argv.push('-t', tag)
  if (request.file) argv.push('-f', request.file)
  if (request.target) argv.push('--target', request.target)
  for (const buildArg of request.buildArgs) argv.push('--build-arg', buildArg)
  if (request.provenance !== undefined) argv.push(`--provenance=${request.provenance}`)
  if (request.sbom !== undefined) argv.push(`--sbom=${request.sbom}`)
  argv.push('--metadata-file', metadataFile)
  if (request.push) argv.push('--push')
  if (request.ociLayout) argv.push('--output', `type=oci,dest=${request.ociLayout},tar=false`)
  argv.push(request.context)
  return argv
}

/** `docker buildx create --name NAME --driver DRIVER [--platform …] [--use]`. */
export function buildxCreateArgv(name: string, options: {driver: string; platforms?: string[]; use?: boolean}): string[] {
  const argv = ['buildx', 'create', '--name', name, '--driver', options.driver]
  if (options.platforms?.length) argv.push('--platform', options.platforms.join(','))
  if (options.use) argv.push('--use')
  return argv
}

/** `docker buildx inspect [NAME] --bootstrap`. */
export function buildxInspectArgv(name: string | undefined, bootstrap: boolean): string[] {
  return ['buildx', 'inspect', ...(name ? [name] : []), ...(bootstrap ? ['--bootstrap'] : [])]
}

/** `buildah|podman build --platform … --manifest NAME …`: every platform into one local manifest list. */
export function manifestBuildArgv(request: BuildRequest, manifestName: string): string[] {
  const argv = ['build', '--platform', request.platforms.join(','), '--manifest', manifestName]
  if (request.file) argv.push('-f', request.file)
  if (request.target) argv.push('--target', request.target)
  for (const buildArg of request.buildArgs) argv.push('--build-arg', buildArg)
  argv.push(request.context)
  return argv
}

/**
 * `buildah|podman manifest push --all NAME DEST` for each destination (every tag as `docker://`, the
 * OCI layout as `oci:`). `--all` pushes the per-platform images too: without it the registry rejects
 * the list. The digest of the pushed list lands in `digestFile`. Registries spoken to over plain
 * HTTP (`plainHttp`, e.g. loopback ones, as Docker treats them) get `--tls-verify=false`: buildah's
 * manifest push does not take that from registries.conf.
 */
export function manifestPushArgvs(
  request: BuildRequest,
  manifestName: string,
  digestFile: string,
  plainHttp: (tag: string) => boolean = () => false,
): string[][] {
  const pushes = [
    ...(request.push ? request.tags.map((tag) => ({destination: `docker://${tag}`, insecure: plainHttp(tag)})) : []),
    ...(request.ociLayout ? [{destination: `oci:${request.ociLayout}`, insecure: false}] : []),
  ]
  return pushes.map(({destination, insecure}) => [
    'manifest',
    'push',
    '--all',
    ...(insecure ? ['--tls-verify=false'] : []),
    '--digestfile',
    digestFile,
    manifestName,
    destination,
  ])
}
