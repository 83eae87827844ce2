/**
 * What `inspect` shows, as plain data: the table is drawn from it and `--json` prints it as is,
 * so both always say the same thing. The schema is documented in docs/inspect.md; change it only
 * by adding fields (or bump schemaVersion).
 */
import {formatPlatform} from '../oci/platform/normalize.js'
import type {Platform} from '../oci/platform/types.js'
import type {ImageNode, ImageTree, TreeNode} from '../oci/types.js'
import {writtenConfigPlatform} from './config-platform.js'

export interface ConfigView {
  digest: string
  mediaType: string
  size: number
  os: string
  architecture: string
  variant: string | null
  osVersion: string | null
  created: string | null
  entrypoint: string[] | null
  cmd: string[] | null
}

/** One runnable image: an index entry, or the whole tag when it is single-platform. */
export interface PlatformView {
  /** The platform the index declares, `os/arch[/variant]`; null when it declares none (or there is no index). */
  platform: string | null
  declaredPlatform: Platform | null
  digest: string
  mediaType: string
  size: number
  /** The config's own platform, `os/arch[/variant]`. */
  configPlatform: string
  /** True when the declared and config platforms differ (after normalisation): "exec format error" ahead. */
  platformMismatch: boolean
  config: ConfigView
  layers: number
  compressedSize: number
  created: string | null
  /** The index that lists this entry; null for a single-platform tag. */
  index: string | null
  /** Attestation manifests in the same tree that describe this image. */
  attestations: string[]
}

export interface AttestationView {
  digest: string
  mediaType: string
  size: number
  /** The manifest digest it describes (`vnd.docker.reference.digest`); null when the index does not say. */
  attests: string | null
  /** The declared platform of the attested entry; null when it is not in this tree. */
  attestsPlatform: string | null
  /** in-toto predicate types of its layers (SLSA provenance, SPDX SBOM, …). */
  predicateTypes: string[]
  /** The index listing it; null when the reference names the attestation itself (by digest). */
  index: string | null
}

/** An index listed inside another index. */
export interface NestedIndexView {
  digest: string
  mediaType: string
  size: number
  platform: string | null
  index: string
  entries: number
}

/** An entry archcheck does not read: an artifact or an unknown media type. */
export interface OtherView {
  digest: string
  mediaType: string
  size: number
  platform: string | null
  artifactType: string | null
  note: string
  index: string | null
}

/** An image the index lists (or the tag itself) that the source cannot serve: pulls of it fail. */
export interface MissingView {
  digest: string
  mediaType: string
  size: number
  /** The platform the index declares for it; null when none (or the tag is one image). */
  platform: string | null
  /** What is gone: the entry's manifest (a dangling entry) or its image's config blob. */
  missing: 'manifest' | 'config'
  /** The source's words, e.g. "manifest not found (dangling index entry)". */
  message: string
  index: string | null
}

export interface InspectView {
  /** The normalised reference or local source. */
  reference: string
  /** Digest, media type and size of what the reference points to. */
  digest: string
  mediaType: string
  size: number
  kind: 'index' | 'image' | 'other'
  /** True when the tag is one image with no index: every host pulls it. */
  singlePlatform: boolean
  /** The --platform filter applied to `platforms` and `attestations`, if any. */
  platformFilter: string | null
  platforms: PlatformView[]
  attestations: AttestationView[]
  indexes: NestedIndexView[]
  others: OtherView[]
  /** Images the source cannot serve (listed whatever --platform says): when not empty, `inspect` exits 3. */
  missing: MissingView[]
}

export interface PlatformFilter {
  spec: string
  matches: (platform: Platform | undefined) => boolean
}

const IN_TOTO_PREDICATE_ANNOTATION = 'in-toto.io/predicate-type'
const IN_TOTO_LAYER = 'application/vnd.in-toto+json'

/**
 * An attestation manifest named on its own (REPO@DIGEST): no index annotation says what it is, but
 * buildx writes its config as unknown/unknown and its layers as in-toto statements.
 */
function isBareAttestation(node: ImageNode): boolean {
  const unknownPlatform = node.config.os === 'unknown' && node.config.architecture === 'unknown'
  return (
    node.layers.length > 0 &&
    node.layers.every((layer) => layer.mediaType === IN_TOTO_LAYER) &&
    (unknownPlatform || node.layers.some((l) => l.annotations?.[IN_TOTO_PREDICATE_ANNOTATION]))
  )
}

export function inspectView(tree: ImageTree, filter?: PlatformFilter): InspectView {
  const {root} = tree
  const view: InspectView = {
    reference: tree.reference,
    digest: root.descriptor.digest,
    mediaType: root.descriptor.mediaType,
    size: root.descriptor.size,
    kind: root.kind,
    singlePlatform: root.kind === 'image' && !isBareAttestation(root),
    platformFilter: filter?.spec ?? null,
    platforms: [],
    attestations: [],
    indexes: [],
    others: [],
    missing: [],
  }
  const images: Array<{node: ImageNode; index: string | null}> = []
  const attestations: Array<{node: ImageNode; index: string | null}> = []

  // The tree shares a nested index that appears more than once: its entries are shown under
  // the first place it appears, and each further appearance is one row of `indexes`.
  const shown = new Set<string>()
  const visit = (node: TreeNode, index: string | null): void => {
    const platform = node.descriptor.platform ? formatPlatform(node.descriptor.platform) : null
    if (node.kind === 'index') {
      if (index !== null) view.indexes.push({...identity(node), platform, index, entries: node.children.length})
      if (shown.has(node.descriptor.digest)) return
      shown.add(node.descriptor.digest)
      for (const child of node.children) visit(child, node.descriptor.digest)
    } else if (node.kind === 'other' && node.missing) {
      view.missing.push({...identity(node), platform, missing: node.missing, message: node.note, index})
    } else if (node.kind === 'other') {
      view.others.push({...identity(node), platform, artifactType: node.descriptor.artifactType ?? null, note: node.note, index})
    } else if ((node.attestationFor !== undefined && index !== null) || (index === null && isBareAttestation(node))) {
      attestations.push({node, index})
    } else {
      images.push({node, index})
    }
  }
  visit(root, null)

  const kept = images.filter(({node}) => !filter || filter.matches(node.descriptor.platform ?? writtenConfigPlatform(node)))
  const platformOf = new Map(kept.map(({node}) => [node.descriptor.digest, node.descriptor.platform]))
  view.platforms = kept.map(({node, index}) => platformView(node, index, attestations))
  view.attestations = attestations
    .filter(({node}) => !filter || platformOf.has(node.attestationFor ?? ''))
    .map(({node, index}) => {
      const attested = node.attestationFor ? platformOf.get(node.attestationFor) : undefined
      return {
        ...identity(node),
        attests: node.attestationFor || null,
        attestsPlatform: attested ? formatPlatform(attested) : null,
        predicateTypes: node.layers.map((l) => l.annotations?.[IN_TOTO_PREDICATE_ANNOTATION]).filter((t): t is string => Boolean(t)),
        index,
      }
    })
  return view
}

function identity(node: TreeNode): {digest: string; mediaType: string; size: number} {
  return {digest: node.descriptor.digest, mediaType: node.descriptor.mediaType, size: node.descriptor.size}
}

function platformView(node: ImageNode, index: string | null, attestations: Array<{node: ImageNode}>): PlatformView {
  const {config} = node
  const declared = node.descriptor.platform
  return {
    platform: declared ? formatPlatform(declared) : null,
    declaredPlatform: declared ?? null,
    ...identity(node),
    configPlatform: formatPlatform(writtenConfigPlatform(node)),
    platformMismatch: node.platformMismatch !== undefined,
    config: {
      digest: config.digest,
      mediaType: config.mediaType,
      size: config.size,
      os: config.os,
      architecture: config.architecture,
      variant: config.variant ?? null,
      osVersion: config.osVersion ?? null,
      created: config.created ?? null,
      entrypoint: config.entrypoint ?? null,
      cmd: config.cmd ?? null,
    },
    layers: node.layers.length,
    compressedSize: node.compressedSize,
    created: config.created ?? null,
    index,
    attestations: attestations.filter((a) => a.node.attestationFor === node.descriptor.digest).map((a) => a.node.descriptor.digest),
  }
}
