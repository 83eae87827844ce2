/**
 * Ctrl-C (SIGINT) or SIGTERM mid-request: run the registered clean-ups (temporary directories,
 * a half-drawn progress line), then exit quietly with the shell's code for the signal (130 or 143).
 */
const cleanups = new Set<() => unknown>()
let installed = false

const SIGNAL_EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const

/** Runs `cleanup` if the user interrupts; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => unknown): () => void {
  cleanups.add(cleanup)
  return () => cleanups.delete(cleanup)
}

export function exitQuietlyOnInterrupt(): void {
  if (installed) return
  installed = true
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.once(signal, () => {
      if (process.stderr.isTTY) process.stderr.write('\r\u001B[K')
      const pending = [...cleanups].map(async (cleanup) => cleanup())
      // Clean-ups get a moment, never the power to keep an interrupted process alive.
      const deadline = new Promise((resolve) => setTimeout(resolve, 2000).unref())
      void Promise.race([Promise.allSettled(pending), deadline]).then(() => process.exit(code))
    })
  }
}
