import {RegistryError} from '../../oci/errors.js'
import type {ResponseHeaders} from './headers.js'
import {retryAfterMs, type HttpResponse} from './transport.js'

/** What a request was for, so errors can name it the way the user would. */
export type Target = {type: 'manifest'; reference: string} | {type: 'blob'; digest: string} | {type: 'tags'}

export interface ErrorContext {
  /** `docker.io/library/alpine` */
  repositoryName: string
  /** The registry as the user names it: `docker.io`. */
  registry: string
  target: Target
  /** Undefined when no credentials were used; else where they came from ("from ~/.docker/config.json"). */
  credentialsSource?: string
  /** Whether the registry demands Basic auth (so a 401 means log in), rather than bearer tokens. */
  basicAuth: boolean
  method: string
}

/** Error codes from the distribution spec's error body, e.g. MANIFEST_UNKNOWN, NAME_UNKNOWN. */
async function errorCodes(response: HttpResponse, method: string): Promise<{codes: string[]; message?: string}> {
  if (method === 'HEAD') {
    // No body to read, but its timeout runs until released: it would hold the process open.
    await response.discard()
    return {codes: []}
  }
  const text = await response.text()
  try {
    const errors = (JSON.parse(text) as {errors?: Array<{code?: unknown; message?: unknown}>}).errors ?? []
    const message = errors.map((error) => error.message).find((m): m is string => typeof m === 'string' && m !== '')
    return {codes: errors.map((error) => (typeof error.code === 'string' ? error.code : '')), message}
  } catch {
    return {codes: []}
  }
}

function describeTarget(target: Target): string {
  if (target.type === 'blob') return `blob ${target.digest}`
  if (target.type === 'tags') return 'the tag list'
  return target.reference.includes(':') ? `manifest ${target.reference}` : `tag ${target.reference}`
}

/** Names what is missing by its full normalised reference, as the user would type it. */
function notFoundMessage(target: Target, name: string): string {
  if (target.type === 'blob') return `blob ${target.digest} not found in ${name}`
  if (target.type === 'tags') return `repository ${name} not found`
  if (target.reference.includes(':')) return `manifest ${name}@${target.reference} not found`
  // Registries such as distribution answer MANIFEST_UNKNOWN for a repository they have never seen
  // too; only NAME_UNKNOWN says the repository is the problem, so a misspelt name is not ruled out.
  return `tag not found: ${name}:${target.reference} (or no repository ${name}: the registry answers both alike)`
}

function credentialsNote(context: ErrorContext): string {
  return context.credentialsSource ? `with credentials ${context.credentialsSource}` : 'no credentials used'
}

/** Hub's rate-limit headers: `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 0;w=21600`. */
function rateLimitNote(headers: ResponseHeaders): string {
  const limit = /^(\d+)(?:;w=(\d+))?/.exec(headers.get('ratelimit-limit') ?? '')
  const remaining = /^(\d+)/.exec(headers.get('ratelimit-remaining') ?? '')
  if (!limit && !remaining) return ''
  const window = limit?.[2] ? ` per ${Number(limit[2]) % 3600 === 0 ? `${Number(limit[2]) / 3600} h` : `${limit[2]} s`}` : ''
  if (remaining && limit) return ` (${remaining[1]} of ${limit[1]} pulls left${window})`
  return remaining ? ` (${remaining[1]} pulls left)` : ` (limit ${limit![1]} pulls${window})`
}

function retryAfterNote(headers: ResponseHeaders): string {
  const value = headers.get('retry-after')?.trim()
  if (!value) return ''
  return /^\d+$/.test(value) ? `; retry after ${value} s` : `; retry after ${value}`
}

/** A RegistryError for a response that is not the success the caller wanted. Consumes the body. */
export async function statusError(response: HttpResponse, context: ErrorContext): Promise<RegistryError> {
  const {status} = response
  const {codes, message: serverMessage} = await errorCodes(response, context.method)
  const what = describeTarget(context.target)
  const name = context.repositoryName
  const serverSays = serverMessage ? `: ${serverMessage.slice(0, 200)}` : ''

  if (status === 404) {
    if (codes.includes('NAME_UNKNOWN')) return new RegistryError(`repository ${name} not found`, 'not-found', {status})
    return new RegistryError(notFoundMessage(context.target, name), 'not-found', {status})
  }
  if (status === 401) {
    if (context.basicAuth && !context.credentialsSource) {
      return new RegistryError(
        `${context.registry} requires credentials and none were found; run docker login ${context.registry}`,
        'unauthorized',
        {status},
      )
    }
    if (context.basicAuth) {
      return new RegistryError(`${context.registry} rejected the credentials ${context.credentialsSource}`, 'unauthorized', {status})
    }
    return new RegistryError(`repository ${name} not found or not authorised (${credentialsNote(context)})`, 'not-found', {status})
  }
  if (status === 403) {
    return new RegistryError(`access to ${what} in ${name} is forbidden (${credentialsNote(context)})${serverSays}`, 'forbidden', {status})
  }
  const retried = response.retries > 0 ? ` (after ${response.retries} ${response.retries === 1 ? 'retry' : 'retries'})` : ''
  if (status === 429) {
    const retryAfter = retryAfterMs(response.headers.get('retry-after'))
    return new RegistryError(
      `${context.registry} rate limit reached${rateLimitNote(response.headers)}${retried}${retryAfterNote(response.headers)}`,
      'rate-limited',
      {
        status,
        ...(retryAfter === undefined ? {} : {retryAfterMs: retryAfter}),
      },
    )
  }
  if (status >= 500) {
    return new RegistryError(
      `${context.registry} failed to serve ${what} of ${name}: server error ${status}${serverSays}${retried}`,
      'server-error',
      {status},
    )
  }
  return new RegistryError(`${context.registry} answered ${status} to ${context.method} ${what} of ${name}${serverSays}`, 'protocol', {
    status,
  })
}
