/** The ELF generator's output really runs: executes a generated binary on this (Linux) machine. */
import {execFile} from 'node:child_process'
import {chmod, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {type ElfArchitecture, makeElf} from '../../scripts/fixtures/elf.js'
import {tempDir} from '../helpers/temp-dir.js'

const run = promisify(execFile)

describe('makeElf', () => {
  it('makes an executable that runs on this machine and exits 0', async () => {
    const native = ({x64: 'amd64', arm64: 'arm64'} as Record<string, ElfArchitecture>)[process.arch]
    expect(native, `no ELF generator for host ${process.arch}`).toBeDefined()
    const dir = await tempDir('elf')
    const file = path.join(dir, 'exit0')
    await writeFile(file, makeElf(native))
    await chmod(file, 0o755)
    await expect(run(file)).resolves.toBeDefined()
  })
})
