/**
 * Ctrl-C (SIGINT) or SIGTERM mid-request: run the registered clean-ups (temporary directories,
 * a half-drawn progress line), then exit quietly with the shell's code for the signal (130 or 143).
 * Signals belong to the process, so the clean-ups live on the process object, not in this module.
 */
const CLEANUPS = Symbol.for('archcheck.interrupt-cleanups')

type WithCleanups = NodeJS.Process & {[CLEANUPS]?: Set<() => unknown>}

const SIGNAL_EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const

/** Runs `cleanup` if the user interrupts; returns the function that unregisters it (a no-op before exitQuietlyOnInterrupt). */
export function onInterrupt(cleanup: () => unknown): () => void {
  const cleanups = (process as WithCleanups)[CLEANUPS]
  if (!cleanups) return () => {}
  cleanups.add(cleanup)
  return () => cleanups.delete(cleanup)
}

export function exitQuietlyOnInterrupt(): void {
  const owner = process as WithCleanups
  if (owner[CLEANUPS]) return
  const cleanups = new Set<() => unknown>()
  owner[CLEANUPS] = cleanups
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.once(signal, () => {
      if (process.stderr.isTTY) process.stderr.write('\r\u001B[K')
      const pending = [...cleanups].map((cleanup) => Promise.resolve().then(cleanup))
      // Clean-ups get a moment, never the power to keep an interrupted process alive.
      const deadline = new Promise((resolve) => setTimeout(resolve, 2000).unref())
      void Promise.race([Promise.allSettled(pending), deadline]).then(() => process.exit(code))
    })
  }
}
