/**
 * src/engine: what archcheck finds out about images, from any ImageSource. This module reads the
 * image tree (tag → index → images → configs); resolve/ simulates pulls per client model, verify/
 * runs the release checks, layers/ reads layers for diagnose, build/ drives buildx and buildah,
 * audit/ runs many images at once, supply-chain/ reads attestations, SBOMs and signatures. It
 * takes parsed values (SourceSpec, Platform) and options, never the process environment, and may
 * import src/oci and src/source only.
 */

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
  /** The top manifest, when the caller has read it already (`reference` is then not read). */
  top?: FetchedManifest
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
 * Most manifests plus index entries one tree may hold. Real indexes list tens of entries; a
 * source that names more (thousands of distinct children, or a fan-out of indexes whose entries
 * each point at the next) is broken or hostile, and every consumer's work grows with it.
 */
export const MAX_TREE_NODES = 10_000

/** What reading one entry's manifest gave. */
type Read = {kind: 'unreadable'} | {kind: 'missing'} | {kind: 'parsed'; parsed: ParsedManifest}

/**
 * Resolves a reference into its tree: the top manifest, each entry's manifest (concurrently),
 * then the configs (concurrently, each distinct blob once). A child manifest or a config the
 * source does not have becomes an `other` node marked `missing`, so the rest stays readable; a
 * missing top manifest (the tag) and any other error still throw.
 *
 * The tree is a graph of distinct manifests: each is fetched and parsed once, and an entry that
 * appears again (the same descriptor under another parent, or twice in one index) is the same
 * node object, its children the same array. Walk it with a visited set: a fan-out of nested
 * indexes whose entries point at the next level has few nodes but exponentially many paths.
 */
export async function fetchImageTree(source: ImageSource, options: FetchTreeOptions = {}): Promise<ImageTree> {
  const maxBytes = source.maxManifestBytes
  const limit = createLimiter(options.concurrency ?? 8)
  const manifests = new Map<string, Promise<FetchedManifest>>()
  /** Each entry's manifest read, by readKey; settled ones also in `settled` for the build phase. */
  const reads = new Map<string, Promise<Read>>()
  const settled = new Map<string, Read>()
  /** The deepest level each manifest was walked at: a deeper path walks it again, to hold the depth limit. */
  const deepest = new Map<string, number>()
  /** Config descriptors by digest, gathered while reading manifests and fetched afterwards. */
  const wantedConfigs = new Map<string, Descriptor>()
  const configs = new Map<string, ImageConfig>()
  /** Config blobs the source does not have, by digest: its message. */
  const missingConfigs = new Map<string, string>()
  let nodeCount = 0

  const count = (nodes: number): void => {
    nodeCount += nodes
    if (nodeCount > MAX_TREE_NODES) {
      throw new RegistryError(
        `${source.displayName} lists more than ${MAX_TREE_NODES} manifests and index entries; not reading further`,
        'too-large',
      )
    }
  }

  const fetchManifestOnce = (digest: string): Promise<FetchedManifest> => {
    let fetched = manifests.get(digest)
    if (!fetched) {
      fetched = limit(() => source.fetchManifest(digest))
      manifests.set(digest, fetched)
    }
    return fetched
  }

  /** Parses a manifest once and notes the config an image needs. */
  const parsedRead = (parsed: ParsedManifest): Read => {
    count(1 + (parsed.kind === 'index' ? parsed.manifests.length : 0))
    if (parsed.kind === 'image' && isImageConfigType(parsed.config.mediaType)) {
      checkSize(parsed.config.size, maxBytes, 'image config', parsed.config.digest)
      wantedConfigs.set(parsed.config.digest, parsed.config)
    }
    return {kind: 'parsed', parsed}
  }

  const readEntry = async (descriptor: Descriptor): Promise<Read> => {
    const {mediaType} = descriptor
    if (isSchema1Type(mediaType) || (!isIndexType(mediaType) && !isImageManifestType(mediaType))) return {kind: 'unreadable'}
    checkSize(descriptor.size, maxBytes, 'manifest', descriptor.digest)
    let fetched: FetchedManifest
    try {
      fetched = await fetchManifestOnce(descriptor.digest)
    } catch (error) {
      if (!isNotFound(error)) throw error
      return {kind: 'missing'}
    }
    if (fetched.bytes.length !== descriptor.size) {
      throw new RegistryError(
        `manifest ${descriptor.digest} is ${fetched.bytes.length} bytes but the index says ${descriptor.size}`,
        'malformed',
      )
    }
    return parsedRead(parseManifest(fetched.bytes, descriptor.digest, descriptor.mediaType))
  }

  const readOnce = (descriptor: Descriptor): Promise<Read> => {
    const key = readKey(descriptor)
    let read = reads.get(key)
    if (!read) {
      read = readEntry(descriptor).then((result) => {
        settled.set(key, result)
        return result
      })
      reads.set(key, read)
    }
    return read
  }

  // Phase one reads every distinct manifest once. A manifest reached again at a deeper level is
  // walked again (at most MAX_INDEX_DEPTH times) so that the longest path, not the first one,
  // meets the depth limit; a cycle, which only a lying source can make, meets it too.
  const walk = async (descriptor: Descriptor, depth: number): Promise<void> => {
    const key = readKey(descriptor)
    if ((deepest.get(key) ?? -1) >= depth) return
    deepest.set(key, depth)
    const read = await readOnce(descriptor)
    if (read.kind !== 'parsed' || read.parsed.kind !== 'index') return
    if (depth >= MAX_INDEX_DEPTH)
      throw new RegistryError(`index ${descriptor.digest} is nested more than ${MAX_INDEX_DEPTH} levels deep`, 'malformed')
    await Promise.all(read.parsed.manifests.map((child) => walk(child, depth + 1)))
  }

  const top = options.top ?? (await source.fetchManifest(options.reference ?? source.defaultReference))
  manifests.set(top.digest, Promise.resolve(top))
  const parsedTop = parseManifest(top.bytes, top.digest, top.mediaType || undefined)
  const rootDescriptor: Descriptor = {mediaType: parsedTop.mediaType, digest: top.digest, size: top.bytes.length}
  const rootRead = parsedRead(parsedTop)
  reads.set(readKey(rootDescriptor), Promise.resolve(rootRead))
  settled.set(readKey(rootDescriptor), rootRead)
  await walk(rootDescriptor, 0)

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

  // Phase two builds the nodes: one per distinct entry (an entry's descriptor carries its own
  // platform and annotations), one children array per distinct index.
  const nodes = new Map<string, TreeNode>()
  const childLists = new Map<string, TreeNode[]>()
  const build = (descriptor: Descriptor): TreeNode => {
    const key = JSON.stringify(descriptor)
    let node = nodes.get(key)
    if (!node) {
      node = buildNode(descriptor)
      nodes.set(key, node)
    }
    return node
  }
  const buildNode = (descriptor: Descriptor): TreeNode => {
    const read = settled.get(readKey(descriptor))!
    if (read.kind === 'missing') return {kind: 'other', descriptor, note: 'manifest not found (dangling index entry)', missing: 'manifest'}
    if (read.kind === 'unreadable' || read.parsed.kind === 'other') return {kind: 'other', descriptor, note: unreadableNote(descriptor)}
    const {parsed} = read
    if (parsed.kind === 'index') {
      const listKey = readKey(descriptor)
      let children = childLists.get(listKey)
      if (!children) {
        children = parsed.manifests.map(build)
        childLists.set(listKey, children)
      }
      return {kind: 'index', descriptor, children, ...(parsed.annotations ? {annotations: parsed.annotations} : {})}
    }
    if (!isImageConfigType(parsed.config.mediaType)) {
      const type = parsed.artifactType ?? descriptor.artifactType ?? parsed.config.mediaType
      return {kind: 'other', descriptor, note: `artifact of type ${type}, not an image`}
    }
    const missing = missingConfigs.get(parsed.config.digest)
    if (missing !== undefined) return {kind: 'other', descriptor, note: missing, missing: 'config'}
    return imageNode(descriptor, parsed.layers, configs.get(parsed.config.digest)!)
  }
  return {reference: source.displayName, root: build(rootDescriptor)}
}

/** A manifest as an entry reads it: under another media type it parses differently, under another size it fails. */
function readKey(descriptor: Descriptor): string {
  return `${descriptor.digest} ${descriptor.mediaType} ${descriptor.size}`
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
