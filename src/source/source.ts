/**
 * src/source: where image bytes come from. This module is the ImageSource interface each source
 * implements (manifests and blobs, digests verified, sizes bounded; referrers where the registry
 * has the API); open.ts opens a parsed SourceSpec as an OCI layout (oci-layout.ts), an OCI archive
 * (oci-archive.ts) or a registry repository (registry/: RegistryClient, transport, auth,
 * credentials); cache.ts keeps content by digest. It may import src/oci only.
 */

import type {Readable} from 'node:stream'

import type {AbortOptions} from '../oci/abort.js'
import type {Descriptor} from '../oci/types.js'

/** A manifest exactly as served: `digest` is the sha256 of `bytes`, already verified. */
export interface FetchedManifest {
  bytes: Uint8Array
  /** The media type, from the body's `mediaType` (checked against Content-Type where there is one). */
  mediaType: string
  digest: string
}

/**
 * Where images come from: a registry repository, an OCI layout directory or an OCI archive.
 * The image tree and every command work through this interface only, so each source shows the
 * same tree. Every method verifies digests against the bytes it hands out and bounds sizes, and
 * takes a `signal`: when it aborts, the call's requests, timers and open files are released and
 * the call rejects with an AbortError (a blob stream errors with one).
 */
export interface ImageSource {
  /** What the user named, normalised, for messages: `docker.io/library/alpine:3.20`, `oci-layout:fixtures/demo:latest`. */
  readonly displayName: string
  /** The tag or digest `fetchManifest()` resolves when called without an argument. */
  readonly defaultReference: string
  /** Largest manifest or config this source reads, in bytes (--max-manifest-size); the tree obeys it too. */
  readonly maxManifestBytes: number
  /** A manifest by tag or digest. Throws RegistryError (kind 'not-found', 'digest-mismatch', …). */
  fetchManifest(reference?: string, options?: AbortOptions): Promise<FetchedManifest>
  /** Whether a manifest exists, by digest (HEAD where the source has it). */
  manifestExists(digest: string, options?: AbortOptions): Promise<boolean>
  /** A small blob (an image config) read whole, verified against its digest, at most `maxBytes`. */
  fetchBlob(digest: string, maxBytes?: number, options?: AbortOptions): Promise<Uint8Array>
  /** A blob as a stream (layers). The stream errors if the bytes do not hash to `digest`. */
  openBlob(digest: string, options?: AbortOptions): Promise<Readable>
  /** Whether a blob exists (HEAD where the source has it). */
  blobExists(digest: string, options?: AbortOptions): Promise<boolean>
  /**
   * The repository's tags (a registry's tag list; a layout's `org.opencontainers.image.ref.name`
   * annotations), where the source can list them.
   */
  listTags?(options?: AbortOptions): Promise<string[]>
  /**
   * The OCI 1.1 referrers of a manifest (artifacts whose `subject` is `digest`), where the source
   * has a referrers API; undefined when it answers that it has none (the caller then reads the
   * fallback tag `sha256-<hex>`).
   */
  listReferrers?(digest: string, options?: ListReferrersOptions): Promise<Descriptor[] | undefined>
  /** Releases connections and file handles. */
  close(): Promise<void>
}

export interface ListReferrersOptions extends AbortOptions {
  /** Only referrers of this artifactType (filtered here when the registry does not say it applied the filter). */
  artifactType?: string
  /** Pages followed at most (default 10): a registry that keeps linking onwards is stopped here. */
  maxPages?: number
  /** Referrers kept at most (default 1000); more fail with kind 'too-large'. */
  maxReferrers?: number
}
