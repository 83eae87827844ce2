/**
 * A signal stops what the library does without a registry: reading an OCI layout or archive, and
 * the backend programs a build runs (killed, and waited for, before the call rejects).
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {AbortError} from '../../src/oci/abort.js'
import {captureCommand, streamCommand} from '../../src/engine/build/exec.js'
import {openSource} from '../../src/source/open.js'
import {archiveWith, elfImage, layoutWith} from '../helpers/layouts.js'
import {tempDir} from '../helpers/temp-dir.js'

/** Whether a process of that id still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('local sources given a signal', () => {
  it.each([
    ['oci-layout', async () => `oci-layout:${await layoutWith(await elfImage('arm64'))}`],
    ['oci-archive', async () => `oci-archive:${await archiveWith(await elfImage('arm64'))}`],
  ])('%s: an aborted signal rejects each read with an AbortError; a blob stream errors with one', async (_kind, spec) => {
    const image = await elfImage('arm64')
    const source = await openSource(await spec())
    try {
      const signal = AbortSignal.abort(new Error('stop'))
      await expect(source.fetchManifest(undefined, {signal})).rejects.toBeInstanceOf(AbortError)
      await expect(source.fetchBlob(image.config.digest, undefined, {signal})).rejects.toBeInstanceOf(AbortError)
      await expect(source.blobExists(image.config.digest, {signal})).rejects.toBeInstanceOf(AbortError)

      const controller = new AbortController()
      const blob = await source.openBlob(image.layers[0].digest, {signal: controller.signal})
      controller.abort(new Error('stop'))
      const read = (async () => {
        for await (const _chunk of blob) {
          // nothing: the stream must end in the abort's error
        }
      })()
      await expect(read).rejects.toBeInstanceOf(AbortError)
      expect(blob.destroyed).toBe(true)
    } finally {
      await source.close()
    }
  })
})

describe('backend programs given a signal', () => {
  it('kills a captured program, and rejects once it has exited', async () => {
    const pidFile = path.join(await tempDir('cancel-exec'), 'pid')
    const controller = new AbortController()
    // Only node and sh: unit tests run with nothing else on PATH.
    const running = captureCommand('sh', ['-c', `echo $$ > ${pidFile}; exec "${process.execPath}" -e "setTimeout(() => {}, 30000)"`], {
      signal: controller.signal,
    })
    let pid: number | undefined
    while (pid === undefined) {
      pid = Number(await readFile(pidFile, 'utf8').catch(() => '')) || undefined
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const aborted = performance.now()
    controller.abort(new Error('stop'))
    await expect(running).rejects.toBeInstanceOf(AbortError)
    expect(performance.now() - aborted).toBeLessThan(5000)
    expect(alive(pid)).toBe(false)
  })

  it('kills a streamed program (a build step) the same way, and starts none when already aborted', async () => {
    const controller = new AbortController()
    const running = streamCommand(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {signal: controller.signal})
    setTimeout(() => controller.abort(), 50)
    await expect(running).rejects.toBeInstanceOf(AbortError)
    await expect(streamCommand(process.execPath, ['-e', '0'], {signal: AbortSignal.abort()})).rejects.toBeInstanceOf(AbortError)
  })
})
