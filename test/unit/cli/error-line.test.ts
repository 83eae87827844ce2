import {describe, expect, it} from 'vitest'

import {closestFlag, errorLine} from '../../../src/cli/error-line.js'
import {RegistryError, UsageError} from '../../../src/oci/errors.js'

describe('errorLine', () => {
  it('keeps an ArchcheckError and its exit code, on one line', () => {
    expect(errorLine(new UsageError('bad\n  input'))).toEqual({message: 'bad input (see archcheck --help)', exitCode: 2})
    expect(errorLine(new UsageError('bad input'), {command: 'verify'})).toEqual({
      message: 'bad input (see archcheck verify --help)',
      exitCode: 2,
    })
    expect(errorLine(new RegistryError('tag not found: r/a:1', 'not-found'))).toEqual({message: 'tag not found: r/a:1', exitCode: 3})
  })

  it('calls anything else a bug, exit 4, and says how to report it', () => {
    expect(errorLine(new TypeError("Cannot read properties of undefined (reading 'digest')"))).toEqual({
      message:
        "internal error: Cannot read properties of undefined (reading 'digest') (a bug in archcheck: please report it with the --debug output)",
      exitCode: 4,
    })
    expect(errorLine('thrown string').exitCode).toBe(4)
  })
})

describe('closestFlag', () => {
  it('suggests a flag at most two edits away, the closest first', () => {
    expect(closestFlag('--jsno', ['json', 'raw', 'platform'])).toBe('json')
    expect(closestFlag('--platfrom=linux/arm64', ['json', 'platform'])).toBe('platform')
    expect(closestFlag('--host', ['hosts', 'json'])).toBe('hosts')
  })

  it('suggests nothing for a flag unlike any other', () => {
    expect(closestFlag('--nonsense', ['json', 'raw', 'platform'])).toBeUndefined()
  })
})
