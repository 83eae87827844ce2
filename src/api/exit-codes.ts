import {AbortError} from '../oci/abort.js'
import {ArchcheckError, type ErrorKind} from '../oci/errors.js'

/**
 * The exit codes of the CLI and the action (docs/cli.md). They live beside the api rather than in
 * cli/ because the api's documents carry them (`verify --json` prints `exitCode`) and the action,
 * which shares nothing with the CLI, must exit the same way.
 */
export const ExitCode = {
  ok: 0,
  /** A check failed: verify, resolve or diagnose found a problem with the image; a build failed. */
  checkFailed: 1,
  /** Bad usage or bad input: flags, references, platform specifiers, files. */
  usage: 2,
  /** The registry (or a local image source) could not be read: network, auth, protocol. */
  registry: 3,
  /** An unexpected internal error (a bug in archcheck). */
  internal: 4,
  /** Stopped by the caller: Ctrl-C (SIGINT), or an aborted `signal` in the library. */
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** Every error kind's exit code: a kind added without one does not compile. */
const EXIT_CODE_OF_KIND: Record<ErrorKind, ExitCodeValue> = {
  usage: ExitCode.usage,
  'not-found': ExitCode.registry,
  unauthorized: ExitCode.registry,
  forbidden: ExitCode.registry,
  credentials: ExitCode.registry,
  'rate-limited': ExitCode.registry,
  'server-error': ExitCode.registry,
  protocol: ExitCode.registry,
  network: ExitCode.registry,
  timeout: ExitCode.registry,
  tls: ExitCode.registry,
  aborted: ExitCode.registry,
  malformed: ExitCode.registry,
  unsupported: ExitCode.registry,
  'too-large': ExitCode.registry,
  'digest-mismatch': ExitCode.registry,
  'media-type-mismatch': ExitCode.registry,
  io: ExitCode.registry,
  unreadable: ExitCode.registry,
  'bad-layer': ExitCode.registry,
  'layer-limit': ExitCode.registry,
  'build-failed': ExitCode.checkFailed,
  'builder-vanished': ExitCode.internal,
}

/** The exit code of an error kind. */
export function exitCodeOfKind(kind: ErrorKind): ExitCodeValue {
  return EXIT_CODE_OF_KIND[kind]
}

/**
 * The exit code an error ends a run with: its kind's; 130 for an aborted call (the caller stopped
 * it, as Ctrl-C does); 4 for anything else (a bug).
 */
export function errorExitCode(error: unknown): ExitCodeValue {
  if (error instanceof ArchcheckError) return exitCodeOfKind(error.kind)
  return error instanceof AbortError ? ExitCode.interrupted : ExitCode.internal
}
