import {expect} from 'vitest'

import {UsageError} from '../../src/oci/errors.js'

/** The UsageError `fn` throws (failing the test when it throws nothing or something else). */
export function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }
  throw new Error('expected a UsageError')
}
