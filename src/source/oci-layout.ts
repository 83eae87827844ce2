/**
 * Images from an OCI image layout: a directory (`oci-layout:PATH[:TAG|@DIGEST]`, as
 * `buildx --output type=oci,tar=false` and `skopeo copy … oci:PATH` write it) or, through
 * LayoutFiles, the same layout inside a tar (oci-archive.ts). Every blob handed out is verified
 * against its digest, and manifests and configs are bounded in size.
 */
import {createReadStream} from 'node:fs'
import {realpath, stat} from 'node:fs/promises'
import path from 'node:path'
import {pipeline, type Readable} from 'node:stream'

import {AbortWatch, throwIfAborted, type AbortOptions} from '../oci/abort.js'
import {RegistryError, UsageError} from '../oci/errors.js'
import {parseLayoutSpec, validateDigest, type LayoutSpec} from '../oci/reference.js'
import {DEFAULT_MAX_MANIFEST_BYTES, checkSize, isDigest, verifyDigest, verifyingStream} from '../oci/digest.js'
import {manifestMediaType, parseJsonObject, parseManifest} from '../oci/manifest.js'
import type {FetchedManifest, ImageSource} from './source.js'
import type {Descriptor} from '../oci/types.js'

const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name'

/** Read access to the files of a layout, wherever they are stored. */
export interface LayoutFiles {
  /** The size of a file (path relative to the layout root, `/`-separated), or undefined when absent. */
  size(relativePath: string): Promise<number | undefined>
  /** The file's bytes as a stream. */
  open(relativePath: string): Readable
  close(): Promise<void>
}

/** Files of a layout directory on disk. */
class DirectoryFiles implements LayoutFiles {
  /** Where size() found each file after symlinks, inside the layout: what open() reads. */
  private readonly resolved = new Map<string, string>()
  private realRoot?: Promise<string>

  constructor(readonly root: string) {}

  /**
   * A file's size, or undefined when absent. A symlink (index.json, a blob) may lead elsewhere in
   * the layout, never out of it: a layout from someone else must not make archcheck read, and
   * quote, a file of the user's such as a token.
   */
  async size(relativePath: string): Promise<number | undefined> {
    const file = path.join(this.root, relativePath)
    let info
    let real
    try {
      info = await stat(file)
      if (!info.isFile()) return undefined
      real = await realpath(file)
      this.realRoot ??= realpath(this.root)
      const root = await this.realRoot
      if (real !== root && !real.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`)) real = undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new RegistryError(`cannot read ${file}: ${(error as Error).message}`, 'io', {cause: error})
    }
    if (real === undefined) {
      throw new RegistryError(
        `oci-layout:${this.root}: ${relativePath} is a symlink that leads outside the layout directory; it is not followed`,
        'malformed',
      )
    }
    this.resolved.set(relativePath, real)
    return info.size
  }

  open(relativePath: string): Readable {
    return createReadStream(this.resolved.get(relativePath) ?? path.join(this.root, relativePath))
  }

  async close(): Promise<void> {}
}

export interface LayoutSourceOptions {
  /** Largest manifest, config or index.json accepted, in bytes (default 4 MiB). */
  maxManifestBytes?: number
}

/** An OCI image layout as an ImageSource. */
export class OciLayoutSource implements ImageSource {
  readonly displayName: string
  readonly defaultReference: string
  /** `scheme:PATH`, without tag or digest. */
  readonly location: string
  /** Callers' signals, watched once each however many files are open. */
  private readonly aborts = new AbortWatch()

  protected constructor(
    private readonly files: LayoutFiles,
    /** The entries of index.json. */
    readonly entries: Descriptor[],
    scheme: string,
    spec: LayoutSpec,
    readonly maxManifestBytes: number,
  ) {
    this.location = `${scheme}:${spec.path}`
    const chosen = spec.digest ? {digest: spec.digest, tag: undefined} : chooseEntry(entries, spec, this.location)
    this.defaultReference = chosen.tag ?? chosen.digest
    this.displayName = `${this.location}${chosen.tag ? `:${chosen.tag}` : `@${chosen.digest}`}`
  }

  /** Opens the layout directory named by `spec` (`PATH[:TAG|@DIGEST]`). */
  static async open(spec: string | LayoutSpec, options: LayoutSourceOptions = {}): Promise<OciLayoutSource> {
    const parsed = typeof spec === 'string' ? parseLayoutSpec(spec, 'oci-layout') : spec
    const info = await stat(parsed.path).catch(() => undefined)
    if (!info) throw new UsageError(`OCI layout directory "${parsed.path}" does not exist`)
    if (!info.isDirectory()) throw new UsageError(`"${parsed.path}" is not a directory; for a tar file use oci-archive:${parsed.path}`)
    return OciLayoutSource.fromFiles(new DirectoryFiles(parsed.path), parsed, 'oci-layout', options)
  }

  /** Reads and checks `oci-layout` and `index.json` through `files`. */
  private static async readEntries(files: LayoutFiles, where: string, maxBytes: number): Promise<Descriptor[]> {
    const marker = await files.size('oci-layout')
    if (marker === undefined) throw new UsageError(`${where} is not an OCI image layout: it has no "oci-layout" file`)
    const indexSize = await files.size('index.json')
    if (indexSize === undefined) throw new UsageError(`${where} is not an OCI image layout: it has no "index.json"`)
    checkSize(indexSize, maxBytes, 'index.json of', where)
    const index = parseManifest(await readAll(files.open('index.json'), maxBytes, `index.json of ${where}`), `index.json of ${where}`)
    if (index.kind !== 'index') throw new RegistryError(`index.json of ${where} is not an OCI image index`, 'malformed')
    return index.manifests
  }

  /** An image source over layout files kept anywhere (a directory, a tar); closes them on failure. */
  static async fromFiles(files: LayoutFiles, spec: LayoutSpec, scheme: string, options: LayoutSourceOptions): Promise<OciLayoutSource> {
    const maxBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES
    try {
      const entries = await OciLayoutSource.readEntries(files, `${scheme}:${spec.path}`, maxBytes)
      return new OciLayoutSource(files, entries, scheme, spec, maxBytes)
    } catch (error) {
      await files.close()
      throw error
    }
  }

  async fetchManifest(reference: string = this.defaultReference, {signal}: AbortOptions = {}): Promise<FetchedManifest> {
    throwIfAborted(signal)
    const entry = isDigest(reference) ? this.entries.find((e) => e.digest === reference) : this.entryForTag(reference)
    const digest = entry?.digest ?? reference
    if (entry) checkSize(entry.size, this.maxManifestBytes, 'manifest', digest)
    const bytes = await this.readVerified(digest, this.maxManifestBytes, 'manifest', signal)
    if (entry && bytes.length !== entry.size) {
      throw new RegistryError(
        `manifest ${digest} is ${bytes.length} bytes but index.json of ${this.location} says ${entry.size}`,
        'malformed',
      )
    }
    const mediaType = manifestMediaType(parseJsonObject(bytes, 'manifest', digest), digest, entry?.mediaType)
    return {bytes, mediaType, digest}
  }

  /** The layout's tags: each distinct `org.opencontainers.image.ref.name` of index.json, in index order. */
  listTags({signal}: AbortOptions = {}): Promise<string[]> {
    throwIfAborted(signal)
    const tags = this.entries.map((e) => e.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => t !== undefined && t !== '')
    return Promise.resolve([...new Set(tags)])
  }

  async manifestExists(digest: string, options: AbortOptions = {}): Promise<boolean> {
    return this.blobExists(digest, options)
  }

  async fetchBlob(digest: string, maxBytes = this.maxManifestBytes, {signal}: AbortOptions = {}): Promise<Uint8Array> {
    throwIfAborted(signal)
    return this.readVerified(digest, maxBytes, 'blob', signal)
  }

  async openBlob(digest: string, {signal}: AbortOptions = {}): Promise<Readable> {
    throwIfAborted(signal)
    await this.blobSize(digest, 'blob')
    // pipeline, not pipe: a reader that stops early (another layer failed) closes the file too.
    const blob = pipeline(this.files.open(blobPath(digest)), verifyingStream(digest, 'blob', this.location), () => {})
    return this.aborts.bindStream(blob, signal)
  }

  async blobExists(digest: string, {signal}: AbortOptions = {}): Promise<boolean> {
    throwIfAborted(signal)
    return isDigest(digest) && (await this.files.size(blobPath(digest))) !== undefined
  }

  async close(): Promise<void> {
    await this.files.close()
  }

  private entryForTag(tag: string): Descriptor {
    const entry = this.entries.find((e) => e.annotations?.[REF_NAME_ANNOTATION] === tag)
    if (!entry) throw tagNotFound(tag, this.location, this.entries)
    return entry
  }

  private async blobSize(digest: string, what: string): Promise<number> {
    validateDigest(digest)
    const size = await this.files.size(blobPath(digest))
    if (size === undefined) throw new RegistryError(`${what} ${digest} not found in ${this.location}`, 'not-found')
    return size
  }

  private async readVerified(digest: string, maxBytes: number, what: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const size = await this.blobSize(digest, what)
    checkSize(size, maxBytes, what, digest)
    const file = this.aborts.bindStream(this.files.open(blobPath(digest)), signal)
    const bytes = await readAll(file, maxBytes, `${what} ${digest} in ${this.location}`)
    verifyDigest(bytes, digest, what, this.location)
    return bytes
  }
}

/** `blobs/<algorithm>/<hex>` of a digest already checked to be well-formed. */
function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':')
  return `blobs/${algorithm}/${hex}`
}

/** The entry a reference-less spec means: the tagged one, the only one, or the one tagged `latest`. */
function chooseEntry(entries: Descriptor[], spec: LayoutSpec, where: string): {digest: string; tag?: string} {
  const tagOf = (e: Descriptor): string | undefined => e.annotations?.[REF_NAME_ANNOTATION]
  if (spec.tag !== undefined) {
    const entry = entries.find((e) => tagOf(e) === spec.tag)
    if (!entry) throw tagNotFound(spec.tag, where, entries)
    return {digest: entry.digest, tag: spec.tag}
  }
  if (entries.length === 0) throw new RegistryError(`${where} holds no images (its index.json is empty)`, 'not-found')
  const only = entries.length === 1 ? entries[0] : entries.find((e) => tagOf(e) === 'latest')
  if (!only) throw new UsageError(`${where} holds ${entries.length} images; name one as ${where}:TAG or @DIGEST (${describeTags(entries)})`)
  return {digest: only.digest, tag: tagOf(only)}
}

const tagNotFound = (tag: string, where: string, entries: Descriptor[]): RegistryError =>
  new RegistryError(`tag "${tag}" not found in ${where} (${describeTags(entries)})`, 'not-found')

function describeTags(entries: Descriptor[]): string {
  const tags = entries.map((e) => e.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => t !== undefined)
  const untagged = entries.length - tags.length
  const parts = [tags.length > 0 ? `available tags: ${tags.join(', ')}` : 'no tags']
  if (untagged > 0)
    parts.push(
      `${untagged} untagged: ${entries
        .filter((e) => !e.annotations?.[REF_NAME_ANNOTATION])
        .map((e) => e.digest)
        .join(', ')}`,
    )
  return parts.join('; ')
}

/** Reads a stream whole, failing once it passes `maxBytes` (a file may grow after stat). */
async function readAll(stream: Readable, maxBytes: number, what: string): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    total += (chunk as Buffer).length
    if (total > maxBytes) {
      stream.destroy()
      throw new RegistryError(`${what} grew past the limit of ${maxBytes} bytes while being read`, 'too-large')
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
