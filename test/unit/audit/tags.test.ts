import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {compileTagSelection, MAX_RANGE_ALTERNATIVES, MAX_RANGE_LENGTH, parseTagVersion, selectTags} from '../../../src/engine/audit/tags.js'
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
  it('with no options selects every full release, newest first; partial versions are never releases of their own', () => {
    expect(pick({})).toEqual(['3.0.0', '2.1.0', '2.0.0', '1.10.0', '1.9.0', 'v1.4.2', '1.4.1', '1.4.0', '1.3.9'])
  })

  it('applies a semver range to full versions only: `2` is not 2.0.0', () => {
    expect(pick({range: '>=1.4 <3'})).toEqual(['2.1.0', '2.0.0', '1.10.0', '1.9.0', 'v1.4.2', '1.4.1', '1.4.0'])
    expect(pick({range: '^2'})).toEqual(['2.1.0', '2.0.0'])
    expect(pick({range: '~2.0'})).toEqual(['2.0.0'])
    expect(pick({range: '~1.4'})).toEqual(['v1.4.2', '1.4.1', '1.4.0'])
  })

  it('takes pre-releases only with includePrerelease, ordered numerically (rc.2 < rc10)', () => {
    expect(pick({range: '>=2.0.0-0 <2.1.0'})).toEqual(['2.0.0'])
    // As in npm: with pre-releases on, `<2.1.0` takes 2.1.0's betas (they come before 2.1.0).
    expect(pick({range: '>=2.0.0-0 <2.1.0', includePrerelease: true})).toEqual([
      '2.1.0-beta2',
      '2.0.0',
      '2.0.0-rc10',
      '2.0.0-rc.2',
      '2.0.0-rc.1',
    ])
  })

  it('selects variants only through --tag-pattern, and then only the matching tags', () => {
    expect(pick({range: '^2'})).not.toContain('2.1.0-alpine')
    // Unanchored, like grep: -alpine also matches -alpine3.19.
    expect(pick({pattern: '-alpine'})).toEqual(['2.1.0-alpine', '2.1.0-alpine3.19'])
    expect(pick({pattern: '-alpine$', includePrerelease: true})).toEqual(['2.1.0-alpine', '2.1.0-rc.1-alpine'])
    expect(pick({pattern: '-dev$'})).toEqual(['3.0.0-dev'])
    expect(pick({pattern: '^v'})).toEqual(['v1.4.2'])
  })

  it('selects every tag a pattern matches, version or not, the versions first', () => {
    expect(pick({pattern: '^(sha-|main$)'}, ['main', 'sha-3f9c2a1', 'sha-0a1b2c3', '1.0.0'])).toEqual([
      'main',
      'sha-3f9c2a1',
      'sha-0a1b2c3',
    ])
    expect(pick({pattern: '^[a-z]'}, ['edge', '1.0.0', 'latest'])).toEqual(['edge', 'latest'])
    // A range cannot place a tag that is no version: with --tags such tags are left out, and counted.
    const {selected, counts} = compileTagSelection({pattern: '^', range: '*'}).select(['main', '1.0.0'])
    expect(selected.map((t) => t.tag)).toEqual(['1.0.0'])
    expect(counts).toMatchObject({notVersions: 1, notVersionNames: ['main']})
  })

  it('keeps the newest N releases: distinct versions, each with all its spellings', () => {
    expect(pick({latest: 2})).toEqual(['3.0.0', '2.1.0'])
    expect(pick({range: '<2', latest: 3})).toEqual(['1.10.0', '1.9.0', 'v1.4.2'])
    expect(pick({latest: 1}, ['v1.2.3', '1.2.3', '1.2', '1'])).toEqual(['1.2.3', 'v1.2.3'])
    expect(pick({latest: 1}, ['1.2.3', 'v1.2.3'])).toEqual(['1.2.3', 'v1.2.3'])
    expect(pick({latest: 5}, ['1.0.0'])).toEqual(['1.0.0'])
  })

  it('counts a repeated tag once, and never selects a tag that is no version without a pattern', () => {
    const all = pick({range: '*', includePrerelease: true})
    for (const tag of ['latest', 'edge', 'stable', 'alpine-3.19', '1.2.3.4']) expect(all).not.toContain(tag)
    expect(pick({}, ['1.0.0', '1.0.0', 'latest'])).toEqual(['1.0.0'])
  })

  it('returns the parsed version with each full version', () => {
    const [first] = selectTags(['1.2', 'v1.3.0-rc.1'], {includePrerelease: true})
    expect(first.tag).toBe('v1.3.0-rc.1')
    expect(first.version?.version.major).toBe(1)
    expect(first.version?.version.prerelease).toEqual(['rc', 1])
  })

  it('offers partial versions and latest as aliases of the newest release they cover, when it is selected', () => {
    const select = (options: TagSelectionOptions) => compileTagSelection(options).select(TAGS)
    expect(select({range: '>=1.4 <3'}).aliasCandidates.map((t) => t.tag)).toEqual(['1', '1.4', '2'])
    // 1.3 names 1.3.9, 1 names 1.10.0 and 2 names 2.1.0, none selected; latest names 3.0.0.
    expect(select({range: '^3'}).aliasCandidates.map((t) => t.tag)).toEqual(['latest'])
    expect(select({latest: 1}).aliasCandidates.map((t) => t.tag)).toEqual(['latest'])
    expect(select({pattern: '-alpine$'}).aliasCandidates.map((t) => t.tag)).toEqual(['2.1-alpine'])
  })

  it('takes a short version no other tag refines as the release itself (postgres 16.2, ubuntu 22.04)', () => {
    expect(pick({range: '>=22.04'}, ['20.04', '22.04', '24.04', 'latest'])).toEqual(['24.04', '22.04'])
    const {selected, aliasCandidates} = compileTagSelection({range: '>=15'}).select(['15', '15.6', '16', '16.1', '16.2', '16.2-alpine'])
    expect(selected.map((t) => t.tag)).toEqual(['16.2', '16.1', '15.6'])
    expect(aliasCandidates.map((t) => t.tag)).toEqual(['15', '16'])
  })

  it('counts what it left out, each tag once', () => {
    const {counts} = compileTagSelection({range: '>=1.4 <3'}).select(TAGS)
    expect(counts).toEqual({
      tags: TAGS.length,
      selected: 7 + 3,
      by: "'>=1.4 <3'",
      notVersions: 5,
      notVersionNames: ['1.2.3.4', 'alpine-3.19', 'edge', 'latest', 'stable'],
      variants: 6,
      prereleases: 5,
      notMatching: 0,
      outOfRange: 3,
      beyondLatest: 0,
    })
    const sum = counts.selected + counts.notVersions + counts.variants + counts.prereleases + counts.outOfRange
    expect(sum).toBe(TAGS.length)
  })

  it('refuses a bad range, pattern or count before any tag list is read', () => {
    expect(() => compileTagSelection({range: 'one or two'})).toThrow(UsageError)
    expect(() => compileTagSelection({range: 'one or two'})).toThrow(/invalid --tags range "one or two"/)
    expect(() => compileTagSelection({pattern: '(alpine'})).toThrow(/invalid --tag-pattern "\(alpine"/)
    expect(() => compileTagSelection({latest: 0})).toThrow(/invalid --latest 0/)
    expect(() => compileTagSelection({latest: 1.5})).toThrow(UsageError)
    expect(pick({range: '>=22.04'}, ['20.04.1', '22.04.0', '24.04.2'])).toEqual(['24.04.2', '22.04.0'])
  })

  it('reads ranges strictly, naming the loose reading it refuses', () => {
    expect(() => compileTagSelection({range: '>= 1.4, < 3'})).toThrow(
      `invalid --tags range ">= 1.4, < 3" (semver's loose reading would be '<3.0.0-0', not what was written)`,
    )
    expect(() => compileTagSelection({range: '>=1.4,<3'})).toThrow(/invalid --tags range ">=1.4,<3": expected/)
    expect(pick({range: '>=1.4 <3 || 3.0.0'})).toContain('3.0.0')
  })

  it('bounds the size of a range before testing it against any tag', () => {
    const wide = Array.from({length: MAX_RANGE_ALTERNATIVES + 1}, (_, i) => `1.${i}.0`).join(' || ')
    expect(() => compileTagSelection({range: wide})).toThrow(
      `${MAX_RANGE_ALTERNATIVES + 1} alternatives (||), more than the ${MAX_RANGE_ALTERNATIVES} allowed`,
    )
    expect(() => compileTagSelection({range: `>=${'1'.repeat(MAX_RANGE_LENGTH)}`})).toThrow(/characters, more than the 1024 allowed/)
    const started = Date.now()
    const tags = Array.from({length: 20_000}, (_, i) => `${i % 50}.${i % 7}.${i}`)
    const widest = Array.from({length: MAX_RANGE_ALTERNATIVES}, (_, i) => `~${i}.3`).join(' || ')
    expect(compileTagSelection({range: widest}).select(tags).selected.length).toBeGreaterThan(0)
    // Generous: a loaded shared machine; unbounded ranges took 19 s here.
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
