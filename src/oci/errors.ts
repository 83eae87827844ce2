/**
 * Every failure a user can cause or meet is an ArchcheckError: one line of text and a `kind` that
 * says what went wrong. Errors carry no exit code: one table (api/exit-codes.ts) gives each kind
 * its code where a run ends; anything that is not an ArchcheckError reaching the top is a bug.
 */

/**
 * What a RegistryError is about. Each kind has one line of meaning in docs/cli.md ("Error
 * kinds"); `verify --json` and `audit --json` print it as `errorKind`.
 */
export const REGISTRY_ERROR_KINDS = [
  'not-found',
  'unauthorized',
  'forbidden',
  'credentials',
  'rate-limited',
  'server-error',
  'protocol',
  'network',
  'timeout',
  'tls',
  'aborted',
  'malformed',
  'unsupported',
  'too-large',
  'digest-mismatch',
  'media-type-mismatch',
  'io',
  'unreadable',
  'bad-layer',
  'layer-limit',
] as const

export type RegistryErrorKind = (typeof REGISTRY_ERROR_KINDS)[number]

/** What a BuildError is about: a backend step that failed, or a builder gone as soon as it was made. */
export const BUILD_ERROR_KINDS = ['build-failed', 'builder-vanished'] as const

export type BuildErrorKind = (typeof BUILD_ERROR_KINDS)[number]

/** The kind of every ArchcheckError: `usage` for a UsageError, else its RegistryError or BuildError kind. */
export const ERROR_KINDS = ['usage', ...REGISTRY_ERROR_KINDS, ...BUILD_ERROR_KINDS] as const

export type ErrorKind = (typeof ERROR_KINDS)[number]

export abstract class ArchcheckError extends Error {
  abstract readonly kind: ErrorKind

  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Bad input from the user: a reference, a flag, a file. */
export class UsageError extends ArchcheckError {
  readonly kind = 'usage'
}

/** What the registry or a local source said or failed to say. */
export class RegistryError extends ArchcheckError {
  /** HTTP status when there was a response. */
  readonly status?: number
  readonly kind: RegistryErrorKind
  /**
   * For 'rate-limited': how long the registry asked to wait (its Retry-After), so a caller running
   * many requests can stop starting new ones instead of hitting the limit again.
   */
  readonly retryAfterMs?: number

  constructor(message: string, kind: RegistryErrorKind, options?: {cause?: unknown; status?: number; retryAfterMs?: number}) {
    super(message, options)
    this.kind = kind
    this.status = options?.status
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs
  }
}

/** A build backend (buildx, buildah) that failed where archcheck relies on it. */
export class BuildError extends ArchcheckError {
  constructor(
    message: string,
    readonly kind: BuildErrorKind,
  ) {
    super(message)
  }
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
}

/** A file system error in words (`no such file or directory`), not Node's `ENOENT: …, open '…'`. */
export function fileErrorText(error: unknown): string {
  const {code, message} = error as NodeJS.ErrnoException
  return (code && FILE_ERRORS[code]) ?? message
}
