/**
 * A one-line status on stderr while `task` runs, only when stderr is a terminal: stdout stays
 * machine-readable and logs stay clean.
 */
export async function showProgress<T>(message: string, task: () => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  if (!stream.isTTY) return task()
  stream.write(`${message}…`)
  try {
    return await task()
  } finally {
    stream.write('\r\u001B[K')
  }
}
