import {RegistryError} from '../../oci/errors.js'

/**
 * Failed requests in the user's terms: the code of the error undici or the system reported, and
 * the RegistryError (tls, network, timeout) that says what happened.
 */

/** Connection failures worth another try. */
const RETRY_ERROR_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])
const TLS_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
])
/** What Node reports when the server does not speak TLS at all (a plain-HTTP registry on an HTTPS URL). */
const TLS_HANDSHAKE_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO'])

/**
 * The code of a connection failure worth another try (a reset, a closed socket, a response undici
 * could not parse); undefined for any other error. A parse error is what a kept connection gives
 * after a server sent a body after a HEAD (transport.ts); the retry takes another connection.
 */
export function retryableCode(error: unknown): string | undefined {
  const code = errorCode(error)
  if (code && RETRY_ERROR_CODES.has(code)) return code
  // undici's HTTPParserError has no code (undici 7 looks llhttp's error name up by number wrongly).
  return (error as {name?: unknown} | undefined)?.name === 'HTTPParserError' ? 'HTTPParserError' : undefined
}

/** A body cut off by the connection (not by our timeout or size cap): worth another try. */
export function interruptedBody(error: unknown): boolean {
  return error instanceof RegistryError && error.kind === 'network' && retryableCode(error.cause) !== undefined
}

/** The error for a response body the connection broke off (or a dispatcher's own body timeout ended). */
export function bodyError(error: unknown, url: string): RegistryError {
  const code = errorCode(error)
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new RegistryError(`${new URL(url).host} stopped sending the response (${code})`, 'timeout', {cause: error})
  }
  return new RegistryError(
    `connection to ${new URL(url).host} broke while receiving the response (${code ?? innermostMessage(error)})`,
    'network',
    {cause: error},
  )
}

/**
 * The code of a failed request's error: undici's (`UND_ERR_SOCKET`), the system's (`ECONNREFUSED`)
 * or TLS's, found also in a `cause` or in the first error of an AggregateError (a connection tried
 * on several addresses).
 */
function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as {code?: unknown; cause?: unknown; errors?: unknown[]}
    if (typeof candidate.code === 'string' && candidate.code !== 'UND_ERR') return candidate.code
    current = candidate.cause ?? candidate.errors?.[0]
  }
  return undefined
}

function innermostMessage(error: unknown): string {
  let current = error as {message?: string; cause?: unknown; errors?: unknown[]}
  for (let depth = 0; depth < 5; depth++) {
    const next = (current.cause ?? current.errors?.[0]) as typeof current | undefined
    if (!next) break
    current = next
  }
  return current.message ?? String(error)
}

/** Turns a failed request into a RegistryError that says what happened in the user's terms. */
export function networkError(error: unknown, url: string): unknown {
  if (error instanceof RegistryError) return error
  const host = new URL(url).host
  const code = errorCode(error)
  if (code && TLS_ERROR_CODES.has(code)) {
    return new RegistryError(
      `TLS certificate of ${host} could not be verified: ${innermostMessage(error)} (${code}); use --insecure-registry ${host} only if you trust it`,
      'tls',
      {cause: error},
    )
  }
  if (code && TLS_HANDSHAKE_CODES.has(code)) {
    return new RegistryError(
      `TLS handshake with ${host} failed (${code}: the server does not seem to speak TLS); if it is a plain-HTTP registry, use --insecure-registry ${host}`,
      'tls',
      {cause: error},
    )
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new RegistryError(`cannot connect to ${host}: connection refused`, 'network', {cause: error})
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RegistryError(`cannot resolve host ${new URL(url).hostname} (${code})`, 'network', {cause: error})
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new RegistryError(`cannot connect to ${host}: connection timed out`, 'timeout', {cause: error})
    // A dispatcher's own timeouts (the transport's pools leave timing to the request's timeout).
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new RegistryError(`${host} sent no response in time (${code})`, 'timeout', {cause: error})
    case 'UND_ERR_BODY_TIMEOUT':
      return new RegistryError(`${host} stopped sending the response (${code})`, 'timeout', {cause: error})
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return new RegistryError(`connection to ${host} was reset`, 'network', {cause: error})
    default:
      return new RegistryError(`request to ${host} failed: ${innermostMessage(error)}${code ? ` (${code})` : ''}`, 'network', {
        cause: error,
      })
  }
}
