/**
 * An undici Dispatcher that sends each request with node:http or node:https `request()`, which nock
 * intercepts (undici's own sockets it does not see). Given as `RegistryOptions.dispatcher`, it lets
 * nock stand in for registries while everything above the dispatcher runs as in production:
 * redirects, retries, timeouts, body caps, content-coding refusal, error messages.
 *
 * The registry client calls undici's request API, whose handler (lib/api/api-request.js) has the
 * callbacks of undici's older handler interface: onConnect(abort), onHeaders(status, rawHeaders,
 * resume, statusText) → false to pause, onData(chunk) → false to pause, onComplete(trailers),
 * onError(error). Exactly one of onComplete and onError ends a request.
 */
import {request as httpRequest, type ClientRequest, type IncomingMessage} from 'node:http'
import {request as httpsRequest} from 'node:https'

import {Dispatcher} from 'undici'

const latin1 = (values: string[]): Buffer[] => values.map((value) => Buffer.from(value, 'latin1'))

function headerObject(headers: Dispatcher.DispatchOptions['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  if (!headers) return out
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) out[String(headers[i])] = String(headers[i + 1])
    return out
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (value !== undefined) out[name] = value
  }
  return out
}

export class NodeHttpDispatcher extends Dispatcher {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    let ended = false
    const streams: {outgoing?: ClientRequest; incoming?: IncomingMessage} = {}
    const fail = (error: Error): void => {
      if (ended) return
      ended = true
      streams.incoming?.destroy()
      streams.outgoing?.destroy()
      handler.onError?.(error)
    }
    // The request API aborts with its signal's reason; a body destroyed by its reader aborts without one.
    handler.onConnect?.((reason) => fail(reason ?? new Error('request aborted')))
    if (ended) return true

    const url = new URL(options.path, options.origin)
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const outgoing = send(url, {method: options.method, headers: headerObject(options.headers)})
    streams.outgoing = outgoing
    outgoing.on('error', fail)
    outgoing.on('response', (response) => {
      streams.incoming = response
      if (ended) return void response.destroy()
      const status = response.statusCode ?? 0
      const resume = (): void => void response.resume()
      if (handler.onHeaders?.(status, latin1(response.rawHeaders), resume, response.statusMessage ?? '') === false) response.pause()
      response.on('data', (chunk: Buffer) => {
        if (!ended && handler.onData?.(chunk) === false) response.pause()
      })
      response.on('error', fail)
      response.on('end', () => {
        if (ended) return
        ended = true
        handler.onComplete?.(response.rawTrailers)
      })
    })
    outgoing.end(options.body ?? undefined)
    return true
  }

  // Nothing of its own to release: each request's socket is node's.
  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    if (callback) return void queueMicrotask(callback)
    return Promise.resolve()
  }

  override destroy(): Promise<void>
  override destroy(error: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(error: Error | null, callback: () => void): void
  override destroy(first?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const done = typeof first === 'function' ? first : callback
    if (done) return void queueMicrotask(done)
    return Promise.resolve()
  }
}
