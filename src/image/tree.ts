import {RegistryError} from '../errors.js'
import {normalizePlatform} from '../platform/normalize.js'
import type {Platform} from '../platform/types.js'
import {createLimiter} from '../util/limit.js'
import {DEFAULT_MAX_MANIFEST_BYTES, checkSize} from './digest.js'
import {type ParsedManifest, isImageConfigType, parseImageConfig, parseManifest} from './manifest.js'
import {isImageManifestType, isIndexType, isSchema1Type} from './media-types.js'
import type {FetchedManifest, ImageSource} from './source.js'
import type {Descriptor, ImageConfig, ImageNode, ImageTree, TreeNode} from './types.js'

export interface FetchTreeOptions {
  /** Tag or digest to start from (default: the source's default reference). */
  reference?: string
  /** Largest manifest or config accepted, in bytes (default 4 MiB). */
  maxManifestBytes?: number
  /** How many child manifests or configs are fetched at once (default 8). */
  concurrency?: number
}

export const ATTESTATION_TYPE_ANNOTATION = 'vnd.docker.reference.type'
export const ATTESTATION_DIGEST_ANNOTATION = 'vnd.docker.reference.digest'
/** Indexes nest rarely and shallowly; deeper than this is a broken or hostile source. */
const MAX_INDEX_DEPTH = 8

/**
 * Resolves a reference into its tree: the top manifest, each entry's manifest (concurrently),
 * then the configs (concurrently, each distinct blob once).
 */
export async function fetchImageTree(source: ImageSource, options: FetchTreeOptions = {}): Promise<ImageTree> {
  const maxBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES
  const limit = createLimiter(options.concurrency ?? 8)
  const manifests = new Map<string, Promise<FetchedManifest>>()
  const configs = new Map<string, Promise<ImageConfig>>()
  /** Image nodes waiting for their config, filled in once all manifests are known. */
  const pending: Array<{node: ImageNode; config: Descriptor}> = []

  const fetchManifestOnce = (digest: string): Promise<FetchedManifest> => {
    let fetched = manifests.get(digest)
    if (!fetched) {
      fetched = limit(() => source.fetchManifest(digest))
      manifests.set(digest, fetched)
    }
    return fetched
  }

  const fetchConfigOnce = (descriptor: Descriptor): Promise<ImageConfig> => {
    let config = configs.get(descriptor.digest)
    if (!config) {
      checkSize(descriptor.size, maxBytes, 'image config', descriptor.digest)
      config = limit(async () => parseImageConfig(await source.fetchBlob(descriptor.digest, maxBytes), descriptor))
      configs.set(descriptor.digest, config)
    }
    return config
  }

  const nodeFor = async (descriptor: Descriptor, parsed: ParsedManifest, depth: number): Promise<TreeNode> => {
    if (parsed.kind === 'other') return {kind: 'other', descriptor, note: unreadableNote(descriptor)}
    if (parsed.kind === 'index') {
      if (depth >= MAX_INDEX_DEPTH) throw new RegistryError(`index ${descriptor.digest} is nested more than ${MAX_INDEX_DEPTH} levels deep`, 'malformed')
      const children = await Promise.all(parsed.manifests.map((child) => childNode(child, depth + 1)))
      return {kind: 'index', descriptor, children, ...(parsed.annotations ? {annotations: parsed.annotations} : {})}
    }
    if (!isImageConfigType(parsed.config.mediaType)) {
      const type = parsed.artifactType ?? descriptor.artifactType ?? parsed.config.mediaType
      return {kind: 'other', descriptor, note: `artifact of type ${type}, not an image`}
    }
    const node: ImageNode = {
      kind: 'image',
      descriptor,
      config: undefined as unknown as ImageConfig, // filled in by the config phase below
      layers: parsed.layers,
      compressedSize: parsed.layers.reduce((sum, layer) => sum + layer.size, 0),
    }
    if (descriptor.annotations?.[ATTESTATION_TYPE_ANNOTATION] === 'attestation-manifest') {
      node.attestationFor = descriptor.annotations[ATTESTATION_DIGEST_ANNOTATION] ?? ''
    }
    pending.push({node, config: parsed.config})
    return node
  }

  const childNode = async (descriptor: Descriptor, depth: number): Promise<TreeNode> => {
    const {mediaType} = descriptor
    if (isSchema1Type(mediaType) || (!isIndexType(mediaType) && !isImageManifestType(mediaType))) {
      return {kind: 'other', descriptor, note: unreadableNote(descriptor)}
    }
    checkSize(descriptor.size, maxBytes, 'manifest', descriptor.digest)
    const fetched = await fetchManifestOnce(descriptor.digest)
    if (fetched.bytes.length !== descriptor.size) {
      throw new RegistryError(`manifest ${descriptor.digest} is ${fetched.bytes.length} bytes but the index says ${descriptor.size}`, 'malformed')
    }
    return nodeFor(descriptor, parseManifest(fetched.bytes, descriptor.digest, descriptor.mediaType), depth)
  }

  const top = await source.fetchManifest(options.reference ?? source.defaultReference)
  checkSize(top.bytes.length, maxBytes, 'manifest', top.digest)
  manifests.set(top.digest, Promise.resolve(top))
  const parsedTop = parseManifest(top.bytes, top.digest, top.mediaType || undefined)
  const root = await nodeFor({mediaType: parsedTop.mediaType, digest: top.digest, size: top.bytes.length}, parsedTop, 0)

  await Promise.all(
    pending.map(async ({node, config}) => {
      node.config = await fetchConfigOnce(config)
      const mismatch = platformMismatch(node)
      if (mismatch) node.platformMismatch = mismatch
    }),
  )
  return {reference: source.displayName, root}
}

/** The declared and config platforms when they differ in os, architecture or variant after normalisation. */
function platformMismatch(node: ImageNode): ImageNode['platformMismatch'] {
  const declared = node.descriptor.platform
  if (!declared || node.attestationFor !== undefined) return undefined
  const {config: c} = node
  const fromConfig: Platform = {os: c.os, architecture: c.architecture, ...(c.variant ? {variant: c.variant} : {})}
  const a = normalizePlatform(declared)
  const b = normalizePlatform(fromConfig)
  if (a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '')) return undefined
  return {declared, config: fromConfig}
}

function unreadableNote(descriptor: Descriptor): string {
  if (isSchema1Type(descriptor.mediaType)) return 'Docker schema 1 manifest (deprecated, not read)'
  if (descriptor.artifactType) return `artifact of type ${descriptor.artifactType}`
  return `unknown media type ${descriptor.mediaType}`
}
