import {throwIfAborted} from '../../oci/abort.js'
import {RegistryError} from '../../oci/errors.js'
import type {Credentials} from './credentials.js'
import {metadataAddress, plainHttpAllowed} from './scheme.js'
import type {Transport} from './transport.js'

/** One challenge from a WWW-Authenticate header: the scheme and its parameters (names lower-cased). */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/**
 * Parses WWW-Authenticate (RFC 9110 §11.6.1): one or more challenges, each a scheme followed by
 * comma-separated `name=value` or `name="quoted value"` parameters.
 */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return []
  const challenges: Challenge[] = []
  const token = /[!#$%&'*+.^_`|~\w-]+/y
  const quoted = /"((?:[^"\\]|\\.)*)"/y
  const bare = /[^,\s]*/y
  let position = 0
  const skip = (pattern: RegExp): void => {
    while (position < header.length && pattern.test(header[position])) position++
  }
  const read = (pattern: RegExp): RegExpExecArray | null => {
    pattern.lastIndex = position
    const match = pattern.exec(header)
    if (match) position = pattern.lastIndex
    return match
  }
  while (position < header.length) {
    skip(/[\s,]/)
    const name = read(token)
    if (!name) break
    skip(/\s/)
    if (header[position] !== '=') {
      challenges.push({scheme: name[0].toLowerCase(), params: {}})
      continue
    }
    position++
    skip(/\s/)
    const quotedValue = read(quoted)
    const value = quotedValue ? quotedValue[1].replace(/\\(.)/g, '$1') : read(bare)![0]
    const current = challenges.at(-1)
    if (current) current.params[name[0].toLowerCase()] = value
  }
  return challenges
}

interface CachedToken {
  token: string
  expiresAt: number
}

const DEFAULT_TOKEN_LIFETIME_S = 60
/** Token responses are a few KiB (a JWT); anything past this is not a token server. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024
/** RFC 6750's b64token: what `Authorization: Bearer` may carry. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/** Renew a little early so a token does not expire in flight. */
const EXPIRY_MARGIN_MS = 5_000

export interface TokenRequest {
  challenge: Challenge
  /** Scope to ask for when the challenge names none, e.g. `repository:library/alpine:pull`. */
  defaultScope: string
  credentials?: Credentials
  /** The registry as the user names it, for messages. */
  registry: string
  /** Stops the wait, and the token request when this caller started it. */
  signal?: AbortSignal
}

/**
 * What one client learnt about auth: bearer tokens per (realm, service, scope, identity), as
 * promises so concurrent requests share one fetch; and the last challenge per repository
 * (`registry/repository`: its scope names the repository), so a second source for the same
 * repository authorises up front instead of paying a 401 first.
 */
export class AuthCache {
  private readonly tokens = new Map<string, Promise<CachedToken>>()
  private readonly challenges = new Map<string, Challenge>()

  constructor(private readonly transport: Transport) {}

  lastChallenge(repositoryName: string): Challenge | undefined {
    return this.challenges.get(repositoryName)
  }

  rememberChallenge(repositoryName: string, challenge: Challenge): void {
    this.challenges.set(repositoryName, challenge)
  }

  /** A bearer token for the challenge, from the cache or the token server named by its realm. */
  async bearerToken(request: TokenRequest): Promise<string> {
    const {realm, service} = request.challenge.params
    if (!realm) throw new RegistryError(`${request.registry} asked for a bearer token but named no token server (realm)`, 'unauthorized')
    const scope = request.challenge.params.scope ?? request.defaultScope
    const identity = request.credentials ? `user:${request.credentials.username ?? ''}` : 'anonymous'
    const key = [realm, service ?? '', scope, identity].join('\n')
    // Another request may renew an expired token while this one waits: look again until the cache is
    // settled. A fetch that failed (or that its starter's signal aborted) is forgotten and made again.
    for (let cached = this.tokens.get(key); cached; cached = this.tokens.get(key)) {
      const entry = await this.transport.aborts.race(cached, request.signal).catch(() => undefined)
      throwIfAborted(request.signal)
      if (entry && entry.expiresAt > Date.now()) return entry.token
      if (this.tokens.get(key) === cached) this.tokens.delete(key)
    }
    const pending = fetchToken(realm, service, scope, request, this.transport)
    this.tokens.set(key, pending)
    pending.catch(() => this.tokens.delete(key))
    return (await pending).token
  }

  clear(): void {
    this.tokens.clear()
    this.challenges.clear()
  }
}

async function fetchToken(
  realm: string,
  service: string | undefined,
  scope: string,
  request: TokenRequest,
  transport: Transport,
): Promise<CachedToken> {
  let realmUrl: URL
  try {
    realmUrl = new URL(realm)
  } catch {
    throw new RegistryError(`${request.registry} named an invalid token server URL`, 'unauthorized')
  }
  if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
    throw new RegistryError(
      `${request.registry} named a token server with an unsupported URL scheme (${realmUrl.protocol}); only https: and http: realms are followed`,
      'unauthorized',
    )
  }
  if (metadataAddress(realmUrl.hostname) && !metadataAddress(registryHostname(request.registry))) {
    throw new RegistryError(
      `${request.registry} named a token server at ${realmUrl.hostname}, a link-local or cloud metadata address; not following it`,
      'unauthorized',
    )
  }
  const credentials = request.credentials
  if (credentials && realmUrl.protocol === 'http:' && !plainHttpAllowed(realmUrl, transport.settings.insecureRegistries)) {
    throw new RegistryError(
      `token server ${realmUrl.host} of ${request.registry} uses plain HTTP; refusing to send credentials ${credentials.source} unencrypted (use --insecure-registry ${realmUrl.host} only if you trust the network)`,
      'credentials',
    )
  }
  const viaRefreshToken = credentials?.identityToken !== undefined
  const response = viaRefreshToken
    ? await transport.send({
        method: 'POST',
        url: realmUrl.href,
        headers: {'content-type': 'application/x-www-form-urlencoded'},
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: credentials.identityToken!,
          service: service ?? '',
          scope,
          client_id: 'archcheck',
        }).toString(),
        signal: request.signal,
      })
    : await transport.send({
        method: 'GET',
        url: withQuery(realmUrl, service, scope),
        authorization:
          credentials?.password === undefined ? undefined : basicAuthorization(credentials.username ?? '', credentials.password),
        signal: request.signal,
      })

  const tokenHost = realmUrl.host
  if (response.status === 401 || response.status === 403) {
    await response.discard()
    if (credentials) {
      throw new RegistryError(
        `${request.registry} rejected the credentials ${credentials.source} (token server ${tokenHost} answered ${response.status})`,
        'unauthorized',
        {status: response.status},
      )
    }
    throw new RegistryError(
      `token server ${tokenHost} refused an anonymous token for ${scope} (${response.status}); log in with docker login ${request.registry}`,
      'unauthorized',
      {status: response.status},
    )
  }
  if (response.status !== 200) {
    await response.discard()
    throw new RegistryError(
      `token server ${tokenHost} answered ${response.status} for ${scope}`,
      response.status >= 500 ? 'server-error' : 'unauthorized',
      {status: response.status},
    )
  }
  const body = await response.readCapped(MAX_TOKEN_RESPONSE_BYTES, `token response from ${tokenHost}`)
  let parsed: {token?: unknown; access_token?: unknown; expires_in?: unknown}
  try {
    parsed = (JSON.parse(new TextDecoder().decode(body)) as typeof parsed | null) ?? {}
  } catch {
    throw new RegistryError(`token server ${tokenHost} sent a response that is not JSON`, 'malformed')
  }
  const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token
  if (typeof token !== 'string' || token === '') throw new RegistryError(`token server ${tokenHost} sent no token`, 'malformed')
  // Checked before it goes into a header: a CR or LF there makes the HTTP client throw an error
  // that quotes the header, token included. The token itself is never shown.
  if (!B64TOKEN.test(token))
    throw new RegistryError(
      `token server ${tokenHost} sent a token with characters a bearer token cannot have (RFC 6750); not using it`,
      'malformed',
    )
  const lifetime = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_LIFETIME_S
  return {token, expiresAt: Date.now() + Math.max(lifetime * 1000 - EXPIRY_MARGIN_MS, 1000)}
}

/** The host name of `registry` (`host[:port]`, `[v6]:port`). */
function registryHostname(registry: string): string {
  return /^(\[[^\]]+\]|[^:]+)/.exec(registry)?.[1] ?? registry
}

function withQuery(realm: URL, service: string | undefined, scope: string): string {
  const url = new URL(realm.href)
  if (service) url.searchParams.set('service', service)
  url.searchParams.set('scope', scope)
  return url.href
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}
