/**
 * Every failure a user can cause or meet is an ArchcheckError: one line of text and a documented
 * exit code. Anything else reaching the top is a bug in archcheck (exit 4).
 */
export const ExitCode = {
  ok: 0,
  /** A check failed: verify, resolve or diagnose found a problem with the image. */
  checkFailed: 1,
  /** Bad usage or bad input: flags, references, platform specifiers, files. */
  usage: 2,
  /** The registry (or a local image source) could not be read: network, auth, protocol. */
  registry: 3,
  /** An unexpected internal error (a bug in archcheck). */
  internal: 4,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export class ArchcheckError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    options?: {cause?: unknown},
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Bad input from the user: a reference, a flag, a file. Exit 2. */
export class UsageError extends ArchcheckError {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, ExitCode.usage, options)
  }
}

/** What the registry or a local source said or failed to say. Exit 3. */
export class RegistryError extends ArchcheckError {
  /** HTTP status when there was a response. */
  readonly status?: number
  /** A short machine-readable kind, e.g. 'not-found', 'unauthorized', 'rate-limited', 'digest-mismatch'. */
  readonly kind: string
  /** For 'rate-limited': how long the registry asked to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number

  constructor(message: string, kind: string, options?: {cause?: unknown; status?: number; retryAfterMs?: number}) {
    super(message, ExitCode.registry, options)
    this.kind = kind
    this.status = options?.status
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs
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
