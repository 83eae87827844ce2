import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {compileTagSelection, parseTagVersion, selectTags} from '../../../src/engine/audit/tags.js'
import type {TagSelectionOptions} from '../../../src/engine/audit/tags.js'

/** A repository's tags as a registry returns them: unsorted, with aliases, variants and non-versions. */
const TAGS = [
  'latest',
  'edge',
  'stable',
  '1',
  '1.3',
  '1.3.9',
  '1.4.0',
  '1.4.1',
  'v1.4.2',
  '1.4',
  '1.10.0',
  '1.9.0',
  '2',
  '2.0.0-rc.1',
  '2.0.0-rc.2',
  '2.0.0-rc10',
  '2.0.0',
  '2.1.0-beta2',
  '2.1.0',
  '2.1.0-alpine',
  '2.1-alpine',
  '2.1.0-alpine3.19',
  '2.1.0-slim-bookworm',
  '2.1.0-rc.1-alpine',
  '3.0.0',
  '3.0.0-dev',
  '2.1.0-1',
  'alpine-3.19',
  '1.2.3.4',
]

const pick = (options: TagSelectionOptions, tags: string[] = TAGS) => selectTags(tags, options).map((t) => t.tag)

describe('parseTagVersion', () => {
  it('reads versions as users write them', () => {
    const read = (tag: string) => {
      const parsed = parseTagVersion(tag)
      return parsed && [parsed.version.version, parsed.precision, parsed.prerelease, parsed.variant]
    }
    expect(read('v1.2.3')).toEqual(['1.2.3', 3, false, undefined])
    expect(read('1.2')).toEqual(['1.2.0', 2, false, undefined])
    expect(read('2')).toEqual(['2.0.0', 1, false, undefined])
    expect(read('22.04')).toEqual(['22.4.0', 2, false, undefined])
    expect(read('1.2.3-rc.1')).toEqual(['1.2.3-rc.1', 3, true, undefined])
    expect(read('1.2.3-rc1')).toEqual(['1.2.3-rc.1', 3, true, undefined])
    expect(read('1.2.3-RC-2')).toEqual(['1.2.3-rc.2', 3, true, undefined])
  })

  it('keeps a variant suffix apart from a pre-release', () => {
    const read = (tag: string) => {
      const parsed = parseTagVersion(tag)
      return parsed && [parsed.version.version, parsed.prerelease, parsed.variant]
    }
    expect(read('1.2.3-alpine')).toEqual(['1.2.3', false, 'alpine'])
    expect(read('1.25-alpine3.19')).toEqual(['1.25.0', false, 'alpine3.19'])
    expect(read('3.12.1-slim-bookworm')).toEqual(['3.12.1', false, 'slim-bookworm'])
    expect(read('8.0.1-rc.1-bookworm')).toEqual(['8.0.1-rc.1', true, 'bookworm'])
    // A rebuild revision is newer than the release, so it must not become a pre-release.
    expect(read('2.4.1-1')).toEqual(['2.4.1', false, '1'])
    expect(read('11.4.0-debian-12-r5')).toEqual(['11.4.0', false, 'debian-12-r5'])
  })

  it('lets --tag-pattern claim a pre-release word as a variant, unless the pattern matches anything', () => {
    expect(parseTagVersion('1.2.3-dev', /-dev$/)).toMatchObject({prerelease: false, variant: 'dev'})
    expect(parseTagVersion('1.2.3-dev')).toMatchObject({prerelease: true})
    expect(parseTagVersion('1.2.3-dev', /.*/)).toMatchObject({prerelease: true})
    expect(parseTagVersion('1.2.3-rc.1-alpine', /-alpine$/)).toMatchObject({prerelease: true, variant: 'alpine'})
  })

  it('does not read non-versions', () => {
    for (const tag of ['latest', 'edge', 'alpine-3.19', '1.2.3.4', 'sha256-abc.sig', 'v', '1.2.', '1..2', 'main-1.2.3']) {
      expect(parseTagVersion(tag), tag).toBeUndefined()
    }
  })
})

describe('selectTags', () => {
  it('with no options selects every plain release, newest first, aliases after the full version they equal', () => {
    expect(pick({})).toEqual(['3.0.0', '2.1.0', '2.0.0', '2', '1.10.0', '1.9.0', 'v1.4.2', '1.4.1', '1.4.0', '1.4', '1.3.9', '1.3', '1'])
  })

  it('applies a semver range to coerced tags', () => {
    expect(pick({range: '>=1.4 <3'})).toEqual(['2.1.0', '2.0.0', '2', '1.10.0', '1.9.0', 'v1.4.2', '1.4.1', '1.4.0', '1.4'])
    expect(pick({range: '^2'})).toEqual(['2.1.0', '2.0.0', '2'])
    expect(pick({range: '~1.4'})).toEqual(['v1.4.2', '1.4.1', '1.4.0', '1.4'])
  })

  it('takes pre-releases only with includePrerelease, ordered numerically (rc.2 < rc10)', () => {
    expect(pick({range: '>=2.0.0-0 <2.1.0'})).toEqual(['2.0.0', '2'])
    // As in npm: with pre-releases on, `<2.1.0` takes 2.1.0's betas (they come before 2.1.0).
    expect(pick({range: '>=2.0.0-0 <2.1.0', includePrerelease: true})).toEqual([
      '2.1.0-beta2',
      '2.0.0',
      '2',
      '2.0.0-rc10',
      '2.0.0-rc.2',
      '2.0.0-rc.1',
    ])
    expect(pick({range: '^2', includePrerelease: true})).toEqual([
      '2.1.0',
      '2.1.0-beta2',
      '2.0.0',
      '2',
      '2.0.0-rc10',
      '2.0.0-rc.2',
      '2.0.0-rc.1',
    ])
  })

  it('selects variants only through --tag-pattern, and then only the matching tags', () => {
    expect(pick({range: '^2'})).not.toContain('2.1.0-alpine')
    // Unanchored, like grep: -alpine also matches -alpine3.19.
    expect(pick({pattern: '-alpine'})).toEqual(['2.1.0-alpine', '2.1.0-alpine3.19', '2.1-alpine'])
    expect(pick({pattern: '-alpine$'})).toEqual(['2.1.0-alpine', '2.1-alpine'])
    expect(pick({pattern: '-alpine$', includePrerelease: true})).toEqual(['2.1.0-alpine', '2.1-alpine', '2.1.0-rc.1-alpine'])
    expect(pick({pattern: '-dev$'})).toEqual(['3.0.0-dev'])
    expect(pick({pattern: '^v'})).toEqual(['v1.4.2'])
  })

  it('keeps the newest N after the other filters, equal versions in a fixed order', () => {
    expect(pick({latest: 2})).toEqual(['3.0.0', '2.1.0'])
    expect(pick({range: '<2', latest: 3})).toEqual(['1.10.0', '1.9.0', 'v1.4.2'])
    // v1.2.3 and 1.2.3 are the same version: the order must not depend on the registry's order.
    expect(pick({latest: 1}, ['v1.2.3', '1.2.3'])).toEqual(['1.2.3'])
    expect(pick({latest: 1}, ['1.2.3', 'v1.2.3'])).toEqual(['1.2.3'])
    expect(pick({latest: 5}, ['1.0.0'])).toEqual(['1.0.0'])
  })

  it('never selects tags that are not versions, and counts a repeated tag once', () => {
    const all = pick({range: '*', includePrerelease: true, pattern: '.'})
    for (const tag of ['latest', 'edge', 'stable', 'alpine-3.19', '1.2.3.4']) expect(all).not.toContain(tag)
    expect(pick({}, ['1.0.0', '1.0.0', 'latest'])).toEqual(['1.0.0'])
  })

  it('returns the parsed version with each tag', () => {
    const [first] = selectTags(['1.2', 'v1.3.0-rc.1'], {includePrerelease: true})
    expect(first.tag).toBe('v1.3.0-rc.1')
    expect(first.version.major).toBe(1)
    expect(first.version.minor).toBe(3)
    expect(first.version.prerelease).toEqual(['rc', 1])
  })

  it('refuses a bad range, pattern or count before any tag list is read', () => {
    expect(() => compileTagSelection({range: 'one or two'})).toThrow(UsageError)
    expect(() => compileTagSelection({range: 'one or two'})).toThrow(/invalid --tags range "one or two"/)
    expect(() => compileTagSelection({pattern: '(alpine'})).toThrow(/invalid --tag-pattern "\(alpine"/)
    expect(() => compileTagSelection({latest: 0})).toThrow(/invalid --latest 0/)
    expect(() => compileTagSelection({latest: 1.5})).toThrow(UsageError)
    expect(pick({range: '>=22.04'}, ['20.04', '22.04', '24.04'])).toEqual(['24.04', '22.04'])
  })
})
