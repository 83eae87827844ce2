import type {Dispatcher} from 'undici'

import {AbortError, abortError, AbortWatch, throwIfAborted} from '../../oci/abort.js'
import {RegistryError} from '../../oci/errors.js'
import {ResponseHeaders} from './headers.js'
import {bodyError, networkError, retryableCode} from './network-errors.js'
import type {ProxySettings, RegistryOptions} from './options.js'
import {metadataAddress, namedInsecure} from './scheme.js'
import {RequestStats} from './stats.js'

/**
 * HTTP for the registry client: undici's request API over undici dispatchers owned by one
 * Transport (keep-alive, bounded connections per host, the proxies given), or over the
 * one the caller gave (`RegistryOptions.dispatcher`). Not Node's global fetch: that loads Node's
 * internal copy of undici and the WHATWG streams on the first request (about twice its CPU), and
 * cannot keep a connection open after a HEAD.
 */

const CONNECTIONS_PER_HOST = 32 // an audit's HEADs go 32 at a time (docs/registry.md weighs it against what other clients do)
const MAX_REDIRECTS = 5
const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_MAX_RETRIES = 3
const DEFAULT_RETRY_BASE_MS = 500
/** A Retry-After longer than this is not waited for (unless configured): the error says when to try again. */
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000
/** Error documents are short JSON; a longer body is not read for a message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024
/**
 * A discarded body up to this size is read to its end so its connection can serve the next
 * request (redirects, 404s and error documents are small); a larger one closes its connection.
 */
const MAX_DISCARDED_BYTES = 64 * 1024
const RETRY_STATUSES = new Set([429, 502, 503, 504])
/** Query parameters that are safe to show in --debug lines; any other value (signatures) is hidden. */
const SAFE_QUERY_PARAMS = new Set(['service', 'scope', 'n', 'last'])

/** undici's request API, called with the dispatcher to send through as `this`. */
type RequestApi = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>
type ResponseBody = Dispatcher.ResponseData['body']

/**
 * undici's Agent and request API alone: undici's index also loads its fetch, WebSocket, cache and
 * cookie code, which archcheck never uses: about 40 ms of CPU and 5 MB of every registry command
 * (bench/README.md). The Agent class has no `request` method without the index, so the request
 * API is called with the dispatcher as `this`. Proxies need the index: it gives dispatchers the
 * `connect` that tunnels use.
 */
async function loadAgent(): Promise<typeof import('undici').Agent> {
  return (await import('undici/lib/dispatcher/agent.js')).default
}

async function loadRequestApi(): Promise<RequestApi> {
  return (await import('undici/lib/api/api-request.js')).default
}

/** Whether the Transport's own pools go through a proxy. */
function proxied(settings: {proxy?: ProxySettings}): boolean {
  return Boolean(settings.proxy?.httpProxy || settings.proxy?.httpsProxy)
}

async function createDispatcher(kind: 'verified' | 'unverified', proxy: ProxySettings | undefined): Promise<Dispatcher> {
  const tls = {rejectUnauthorized: kind === 'verified'}
  const options = {connections: CONNECTIONS_PER_HOST, keepAliveTimeout: 10_000, connect: tls}
  // proxyTunnel false: plain-HTTP registries go to the proxy as absolute-form requests, as curl
  // does, since many proxies only allow CONNECT to port 443. HTTPS is always tunnelled.
  if (!proxy || !proxied({proxy})) return new (await loadAgent())(options)
  const {EnvHttpProxyAgent} = await import('undici')
  // Every setting given, empty when absent: undici reads the process environment for a missing one.
  const {httpProxy = '', httpsProxy = httpProxy, noProxy = ''} = proxy
  return new EnvHttpProxyAgent({...options, httpProxy, httpsProxy, noProxy, requestTls: tls, proxyTunnel: false})
}

/** Sends one request through one dispatcher. */
type Send = (options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>

/** A dispatcher in use, and whether the Transport made it (and so closes it). */
interface Channel {
  send: Send
  dispatcher: Dispatcher
  owned: boolean
}

/**
 * One client's HTTP: its connection pools (verified TLS, and unverified TLS for hosts the user
 * named insecure), created on first use, and the scheme each insecure host answered on. Nothing
 * is shared between two Transports, so two clients in one process stay independent. A dispatcher
 * given in the settings carries every request instead; it belongs to the caller, who closes it.
 */
export class Transport {
  private readonly channels = new Map<'verified' | 'unverified', Promise<Channel>>()
  private readonly answeringSchemes = new Map<string, 'https' | 'http'>()
  /** The callers' signals, watched through one listener each however many requests wait on them. */
  readonly aborts = new AbortWatch()

  constructor(
    readonly settings: TransportSettings,
    /** Counts every request sent, retries and redirect hops included. */
    readonly stats: RequestStats = new RequestStats(),
  ) {}

  /** For registries named insecure: the scheme that answered, per host. */
  schemeThatAnswered(host: string): 'https' | 'http' | undefined {
    return this.answeringSchemes.get(host)
  }

  rememberScheme(host: string, scheme: 'https' | 'http'): void {
    this.answeringSchemes.set(host, scheme)
  }

  /** See `send`. */
  send(request: HttpRequest): Promise<HttpResponse> {
    return send(request, this.settings, {
      senderFor: async (kind) => (await this.channel(kind)).send,
      stats: this.stats,
      aborts: this.aborts,
    })
  }

  /** Waits before retry `attempt + 1`, saying so on --debug; an AbortError as soon as `signal` aborts. */
  retryPause(attempt: number, what: string, signal: AbortSignal | undefined): Promise<void> {
    return retryPause(this.settings, attempt, what, this.aborts, signal)
  }

  /** Closes the pools it made and forgets what was learnt about hosts; the next request starts afresh. */
  async close(): Promise<void> {
    const pending = [...this.channels.values()]
    this.channels.clear()
    this.answeringSchemes.clear()
    await Promise.all(
      pending.map(async (opening) => {
        const channel = await opening
        // destroy, not close: close would wait for requests nobody waits for any more (one that
        // timed out while queued or connecting), holding the process open after its output.
        if (channel.owned) await channel.dispatcher.destroy()
      }),
    )
  }

  private channel(kind: 'verified' | 'unverified'): Promise<Channel> {
    let channel = this.channels.get(kind)
    if (!channel) {
      channel = openChannel(kind, this.settings)
      this.channels.set(kind, channel)
    }
    return channel
  }
}

async function openChannel(kind: 'verified' | 'unverified', settings: TransportSettings): Promise<Channel> {
  const given = settings.dispatcher
  const [request, dispatcher] = await Promise.all([loadRequestApi(), given ?? createDispatcher(kind, settings.proxy)])
  return {send: (options) => request.call(dispatcher, options), dispatcher, owned: given === undefined}
}

type SenderFor = (kind: 'verified' | 'unverified') => Promise<Send>

/** What `send` needs of its Transport. */
interface Sender {
  senderFor: SenderFor
  stats: RequestStats
  aborts: AbortWatch
}

export interface TransportSettings {
  /** Hosts whose TLS certificates are not verified (the user named them insecure). */
  insecureRegistries: string[]
  timeoutMs: number
  maxRetries: number
  retryBaseDelayMs: number
  /** A Retry-After longer than this is not waited for: the response goes back to the caller at once. */
  maxRetryAfterMs: number
  /** Carries every request instead of the Transport's own pools (RegistryOptions.dispatcher). */
  dispatcher?: Dispatcher
  /** Proxies for the Transport's own pools (RegistryOptions.proxy). */
  proxy?: ProxySettings
  debug?: (line: string) => void
}

/** Settings from RegistryOptions. */
export function transportSettings(options: RegistryOptions): TransportSettings {
  return {
    insecureRegistries: options.insecureRegistries ?? [],
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    retryBaseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_MS,
    maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
    dispatcher: options.dispatcher,
    proxy: options.proxy,
    debug: options.debug,
  }
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST'
  url: string
  /** Accept-Encoding is always `identity`: a response with a content coding is refused. */
  headers?: Record<string, string>
  /** Sent only to the origin of `url`, never to another host a redirect leads to. */
  authorization?: string
  body?: string
  /** Aborts the request, its body and its retries' waits: it then rejects with an AbortError. */
  signal?: AbortSignal
}

/**
 * A response whose body is still unread. The timeout keeps running until the body is read
 * (`readCapped`), streamed (`stream`, where it becomes an idle timeout) or discarded.
 */
export class HttpResponse {
  /** How many times the request was retried before this response. */
  retries = 0
  /** Whether `readCapped` or `stream` is reading the body. */
  private reading = false

  constructor(
    readonly status: number,
    readonly headers: ResponseHeaders,
    /** Where the response finally came from, after redirects. */
    readonly url: string,
    private readonly body: ResponseBody,
    private readonly deadline: Deadline,
  ) {}

  /** Reads the whole body, aborting as soon as it exceeds `maxBytes` (never buffering past it). */
  async readCapped(maxBytes: number, what: string): Promise<Uint8Array> {
    const declared = Number(this.headers.get('content-length'))
    if (Number.isFinite(declared) && declared > maxBytes) {
      await this.discard()
      throw new RegistryError(`${what} larger than ${maxBytes} bytes (the registry announced ${declared})`, 'too-large', {
        status: this.status,
      })
    }
    const chunks: Uint8Array[] = []
    let total = 0
    this.reading = true
    try {
      for await (const chunk of this.body as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength
        if (total > maxBytes) {
          this.deadline.abort(new RegistryError(`${what} larger than ${maxBytes} bytes`, 'too-large', {status: this.status}))
          throw this.deadline.reason
        }
        chunks.push(chunk)
      }
    } catch (error) {
      throw this.deadline.signal.aborted ? this.deadline.reason : bodyError(error, this.url)
    } finally {
      this.deadline.clear()
    }
    return concat(chunks, total)
  }

  /** The body as an async iterable; the timeout now applies to each wait for data. */
  async *stream(): AsyncGenerator<Uint8Array> {
    this.deadline.becomeIdleTimeout()
    this.reading = true
    try {
      for await (const chunk of this.body as AsyncIterable<Uint8Array>) {
        this.deadline.touch()
        yield chunk
      }
    } catch (error) {
      throw this.deadline.signal.aborted ? this.deadline.reason : bodyError(error, this.url)
    } finally {
      this.deadline.clear()
    }
  }

  /** Text of an error document, at most MAX_ERROR_BODY_BYTES; empty when longer or unreadable. */
  async text(): Promise<string> {
    try {
      return new TextDecoder().decode(await this.readCapped(MAX_ERROR_BODY_BYTES, 'error body'))
    } catch {
      return ''
    }
  }

  /**
   * Releases the body unread: its timer, and its connection. A short body is read to its end (at
   * most MAX_DISCARDED_BYTES, within the request's timeout) so the connection serves the next
   * request; a longer one closes it. A body being read is aborted: the reader's pending read ends.
   */
  async discard(): Promise<void> {
    if (this.reading) {
      this.deadline.abort(new RegistryError(`${displayUrl(this.url)}: response no longer read`, 'aborted'))
      return
    }
    this.reading = true
    try {
      await this.body.dump({limit: MAX_DISCARDED_BYTES, signal: this.deadline.signal})
    } catch {
      // Cut off, timed out or already failed: the body is destroyed either way.
    } finally {
      this.deadline.clear()
    }
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/**
 * One request's timer and abort signal, until its body is read or released: the timeout aborts it
 * as a 'timeout' RegistryError, the caller's signal as an AbortError.
 */
class Deadline {
  readonly controller = new AbortController()
  private timer?: NodeJS.Timeout
  private idle = false
  private unwatch?: () => void

  constructor(
    private readonly timeoutMs: number,
    /** What timed out, for the message: built only then (a URL for display costs a parse per request). */
    private readonly describe: () => string,
    caller?: {signal?: AbortSignal; aborts: AbortWatch},
  ) {
    this.arm()
    const signal = caller?.signal
    if (signal) this.unwatch = caller.aborts.watch(signal, () => this.abort(abortError(signal)))
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  get reason(): unknown {
    return this.controller.signal.reason as unknown
  }

  abort(reason: unknown): void {
    this.clear()
    this.controller.abort(reason)
  }

  becomeIdleTimeout(): void {
    this.idle = true
    this.arm()
  }

  /** Data arrived: an idle timeout starts again (the same timer, rescheduled: one per chunk would churn). */
  touch(): void {
    if (this.idle && this.timer) this.timer.refresh()
  }

  /** The request is over: its timer and its watch on the caller's signal go. */
  clear(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.unwatch?.()
    this.unwatch = undefined
  }

  /** The error to throw for `error`: our own abort reason when we aborted. */
  translate(error: unknown): unknown {
    return this.signal.aborted ? this.reason : error
  }

  private arm(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      const seconds = this.timeoutMs / 1000
      const message = this.idle
        ? `${this.describe()}: no data for ${seconds} s (timed out after ${seconds} s)`
        : `${this.describe()} timed out after ${seconds} s`
      this.controller.abort(new RegistryError(message, 'timeout'))
    }, this.timeoutMs)
  }
}

/**
 * Sends a request with bounded retries (429/502/503/504 and connection resets, honouring
 * Retry-After) and follows redirects itself so Authorization never reaches another origin.
 * Returns the final response with its body unread; the caller reads or discards it.
 */
async function send(request: HttpRequest, settings: TransportSettings, sender: Sender): Promise<HttpResponse> {
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(request.signal)
    const started = Date.now()
    let response: HttpResponse
    try {
      response = await sendFollowingRedirects(request, settings, sender)
    } catch (error) {
      if (error instanceof AbortError) throw error
      const code = retryableCode(error)
      if (code && attempt < settings.maxRetries) {
        await retryPause(
          settings,
          attempt,
          `${request.method} ${displayUrl(request.url)} failed (${code}) after ${Date.now() - started} ms`,
          sender.aborts,
          request.signal,
        )
        continue
      }
      const failure = networkError(error, request.url)
      settings.debug?.(
        `${request.method} ${displayUrl(request.url)} failed after ${Date.now() - started} ms${attempt > 0 ? ` (retry ${attempt})` : ''}: ${(failure as Error).message}`,
      )
      throw failure
    }
    const elapsed = Date.now() - started
    const retrySuffix = attempt > 0 ? ` (retry ${attempt})` : ''
    if (RETRY_STATUSES.has(response.status) && attempt < settings.maxRetries) {
      const retryAfter = retryAfterMs(response.headers.get('retry-after'))
      if (retryAfter === undefined || retryAfter <= settings.maxRetryAfterMs) {
        const delay = retryAfter ?? backoff(attempt, settings.retryBaseDelayMs)
        settings.debug?.(
          `${request.method} ${displayUrl(response.url)} ${response.status} ${elapsed} ms${retrySuffix}; retry ${attempt + 1} in ${delay} ms`,
        )
        await response.discard()
        await sender.aborts.sleep(delay, request.signal)
        continue
      }
    }
    if (response.status >= 200 && response.status < 300) await refuseContentCoding(request, response)
    // Docker Hub counts pulls: show what is left on --debug.
    const remaining = response.headers.get('ratelimit-remaining')
    settings.debug?.(
      `${request.method} ${displayUrl(response.url)} ${response.status} ${elapsed} ms${retrySuffix}${remaining ? ` (ratelimit-remaining ${remaining})` : ''}`,
    )
    response.retries = attempt
    return response
  }
}

/**
 * Refuses a body sent with a content coding though none was asked for. Its bytes are not the
 * content (a manifest would fail its digest as if corrupt), and decoding them would let the layer
 * limits count decoded bytes, never the wire's: a small gzip stream could grow past every limit.
 */
async function refuseContentCoding(request: HttpRequest, response: HttpResponse): Promise<void> {
  const coding = response.headers.get('content-encoding')?.trim().toLowerCase()
  if (!coding || coding === 'identity') return
  await response.discard()
  throw new RegistryError(
    `${request.method} ${displayUrl(response.url)} answered with Content-Encoding: ${coding.slice(0, 40)} though asked for none (Accept-Encoding: identity); refusing it: the coded bytes are not the content asked for`,
    'protocol',
    {status: response.status},
  )
}

async function sendFollowingRedirects(
  request: HttpRequest,
  settings: TransportSettings,
  {senderFor, stats, aborts}: Sender,
): Promise<HttpResponse> {
  const origin = new URL(request.url).origin
  let url = request.url
  let method = request.method
  let body = request.body
  for (let hop = 0; ; hop++) {
    // undici's request API sends no User-Agent of its own, and decodes no content coding: none is
    // asked for, whatever the caller's headers say (every manifest and blob is counted and
    // verified as sent).
    const headers: Record<string, string> = {'user-agent': 'archcheck'}
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value
    headers['accept-encoding'] = 'identity'
    if (request.authorization && new URL(url).origin === origin) headers.authorization = request.authorization
    const target = new URL(url)
    const sendRequest = await senderFor(
      target.protocol === 'https:' && namedInsecure(target, settings.insecureRegistries) ? 'unverified' : 'verified',
    )
    const hopMethod = method
    const deadline = new Deadline(settings.timeoutMs, () => `${hopMethod} ${displayUrl(target.href)}`, {
      signal: request.signal,
      aborts,
    })
    let raw: Dispatcher.ResponseData
    stats.countRequest(method)
    try {
      const sending = sendRequest({
        // Only origin and path: user info in a URL (a token realm, a redirect) is never sent.
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method,
        headers,
        body,
        signal: deadline.signal,
        // The Deadline times every request; undici's own 300 s timers would cut a longer timeout short.
        headersTimeout: 0,
        bodyTimeout: 0,
        // undici closes the connection after every HEAD, in case the server sends a body after it
        // anyway; an audit sends a HEAD per tag, each then paying a new TCP and TLS handshake.
        // Registries send none. One that does breaks that connection: the next request on it fails
        // as a network error and is retried. Not through a proxy over plain HTTP, where one
        // connection carries requests to several origins.
        ...(method === 'HEAD' && !(target.protocol === 'http:' && proxied(settings)) ? {reset: false} : {}),
      })
      raw = await untilAborted(sending, deadline.signal)
    } catch (error) {
      deadline.clear()
      throw deadline.translate(error)
    }
    const status = raw.statusCode
    const response = new HttpResponse(status, new ResponseHeaders(raw.headers), url, raw.body, deadline)
    const location = response.headers.get('location')
    if (status < 300 || status >= 400 || status === 304 || !location) return response
    await response.discard()
    if (hop >= MAX_REDIRECTS) {
      throw new RegistryError(`too many redirects (more than ${MAX_REDIRECTS}) starting from ${displayUrl(request.url)}`, 'network', {
        status,
      })
    }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      throw new RegistryError(`${displayUrl(url)} redirected to an invalid URL`, 'protocol', {status})
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new RegistryError(`redirect from ${displayUrl(url)} to an unsupported URL scheme ${next.protocol}`, 'network', {status})
    }
    if (metadataAddress(next.hostname) && !metadataAddress(new URL(request.url).hostname)) {
      throw new RegistryError(
        `${displayUrl(url)} redirected to ${next.hostname}, a link-local or cloud metadata address; not following it`,
        'protocol',
        {status},
      )
    }
    settings.debug?.(`${method} ${displayUrl(url)} ${status} → ${displayUrl(next.href)}`)
    // A HEAD stays a HEAD (a GET of a manifest counts against Docker Hub's pull limit).
    if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET'
      body = undefined
    }
    // A body still travelling (307/308) may carry credentials (the identitytoken POST): never to another origin.
    if (body !== undefined && next.origin !== origin) {
      throw new RegistryError(
        `${displayUrl(url)} redirected a request carrying credentials to another origin (${next.origin}); not resending it`,
        'protocol',
        {status},
      )
    }
    url = next.href
  }
}

/**
 * The response, or the deadline's reason as soon as it aborts. undici acts on an abort only once
 * the request has a connection: one still waiting for a free connection, or still connecting,
 * would outlive its timeout. A response that arrives after the abort is released unread.
 */
function untilAborted(sending: Promise<Dispatcher.ResponseData>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, {once: true})
    sending.then(
      (response) => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) response.body.destroy()
        else resolve(response)
      },
      (error: Error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** Exponential backoff with full jitter: a random delay up to base·2^attempt. */
function backoff(attempt: number, baseMs: number): number {
  return Math.round(Math.random() * baseMs * 2 ** attempt)
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** Waits before retry `attempt + 1` of something that failed, saying so on --debug. */
async function retryPause(
  settings: TransportSettings,
  attempt: number,
  what: string,
  aborts: AbortWatch,
  signal: AbortSignal | undefined,
): Promise<void> {
  const delay = backoff(attempt, settings.retryBaseDelayMs)
  settings.debug?.(`${what}; retry ${attempt + 1} in ${delay} ms`)
  await aborts.sleep(delay, signal)
}

/** A URL for messages and debug lines: no user info, and query values other than safe ones hidden. */
export function displayUrl(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  const shown = [...parsed.searchParams.entries()].map(([key, value]) => `${key}=${SAFE_QUERY_PARAMS.has(key) ? value : '…'}`)
  parsed.search = ''
  return shown.length > 0 ? `${parsed.href}?${shown.join('&')}` : parsed.href
}
