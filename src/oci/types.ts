/**
 * src/oci: the building blocks every layer shares, as plain values and rules: references and
 * source specs (reference.ts, parsed once where a user gives them), digests, media types,
 * descriptors and manifest parsing, platforms (platform/: parse, normalise, containerd's variant
 * tables, matching, this machine's platform), error classes, text sanitising. This module holds
 * the image tree types. It imports nothing else of archcheck and makes no request.
 */

import type {Platform} from './platform/types.js'

/** An OCI content descriptor, as found in an index or manifest (platform in library field names). */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: Platform
  annotations?: Record<string, string>
  artifactType?: string
}

/** What archcheck keeps of an image config blob. */
export interface ImageConfig {
  digest: string
  size: number
  mediaType: string
  os: string
  architecture: string
  variant?: string
  osVersion?: string
  created?: string
  entrypoint?: string[]
  cmd?: string[]
  env?: string[]
  workingDir?: string
  user?: string
}

/** A single-platform image: manifest, its config and layers. */
export interface ImageNode {
  kind: 'image'
  /** The descriptor this node was reached through (for the top node: digest, media type and size of the tag). */
  descriptor: Descriptor
  config: ImageConfig
  layers: Descriptor[]
  /** Sum of the layers' compressed sizes. */
  compressedSize: number
  /**
   * Set when the config's os/architecture/variant, normalised, differ from the platform the
   * index entry declares, normalised: a cause of "exec format error".
   */
  platformMismatch?: {declared: Platform; config: Platform}
  /** Set for buildx attestation manifests: the digest of the image they describe. */
  attestationFor?: string
}

/** An index (OCI image index or Docker manifest list) with its children, in index order. */
export interface IndexNode {
  kind: 'index'
  descriptor: Descriptor
  children: TreeNode[]
  annotations?: Record<string, string>
}

/**
 * Anything else an index points at (an artifact, an unknown media type), or an image the source
 * cannot serve whole (`missing`): shown, never crashed on.
 */
export interface OtherNode {
  kind: 'other'
  descriptor: Descriptor
  /** Why it was not followed, e.g. "unknown media type application/vnd.foo" or "manifest not found (dangling index entry)". */
  note: string
  /**
   * Set when the source does not have what pulling this image needs: its manifest (a dangling
   * index entry), or its config blob. Clients choose such an entry and then fail to pull it.
   */
  missing?: 'manifest' | 'config'
}

export type TreeNode = IndexNode | ImageNode | OtherNode

/** A reference resolved all the way down: tag → top descriptor → manifests → configs. */
export interface ImageTree {
  /** The source's display name (normalised reference). */
  reference: string
  root: TreeNode
}
