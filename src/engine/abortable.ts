/**
 * Work given up when a signal aborts: many tasks (an audit's images) wait on one signal, through
 * one listener for all of them (a listener per task would pass Node's limit of ten and warn). The
 * signal aborts the tasks' requests too (their sources are opened with it), but their rejections
 * come later, asynchronously: each task is settled as interrupted here first.
 */
export interface Abortable {
  /** `work`'s result, or `interrupted()` as soon as the signal aborts (at once when it already has). */
  race<T>(work: Promise<T>, interrupted: () => T): Promise<T>
  /** Removes the listener from the signal. */
  dispose(): void
}

export function abortable(signal: AbortSignal | undefined): Abortable {
  if (!signal) return {race: (work) => work, dispose: () => {}}
  const waiting = new Set<() => void>()
  const onAbort = (): void => {
    for (const stop of waiting) stop()
    waiting.clear()
  }
  signal.addEventListener('abort', onAbort, {once: true})
  return {
    race: <T>(work: Promise<T>, interrupted: () => T) => {
      if (signal.aborted) return Promise.resolve(interrupted())
      return new Promise<T>((resolve, reject) => {
        const stop = (): void => resolve(interrupted())
        waiting.add(stop)
        work.then(resolve, reject).finally(() => waiting.delete(stop))
      })
    },
    dispose: () => signal.removeEventListener('abort', onAbort),
  }
}
