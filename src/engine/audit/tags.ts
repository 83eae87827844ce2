import semver from 'semver'
import type {SemVer} from 'semver'

import {UsageError} from '../../oci/errors.js'

/** A tag read as a version. */
export interface TagVersion {
  tag: string
  /** The version the tag names: `v1.2` → 1.2.0, `1.2.3-rc1` → 1.2.3-rc.1. A variant suffix is not part of it. */
  version: SemVer
  /** How many numeric parts the tag wrote: 1 for `2`, 2 for `1.25`, 3 for `1.25.3`. Short ones are usually moving aliases. */
  precision: 1 | 2 | 3
  prerelease: boolean
  /** The image variant the suffix names (`alpine`, `slim-bookworm`, `alpine3.19`), when there is one. */
  variant?: string
}

export interface TagSelectionOptions {
  /** `--tags`: a semver range (`'>=1.4 <3'`, `'^2'`). */
  range?: string
  /** `--tag-pattern`: a regular expression every selected tag must match (unanchored, like grep). */
  pattern?: string
  /** `--include-prerelease`. */
  includePrerelease?: boolean
  /** `--latest N`: keep the newest N releases (distinct versions) after the other filters. */
  latest?: number
}

/** A tag a selection keeps: a full version, or (with --tag-pattern) a tag that is no version at all. */
export interface SelectedTag {
  tag: string
  version: TagVersion | null
}

/** What a selection did with a repository's tags; every listed tag is counted once, under the first rule that left it out. */
export interface SelectionCounts {
  /** Distinct tags listed. */
  tags: number
  /** Full versions (and, with --tag-pattern, other matching tags) selected, plus the partial versions checked as their aliases. */
  selected: number
  /** The rule that selected them, as the user wrote it: `'>=1.4 <3'`, `pattern '^sha-'`, `all releases`. */
  by: string
  /** Tags that are no version (`latest`, `main`), left out: without --tag-pattern, or with --tags they cannot be placed in. */
  notVersions: number
  /** The first few of them in text order, for the summary line. */
  notVersionNames: string[]
  /** Variant tags (`1.4.0-alpine`), left out without --tag-pattern. */
  variants: number
  prereleases: number
  /** Tags --tag-pattern does not match. */
  notMatching: number
  /** Versions outside --tags, and partial versions (`2`, `2.2`) whose newest release is not selected. */
  outOfRange: number
  /** Versions older than the newest --latest N releases. */
  beyondLatest: number
}

/** The outcome of a selection over one repository's tag list. */
export interface TagSelection {
  /** Full versions newest first, then tags that are no version (in list order: their age is known only once read). */
  selected: SelectedTag[]
  /**
   * Partial versions (`2`, `2.2`) and `latest` that by convention name the newest release they
   * cover, when that release is selected: read to be attached to a release by digest, never
   * releases of their own.
   */
  aliasCandidates: SelectedTag[]
  counts: SelectionCounts
}

export interface TagSelector {
  select(tags: Iterable<string>): TagSelection
}

/** Names of tags that are no version kept for the summary line; the count says how many more there are. */
const NOT_VERSION_NAMES_SHOWN = 5
/** `||` alternatives a --tags range may have: each is tested against every tag of every repository. */
export const MAX_RANGE_ALTERNATIVES = 32
/** Characters a --tags range may have. */
export const MAX_RANGE_LENGTH = 1024

/*
 * How a tag is read, and why.
 *
 * A tag is a version when it is an optional `v`, one to three dot-separated numbers, and optionally
 * `-SUFFIX`. Anything else (`latest`, `edge`, `1.2.3.4`, `alpine-3.19`) is not a version: it is
 * selected only by a --tag-pattern it matches (without --tags, which cannot place it), or named.
 *
 * Docker tags put two different things after the `-`: pre-releases (`1.2.3-rc.1`, `2.0.0-beta2`)
 * and image variants (`1.25.3-alpine`, `3.12-slim-bookworm`, `1.25-alpine3.19`, `8.0.1-rc.1-bookworm`).
 * Semver would call all of them pre-releases and hide `-alpine` tags unless --include-prerelease,
 * and order `1.25.3-alpine` below `1.25.3`. So the rule is:
 *   - the leading dash-separated parts of the suffix that are pre-release words (alpha, beta, rc,
 *     pre, preview, dev, snapshot, nightly, canary, next, insiders, a, b, m, ea), each optionally
 *     followed by numbers (`rc1`, `rc.1`, `beta.2`), plus purely numeric parts right after them
 *     (`rc-1`), are the pre-release;
 *   - whatever follows, or the whole suffix when it does not start with such a word, is the
 *     variant. That includes a bare number or `r5` after the version (`2.4.1-1`, bitnami's
 *     `-debian-12-r5`): those are rebuild revisions, newer than the release, not pre-releases.
 *   - `--tag-pattern` can claim a pre-release word as a variant: when the pattern matches the
 *     pre-release part on its own (`-dev` with `--tag-pattern -dev$`, for images whose `-dev` tag
 *     is the one with a shell), it is the variant. A pattern that matches the empty string says
 *     nothing about suffixes and claims nothing.
 * Numeric pre-release parts are split from letters (`rc10` → `rc.10`) so they order as numbers
 * (`rc2` < `rc10`), and leading zeros are dropped (calendar versions such as `22.04` → 22.4.0).
 *
 * Without --tag-pattern only tags without a variant are selected (`^1.25` means 1.25.x, not also
 * every -alpine, -perl and -otel build of it); with a pattern, the tags that match it, variant,
 * version or not.
 */

const PRERELEASE_WORD = /^(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly|canary|next|insiders|a|b|m|ea)(?:\.?\d+)*$/i
const VERSION_TAG = /^[vV]?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:-([A-Za-z0-9][A-Za-z0-9._-]*))?$/

/** Splits a suffix into its pre-release and variant parts (see the rule above). */
function splitSuffix(suffix: string, variantPattern: RegExp | undefined): {prerelease?: string; variant?: string} {
  const parts = suffix.split('-')
  let n = 0
  if (PRERELEASE_WORD.test(parts[0])) {
    n = 1
    while (n < parts.length && (/^\d+$/.test(parts[n]) || PRERELEASE_WORD.test(parts[n]))) n++
  }
  let prerelease = n > 0 ? parts.slice(0, n).join('-') : undefined
  let variant = n < parts.length ? parts.slice(n).join('-') : undefined
  if (prerelease && variantPattern && !variantPattern.test('') && variantPattern.test(`-${prerelease}`)) {
    variant = suffix
    prerelease = undefined
  }
  return {...(prerelease ? {prerelease} : {}), ...(variant ? {variant} : {})}
}

/** `rc10` → `rc.10`, `rc-1` → `rc.1`, `rc.01` → `rc.1`: semver identifiers that order as people expect. */
function normalisePrerelease(prerelease: string): string {
  return prerelease
    .replace(/([A-Za-z])(?=\d)|(\d)(?=[A-Za-z])/g, '$1$2.')
    .split(/[.-]/)
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? String(Number(part)) : part.toLowerCase()))
    .join('.')
}

/**
 * Reads a tag as a version (see the rule above); undefined when it is not one. `variantPattern`
 * is the compiled --tag-pattern, which may claim a pre-release word as a variant.
 */
export function parseTagVersion(tag: string, variantPattern?: RegExp): TagVersion | undefined {
  const match = VERSION_TAG.exec(tag)
  if (!match) return undefined
  const [, major, minor, patch, suffix] = match
  const precision = patch !== undefined ? 3 : minor !== undefined ? 2 : 1
  const {prerelease, variant} = suffix ? splitSuffix(suffix, variantPattern) : {}
  const core = [major, minor ?? '0', patch ?? '0'].map((n) => String(Number(n))).join('.')
  const version = semver.parse(prerelease ? `${core}-${normalisePrerelease(prerelease)}` : core)
  if (!version) return undefined
  return {tag, version, precision, prerelease: prerelease !== undefined, ...(variant ? {variant} : {})}
}

/**
 * Newest first: by version, then the more precise tag (`1.2.0` before the alias `1.2`), then no
 * variant before variants in name order, then the tag text, so equal versions (`v1.2.3`, `1.2.3`)
 * always come out in the same order.
 */
export function compareTagVersions(a: TagVersion, b: TagVersion): number {
  return (
    semver.rcompare(a.version, b.version) ||
    b.precision - a.precision ||
    compareText(a.variant ?? '', b.variant ?? '') ||
    compareText(a.tag, b.tag)
  )
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Compiles --tags once, strictly: a range semver would only read in loose mode reads differently
 * from what was written (`'>= 1.4, < 3'` loosely becomes `<3`), so it is refused with the reading
 * it would have had. Leading zeros in numbers are dropped first, as they are in tags (`>=22.04`).
 */
export function compileRange(text: string, includePrerelease: boolean): semver.Range {
  if (text.length > MAX_RANGE_LENGTH) {
    throw new UsageError(`invalid --tags range: ${text.length} characters, more than the ${MAX_RANGE_LENGTH} allowed`)
  }
  const alternatives = text.split('||').length
  if (alternatives > MAX_RANGE_ALTERNATIVES) {
    throw new UsageError(
      `invalid --tags range: ${alternatives} alternatives (||), more than the ${MAX_RANGE_ALTERNATIVES} allowed; use --tag-pattern to name many tags`,
    )
  }
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text
  const normalised = text.replace(/(?<![\w.+-])0+(?=\d)|(?<=\.)0+(?=\d)/g, '')
  try {
    return new semver.Range(normalised, {includePrerelease})
  } catch {
    let loose: string | undefined
    try {
      loose = new semver.Range(normalised, {loose: true, includePrerelease}).range || '*'
    } catch {
      loose = undefined
    }
    const reading = loose === undefined ? '' : ` (semver's loose reading would be '${loose}', not what was written)`
    throw new UsageError(
      `invalid --tags range "${shown}"${reading}: expected a semver range of space-separated comparators such as '>=1.4 <3' or '^2'`,
    )
  }
}

/**
 * Checks the flags once (a UsageError, exit 2, for a bad range, pattern or count) and returns a
 * selector to apply to each repository's tag list.
 *
 * Selection is over releases: full versions (three numbers), or shorter ones no other tag refines
 * (postgres `16.2`). A partial tag another tag refines (`2`, `2.2` beside `2.2.0`) cannot be placed
 * in a range until its digest says which release it names. So ranges, pre-release and --latest pick
 * full versions; a partial tag (and `latest`) whose newest covered release is selected becomes an
 * alias candidate, attached to the release with its digest once read. --latest N counts distinct
 * versions (of one variant each), so `v2.1.0` and `2.1.0` are one of the N.
 */
export function compileTagSelection(options: TagSelectionOptions): TagSelector {
  const includePrerelease = options.includePrerelease ?? false
  const range = options.range === undefined ? undefined : compileRange(options.range, includePrerelease)
  let pattern: RegExp | undefined
  if (options.pattern !== undefined) {
    try {
      pattern = new RegExp(options.pattern)
    } catch (error) {
      throw new UsageError(`invalid --tag-pattern "${options.pattern}": ${(error as Error).message}`)
    }
  }
  const latest = options.latest
  if (latest !== undefined && (!Number.isInteger(latest) || latest < 1)) {
    throw new UsageError(`invalid --latest ${latest}: expected a whole number of at least 1`)
  }
  const by = [
    options.range !== undefined ? `'${options.range}'` : undefined,
    options.pattern !== undefined ? `pattern '${options.pattern}'` : undefined,
    latest !== undefined ? `--latest ${latest}` : undefined,
  ]
    .filter(Boolean)
    .join(', ')

  return {
    select(tags) {
      const counts: SelectionCounts = {
        tags: 0,
        selected: 0,
        by: by || 'default (releases without variant)',
        notVersions: 0,
        notVersionNames: [],
        variants: 0,
        prereleases: 0,
        notMatching: 0,
        outOfRange: 0,
        beyondLatest: 0,
      }
      // The first names in text order, whatever order the registry lists them in.
      const notVersion = (tag: string) => {
        counts.notVersions++
        const names = counts.notVersionNames
        if (names.length === NOT_VERSION_NAMES_SHOWN && tag >= names[names.length - 1]) return
        names.splice(sortedIndex(names, tag), 0, tag)
        if (names.length > NOT_VERSION_NAMES_SHOWN) names.pop()
      }
      /** Version tags the variant and pre-release rules keep, of any precision. */
      const versions: TagVersion[] = []
      const others: SelectedTag[] = []
      let latestTag: string | undefined
      for (const tag of new Set(tags)) {
        counts.tags++
        if (pattern && !pattern.test(tag)) {
          counts.notMatching++
          continue
        }
        const parsed = parseTagVersion(tag, pattern)
        if (!parsed) {
          if (pattern && range === undefined) others.push({tag, version: null})
          else {
            if (tag === 'latest') latestTag = tag
            notVersion(tag)
          }
          continue
        }
        if (!pattern && parsed.variant !== undefined) counts.variants++
        else if (parsed.prerelease && !includePrerelease) counts.prereleases++
        else versions.push(parsed)
      }
      // A short tag another tag refines (`2` beside `2.2.0`, `16` beside `16.2`) floats; one nothing
      // refines is the release itself (postgres `16.2`, ubuntu `22.04`).
      const line = (tag: TagVersion, precision: number) =>
        `${precision === 1 ? tag.version.major : `${tag.version.major}.${tag.version.minor}`} ${tag.variant ?? ''}`
      const refined = new Set<string>()
      for (const tag of versions) for (let p = 1; p < tag.precision; p++) refined.add(line(tag, p))
      const full: TagVersion[] = []
      /** Releases before --tags: what a floating tag names does not depend on the range. */
      const anyRange: TagVersion[] = []
      const partial: TagVersion[] = []
      for (const tag of versions) {
        if (tag.precision < 3 && refined.has(line(tag, tag.precision))) partial.push(tag)
        else {
          anyRange.push(tag)
          if (range !== undefined && !range.test(tag.version)) counts.outOfRange++
          else full.push(tag)
        }
      }
      full.sort(compareTagVersions)
      let selected = full
      if (latest !== undefined) {
        const versions = new Set<string>()
        selected = full.filter((tag) => {
          const key = `${tag.version.version} ${tag.variant ?? ''}`
          if (!versions.has(key) && versions.size >= latest) return false
          versions.add(key)
          return true
        })
        counts.beyondLatest = full.length - selected.length
      }
      // The release a floating tag is expected to name: the newest full version it covers, of its variant (or none).
      const newestCovered = new Map<string, TagVersion>()
      anyRange.sort(compareTagVersions)
      for (const tag of anyRange) {
        if (tag.prerelease) continue
        const variant = tag.variant ?? ''
        for (const key of [line(tag, 1), line(tag, 2), variant === '' ? 'latest' : '']) {
          if (key && !newestCovered.has(key)) newestCovered.set(key, tag)
        }
      }
      const isSelected = new Set(selected)
      const aliasCandidates: SelectedTag[] = []
      for (const tag of partial) {
        const covered = newestCovered.get(line(tag, tag.precision))
        if (covered && isSelected.has(covered)) aliasCandidates.push({tag: tag.tag, version: null})
        else counts.outOfRange++
      }
      const newest = newestCovered.get('latest')
      if (latestTag && newest && isSelected.has(newest)) aliasCandidates.push({tag: latestTag, version: null})
      counts.selected = selected.length + others.length + aliasCandidates.filter((candidate) => candidate.tag !== latestTag).length
      return {selected: [...selected.map((tag) => ({tag: tag.tag, version: tag})), ...others], aliasCandidates, counts}
    },
  }
}

function sortedIndex(sorted: string[], value: string): number {
  let i = 0
  while (i < sorted.length && sorted[i] < value) i++
  return i
}

/** One-shot form of compileTagSelection(options).select(tags).selected. */
export function selectTags(tags: Iterable<string>, options: TagSelectionOptions): SelectedTag[] {
  return compileTagSelection(options).select(tags).selected
}
