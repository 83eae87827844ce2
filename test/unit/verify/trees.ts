// Hand-built image trees and resolutions for the unit tests of the verify checks.
import {createHash} from 'node:crypto'

import type {ImageSource} from '../../../src/source/source.js'
import type {Descriptor, ImageNode, ImageTree, IndexNode, OtherNode, TreeNode} from '../../../src/oci/types.js'
import {MediaType} from '../../../src/oci/media-types.js'
import type {Resolution, Verdict} from '../../../src/engine/resolve/resolution.js'
import type {Platform} from '../../../src/oci/platform/types.js'
import type {CheckContext, VerifyOptions} from '../../../src/engine/verify/types.js'
import {verifyResult, type ReferenceResult, type VerifyResult} from '../../../src/api/verify.js'
import type {VerifyReport} from '../../../src/engine/verify/types.js'

export const digestOf = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`

export function platform(spec: string): Platform {
  const [os, architecture, variant] = spec.split('/')
  return variant ? {os, architecture, variant} : {os, architecture}
}

interface ImageSpec {
  /** Declared in the index entry. */
  declared?: string
  /** The config's platform (default: declared). */
  config?: string
  name?: string
  mediaType?: string
  layers?: string[]
  attestationFor?: string
}

export function image(spec: ImageSpec): ImageNode {
  const name = spec.name ?? `${spec.declared ?? spec.config}-image`
  const configPlatform = platform(spec.config ?? spec.declared ?? 'linux/amd64')
  const mediaType = spec.mediaType ?? MediaType.ociManifest
  const docker = mediaType === MediaType.dockerManifest
  const descriptor: Descriptor = {mediaType, digest: digestOf(name), size: 500}
  if (spec.declared) descriptor.platform = platform(spec.declared)
  if (spec.attestationFor) {
    descriptor.platform = {os: 'unknown', architecture: 'unknown'}
    descriptor.annotations = {'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': spec.attestationFor}
  }
  const layers = (spec.layers ?? [`${name}-layer`]).map((layer) => ({
    mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: digestOf(layer),
    size: 1000,
  }))
  const node: ImageNode = {
    kind: 'image',
    descriptor,
    config: {
      digest: digestOf(`${name}-config`),
      size: 300,
      mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig,
      ...configPlatform,
    },
    layers,
    compressedSize: layers.length * 1000,
  }
  if (spec.attestationFor) node.attestationFor = spec.attestationFor
  if (spec.declared && spec.config && spec.config !== spec.declared) {
    node.platformMismatch = {declared: platform(spec.declared), config: configPlatform}
  }
  return node
}

export function index(children: TreeNode[], mediaType: string = MediaType.ociIndex): IndexNode {
  return {
    kind: 'index',
    descriptor: {mediaType, digest: digestOf(children.map((child) => child.descriptor.digest).join()), size: 900},
    children,
  }
}

export function dangling(declared: string): OtherNode {
  return {
    kind: 'other',
    descriptor: {mediaType: MediaType.ociManifest, digest: digestOf(`${declared}-gone`), size: 500, platform: platform(declared)},
    note: 'manifest unknown',
    missing: 'manifest',
  }
}

export function resolution(host: string, verdict: Verdict, chosen?: ImageNode, extra: Partial<Resolution> = {}): Resolution {
  return {host: platform(host), client: 'docker', verdict, chosen, message: `${host}: ${verdict}.`, candidates: [], ...extra}
}

/** A source that knows only the blobs and manifests named, and counts the questions asked. */
export function fakeSource(
  present: {blobs?: string[]; manifests?: string[]} = {},
): ImageSource & {blobHeads: string[]; manifestHeads: string[]} {
  const blobs = new Set(present.blobs ?? [])
  const manifests = new Set(present.manifests ?? [])
  const blobHeads: string[] = []
  const manifestHeads: string[] = []
  return {
    displayName: 'registry.test/app:1',
    defaultReference: '1',
    maxManifestBytes: 4 * 1024 * 1024,
    blobHeads,
    manifestHeads,
    fetchManifest: async () => {
      throw new Error('not used')
    },
    manifestExists: async (digest) => {
      manifestHeads.push(digest)
      return manifests.has(digest)
    },
    fetchBlob: async () => {
      throw new Error('not used')
    },
    openBlob: async () => {
      throw new Error('not used')
    },
    blobExists: async (digest) => {
      blobHeads.push(digest)
      return blobs.has(digest)
    },
    close: async () => {},
  }
}

export function context(
  root: TreeNode,
  resolutions: Resolution[],
  options: Omit<VerifyOptions, 'require'> & {require?: Platform[]} = {},
  source: ImageSource = fakeSource(),
): CheckContext {
  const tree: ImageTree = {reference: 'registry.test/app:1', root}
  return {
    reference: tree.reference,
    tree,
    resolutions,
    source,
    unreadable: new Map(),
    options: {require: [platform('linux/amd64'), platform('linux/arm64')], client: 'docker', ...options},
  }
}

export function allBlobs(root: TreeNode): string[] {
  if (root.kind === 'image') return [root.config.digest, ...root.layers.map((layer) => layer.digest)]
  if (root.kind === 'index') return root.children.flatMap((child) => allBlobs(child))
  return []
}

/** Engine reports as the api's result document, the input of every verify renderer; strict when any report was. */
export function asResult(reports: VerifyReport[]): VerifyResult {
  return verifyResult(reports, {require: [], client: 'docker', strict: reports.some((report) => report.strict)})
}

/** One engine report as the result entry renderVerifyText draws. */
export function asReference(report: VerifyReport): ReferenceResult {
  return asResult([report]).references[0]
}
