import {RegistryError} from '../oci/errors.js'
import {formatPlatform, normalizePlatform} from '../oci/platform/normalize.js'
import {createLimiter} from './limit.js'
import {checkSize} from '../oci/digest.js'
import {type ParsedManifest, isImageConfigType, parseImageConfig, parseManifest} from '../oci/manifest.js'
import {isImageManifestType, isIndexType, isSchema1Type} from '../oci/media-types.js'
import type {FetchedManifest, ImageSource} from '../source/source.js'
import type {Descriptor, ImageConfig, ImageNode, ImageTree, TreeNode} from '../oci/types.js'
import {matchingConfigPlatform} from './config-platform.js'

export interface FetchTreeOptions {
  /** Tag or digest to start from (default: the source's default reference). */
  reference?: string
  /** How many child manifests or configs are fetched at once (default 8). */
  concurrency?: number
}

export const ATTESTATION_TYPE_ANNOTATION = 'vnd.docker.reference.type'
export const ATTESTATION_DIGEST_ANNOTATION = 'vnd.docker.reference.digest'
/** For a buildx attestation manifest, the digest of the image it describes ('' when it names none); undefined for anything else. */
export function attestationSubject(descriptor: Descriptor): string | undefined {
  if (descriptor.annotations?.[ATTESTATION_TYPE_ANNOTATION] !== 'attestation-manifest') return undefined
  return descriptor.annotations[ATTESTATION_DIGEST_ANNOTATION] ?? ''
}

/** Indexes nest rarely and shallowly; deeper than this is a broken or hostile source. */
const MAX_INDEX_DEPTH = 8

/**
 * Resolves a reference into its tree: the top manifest, each entry's manifest (concurrently),
 * then the configs (concurrently, each distinct blob once). A child manifest or a config the
 * source does not have becomes an `other` node marked `missing`, so the rest stays readable; a
 * missing top manifest (the tag) and any other error still throw.
 */
export async function fetchImageTree(source: ImageSource, options: FetchTreeOptions = {}): Promise<ImageTree> {
  const maxBytes = source.maxManifestBytes
  const limit = createLimiter(options.concurrency ?? 8)
  const manifests = new Map<string, Promise<FetchedManifest>>()
  /** Config descriptors by digest, gathered while reading manifests and fetched afterwards. */
  const wantedConfigs = new Map<string, Descriptor>()
  const configs = new Map<string, ImageConfig>()
  /** Config blobs the source does not have, by digest: its message. */
  const missingConfigs = new Map<string, string>()

  const fetchManifestOnce = (digest: string): Promise<FetchedManifest> => {
    let fetched = manifests.get(digest)
    if (!fetched) {
      fetched = limit(() => source.fetchManifest(digest))
      manifests.set(digest, fetched)
    }
    return fetched
  }

  // Phase one reads manifests and returns, for each node, a function that builds it once the
  // configs of phase two are known.
  type Build = () => TreeNode

  const nodeFor = async (descriptor: Descriptor, parsed: ParsedManifest, depth: number): Promise<Build> => {
    if (parsed.kind === 'other') return () => ({kind: 'other', descriptor, note: unreadableNote(descriptor)})
    if (parsed.kind === 'index') {
      if (depth >= MAX_INDEX_DEPTH)
        throw new RegistryError(`index ${descriptor.digest} is nested more than ${MAX_INDEX_DEPTH} levels deep`, 'malformed')
      const children = await Promise.all(parsed.manifests.map((child) => childNode(child, depth + 1)))
      return () => ({
        kind: 'index',
        descriptor,
        children: children.map((build) => build()),
        ...(parsed.annotations ? {annotations: parsed.annotations} : {}),
      })
    }
    if (!isImageConfigType(parsed.config.mediaType)) {
      const type = parsed.artifactType ?? descriptor.artifactType ?? parsed.config.mediaType
      return () => ({kind: 'other', descriptor, note: `artifact of type ${type}, not an image`})
    }
    checkSize(parsed.config.size, maxBytes, 'image config', parsed.config.digest)
    wantedConfigs.set(parsed.config.digest, parsed.config)
    return () => {
      const missing = missingConfigs.get(parsed.config.digest)
      if (missing !== undefined) return {kind: 'other', descriptor, note: missing, missing: 'config'}
      return imageNode(descriptor, parsed.layers, configs.get(parsed.config.digest)!)
    }
  }

  const childNode = async (descriptor: Descriptor, depth: number): Promise<Build> => {
    const {mediaType} = descriptor
    if (isSchema1Type(mediaType) || (!isIndexType(mediaType) && !isImageManifestType(mediaType))) {
      return () => ({kind: 'other', descriptor, note: unreadableNote(descriptor)})
    }
    checkSize(descriptor.size, maxBytes, 'manifest', descriptor.digest)
    let fetched: FetchedManifest
    try {
      fetched = await fetchManifestOnce(descriptor.digest)
    } catch (error) {
      if (!isNotFound(error)) throw error
      return () => ({kind: 'other', descriptor, note: 'manifest not found (dangling index entry)', missing: 'manifest'})
    }
    if (fetched.bytes.length !== descriptor.size) {
      throw new RegistryError(
        `manifest ${descriptor.digest} is ${fetched.bytes.length} bytes but the index says ${descriptor.size}`,
        'malformed',
      )
    }
    return nodeFor(descriptor, parseManifest(fetched.bytes, descriptor.digest, descriptor.mediaType), depth)
  }

  const top = await source.fetchManifest(options.reference ?? source.defaultReference)
  manifests.set(top.digest, Promise.resolve(top))
  const parsedTop = parseManifest(top.bytes, top.digest, top.mediaType || undefined)
  const buildRoot = await nodeFor({mediaType: parsedTop.mediaType, digest: top.digest, size: top.bytes.length}, parsedTop, 0)

  await Promise.all(
    [...wantedConfigs.values()].map((descriptor) =>
      limit(async () => {
        let bytes: Uint8Array
        try {
          bytes = await source.fetchBlob(descriptor.digest, maxBytes)
        } catch (error) {
          if (!isNotFound(error)) throw error
          missingConfigs.set(descriptor.digest, error.message)
          return
        }
        if (bytes.length !== descriptor.size) {
          throw new RegistryError(
            `image config ${descriptor.digest} is ${bytes.length} bytes but its manifest says ${descriptor.size}`,
            'malformed',
          )
        }
        configs.set(descriptor.digest, parseImageConfig(bytes, descriptor))
      }),
    ),
  )
  return {reference: source.displayName, root: buildRoot()}
}

/** The source lacks it: a child the tree shows as missing rather than failing the whole reference. */
function isNotFound(error: unknown): error is RegistryError {
  return error instanceof RegistryError && error.kind === 'not-found'
}

/** An image node from its manifest's parts and config, attestation link and mismatch flag included. */
function imageNode(descriptor: Descriptor, layers: Descriptor[], config: ImageConfig): ImageNode {
  const node: ImageNode = {kind: 'image', descriptor, config, layers, compressedSize: layers.reduce((sum, layer) => sum + layer.size, 0)}
  const subject = attestationSubject(descriptor)
  if (subject !== undefined) node.attestationFor = subject
  const mismatch = platformMismatch(node)
  if (mismatch) node.platformMismatch = mismatch
  return node
}

/**
 * The declared and config platforms when they differ in os, architecture or variant after
 * normalisation. A config without a variant takes the entry's, as the pull simulation judges it
 * (many configs omit it), so inspect and verify flag the same entries.
 */
function platformMismatch(node: ImageNode): ImageNode['platformMismatch'] {
  const declared = node.descriptor.platform
  if (!declared || node.attestationFor !== undefined) return undefined
  const normalized = normalizePlatform(declared)
  const config = matchingConfigPlatform(node, normalized)
  if (formatPlatform(normalized) === formatPlatform(config)) return undefined
  return {declared: normalized, config}
}

function unreadableNote(descriptor: Descriptor): string {
  if (isSchema1Type(descriptor.mediaType)) return 'Docker schema 1 manifest (deprecated, not read)'
  if (descriptor.artifactType) return `artifact of type ${descriptor.artifactType}`
  return `unknown media type ${descriptor.mediaType}`
}
