import {describe, expect, it} from 'vitest'

import {audit} from '../../../src/api/audit.js'
import {inspect} from '../../../src/api/inspect.js'
import {resolve} from '../../../src/api/resolve.js'
import {verify} from '../../../src/api/verify.js'
import {UsageError} from '../../../src/oci/errors.js'
import {parseSourceSpec} from '../../../src/oci/reference.js'

const DEMO = 'oci-layout:fixtures/demo'

/** An audit document without its timings, which differ from run to run. */
const untimed = (result: Awaited<ReturnType<typeof audit>>) => ({
  ...result,
  rows: result.rows.map((row) => ({...row, durationMs: 0})),
  summary: {...result.summary, durationMs: 0},
})

describe('api functions given a parsed SourceSpec', () => {
  it('answer exactly as they do for its text', async () => {
    const spec = parseSourceSpec(DEMO)
    expect(await inspect(spec)).toEqual(await inspect(DEMO))
    expect(await resolve(spec, {hosts: ['linux/arm64', 'linux/arm/v7']})).toEqual(
      await resolve(DEMO, {hosts: ['linux/arm64', 'linux/arm/v7']}),
    )
    const {digest} = await inspect(DEMO)
    const byValue = await verify([spec, {reference: spec, expectDigest: digest}])
    const byText = await verify([DEMO, {reference: DEMO, expectDigest: digest}])
    expect(byValue.references.map(({durationMs: _d, ...rest}) => rest)).toEqual(byText.references.map(({durationMs: _d, ...rest}) => rest))
    expect(byValue.references.map((reference) => reference.verdict)).toEqual(['pass', 'pass'])
    expect(untimed(await audit([spec]))).toEqual(untimed(await audit([DEMO])))
  })

  it('refuses a value no parse would make, before anything is read', async () => {
    // `alpine` without `library/` is the text form, not the parsed one.
    const handMade = {kind: 'registry', reference: {registry: 'docker.io', repository: 'alpine'}} as const
    await expect(inspect(handMade)).rejects.toThrow(UsageError)
    await expect(verify([handMade])).rejects.toThrow(/^references: expected an image reference or a SourceSpec/)
    await expect(audit([handMade])).rejects.toThrow(/^images \(the first argument\): expected an image reference or a SourceSpec/)
  })
})
