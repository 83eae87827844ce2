import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {errorExitCode} from '../../../src/api/exit-codes.js'
import {RegistryError} from '../../../src/oci/errors.js'
import {openSource} from '../../../src/source/open.js'
import {END, paxRecord, tarData, tarHeader} from '../fuzz/tar-bytes.js'
import {tempDir} from '../../helpers/temp-dir.js'

let dir: string
beforeAll(async () => {
  dir = await tempDir('hostile-archive')
})

/** An archive whose first entry is a pax header with `size=VALUE`, then an `oci-layout` file. */
async function archiveWithPaxSize(name: string, value: string): Promise<string> {
  const pax = paxRecord('size', value)
  const bytes = Buffer.concat([
    tarHeader({name: 'PaxHeader/oci-layout', type: 'x', size: pax.length}),
    tarData(pax),
    tarHeader({name: 'oci-layout', size: 2}),
    tarData('{}'),
    END,
  ])
  const file = path.join(dir, name)
  await writeFile(file, bytes)
  return file
}

async function openError(file: string): Promise<unknown> {
  const started = Date.now()
  const error = await openSource(`oci-archive:${file}`).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(Date.now() - started).toBeLessThan(2000)
  return error
}

describe('oci-archive scanner against hostile sizes', () => {
  it('a pax size that points backwards ends with a clear error, not a loop', async () => {
    const error = await openError(await archiveWithPaxSize('negative.tar', '-1536'))
    expect(error).toBeInstanceOf(RegistryError)
    expect(errorExitCode(error)).toBe(3)
    expect((error as Error).message).toMatch(/invalid size "-1536" in a pax header at byte 0/)
  }, 5000)

  it('a pax size that is not a number is a malformed archive (exit 3), not an internal error', async () => {
    const error = await openError(await archiveWithPaxSize('abc.tar', 'abc'))
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).kind).toBe('malformed')
    expect((error as Error).message).toMatch(/invalid size "abc" in a pax header/)
  })

  it('fractional, huge and past-the-end sizes are refused', async () => {
    for (const [name, value] of [
      ['frac.tar', '1.5'],
      ['huge.tar', '1e400'],
      ['far.tar', '999999999'],
    ] as const) {
      const error = await openError(await archiveWithPaxSize(name, value))
      expect(error, value).toBeInstanceOf(RegistryError)
    }
  })

  it('a ustar size field that is not octal is refused', async () => {
    const file = path.join(dir, 'ustar-size.tar')
    await writeFile(file, Buffer.concat([tarHeader({name: 'oci-layout', size: '12x4\0'}), tarData('{}'), END]))
    const error = await openError(file)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as Error).message).toMatch(/invalid size field in the header at byte 0/)
  })
})
