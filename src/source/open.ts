import {statSync} from 'node:fs'

import {UsageError} from '../oci/errors.js'
import {parseReference} from '../oci/reference.js'
import type {RegistryClient} from './registry/client.js'
import type {RegistryOptions} from './registry/options.js'
import type {ImageSource} from './source.js'

/** What a source spec names: a local layout or archive (the part after its prefix), or a registry reference (`docker://` dropped). */
export type SourceSpec = {kind: 'oci-layout'; path: string} | {kind: 'oci-archive'; path: string} | {kind: 'registry'; reference: string}

const LOCAL_KINDS = ['oci-layout', 'oci-archive'] as const

/** Splits a spec by its prefix; the only place that knows the `oci-layout:`, `oci-archive:` and `docker://` prefixes. */
export function parseSourceSpec(spec: string): SourceSpec {
  for (const kind of LOCAL_KINDS) if (spec.startsWith(`${kind}:`)) return {kind, path: spec.slice(kind.length + 1)}
  // skopeo's and buildx's name for a layout directory; `oci:5000/app` stays a registry host with a port.
  if (spec.startsWith('oci:') && !/^oci:\d+\//.test(spec)) return {kind: 'oci-layout', path: spec.slice('oci:'.length)}
  return {kind: 'registry', reference: spec.startsWith('docker://') ? spec.slice('docker://'.length) : spec}
}

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
export function checkNotLocalPath(spec: string): void {
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

export interface SourceOptions extends RegistryOptions {
  /**
   * The client registry sources read through, shared with other sources (its pools, tokens and
   * credentials); the caller closes it. Without one, a registry source has a client of its own,
   * closed when the source is.
   */
  client?: RegistryClient
}

/**
 * Opens what a user named as an image source:
 * - `oci-layout:PATH[:TAG|@DIGEST]`: an OCI image layout directory;
 * - `oci-archive:FILE[:TAG|@DIGEST]`: an OCI layout in a tar file;
 * - `[docker://]REFERENCE`: a registry repository (`alpine:3.20`, `ghcr.io/o/r@sha256:…`).
 * Bad references and missing paths are UsageErrors (exit 2). Each source is loaded on demand so
 * a local image never loads the HTTP stack.
 */
export async function openSource(spec: string, options: SourceOptions = {}): Promise<ImageSource> {
  const layoutOptions = {maxManifestBytes: options.maxManifestBytes}
  const parsed = parseSourceSpec(spec)
  if (parsed.kind === 'oci-layout') {
    const {OciLayoutSource} = await import('./oci-layout.js')
    return OciLayoutSource.open(parsed.path, layoutOptions)
  }
  if (parsed.kind === 'oci-archive') {
    const {openOciArchive} = await import('./oci-archive.js')
    return openOciArchive(parsed.path, layoutOptions)
  }
  checkNotLocalPath(spec)
  const reference = parseReference(parsed.reference)
  if (options.client) return options.client.repository(reference)
  const {createRegistryClient} = await import('./registry/client.js')
  return createRegistryClient(options).repository(reference, {closesClient: true})
}
