import {Readable, pipeline} from 'node:stream'

import {throwIfAborted, type AbortOptions} from '../../oci/abort.js'
import {RegistryError, UsageError} from '../../oci/errors.js'
import {verifyDigest, verifyingStream} from '../../oci/digest.js'
import type {ContentCache} from '../cache.js'
import type {FetchedManifest, ImageSource, ListReferrersOptions} from '../source.js'
import type {Descriptor} from '../../oci/types.js'
import {MANIFEST_ACCEPT, MediaType} from '../../oci/media-types.js'
import {parseManifest} from '../../oci/manifest.js'
import {basicAuthorization, parseChallenges, type AuthCache, type Challenge} from './auth.js'
import type {CredentialStore, Credentials} from './credentials.js'
import {checkManifest} from '../../oci/manifest-check.js'
import {formatReference, manifestReference, registryApiHost, validateDigest, validateTag, type Reference} from '../../oci/reference.js'
import {registryConnection, type Connection} from './scheme.js'
import {statusError, type Target} from './status-errors.js'
import {interruptedBody} from './network-errors.js'
import {displayUrl, type HttpResponse, type Transport} from './transport.js'

/** Tags asked for per page of a tag list; registries that allow fewer send fewer, with a next link. */
export const DEFAULT_TAG_PAGE_SIZE = 1000
/** Pages of a tag list followed at most: a registry that keeps linking onwards is stopped here. */
export const DEFAULT_MAX_TAG_PAGES = 100
/** A page of 1000 tags of 128 characters is about 130 kB; anything near this bound is not a tag list. */
const MAX_TAG_PAGE_BYTES = 4 * 1024 * 1024
/**
 * Tags one repository may list, and the bytes of its pages together: the largest public
 * repositories have tens of thousands of tags; a list past these is hostile or broken, and held
 * whole (with a selection over it) it would exhaust memory long before it ended.
 */
export const MAX_LISTED_TAGS = 200_000
export const MAX_LISTED_TAG_BYTES = 16 * 1024 * 1024
/** The only digests the content cache keeps; others are always fetched. */
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/

export interface ListTagsOptions extends AbortOptions {
  /** Tags asked for per page (`n`), default 1000. */
  pageSize?: number
  /** Pages followed at most (default 100); a tag list with more fails with kind 'too-large'. */
  maxPages?: number
}

/** What a source uses of the client it was opened through: the state a RegistryClient keeps from its callers. */
export interface SourceClient {
  readonly transport: Transport
  readonly auth: AuthCache
  readonly credentials: CredentialStore
  readonly maxManifestBytes: number
  /** Manifests and configs by digest, kept between runs; absent when caching is off. */
  readonly cache?: ContentCache
  /**
   * `read()`, or the promise of the same read already in flight under `key`; each caller waits on
   * its own signal, and reads again when the read it shared was aborted by another's.
   */
  inFlight<T>(key: string, read: (options: AbortOptions) => Promise<T>, options?: AbortOptions): Promise<T>
  /** Whether a manifest (`registry/repository@digest`) is in its repository: `check()` once per client, a `true` kept. */
  manifestPresent(key: string, check: (options: AbortOptions) => Promise<boolean>, options?: AbortOptions): Promise<boolean>
  /** Records a manifest the registry has just served or named (a GET, a tag's HEAD) as present. */
  notePresent(key: string): void
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

  /**
   * A manifest by tag or digest. With a content cache, the cache holds bytes by digest and only
   * bytes: whether this repository on this registry has the manifest is asked of the registry in
   * every run before cached bytes answer for it, by a HEAD (which does not count against Docker
   * Hub's pull limit), once per client for each repository and digest. A tag's HEAD, which gives
   * its digest, confirms that digest too; so does a GET. What is fetched is stored in the cache.
   */
  async fetchManifest(reference: string = this.defaultReference, {signal}: AbortOptions = {}): Promise<FetchedManifest> {
    const target = manifestTarget(reference)
    throwIfAborted(signal)
    const cache = this.client.cache
    if (!cache) return this.getManifest(reference, signal)
    if (reference.includes(':')) {
      // Digests the cache does not keep are simply fetched.
      if (!SHA256_DIGEST.test(reference)) return this.getManifest(reference, signal)
      const cached = await this.cachedManifest(cache, reference, null, reference)
      if (cached && (await this.confirmManifest(reference, signal))) return cached
      // Not cached, or not confirmed (a 404, HEAD refused): the GET gets the registry's own answer.
      return this.getManifestOnce(reference, signal)
    }
    const head = await this.headManifest(reference, target, signal)
    if (!head) return this.getManifest(reference, signal)
    this.client.notePresent(this.presenceKey(head.digest))
    // By digest, not by tag: the tag may move between the HEAD and the GET.
    return (await this.cachedManifest(cache, head.digest, head.contentType, reference)) ?? this.getManifestOnce(head.digest, signal)
  }

  /**
   * Every tag of the repository in the registry's order: `GET tags/list?n=…`, then each
   * `Link: <…>; rel="next"` page (on the registry's own origin only), at most `maxPages` pages.
   */
  async listTags(options: ListTagsOptions = {}): Promise<string[]> {
    const pageSize = options.pageSize ?? DEFAULT_TAG_PAGE_SIZE
    const maxPages = options.maxPages ?? DEFAULT_MAX_TAG_PAGES
    const signal = options.signal
    if (!Number.isSafeInteger(pageSize) || pageSize < 1)
      throw new UsageError(`tag list page size must be a positive integer, not ${pageSize}`)
    if (!Number.isSafeInteger(maxPages) || maxPages < 1)
      throw new UsageError(`tag list page bound must be a positive integer, not ${maxPages}`)
    const headers = {accept: 'application/json'}
    const target: Target = {type: 'tags'}
    const tags: string[] = []
    const first = `tags/list?n=${pageSize}`
    /** The absolute URL of the page being read; the first one's scheme is known once it answered. */
    let pageUrl: string | undefined
    const seen = new Set<string>()
    let listedBytes = 0
    for (let page = 1; ; page++) {
      const what = `tag list of ${this.repositoryName} (page ${page}):`
      const url = pageUrl
      const send = (): Promise<HttpResponse> =>
        url === undefined ? this.request('GET', first, headers, signal) : this.requestAt(url, 'GET', headers, signal)
      const {response, bytes} = await this.readOk(send, target, MAX_TAG_PAGE_BYTES, what, signal)
      // One by one: a spread of a 150,000-tag page would overflow the call stack.
      for (const tag of parseTagPage(bytes, what)) tags.push(tag)
      listedBytes += bytes.length
      if (tags.length > MAX_LISTED_TAGS || listedBytes > MAX_LISTED_TAG_BYTES) {
        throw new RegistryError(
          `tag list of ${this.repositoryName} has more than ${tags.length > MAX_LISTED_TAGS ? `${MAX_LISTED_TAGS} tags` : `${MAX_LISTED_TAG_BYTES / 1024 / 1024} MiB of tags`} (the bound on one repository's tags); name the tags to audit (REPO:TAG) instead`,
          'too-large',
        )
      }
      const next = this.nextPage(response, url, first, what)
      if (next === undefined) return tags
      if (seen.has(next.href)) throw new RegistryError(`${what} the registry's next-page link repeats ${displayUrl(next.href)}`, 'protocol')
      if (page >= maxPages) {
        throw new RegistryError(
          `tag list of ${this.repositoryName} has more than ${maxPages} pages of up to ${pageSize} tags (the bound is ${maxPages} pages)`,
          'too-large',
        )
      }
      seen.add(next.href)
      pageUrl = next.href
    }
  }

  /**
   * The OCI 1.1 referrers of `digest`: `GET referrers/<digest>[?artifactType=…]`, then each
   * `Link: <…>; rel="next"` page on the registry's own origin. Undefined when the registry has no
   * referrers API (404; distribution 2.8 has none): the fallback tag `sha256-<hex>` holds them then.
   */
  async listReferrers(digest: string, options: ListReferrersOptions = {}): Promise<Descriptor[] | undefined> {
    validateDigest(digest)
    const signal = options.signal
    const maxPages = options.maxPages ?? 10
    const maxReferrers = options.maxReferrers ?? 1000
    const filter = options.artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(options.artifactType)}`
    const first = `referrers/${digest}${filter}`
    const headers = {accept: MediaType.ociIndex}
    const target: Target = {type: 'manifest', reference: digest}
    const referrers: Descriptor[] = []
    let pageUrl: string | undefined
    for (let page = 1; ; page++) {
      const what = `referrers of ${digest} in ${this.repositoryName} (page ${page}):`
      const url = pageUrl
      const response =
        url === undefined ? await this.request('GET', first, headers, signal) : await this.requestAt(url, 'GET', headers, signal)
      if (response.status === 404 && page === 1) {
        await response.discard()
        return undefined
      }
      if (response.status !== 200) throw await this.errorFor(response, 'GET', target)
      const bytes = await response.readCapped(this.maxManifestBytes, what)
      const parsed = parseManifest(bytes, `referrers/${digest}`, MediaType.ociIndex)
      if (parsed.kind !== 'index') throw new RegistryError(`${what} not an image index`, 'malformed')
      // A registry that ignored the filter does not say it applied it (OCI-Filters-Applied): filter here.
      const filtered = options.artifactType !== undefined && !/\bartifactType\b/.test(response.headers.get('oci-filters-applied') ?? '')
      referrers.push(...(filtered ? parsed.manifests.filter((d) => d.artifactType === options.artifactType) : parsed.manifests))
      if (referrers.length > maxReferrers)
        throw new RegistryError(
          `${digest} in ${this.repositoryName} has more than ${maxReferrers} referrers; not reading further`,
          'too-large',
        )
      const next = this.nextPage(response, url, first, what)
      if (next === undefined) return referrers
      if (page >= maxPages)
        throw new RegistryError(`referrers of ${digest} in ${this.repositoryName} run to more than ${maxPages} pages`, 'too-large')
      pageUrl = next.href
    }
  }

  /**
   * The page a `Link: <…>; rel="next"` header names (undefined on the last page), resolved against
   * the page read (`current`, or the first path). The registry's token goes with every page, so a
   * link to another origin is refused.
   */
  private nextPage(response: HttpResponse, current: string | undefined, first: string, what: string): URL | undefined {
    const link = nextLink(response.headers.get('link'))
    if (link === undefined) return undefined
    // The first request settled the scheme; relative links resolve against the registry's origin.
    const origin = `${this.knownScheme()}://${registryApiHost(this.ref.registry)}`
    let next: URL
    try {
      next = new URL(link, current ?? `${origin}/v2/${this.ref.repository}/${first}`)
    } catch {
      throw new RegistryError(`${what} the registry's next-page link is not a URL`, 'protocol')
    }
    if (next.origin !== origin) {
      throw new RegistryError(
        `${what} the registry's next-page link leads to another origin (${next.origin}); not following it`,
        'protocol',
      )
    }
    return next
  }

  async manifestExists(digest: string, {signal}: AbortOptions = {}): Promise<boolean> {
    return this.exists(`manifests/${digest}`, manifestTarget(digest), {accept: MANIFEST_ACCEPT}, signal)
  }

  async blobExists(digest: string, {signal}: AbortOptions = {}): Promise<boolean> {
    validateDigest(digest)
    return this.exists(`blobs/${digest}`, {type: 'blob', digest}, {}, signal)
  }

  /** A small blob (a config), from the content cache when it holds it (re-verified there), else fetched and stored. */
  async fetchBlob(digest: string, maxBytes: number = this.maxManifestBytes, {signal}: AbortOptions = {}): Promise<Uint8Array> {
    validateDigest(digest)
    throwIfAborted(signal)
    const cache = this.client.cache
    if (cache && SHA256_DIGEST.test(digest)) {
      const lookup = await cache.get(digest)
      if (lookup.hit && lookup.bytes.length <= maxBytes) return lookup.bytes
      if (!lookup.hit && lookup.reason) this.debug(`${this.repositoryName}: ${lookup.reason}; fetching it from the registry`)
    }
    const path = `blobs/${digest}`
    const {bytes} = await this.readOk(
      () => this.request('GET', path, {}, signal),
      {type: 'blob', digest},
      maxBytes,
      `blob ${digest} of ${this.repositoryName}:`,
      signal,
    )
    verifyDigest(bytes, digest, 'blob', this.repositoryName)
    if (cache) await cache.put(digest, bytes)
    return bytes
  }

  /** The stream errors with an AbortError when `signal` aborts while it is read. */
  async openBlob(digest: string, {signal}: AbortOptions = {}): Promise<Readable> {
    const verifier = verifyingStream(digest, 'blob', this.repositoryName)
    const response = await this.expectOk('GET', `blobs/${digest}`, {type: 'blob', digest}, {}, signal)
    // Errors of the body (timeouts, resets) reach the caller through the verifier, which pipeline
    // destroys with them. A reader that stops early destroys the verifier: the body, its socket
    // and its idle timer are released then, not when the timer fires.
    return pipeline(Readable.from(response.stream(), {objectMode: false}), verifier, (error) => {
      if (error) void response.discard()
    })
  }

  /** Closes the client when this source owns it; a shared client stays open for its other sources. */
  async close(): Promise<void> {
    if (this.closesClient) await this.client.close()
  }

  /** GET of a manifest by tag or digest, verified; stored in the content cache (and noted present) when there is one. */
  private async getManifest(reference: string, signal: AbortSignal | undefined): Promise<FetchedManifest> {
    const path = `manifests/${reference}`
    const send = (): Promise<HttpResponse> => this.request('GET', path, {accept: MANIFEST_ACCEPT}, signal)
    const {response, bytes} = await this.readOk(
      send,
      manifestTarget(reference),
      this.maxManifestBytes,
      `manifest ${reference} of ${this.repositoryName}:`,
      signal,
    )
    const {mediaType, digest} = checkManifest({
      bytes,
      contentType: response.headers.get('content-type'),
      dockerContentDigest: response.headers.get('docker-content-digest'),
      requested: reference,
      where: this.repositoryName,
    })
    if (this.client.cache) {
      // Served by this repository: its cached bytes may answer for it for the rest of the run.
      this.client.notePresent(this.presenceKey(digest))
      await this.client.cache.put(digest, bytes)
    }
    return {bytes, mediaType, digest}
  }

  /**
   * The digest a tag points at, from a HEAD. Undefined when a plain GET must do: the registry
   * refuses HEAD (405), sends no sha256 Docker-Content-Digest, or answers with an error whose
   * document (which a HEAD has no body for) names the problem better. A 429 or a server error
   * fails here: a GET would only meet it again.
   */
  private async headManifest(
    tag: string,
    target: Target,
    signal: AbortSignal | undefined,
  ): Promise<{digest: string; contentType: string | null} | undefined> {
    const response = await this.request('HEAD', `manifests/${tag}`, {accept: MANIFEST_ACCEPT}, signal)
    await response.discard()
    if (response.status === 429 || response.status >= 500) throw await this.errorFor(response, 'HEAD', target)
    if (response.status !== 200) return undefined
    const digest = response.headers.get('docker-content-digest')?.trim()
    if (!digest || !SHA256_DIGEST.test(digest)) return undefined
    return {digest, contentType: response.headers.get('content-type')}
  }

  /**
   * Whether this repository has the manifest `digest`, from a HEAD made once per client for each
   * registry, repository and digest (the tags of one index share their children's HEADs). A 429
   * or server error fails, as does a registry that cannot be reached: cached bytes never answer
   * for a registry that did not. False on any other status, or when the registry names another
   * digest: the GET that follows then reports the registry's own answer (a 404 as not found).
   */
  private confirmManifest(digest: string, signal: AbortSignal | undefined): Promise<boolean> {
    return this.client.manifestPresent(
      this.presenceKey(digest),
      async (options) => {
        const response = await this.request('HEAD', `manifests/${digest}`, {accept: MANIFEST_ACCEPT}, options.signal)
        await response.discard()
        if (response.status === 429 || response.status >= 500) throw await this.errorFor(response, 'HEAD', manifestTarget(digest))
        const served = response.headers.get('docker-content-digest')?.trim()
        return response.status === 200 && (!served || served === digest)
      },
      {signal},
    )
  }

  /**
   * GET by digest, shared by the callers asking at the same time (tags on one index, `1.4`, `1.4.2`
   * and `latest`, read together: each GET counts against a pull limit).
   */
  private getManifestOnce(digest: string, signal: AbortSignal | undefined): Promise<FetchedManifest> {
    return this.client.inFlight(this.presenceKey(digest), (options) => this.getManifest(digest, options.signal), {signal})
  }

  /** A manifest in this repository of this registry: what a confirmation holds for. */
  private presenceKey(digest: string): string {
    return `${this.repositoryName}@${digest}`
  }

  /**
   * A manifest from the content cache (which re-hashes it), checked as a served one would be, or
   * undefined to fetch it. A corrupt entry is named on --debug and fetched again.
   */
  private async cachedManifest(
    cache: ContentCache,
    digest: string,
    contentType: string | null,
    requested: string,
  ): Promise<FetchedManifest | undefined> {
    if (!SHA256_DIGEST.test(digest)) return undefined
    const lookup = await cache.get(digest)
    if (!lookup.hit) {
      if (lookup.reason) this.debug(`${this.repositoryName}: ${lookup.reason}; fetching it from the registry`)
      return undefined
    }
    try {
      const {mediaType} = checkManifest({
        bytes: lookup.bytes,
        contentType,
        dockerContentDigest: digest,
        requested,
        where: this.repositoryName,
        // The cache hands out only bytes it has hashed to this digest.
        sha256: digest,
      })
      return {bytes: lookup.bytes, mediaType, digest}
    } catch (error) {
      // A manifest without a mediaType needs the Content-Type only the registry's GET sends.
      if (error instanceof RegistryError && error.kind === 'malformed') return undefined
      throw error
    }
  }

  private debug(line: string): void {
    this.transport.settings.debug?.(line)
  }

  /** The scheme this registry is reached on; for a registry named insecure, the one that answered. */
  private knownScheme(): 'https' | 'http' {
    if (this.connection !== 'insecure') return this.connection
    return this.transport.schemeThatAnswered(registryApiHost(this.ref.registry)) ?? 'https'
  }

  /**
   * HEAD (which does not count against Docker Hub's pull limit): 200 true, 404 false. Registries
   * that refuse HEAD (405) are asked with a GET whose body is not read.
   */
  private async exists(path: string, target: Target, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<boolean> {
    let method: 'HEAD' | 'GET' = 'HEAD'
    let response = await this.request(method, path, headers, signal)
    if (response.status === 405) {
      await response.discard()
      method = 'GET'
      response = await this.request(method, path, headers, signal)
    }
    if (response.status === 404) {
      await response.discard()
      return false
    }
    if (response.status !== 200) throw await this.errorFor(response, method, target)
    await response.discard()
    const served = response.headers.get('docker-content-digest')?.trim()
    const asked = target.type === 'blob' ? target.digest : target.type === 'manifest' ? target.reference : ''
    if (served && served.startsWith(`${asked.slice(0, asked.indexOf(':'))}:`) && served !== asked) {
      throw new RegistryError(`${this.repositoryName} answered for ${asked} with Docker-Content-Digest ${served}`, 'digest-mismatch')
    }
    return true
  }

  /** GET and read the whole body (at most `maxBytes`), again when the connection breaks mid-body. */
  private async readOk(
    send: () => Promise<HttpResponse>,
    target: Target,
    maxBytes: number,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<{response: HttpResponse; bytes: Uint8Array}> {
    for (let attempt = 0; ; attempt++) {
      const response = await send()
      if (response.status !== 200) throw await this.errorFor(response, 'GET', target)
      try {
        return {response, bytes: await response.readCapped(maxBytes, what)}
      } catch (error) {
        if (attempt >= this.transport.settings.maxRetries || !interruptedBody(error)) throw error
        await this.transport.retryPause(attempt, `GET ${displayUrl(response.url)}: ${(error as Error).message}`, signal)
      }
    }
  }

  private async expectOk(
    method: 'GET',
    path: string,
    target: Target,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const response = await this.request(method, path, headers, signal)
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
  private async request(
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const host = registryApiHost(this.ref.registry)
    const known = this.connection === 'insecure' ? this.transport.schemeThatAnswered(host) : this.connection
    if (known) return this.requestAt(`${known}://${host}/v2/${this.ref.repository}/${path}`, method, headers, signal)
    try {
      const response = await this.requestAt(`https://${host}/v2/${this.ref.repository}/${path}`, method, headers, signal)
      this.transport.rememberScheme(host, 'https')
      return response
    } catch (error) {
      if (!(error instanceof RegistryError) || (error.kind !== 'tls' && error.kind !== 'network')) throw error
      this.transport.settings.debug?.(`${host} (insecure): HTTPS failed (${error.message}); trying plain HTTP`)
      const response = await this.requestAt(`http://${host}/v2/${this.ref.repository}/${path}`, method, headers, signal)
      this.transport.rememberScheme(host, 'http')
      return response
    }
  }

  /**
   * Sends a request, authorised with what the registry asked for before. On a 401 it takes the
   * new challenge and, when that changes the Authorization it would send, retries once.
   */
  private async requestAt(
    url: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const authorization = await this.authorization(signal)
    const response = this.observe(await this.transport.send({method, url, headers, authorization, signal}))
    if (response.status !== 401) return response
    const challenges = parseChallenges(response.headers.get('www-authenticate'))
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic')
    if (!challenge) return response
    this.client.auth.rememberChallenge(this.repositoryName, challenge)
    let renewed: string | undefined
    try {
      renewed = await this.authorization(signal)
    } catch (error) {
      // No token, no credentials: the unread 401 would hold its socket and timer past the error.
      await response.discard()
      throw error
    }
    if (renewed === undefined || renewed === authorization) return response
    await response.discard()
    return this.observe(await this.transport.send({method, url, headers, authorization: renewed, signal}))
  }

  /** Keeps the registry's rate-limit headers for the client's stats. */
  private observe(response: HttpResponse): HttpResponse {
    this.transport.stats.noteRateLimit(this.ref.registry, response.headers)
    return response
  }

  private async authorization(signal: AbortSignal | undefined): Promise<string | undefined> {
    const challenge = this.challenge
    if (!challenge) return undefined
    const credentials = await this.loadCredentials(signal)
    if (challenge.scheme === 'basic') {
      return credentials?.password === undefined ? undefined : basicAuthorization(credentials.username ?? '', credentials.password)
    }
    const token = await this.client.auth.bearerToken({
      challenge,
      defaultScope: `repository:${this.ref.repository}:pull`,
      credentials,
      registry: this.ref.registry,
      signal,
    })
    return `Bearer ${token}`
  }

  /** Docker's stored credentials for this registry, looked up once per run, only when the registry asks. */
  private loadCredentials(signal?: AbortSignal): Promise<Credentials | undefined> {
    return this.client.credentials.find(this.ref.registry, {signal})
  }
}

/** The tags of one page of a tag list (`{"name": …, "tags": [...]}`; `tags` may be null when there are none). */
function parseTagPage(bytes: Uint8Array, what: string): string[] {
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(bytes))
  } catch {
    throw new RegistryError(`${what} not valid JSON (${bytes.byteLength} bytes)`, 'malformed')
  }
  const tags = (body as {tags?: unknown} | null)?.tags
  if (tags === null || tags === undefined) return []
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string'))
    throw new RegistryError(`${what} "tags" is not a list of strings`, 'malformed')
  return tags
}

/** The target of a `Link: <URL>; rel="next"` header (RFC 8288), undefined without one. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/s.exec(part)
    if (!match) continue
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2])
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/)
    if (relations.includes('next')) return match[1]
  }
  return undefined
}

/** A tag or digest as the request target; validated, since it becomes part of the URL path. */
function manifestTarget(reference: string): Target {
  if (reference.includes(':')) validateDigest(reference)
  else validateTag(reference)
  return {type: 'manifest', reference}
}
