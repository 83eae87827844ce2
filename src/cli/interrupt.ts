/**
 * Ctrl-C (SIGINT) or SIGTERM mid-request: run the registered clean-ups (temporary directories,
 * a half-drawn progress line), then exit quietly with the shell's code for the signal (130 or 143).
 * A command that can report what it finished takes the first signal instead (interruptSignal):
 * its work is aborted, it prints its partial report and exits with that code. A second signal
 * always exits at once. Signals belong to the process, so this state lives on the process object,
 * not in this module.
 */
const STATE = Symbol.for('archcheck.interrupt-state')

interface InterruptState {
  cleanups: Set<() => unknown>
  /** Controllers of the commands that take the first signal themselves. */
  takers: Set<AbortController>
  /** The exit code of the first signal, once one came. */
  exitCode?: number
}

type WithState = NodeJS.Process & {[STATE]?: InterruptState}

const SIGNAL_EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const

/** Runs `cleanup` if the user interrupts; returns the function that unregisters it (a no-op before exitQuietlyOnInterrupt). */
export function onInterrupt(cleanup: () => unknown): () => void {
  const state = (process as WithState)[STATE]
  if (!state) return () => {}
  state.cleanups.add(cleanup)
  return () => state.cleanups.delete(cleanup)
}

/**
 * An AbortSignal the first Ctrl-C or SIGTERM aborts, instead of ending the process: the command
 * stops its work and reports what finished. `exitCode()` is then the signal's code (130, 143) the
 * command must exit with; undefined while no signal came. `dispose()` hands signals back.
 */
export function interruptSignal(): {signal: AbortSignal; exitCode(): number | undefined; dispose(): void} {
  const state = (process as WithState)[STATE]
  const controller = new AbortController()
  state?.takers.add(controller)
  return {
    signal: controller.signal,
    exitCode: () => state?.exitCode,
    dispose: () => state?.takers.delete(controller),
  }
}

export function exitQuietlyOnInterrupt(): void {
  const owner = process as WithState
  if (owner[STATE]) return
  const state: InterruptState = {cleanups: new Set(), takers: new Set()}
  owner[STATE] = state
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, () => {
      if (process.stderr.isTTY) process.stderr.write('\r\u001B[K')
      // A second signal: the user does not want to wait for anything any more.
      if (state.exitCode !== undefined) process.exit(state.exitCode)
      state.exitCode = code
      if (state.takers.size > 0) {
        for (const controller of state.takers) controller.abort(new Error(`interrupted by ${signal}`))
        return
      }
      const pending = [...state.cleanups].map((cleanup) => Promise.resolve().then(cleanup))
      // Clean-ups get a moment, never the power to keep an interrupted process alive.
      const deadline = new Promise((resolve) => setTimeout(resolve, 2000).unref())
      void Promise.race([Promise.allSettled(pending), deadline]).then(() => process.exit(code))
    })
  }
}
