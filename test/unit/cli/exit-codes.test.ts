import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {errorExitCode, exitCodeOfKind} from '../../../src/api/exit-codes.js'
import {AbortError, abortError} from '../../../src/oci/abort.js'
import {errorLine} from '../../../src/cli/error-line.js'
import {BuildError, ERROR_KINDS, REGISTRY_ERROR_KINDS, RegistryError, UsageError} from '../../../src/oci/errors.js'

/** docs/cli.md's "Error kinds" table: kind → [exit code, meaning]. */
function documentedKinds(): Map<string, {exit: number; meaning: string}> {
  const text = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8')
  const section = text.split('### Error kinds')[1]?.split(/\n#/)[0] ?? ''
  const rows = new Map<string, {exit: number; meaning: string}>()
  for (const [, kind, exit, meaning] of section.matchAll(/^\| `([a-z-]+)` \| (\d+) \| (.*) \|$/gm)) {
    rows.set(kind, {exit: Number(exit), meaning: meaning.trim()})
  }
  return rows
}

describe('error kinds', () => {
  it('gives every kind an exit code and one documented line with that same code', () => {
    const documented = documentedKinds()
    for (const kind of ERROR_KINDS) {
      expect(documented.get(kind), `docs/cli.md "Error kinds" has no line for ${kind}`).toBeDefined()
      expect(documented.get(kind)?.exit, `exit code of ${kind}`).toBe(exitCodeOfKind(kind))
      expect(documented.get(kind)?.meaning.length, `meaning of ${kind}`).toBeGreaterThan(10)
    }
    expect([...documented.keys()].filter((kind) => !(ERROR_KINDS as readonly string[]).includes(kind))).toEqual([])
  })

  it('ends every registry or source error with 3, as an image that cannot be read', () => {
    for (const kind of REGISTRY_ERROR_KINDS) expect(errorExitCode(new RegistryError('r/a:1: cannot read', kind)), kind).toBe(3)
  })

  it('decides the code from the kind, whatever the error class, and calls anything else a bug', () => {
    expect(errorExitCode(new UsageError('bad input'))).toBe(2)
    expect(errorExitCode(new BuildError('docker buildx build failed with exit code 1', 'build-failed'))).toBe(1)
    expect(errorExitCode(new BuildError('builder b vanished after it was created', 'builder-vanished'))).toBe(4)
    expect(errorExitCode(new TypeError('boom'))).toBe(4)
    expect(errorExitCode('thrown string')).toBe(4)
  })

  it('ends a call its caller aborted with 130, as Ctrl-C', () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    expect(errorExitCode(abortError(controller.signal))).toBe(130)
    expect(errorExitCode(new AbortError('stop'))).toBe(130)
  })

  it('is what the CLI error line exits with, the message kept as it was', () => {
    const failed = new BuildError('docker buildx build failed with exit code 1; see its output above', 'build-failed')
    expect(errorLine(failed)).toEqual({message: 'docker buildx build failed with exit code 1; see its output above', exitCode: 1})
    expect(errorLine(new BuildError('builder b vanished after it was created', 'builder-vanished'))).toEqual({
      message: 'builder b vanished after it was created',
      exitCode: 4,
    })
    expect(errorLine(new RegistryError('r.example rate limit reached', 'rate-limited'))).toEqual({
      message: 'r.example rate limit reached',
      exitCode: 3,
    })
  })
})
