import {parseReference} from '../registry/reference.js'
import type {RegistryOptions} from '../registry/options.js'
import type {ImageSource} from './source.js'

/**
 * Opens what a user named as an image source:
 * - `oci-layout:PATH[:TAG|@DIGEST]`: an OCI image layout directory;
 * - `oci-archive:FILE[:TAG|@DIGEST]`: an OCI layout in a tar file;
 * - `[docker://]REFERENCE`: a registry repository (`alpine:3.20`, `ghcr.io/o/r@sha256:…`).
 * Bad references and missing paths are UsageErrors (exit 2). Each source is loaded on demand so
 * a local image never loads the HTTP stack.
 */
export async function openSource(spec: string, options: RegistryOptions = {}): Promise<ImageSource> {
  const layoutOptions = {maxManifestBytes: options.maxManifestBytes}
  if (spec.startsWith('oci-layout:')) {
    const {OciLayoutSource} = await import('./oci-layout.js')
    return OciLayoutSource.open(spec.slice('oci-layout:'.length), layoutOptions)
  }
  if (spec.startsWith('oci-archive:')) {
    const {openOciArchive} = await import('./oci-archive.js')
    return openOciArchive(spec.slice('oci-archive:'.length), layoutOptions)
  }
  const reference = parseReference(spec.startsWith('docker://') ? spec.slice('docker://'.length) : spec)
  const {RegistrySource} = await import('../registry/registry-source.js')
  return new RegistrySource(reference, options)
}
