// --debug and ARCHCHECK_DEBUG, and the progress line that only a terminal sees.
import {describe, expect, it} from 'vitest'

import {debugRequested} from '../../../src/cli/debug.js'
import {showProgress} from '../../../src/render/progress.js'

describe('debugRequested', () => {
  it('is on with --debug anywhere on the command line, or ARCHCHECK_DEBUG=1', () => {
    expect(debugRequested(['inspect', 'app:1', '--debug'], {})).toBe(true)
    expect(debugRequested(['inspect', 'app:1'], {ARCHCHECK_DEBUG: '1'})).toBe(true)
    expect(debugRequested(['inspect', 'app:1'], {ARCHCHECK_DEBUG: 'true'})).toBe(false)
    expect(debugRequested(['inspect', '--debugging'], {})).toBe(false)
  })
})

describe('showProgress', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = []
    return {written, stream: {isTTY, write: (text: string) => written.push(text)} as unknown as NodeJS.WriteStream}
  }

  it('shows the message on a terminal while the task runs and clears the line after, also on failure', async () => {
    const terminal = stream(true)
    expect(await showProgress('reading app:1', async () => 42, terminal.stream)).toBe(42)
    await expect(showProgress('reading app:2', () => Promise.reject(new Error('gone')), terminal.stream)).rejects.toThrow('gone')
    expect(terminal.written).toEqual(['reading app:1…', '\r\u001B[K', 'reading app:2…', '\r\u001B[K'])
  })

  it('writes nothing when stderr is a pipe or a file (logs stay clean)', async () => {
    const pipe = stream(false)
    expect(await showProgress('reading app:1', async () => 'done', pipe.stream)).toBe('done')
    expect(pipe.written).toEqual([])
  })
})
