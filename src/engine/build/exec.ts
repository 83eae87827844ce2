import {spawn} from 'node:child_process'

import {abortError} from '../../oci/abort.js'
import {UsageError} from '../../oci/errors.js'

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** Thrown when the program itself is not on PATH. */
export class NotInstalledError extends UsageError {
  constructor(readonly program: string) {
    super(`${program} is not installed (not found on PATH)`)
  }
}

const MAX_CAPTURE = 4 * 1024 * 1024

/**
 * Runs a short command (a version or inspect query) and captures its output. A non-zero exit is
 * returned, not thrown; a missing program throws NotInstalledError. When `signal` aborts, the
 * program is killed and, once it has exited, the call rejects with an AbortError.
 */
export function captureCommand(
  program: string,
  args: readonly string[],
  options: {timeoutMs?: number; env?: NodeJS.ProcessEnv; signal?: AbortSignal} = {},
): Promise<CommandResult> {
  const {signal} = options
  if (signal?.aborted) return Promise.reject(abortError(signal))
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {stdio: ['ignore', 'pipe', 'pipe'], env: options.env, signal})
    // Not spawn's own `timeout`: its timer outlives a program that failed to start and holds the process open.
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill()
    }, options.timeoutMs ?? 60_000).unref()
    // A program stopped by us may leave a child of its own holding our pipes open ('close' would wait
    // for that one): once the program itself has exited, its output is no longer waited for.
    child.on('exit', () => {
      if (!timedOut && !signal?.aborted) return
      child.stdout.destroy()
      child.stderr.destroy()
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_CAPTURE) stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_CAPTURE) stderr += chunk
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      // An abort kills the program: 'close' follows once it has exited.
      if (signal?.aborted) return
      clearTimeout(timer)
      reject(error.code === 'ENOENT' ? new NotInstalledError(program) : error)
    })
    child.on('close', (code, killedBy) => {
      clearTimeout(timer)
      if (signal?.aborted) reject(abortError(signal))
      else resolve({code: code ?? (killedBy ? 128 : 1), stdout, stderr})
    })
  })
}

/**
 * Runs a long command (a build, a push) with its progress going straight to our stderr, so a user
 * sees it move; its stdout goes to stderr too (stdout is reserved for archcheck's own output).
 * Resolves with the exit code. When `signal` aborts, the program is killed and, once it has
 * exited, the call rejects with an AbortError.
 */
export function streamCommand(
  program: string,
  args: readonly string[],
  options: {env?: NodeJS.ProcessEnv; signal?: AbortSignal} = {},
): Promise<number> {
  const {signal} = options
  if (signal?.aborted) return Promise.reject(abortError(signal))
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {stdio: ['ignore', process.stderr, process.stderr], env: options.env, signal})
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (!signal?.aborted) reject(error.code === 'ENOENT' ? new NotInstalledError(program) : error)
    })
    child.on('close', (code, killedBy) => {
      if (signal?.aborted) reject(abortError(signal))
      else resolve(code ?? (killedBy ? 128 : 1))
    })
  })
}

/** How a command line is shown to a user: arguments with spaces or quotes are single-quoted. */
export function formatCommand(program: string, args: readonly string[]): string {
  return [program, ...args].map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ')
}
