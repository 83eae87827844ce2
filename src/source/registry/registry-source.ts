import {Readable, pipeline} from 'node:stream'

import {RegistryError} from '../../oci/errors.js'
import {verifyDigest, verifyingStream} from '../../oci/digest.js'
import {MANIFEST_ACCEPT} from '../../oci/media-types.js'
import type {FetchedManifest, ImageSource} from '../source.js'
import {basicAuthorization, parseChallenges, type AuthCache, type Challenge} from './auth.js'
import type {CredentialStore, Credentials} from './credentials.js'
import {checkManifest} from '../../oci/manifest-check.js'
import {formatReference, manifestReference, registryApiHost, validateDigest, validateTag, type Reference} from '../../oci/reference.js'
import {registryConnection, type Connection} from './scheme.js'
import {statusError, type Target} from './status-errors.js'
import {interruptedBody} from './network-errors.js'
import type {HttpResponse, Transport} from './transport.js'

/** What a source uses of the client it was opened through (a RegistryClient). */
export interface SourceClient {
  readonly transport: Transport
  readonly auth: AuthCache
  readonly credentials: CredentialStore
  readonly maxManifestBytes: number
  close(): Promise<void>
}

/**
 * An image repository in a registry, read through the distribution API: manifests and blobs,
 * every byte verified against its digest, sizes bounded, auth negotiated on demand.
 */
export class RegistrySource implements ImageSource {
  readonly displayName: string
  readonly defaultReference: string
  private readonly repositoryName: string
  private readonly connection: Connection
  private readonly transport: Transport
  readonly maxManifestBytes: number
  /** The registry's last auth challenge for this repository; later requests authorise up front with it. */
  private get challenge(): Challenge | undefined {
    return this.client.auth.lastChallenge(this.repositoryName)
  }

  constructor(
    readonly ref: Reference,
    private readonly client: SourceClient,
    private readonly closesClient = false,
  ) {
    this.defaultReference = manifestReference(ref)
    this.displayName = formatReference(ref.tag || ref.digest ? ref : {...ref, tag: this.defaultReference})
    this.repositoryName = `${ref.registry}/${ref.repository}`
    this.transport = client.transport
    this.connection = registryConnection(ref.registry, this.transport.settings.insecureRegistries)
    this.maxManifestBytes = client.maxManifestBytes
  }

  async fetchManifest(reference: string = this.defaultReference): Promise<FetchedManifest> {
    const target = manifestTarget(reference)
    const {response, bytes} = await this.readOk(
      `manifests/${reference}`,
      target,
      {accept: MANIFEST_ACCEPT},
      this.maxManifestBytes,
      `manifest ${reference} of ${this.repositoryName}:`,
    )
    const {mediaType, digest} = checkManifest({
      bytes,
      contentType: response.headers.get('content-type'),
      dockerContentDigest: response.headers.get('docker-content-digest'),
      requested: reference,
      where: this.repositoryName,
    })
    return {bytes, mediaType, digest}
  }

  async manifestExists(digest: string): Promise<boolean> {
    return this.exists(`manifests/${digest}`, manifestTarget(digest), {accept: MANIFEST_ACCEPT})
  }

  async blobExists(digest: string): Promise<boolean> {
    validateDigest(digest)
    return this.exists(`blobs/${digest}`, {type: 'blob', digest}, {})
  }

  async fetchBlob(digest: string, maxBytes: number = this.maxManifestBytes): Promise<Uint8Array> {
    validateDigest(digest)
    const {bytes} = await this.readOk(`blobs/${digest}`, {type: 'blob', digest}, {}, maxBytes, `blob ${digest} of ${this.repositoryName}:`)
    verifyDigest(bytes, digest, 'blob', this.repositoryName)
    return bytes
  }

  async openBlob(digest: string): Promise<Readable> {
    const verifier = verifyingStream(digest, 'blob', this.repositoryName)
    const response = await this.expectOk('GET', `blobs/${digest}`, {type: 'blob', digest}, {})
    // Errors of the body (timeouts, resets) reach the caller through the verifier, which pipeline destroys with them.
    return pipeline(Readable.from(response.stream(), {objectMode: false}), verifier, () => {})
  }

  /** Closes the client when this source owns it; a shared client stays open for its other sources. */
  async close(): Promise<void> {
    if (this.closesClient) await this.client.close()
  }

  /**
   * HEAD (which does not count against Docker Hub's pull limit): 200 true, 404 false. Registries
   * that refuse HEAD (405) are asked with a GET whose body is not read.
   */
  private async exists(path: string, target: Target, headers: Record<string, string>): Promise<boolean> {
    let method: 'HEAD' | 'GET' = 'HEAD'
    let response = await this.request(method, path, headers)
    if (response.status === 405) {
      await response.discard()
      method = 'GET'
      response = await this.request(method, path, headers)
    }
    if (response.status === 404) {
      await response.discard()
      return false
    }
    if (response.status !== 200) throw await this.errorFor(response, method, target)
    await response.discard()
    const served = response.headers.get('docker-content-digest')?.trim()
    const asked = target.type === 'blob' ? target.digest : target.reference
    if (served && served.startsWith(`${asked.slice(0, asked.indexOf(':'))}:`) && served !== asked) {
      throw new RegistryError(`${this.repositoryName} answered for ${asked} with Docker-Content-Digest ${served}`, 'digest-mismatch')
    }
    return true
  }

  /** GET and read the whole body (at most `maxBytes`), again when the connection breaks mid-body. */
  private async readOk(
    path: string,
    target: Target,
    headers: Record<string, string>,
    maxBytes: number,
    what: string,
  ): Promise<{response: HttpResponse; bytes: Uint8Array}> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.expectOk('GET', path, target, headers)
      try {
        return {response, bytes: await response.readCapped(maxBytes, what)}
      } catch (error) {
        if (attempt >= this.transport.settings.maxRetries || !interruptedBody(error)) throw error
        await this.transport.retryPause(attempt, `GET ${path}: ${(error as Error).message}`)
      }
    }
  }

  private async expectOk(method: 'GET', path: string, target: Target, headers: Record<string, string>): Promise<HttpResponse> {
    const response = await this.request(method, path, headers)
    if (response.status !== 200) throw await this.errorFor(response, method, target)
    return response
  }

  private async errorFor(response: HttpResponse, method: string, target: Target): Promise<RegistryError> {
    const credentials = this.challenge ? await this.loadCredentials() : undefined
    return statusError(response, {
      repositoryName: this.repositoryName,
      registry: this.ref.registry,
      target,
      credentialsSource: credentials?.source,
      basicAuth: this.challenge?.scheme === 'basic',
      method,
    })
  }

  /**
   * Sends a request to the registry. A registry named insecure is tried over HTTPS (certificate
   * not verified) first and, when that cannot connect, over plain HTTP, as Docker does; the
   * scheme that worked is remembered for the run.
   */
  private async request(method: 'GET' | 'HEAD', path: string, headers: Record<string, string>): Promise<HttpResponse> {
    const host = registryApiHost(this.ref.registry)
    const known = this.connection === 'insecure' ? this.transport.schemeThatAnswered(host) : this.connection
    if (known) return this.requestAt(`${known}://${host}/v2/${this.ref.repository}/${path}`, method, headers)
    try {
      const response = await this.requestAt(`https://${host}/v2/${this.ref.repository}/${path}`, method, headers)
      this.transport.rememberScheme(host, 'https')
      return response
    } catch (error) {
      if (!(error instanceof RegistryError) || (error.kind !== 'tls' && error.kind !== 'network')) throw error
      this.transport.settings.debug?.(`${host} (insecure): HTTPS failed (${error.message}); trying plain HTTP`)
      const response = await this.requestAt(`http://${host}/v2/${this.ref.repository}/${path}`, method, headers)
      this.transport.rememberScheme(host, 'http')
      return response
    }
  }

  /**
   * Sends a request, authorised with what the registry asked for before. On a 401 it takes the
   * new challenge and, when that changes the Authorization it would send, retries once.
   */
  private async requestAt(url: string, method: 'GET' | 'HEAD', headers: Record<string, string>): Promise<HttpResponse> {
    const authorization = await this.authorization()
    const response = await this.transport.send({method, url, headers, authorization})
    if (response.status !== 401) return response
    const challenges = parseChallenges(response.headers.get('www-authenticate'))
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic')
    if (!challenge) return response
    this.client.auth.rememberChallenge(this.repositoryName, challenge)
    const renewed = await this.authorization()
    if (renewed === undefined || renewed === authorization) return response
    await response.discard()
    return this.transport.send({method, url, headers, authorization: renewed})
  }

  private async authorization(): Promise<string | undefined> {
    const challenge = this.challenge
    if (!challenge) return undefined
    const credentials = await this.loadCredentials()
    if (challenge.scheme === 'basic') {
      return credentials?.password === undefined ? undefined : basicAuthorization(credentials.username ?? '', credentials.password)
    }
    const token = await this.client.auth.bearerToken({
      challenge,
      defaultScope: `repository:${this.ref.repository}:pull`,
      credentials,
      registry: this.ref.registry,
    })
    return `Bearer ${token}`
  }

  /** Docker's stored credentials for this registry, looked up once per run, only when the registry asks. */
  private loadCredentials(): Promise<Credentials | undefined> {
    return this.client.credentials.find(this.ref.registry)
  }
}

/** A tag or digest as the request target; validated, since it becomes part of the URL path. */
function manifestTarget(reference: string): Target {
  if (reference.includes(':')) validateDigest(reference)
  else validateTag(reference)
  return {type: 'manifest', reference}
}
