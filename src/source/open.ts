import {statSync} from 'node:fs'

import {UsageError} from '../oci/errors.js'
import {parseReference, parseSourceSpec, type SourceSpec} from '../oci/reference.js'
import type {RegistryClient} from './registry/client.js'
import type {RegistryOptions} from './registry/options.js'
import type {ImageSource} from './source.js'

/** What exists at a path: a directory, another file, or nothing. */
function pathKind(path: string): 'directory' | 'file' | undefined {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file'
  } catch {
    return undefined
  }
}

/**
 * A name that is also a local directory or file (`fixtures/demo`, `./out`, `app.tar`) was most
 * likely meant as one: asking Docker Hub for it would fail far from the cause. `docker://` says
 * that the registry is meant.
 */
function checkNotLocalPath(spec: string): void {
  if (spec.startsWith('docker://')) return
  // The whole name, or the name without a :TAG or @DIGEST (oci-layout:PATH:TAG reads the same way).
  const candidates = [spec, spec.replace(/@[^/]*$/, ''), spec.replace(/:[^/:]*$/, '')]
  for (const path of new Set(candidates)) {
    const kind = pathKind(path)
    if (!kind) continue
    const prefix = kind === 'directory' ? 'oci-layout' : 'oci-archive'
    let registry = ''
    try {
      parseReference(spec)
      registry = ` (docker://${spec} asks the registry)`
    } catch {
      // Not a registry reference at all: the local path is the only reading.
    }
    throw new UsageError(`"${spec}" is a local ${kind}: did you mean ${prefix}:${spec}?${registry}`)
  }
}

/** A source as a user typed it: parsed, and a registry name that is also a local path refused (checkNotLocalPath). */
export function parseSourceText(text: string): SourceSpec {
  let spec: SourceSpec
  try {
    spec = parseSourceSpec(text)
  } catch (error) {
    // A name that is no reference but is a local path (`./out`) was meant as one: that is the error to show.
    checkNotLocalPath(text)
    throw error
  }
  if (spec.kind === 'registry') checkNotLocalPath(text)
  return spec
}

export interface SourceOptions extends RegistryOptions {
  /**
   * The client registry sources read through, shared with other sources (its pools, tokens and
   * credentials); the caller closes it. Without one, a registry source has a client of its own,
   * closed when the source is.
   */
  client?: RegistryClient
}

/**
 * Opens an image source, given as a parsed SourceSpec or as text (parsed by parseSourceText):
 * - `oci-layout:PATH[:TAG|@DIGEST]`: an OCI image layout directory;
 * - `oci-archive:FILE[:TAG|@DIGEST]`: an OCI layout in a tar file;
 * - `[docker://]REFERENCE`: a registry repository (`alpine:3.20`, `ghcr.io/o/r@sha256:…`).
 * Bad references and missing paths are UsageErrors (exit 2). Each source is loaded on demand so
 * a local image never loads the HTTP stack.
 */
export async function openSource(spec: string | SourceSpec, options: SourceOptions = {}): Promise<ImageSource> {
  const layoutOptions = {maxManifestBytes: options.maxManifestBytes}
  const parsed = typeof spec === 'string' ? parseSourceText(spec) : spec
  if (parsed.kind === 'oci-layout') {
    const {OciLayoutSource} = await import('./oci-layout.js')
    return OciLayoutSource.open(parsed.layout, layoutOptions)
  }
  if (parsed.kind === 'oci-archive') {
    const {openOciArchive} = await import('./oci-archive.js')
    return openOciArchive(parsed.layout, layoutOptions)
  }
  if (options.client) return options.client.repository(parsed.reference)
  const {createRegistryClient} = await import('./registry/client.js')
  return createRegistryClient(options).repository(parsed.reference, {closesClient: true})
}
