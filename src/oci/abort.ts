/**
 * Cancellation. Every library call takes an optional `signal`; when it aborts, the call stops its
 * requests, timers and child processes and rejects with an AbortError (`name` 'AbortError', as
 * DOM and Node APIs name theirs), whose `cause` is the signal's reason. Only `audit` resolves
 * instead: with the images it finished and the rest marked interrupted.
 */

/** What a call that can be cancelled takes. */
export interface AbortOptions {
  signal?: AbortSignal
}

/** The one error an aborted call rejects with; `cause` is the signal's reason. */
export class AbortError extends Error {
  constructor(reason?: unknown) {
    const said = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : ''
    super(said && said !== 'This operation was aborted' ? `aborted: ${said}` : 'aborted', {cause: reason})
    this.name = 'AbortError'
  }
}

/** The AbortError for an aborted `signal` (its reason kept when that already is one). */
export function abortError(signal: AbortSignal): AbortError {
  const reason = signal.reason as unknown
  return reason instanceof AbortError ? reason : new AbortError(reason)
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal)
}

/**
 * Callbacks run when a signal aborts, through one listener per signal however many wait on it:
 * a listener per request would pass Node's limit of ten and warn on the caller's signal. The
 * listener is removed as soon as nothing waits, so a long-lived signal keeps none of ours.
 */
export class AbortWatch {
  readonly #waiting = new WeakMap<AbortSignal, {callbacks: Set<() => void>; listener: () => void}>()

  /** Runs `onAbort` once when `signal` aborts (at once when it has); returns the function that stops watching. */
  watch(signal: AbortSignal, onAbort: () => void): () => void {
    if (signal.aborted) {
      onAbort()
      return () => {}
    }
    let entry = this.#waiting.get(signal)
    if (!entry) {
      const callbacks = new Set<() => void>()
      const listener = (): void => {
        this.#waiting.delete(signal)
        for (const callback of callbacks) callback()
        callbacks.clear()
      }
      entry = {callbacks, listener}
      this.#waiting.set(signal, entry)
      signal.addEventListener('abort', listener, {once: true})
    }
    const {callbacks, listener} = entry
    callbacks.add(onAbort)
    return () => {
      if (!callbacks.delete(onAbort) || callbacks.size > 0) return
      signal.removeEventListener('abort', listener)
      if (this.#waiting.get(signal)?.callbacks === callbacks) this.#waiting.delete(signal)
    }
  }

  /** `work`'s outcome, or an AbortError as soon as `signal` aborts (`work` goes on unwatched). */
  race<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return work
    if (signal.aborted) return Promise.reject(abortError(signal))
    return new Promise<T>((resolve, reject) => {
      const stop = this.watch(signal, () => reject(abortError(signal)))
      work.then(resolve, reject).finally(stop)
    })
  }

  /** Destroys `stream` with an AbortError when `signal` aborts before the stream closes; returns `stream`. */
  bindStream<S extends NodeJS.EventEmitter & {destroy(error?: Error): unknown}>(stream: S, signal: AbortSignal | undefined): S {
    if (!signal) return stream
    const stop = this.watch(signal, () => stream.destroy(abortError(signal)))
    stream.once('close', stop)
    return stream
  }

  /** Waits `ms`, or rejects with an AbortError as soon as `signal` aborts; no timer is left behind either way. */
  sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal))
    return new Promise((resolve, reject) => {
      let stop = (): void => {}
      const timer = setTimeout(() => {
        stop()
        resolve()
      }, ms)
      if (signal)
        stop = this.watch(signal, () => {
          clearTimeout(timer)
          reject(abortError(signal))
        })
    })
  }
}
