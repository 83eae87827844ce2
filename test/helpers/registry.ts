/**
 * A minimal registry push/pull client for tests, written on plain `fetch` and independent of
 * archcheck's own client, so that what a test pushes (and the digests it expects) cannot share a
 * bug with what archcheck reads. Speaks the distribution API over plain HTTP (test registries
 * listen on 127.0.0.1). Every push checks the registry's Docker-Content-Digest against the sha256
 * of the bytes sent.
 */
import {createHash} from 'node:crypto'

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const

/** `sha256:<hex>` of `bytes`. */
export const sha256Digest = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** Bytes with a media type: what image-builder's ContentObject is (digest and size are recomputed). */
export interface PushableObject {
  bytes: Uint8Array
  mediaType: string
}

/** image-builder's ImageBundle: blobs, then manifests children first, `top` last. */
export interface PushableBundle {
  top: PushableObject
  manifests: PushableObject[]
  blobs: PushableObject[]
}

export interface Pushed {
  digest: string
  size: number
  mediaType: string
}

export interface RawResponse {
  status: number
  headers: Headers
  bytes: Buffer
  /** sha256 of `bytes`. */
  digest: string
}

/** The registry the global setup started (`127.0.0.1:PORT`), which it names in ARCHCHECK_TEST_REGISTRY. */
export function testRegistryHost(): string {
  const host = process.env.ARCHCHECK_TEST_REGISTRY
  if (!host) throw new Error('no test registry: run through vitest (globalSetup test/setup/global.ts) or set ARCHCHECK_TEST_REGISTRY')
  return host
}

/** `/v2/<repository>/manifests/<reference>` and friends, as plain HTTP calls to `host`. */
export class TestRegistryClient {
  constructor(readonly host: string = testRegistryHost()) {}

  url(path: string): string {
    return `http://${this.host}${path}`
  }

  /** Uploads a blob (POST an upload session, then one PUT with ?digest=). */
  async pushBlob(repository: string, bytes: Uint8Array, mediaType = 'application/octet-stream'): Promise<Pushed> {
    const digest = sha256Digest(bytes)
    const start = await this.expect('POST', `/v2/${repository}/blobs/uploads/`, [202])
    const location = start.headers.get('location')
    if (!location) throw new Error(`POST /v2/${repository}/blobs/uploads/: 202 without Location`)
    const upload = new URL(location, this.url('/'))
    upload.searchParams.set('digest', digest)
    const done = await this.expect('PUT', upload.pathname + upload.search, [201], {
      body: bytes,
      headers: {'content-type': 'application/octet-stream'},
    })
    checkDigestHeader(done.headers, digest, `blob ${digest}`)
    return {digest, size: bytes.length, mediaType}
  }

  /** Puts a manifest or index under a tag or its digest, with its media type as Content-Type. */
  async pushManifest(repository: string, reference: string, object: PushableObject): Promise<Pushed> {
    const digest = sha256Digest(object.bytes)
    const response = await this.expect('PUT', `/v2/${repository}/manifests/${reference}`, [201], {
      body: object.bytes,
      headers: {'content-type': object.mediaType},
    })
    checkDigestHeader(response.headers, digest, `manifest ${repository}:${reference}`)
    return {digest, size: object.bytes.length, mediaType: object.mediaType}
  }

  /**
   * Pushes a whole bundle: blobs, manifests by digest (children first), then the top object under
   * each tag (none: only by digest). Returns the top descriptor.
   */
  async pushBundle(repository: string, bundle: PushableBundle, tags: string | string[] = []): Promise<Pushed> {
    const topDigest = sha256Digest(bundle.top.bytes)
    const seen = new Set<string>([topDigest])
    const once = <T extends PushableObject>(objects: T[]): T[] =>
      objects.filter((object) => {
        const digest = sha256Digest(object.bytes)
        return seen.has(digest) ? false : (seen.add(digest), true)
      })
    await Promise.all(once(bundle.blobs).map((blob) => this.pushBlob(repository, blob.bytes, blob.mediaType)))
    for (const manifest of once(bundle.manifests)) await this.pushManifest(repository, sha256Digest(manifest.bytes), manifest)
    const references = typeof tags === 'string' ? [tags] : tags.length > 0 ? tags : [topDigest]
    let top: Pushed | undefined
    for (const reference of references) top = await this.pushManifest(repository, reference, bundle.top)
    return top!
  }

  /** Deletes a manifest by digest (the registry runs with storage.delete.enabled). */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    await this.expect('DELETE', `/v2/${repository}/manifests/${digest}`, [202])
  }

  /** Deletes a blob from a repository (its link; the data goes with `docker-registry garbage-collect`). */
  async deleteBlob(repository: string, digest: string): Promise<void> {
    await this.expect('DELETE', `/v2/${repository}/blobs/${digest}`, [202])
  }

  /** A manifest as served, asking for all four manifest types as archcheck does. */
  async getManifest(repository: string, reference: string, method: 'GET' | 'HEAD' = 'GET'): Promise<RawResponse> {
    return this.raw(method, `/v2/${repository}/manifests/${reference}`, {headers: {accept: MANIFEST_TYPES.join(', ')}})
  }

  async getBlob(repository: string, digest: string, method: 'GET' | 'HEAD' = 'GET'): Promise<RawResponse> {
    return this.raw(method, `/v2/${repository}/blobs/${digest}`)
  }

  /** Any request, whatever the status: bytes, headers and the bytes' digest. */
  async raw(method: string, path: string, init: {body?: Uint8Array; headers?: Record<string, string>} = {}): Promise<RawResponse> {
    const response = await fetch(this.url(path), {method, body: init.body, headers: init.headers, redirect: 'manual'})
    const bytes = Buffer.from(await response.arrayBuffer())
    return {status: response.status, headers: response.headers, bytes, digest: sha256Digest(bytes)}
  }

  private async expect(
    method: string,
    path: string,
    statuses: number[],
    init: {body?: Uint8Array; headers?: Record<string, string>} = {},
  ): Promise<RawResponse> {
    const response = await this.raw(method, path, init)
    if (!statuses.includes(response.status)) {
      throw new Error(
        `${method} http://${this.host}${path}: HTTP ${response.status} ${response.bytes.toString('utf8').slice(0, 300).trim()}`,
      )
    }
    return response
  }
}

function checkDigestHeader(headers: Headers, expected: string, what: string): void {
  const served = headers.get('docker-content-digest')
  if (served && served !== expected) throw new Error(`${what}: registry says ${served}, bytes hash to ${expected}`)
}
