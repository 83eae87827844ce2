/**
 * Settings shared by the property tests: in CI a fixed seed and small counts (every fuzz file well
 * under 20 s on 2 cores); `npm run fuzz` sets ARCHCHECK_FUZZ_RUNS for long runs, with a fresh seed
 * unless ARCHCHECK_FUZZ_SEED repeats one (fast-check prints the seed and path of any failure).
 */
import fc from 'fast-check'
import {expect} from 'vitest'

import {ArchcheckError} from '../../../src/oci/errors.js'

const longRuns = Number(process.env.ARCHCHECK_FUZZ_RUNS) || undefined
const seed = Number(process.env.ARCHCHECK_FUZZ_SEED) || (longRuns ? Date.now() : 20_261_203)

/** fast-check parameters: `ciRuns` inputs in CI, ARCHCHECK_FUZZ_RUNS in long runs. */
export function fuzz(ciRuns: number): fc.Parameters<unknown> {
  return {seed, numRuns: longRuns ?? ciRuns, endOnFailure: true}
}

/** A longer test timeout for long runs. */
export const fuzzTimeout = longRuns ? 24 * 3600 * 1000 : 30_000

/** Most time one input may take: parsers of hostile bytes must never hang. */
export const DEADLINE_MS = 2000

/** Passes for archcheck's own errors (a finding for the user, with an exit code); anything else fails the property. */
export function expectOwnError(error: unknown): void {
  if (!(error instanceof ArchcheckError)) throw error
  expect(error.message.length).toBeGreaterThan(0)
}

/** Runs `action`, which may fail only with an ArchcheckError, within DEADLINE_MS. */
export function withinDeadline<T>(action: () => T): T | undefined {
  const started = performance.now()
  try {
    return action()
  } catch (error) {
    expectOwnError(error)
    return undefined
  } finally {
    const elapsed = performance.now() - started
    if (elapsed > DEADLINE_MS) throw new Error(`took ${Math.round(elapsed)} ms, more than ${DEADLINE_MS}`)
  }
}

/** The async form: rejects when `action` takes longer than DEADLINE_MS (a hang stops the property at once). */
export async function withinDeadlineAsync<T>(action: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS)
  })
  try {
    return await Promise.race([action(), deadline])
  } catch (error) {
    expectOwnError(error)
    return undefined
  } finally {
    clearTimeout(timer)
  }
}
