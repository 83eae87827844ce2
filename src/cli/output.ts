/**
 * Writing to stdout when the reader may go away: `archcheck … | head` closes the pipe early, and
 * that is the reader's choice, not an error. The first EPIPE stops all further output quietly; the
 * command still finishes and exits with the code its result deserves.
 */
let readerGone = false

export function isBrokenPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'EPIPE' || (readerGone && code === 'ERR_STREAM_DESTROYED')
}

/** Whether stdout's reader has gone: nothing written from now on arrives, and nothing will drain. */
export function stdoutGone(stream: NodeJS.WriteStream = process.stdout): boolean {
  return readerGone || stream.destroyed
}

/** Called once per process: an EPIPE on stdout (emitted, not thrown) must not crash the process. */
export function ignoreBrokenStdout(stream: NodeJS.WriteStream = process.stdout): void {
  if (stream.listenerCount('error') > 0) return
  stream.on('error', (error) => {
    if (!isBrokenPipe(error)) throw error
    readerGone = true
  })
}

/** Writes and waits until the bytes are handed to the OS, so piped output is complete; a closed pipe is not an error. */
export function writeStdout(data: string | Uint8Array, stream: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (readerGone) return Promise.resolve()
  return new Promise((resolve, reject) => {
    stream.write(data, (error) => {
      if (!error) return resolve()
      if (!isBrokenPipe(error)) return reject(error)
      readerGone = true
      resolve()
    })
  })
}

/** Waits until stdout has handed everything to the OS, or its reader has gone (then 'drain' never comes). */
export function drainStdout(stream: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (stdoutGone(stream) || !stream.writableNeedDrain) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('close', done)
  })
}
