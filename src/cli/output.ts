/**
 * Writing to stdout when the reader may go away: `archcheck … | head` closes the pipe early, and
 * that is the reader's choice, not an error. The first EPIPE stops all further output quietly; the
 * command still finishes and exits with the code its result deserves.
 */
const READER_GONE = Symbol.for('archcheck.reader-gone')

/** The stream itself remembers that its reader went away: that is a fact about the stream, not about this module. */
type Marked = NodeJS.WriteStream & {[READER_GONE]?: true}

const readerGone = (stream: NodeJS.WriteStream = process.stdout): boolean => (stream as Marked)[READER_GONE] === true
const markReaderGone = (stream: NodeJS.WriteStream): void => {
  Object.assign(stream, {[READER_GONE]: true})
}

export function isBrokenPipe(error: unknown, stream: NodeJS.WriteStream = process.stdout): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'EPIPE' || (readerGone(stream) && code === 'ERR_STREAM_DESTROYED')
}

/** Whether stdout's reader has gone: nothing written from now on arrives, and nothing will drain. */
export function stdoutGone(stream: NodeJS.WriteStream = process.stdout): boolean {
  return readerGone(stream) || stream.destroyed
}

/** Called once per process: an EPIPE on stdout (emitted, not thrown) must not crash the process. */
export function ignoreBrokenStdout(stream: NodeJS.WriteStream = process.stdout): void {
  if (stream.listenerCount('error') > 0) return
  stream.on('error', (error) => {
    if (!isBrokenPipe(error, stream)) throw error
    markReaderGone(stream)
  })
}

/** Writes and waits until the bytes are handed to the OS, so piped output is complete; a closed pipe is not an error. */
export function writeStdout(data: string | Uint8Array, stream: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (readerGone(stream)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    stream.write(data, (error) => {
      if (!error) return resolve()
      if (!isBrokenPipe(error, stream)) return reject(error)
      markReaderGone(stream)
      resolve()
    })
  })
}

/** An api result as the `--json` document: indented, one trailing newline. */
export function writeJson(result: object): Promise<void> {
  return writeStdout(`${JSON.stringify(result, null, 2)}\n`)
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
