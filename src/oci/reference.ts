import {UsageError} from './errors.js'

/** A registry image reference after Docker's normalisation. */
export interface Reference {
  /** Registry host as users name it, with port: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string
  /** Repository path: `library/alpine`, `my/app`. */
  repository: string
  tag?: string
  digest?: string
}

export const DOCKER_HUB = 'docker.io'
/** The one other name distribution/reference reads as Docker Hub, exactly as written (registry-1.docker.io is a registry of its own). */
const LEGACY_DOCKER_HUB = 'index.docker.io'
/** The longest repository path, counted without the registry host (distribution/reference v0.6). */
const MAX_PATH_LENGTH = 255

// The grammar of distribution/reference, written out piece by piece.
const alnum = '[a-z0-9]+'
const separator = '(?:[._]|__|[-]+)'
const pathComponent = `${alnum}(?:${separator}${alnum})*`
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const ipv6 = '\\[[a-fA-F0-9:]+\\]'
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})`
const PATH_RE = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`)
const DOMAIN_RE = new RegExp(`^${host}(?::[0-9]+)?$`)
const TAG_RE = /^[\w][\w.-]{0,127}$/
const TAG_RULE = "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/
const HEX64_RE = /^[a-f0-9]{64}$/

/** Digest algorithms a registry may use, with the length of their hex encoding. */
const DIGEST_ALGORITHMS: Record<string, number> = {sha256: 64, sha512: 128}

/** Throws a UsageError unless `digest` is a well-formed digest of a supported algorithm. */
export function validateDigest(digest: string): void {
  const match = DIGEST_RE.exec(digest)
  if (!match) throw new UsageError(`invalid digest "${digest}": expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>`)
  const [, algorithm, encoded] = match
  const length = DIGEST_ALGORITHMS[algorithm]
  if (length === undefined) throw new UsageError(`unsupported digest algorithm "${algorithm}" in "${digest}" (supported: sha256, sha512)`)
  if (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) {
    throw new UsageError(`invalid ${algorithm} digest "${digest}": expected ${length} lower-case hex digits`)
  }
}

/** Throws a UsageError unless `tag` is a well-formed tag. */
export function validateTag(tag: string): void {
  if (!TAG_RE.test(tag)) throw new UsageError(`invalid tag "${tag}": ${TAG_RULE}`)
}

/**
 * Parses an image reference the way Docker does (distribution/reference v0.6
 * `ParseNormalizedNamed`): `alpine` is `docker.io/library/alpine`, `index.docker.io` is
 * `docker.io`, a first component with a dot, a colon, an upper-case letter or named `localhost`
 * is a registry host. The repository path, `library/` included and the host not, may be 255
 * characters long. No default tag is added. Throws a UsageError with the reason otherwise.
 */
export function parseReference(input: string): Reference {
  const text = input.trim()
  if (text === '') throw new UsageError('empty image reference')
  if (/\s/.test(text)) throw new UsageError(`invalid image reference "${input}": it contains white space`)
  // Only the whole text: `<64 hex>:tag` or `docker.io/<64 hex>` are names.
  if (HEX64_RE.test(text)) {
    const hint = `did you mean @sha256:${text}?`
    throw new UsageError(`invalid repository name "${text}": a 64-character hex string is an image ID, not a name (${hint})`)
  }

  let remainder = text
  let digest: string | undefined
  const at = remainder.indexOf('@')
  if (at !== -1) {
    digest = remainder.slice(at + 1)
    remainder = remainder.slice(0, at)
    validateDigest(digest)
  }

  let tag: string | undefined
  const lastSlash = remainder.lastIndexOf('/')
  const lastColon = remainder.lastIndexOf(':')
  if (lastColon > lastSlash) {
    tag = remainder.slice(lastColon + 1)
    remainder = remainder.slice(0, lastColon)
    if (!TAG_RE.test(tag)) {
      throw new UsageError(`invalid tag "${tag}" in "${input}": ${TAG_RULE}`)
    }
  }
  if (remainder === '') throw new UsageError(`invalid image reference "${input}": no repository name`)

  let registry = DOCKER_HUB
  let repository = remainder
  const firstSlash = remainder.indexOf('/')
  if (firstSlash !== -1) {
    const first = remainder.slice(0, firstSlash)
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first
      repository = remainder.slice(firstSlash + 1)
      if (!DOMAIN_RE.test(registry)) throw new UsageError(`invalid registry host "${registry}" in "${input}"`)
      const port = /:(\d+)$/.exec(registry)?.[1]
      if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))
        throw new UsageError(`invalid registry host "${registry}" in "${input}": the port must be 1 to 65535`)
    }
  }
  if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`

  if (repository !== repository.toLowerCase()) {
    throw new UsageError(`invalid repository name "${repository}" in "${input}": repository names must be lower-case`)
  }
  if (!PATH_RE.test(repository)) {
    throw new UsageError(
      `invalid repository name "${repository}" in "${input}": use lower-case letters, digits and separators (. _ __ -) between '/'-separated parts`,
    )
  }
  if (repository.length > MAX_PATH_LENGTH) {
    throw new UsageError(
      `repository name "${repository}" is ${repository.length} characters long; ` +
        `the limit is ${MAX_PATH_LENGTH} (the registry host is not counted)`,
    )
  }

  const reference: Reference = {registry, repository}
  if (tag !== undefined) reference.tag = tag
  if (digest !== undefined) reference.digest = digest
  return reference
}

/** `registry/repository[:tag][@digest]`, fully qualified. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`
}

/** The tag or digest to ask the registry for: the digest wins, then the tag, then `latest`. */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest'
}

/** The host that serves the registry API: Docker Hub's name differs from its API host. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry
}

/** What follows `oci-layout:` or `oci-archive:`: a path, then optionally `:TAG` or `@DIGEST`. */
export interface LayoutSpec {
  path: string
  tag?: string
  digest?: string
}

/**
 * An image source as a parsed value: a registry reference, or an OCI layout directory or archive
 * file with the tag or digest that picks an image in it. Made by parseSourceSpec; the layers pass
 * it down as is, so a reference is parsed (and its errors found) once, where a user gave it.
 */
export type SourceSpec =
  {kind: 'registry'; reference: Reference} | {kind: 'oci-layout'; layout: LayoutSpec} | {kind: 'oci-archive'; layout: LayoutSpec}

/**
 * Splits `PATH[:TAG|@DIGEST]` as skopeo does for `oci:`: a digest after the last `@`, otherwise
 * a tag after the first `:` (so paths must not contain `:`, but tags may be full references).
 */
export function parseLayoutSpec(text: string, scheme: string): LayoutSpec {
  const at = text.lastIndexOf('@')
  let spec: LayoutSpec
  if (at !== -1) {
    const digest = text.slice(at + 1)
    validateDigest(digest)
    spec = {path: text.slice(0, at), digest}
  } else {
    const colon = text.indexOf(':')
    spec = colon === -1 ? {path: text} : {path: text.slice(0, colon), tag: text.slice(colon + 1)}
    if (spec.tag === '') throw new UsageError(`empty tag in "${scheme}:${text}"`)
  }
  if (spec.path === '') throw new UsageError(`"${scheme}:${text}" names no path; expected ${scheme}:PATH[:TAG|@DIGEST]`)
  return spec
}

/**
 * Parses what a user named as an image source, the only place that knows the prefixes:
 * `oci-layout:PATH[:TAG|@DIGEST]` (also skopeo's and buildx's `oci:PATH`), `oci-archive:FILE[:TAG|@DIGEST]`,
 * or a registry reference, `docker://` optional. Throws a UsageError with the reason otherwise.
 */
export function parseSourceSpec(text: string): SourceSpec {
  for (const kind of ['oci-layout', 'oci-archive'] as const) {
    if (text.startsWith(`${kind}:`)) return {kind, layout: parseLayoutSpec(text.slice(kind.length + 1), kind)}
  }
  // `oci:5000/app` stays a registry host with a port.
  if (text.startsWith('oci:') && !/^oci:\d+\//.test(text)) return {kind: 'oci-layout', layout: parseLayoutSpec(text.slice(4), 'oci-layout')}
  return {kind: 'registry', reference: parseReference(text.startsWith('docker://') ? text.slice('docker://'.length) : text)}
}

/** A source spec as reports show it: registry references fully qualified, local ones as `oci-layout:PATH[:TAG|@DIGEST]`. */
export function formatSourceSpec(spec: SourceSpec): string {
  if (spec.kind === 'registry') return formatReference(spec.reference)
  const {path, tag, digest} = spec.layout
  return `${spec.kind}:${path}${digest ? `@${digest}` : tag ? `:${tag}` : ''}`
}

/** A registry spec with `latest` filled in when it names neither tag nor digest, as a pull reads it; other specs as they are. */
export function withDefaultTag(spec: SourceSpec): SourceSpec {
  if (spec.kind !== 'registry' || spec.reference.tag || spec.reference.digest) return spec
  return {kind: 'registry', reference: {...spec.reference, tag: 'latest'}}
}
