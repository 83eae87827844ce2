// `archcheck … | head`: the reader may go away; that ends the output quietly, never with an error.
import {Writable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {drainStdout, isBrokenPipe, stdoutGone, writeStdout} from '../../../src/cli/output.js'

/** A stdout whose reader goes away after `accepted` writes: later writes fail with EPIPE. */
function pipeClosingAfter(accepted: number): {stream: NodeJS.WriteStream; received: string[]} {
  const received: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (received.length >= accepted) return callback(Object.assign(new Error('write EPIPE'), {code: 'EPIPE'}))
      received.push(chunk.toString())
      callback()
    },
  })
  stream.on('error', () => {})
  return {stream: stream as unknown as NodeJS.WriteStream, received}
}

describe('writeStdout', () => {
  it('resolves once the bytes are written', async () => {
    const {stream, received} = pipeClosingAfter(5)
    await writeStdout('one\n', stream)
    expect(received).toEqual(['one\n'])
    expect(stdoutGone(stream)).toBe(false)
  })

  it('takes a closed pipe as the end of output: no error, nothing more written', async () => {
    const {stream, received} = pipeClosingAfter(1)
    await writeStdout('first\n', stream)
    await expect(writeStdout('second\n', stream)).resolves.toBeUndefined()
    expect(stdoutGone(stream)).toBe(true)
    await writeStdout('third\n', stream)
    expect(received).toEqual(['first\n'])
    await expect(drainStdout(stream)).resolves.toBeUndefined()
  })

  it('still fails on any other write error', async () => {
    const stream = new Writable({write: (_chunk, _encoding, callback) => callback(Object.assign(new Error('disk full'), {code: 'ENOSPC'}))})
    stream.on('error', () => {})
    await expect(writeStdout('x', stream as unknown as NodeJS.WriteStream)).rejects.toThrow('disk full')
  })
})

describe('isBrokenPipe', () => {
  it('is EPIPE, or a destroyed stream once its reader has gone', async () => {
    const {stream} = pipeClosingAfter(0)
    const destroyed = Object.assign(new Error('destroyed'), {code: 'ERR_STREAM_DESTROYED'})
    expect([isBrokenPipe(Object.assign(new Error(), {code: 'EPIPE'}), stream), isBrokenPipe(destroyed, stream)]).toEqual([true, false])
    await writeStdout('x', stream)
    expect(isBrokenPipe(destroyed, stream)).toBe(true)
    expect(isBrokenPipe(new Error('other'), stream)).toBe(false)
  })
})
