// Ctrl-C and SIGTERM in a real Node process: clean-ups run, the shell's code (130, 143) is the
// exit code; a command that reports partial work takes the first signal, a second one ends at once.
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {interruptSignal, onInterrupt} from '../../../src/cli/interrupt.js'
import {PROJECT_ROOT} from '../../helpers/cli.js'

const INTERRUPT = fileURLToPath(new URL('../../../src/cli/interrupt.ts', import.meta.url))

/**
 * Runs `body` (an ES module body with `interrupt` imported) under node, sends it `signals` once it
 * says `ready`, and returns its exit code and output.
 */
function runWithSignals(body: string, signals: NodeJS.Signals[]): Promise<{code: number | null; stdout: string}> {
  const source = `import * as interrupt from ${JSON.stringify(INTERRUPT)}\n${body}\nsetInterval(() => {}, 1000)\nconsole.log('ready')\n`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {cwd: PROJECT_ROOT})
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    const first = !stdout.includes('ready')
    stdout += chunk.toString()
    if (first && stdout.includes('ready')) {
      signals.forEach((signal, index) => setTimeout(() => child.kill(signal), 100 * index))
    }
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({code, stdout})
    })
  })
}

describe('exitQuietlyOnInterrupt', () => {
  it('runs the clean-ups on Ctrl-C and exits 130', async () => {
    const run = await runWithSignals(
      `interrupt.exitQuietlyOnInterrupt()\ninterrupt.onInterrupt(() => console.log('cleaned'))\nconst off = interrupt.onInterrupt(() => console.log('unregistered'))\noff()`,
      ['SIGINT'],
    )
    expect(run).toEqual({code: 130, stdout: 'ready\ncleaned\n'})
  })

  it('exits 143 on SIGTERM', async () => {
    expect((await runWithSignals('interrupt.exitQuietlyOnInterrupt()', ['SIGTERM'])).code).toBe(143)
  })

  it('lets a command take the first signal and report; a second signal exits at once', async () => {
    const body = `interrupt.exitQuietlyOnInterrupt()
const taken = interrupt.interruptSignal()
taken.signal.addEventListener('abort', () => console.log('partial report, then exit ' + taken.exitCode()))`
    expect(await runWithSignals(body, ['SIGINT', 'SIGINT'])).toEqual({code: 130, stdout: 'ready\npartial report, then exit 130\n'})
  })
})

describe('before exitQuietlyOnInterrupt', () => {
  it("takes nothing of the process's signals: clean-ups are not kept and no signal ever aborts", () => {
    const listeners = process.listenerCount('SIGINT')
    const off = onInterrupt(() => undefined)
    const taken = interruptSignal()
    expect([process.listenerCount('SIGINT'), taken.signal.aborted, taken.exitCode()]).toEqual([listeners, false, undefined])
    off()
    taken.dispose()
  })
})
