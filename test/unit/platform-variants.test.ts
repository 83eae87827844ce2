import {describe, expect, it} from 'vitest'

import {compatiblePlatforms, platformMatches} from '../../src/oci/platform/match.js'
import {formatPlatform} from '../../src/oci/platform/normalize.js'
import {parsePlatform} from '../../src/oci/platform/parse.js'
import {ARM64_VARIANT_FALLBACKS} from '../../src/oci/platform/variants.js'

const chain = (host: string) => compatiblePlatforms(parsePlatform(host)).map(formatPlatform)
/** Every arm64 host also runs 32-bit arm images down to v5, after its own arm64 line. */
const ARM_TAIL = ['linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']

// containerd/platforms' arm64variantToVersion, one row each: the arm64 variants the host runs, best first.
// v9.x adds v8.(x+5), at most v8.9. Plain `linux/arm64` is how v8 is written after normalisation.
const ROWS: Array<[string, string]> = [
  ['v8', 'v8'],
  ['v8.1', 'v8.1 v8'],
  ['v8.2', 'v8.2 v8.1 v8'],
  ['v8.3', 'v8.3 v8.2 v8.1 v8'],
  ['v8.4', 'v8.4 v8.3 v8.2 v8.1 v8'],
  ['v8.5', 'v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v8.6', 'v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v8.7', 'v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v8.8', 'v8.8 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v8.9', 'v8.9 v8.8 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9', 'v9 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9.1', 'v9.1 v9 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9.2', 'v9.2 v9.1 v9 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9.3', 'v9.3 v9.2 v9.1 v9 v8.8 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9.4', 'v9.4 v9.3 v9.2 v9.1 v9 v8.9 v8.8 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9.5', 'v9.5 v9.4 v9.3 v9.2 v9.1 v9 v8.9 v8.8 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9.6', 'v9.6 v9.5 v9.4 v9.3 v9.2 v9.1 v9 v8.9 v8.8 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
  ['v9.7', 'v9.7 v9.6 v9.5 v9.4 v9.3 v9.2 v9.1 v9 v8.9 v8.8 v8.7 v8.6 v8.5 v8.4 v8.3 v8.2 v8.1 v8'],
]

const asPlatform = (variant: string) => (variant === 'v8' ? 'linux/arm64' : `linux/arm64/${variant}`)

describe('the arm64 variant table', () => {
  it.each(ROWS)('an arm64/%s host runs arm64 %s, then 32-bit arm', (variant, runs) => {
    expect(chain(`linux/arm64/${variant}`)).toEqual([...runs.split(' ').map(asPlatform), ...ARM_TAIL])
  })

  it('has exactly the rows containerd knows: a row added or dropped changes which hosts pull anything', () => {
    expect(Object.keys(ARM64_VARIANT_FALLBACKS)).toEqual(ROWS.map(([variant]) => variant))
  })

  it.each([
    ['linux/arm64', 'v8'],
    ['linux/arm64/8', 'v8'],
    ['linux/arm64/v8.0', 'v8'],
    ['linux/aarch64/v8', 'v8'],
    ['linux/arm64/9', 'v9'],
    ['linux/arm64/9.0', 'v9'],
    ['linux/arm64/v9.0', 'v9'],
  ])('%s reads as the %s row', (host, variant) => {
    expect(chain(host)).toEqual(chain(`linux/arm64/${variant}`))
  })

  it.each(['linux/arm64/v9.8', 'linux/arm64/v8.10', 'linux/arm64/v10', 'linux/arm64/8.1'])(
    '%s is in no row: such a host pulls nothing, not even its own variant',
    (host) => {
      expect(chain(host)).toEqual([])
      expect(platformMatches(host, parsePlatform(host))).toBe(false)
    },
  )

  it('a v9.2 host takes a v8.7 image, not a v8.8 one', () => {
    expect(platformMatches('linux/arm64/v9.2', parsePlatform('linux/arm64/v8.7'))).toBe(true)
    expect(platformMatches('linux/arm64/v9.2', parsePlatform('linux/arm64/v8.8'))).toBe(false)
  })
})
