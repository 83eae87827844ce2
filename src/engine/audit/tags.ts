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
  /** `--latest N`: keep the newest N tags after the other filters. */
  latest?: number
}

export interface TagSelector {
  /** The selected tags of one repository, newest first. Tags that are not versions never are. */
  select(tags: Iterable<string>): TagVersion[]
}

/*
 * How a tag is read, and why.
 *
 * A tag is a version when it is an optional `v`, one to three dot-separated numbers, and optionally
 * `-SUFFIX`. Anything else (`latest`, `edge`, `1.2.3.4`, `alpine-3.19`) is not a version and is left
 * to the caller, which audits such tags only when a user names them.
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
 * every -alpine, -perl and -otel build of it); with a pattern, the tags that match it, variant or not.
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
 * Checks the flags once (a UsageError, exit 2, for a bad range, pattern or count) and returns a
 * selector to apply to each repository's tag list.
 */
export function compileTagSelection(options: TagSelectionOptions): TagSelector {
  const includePrerelease = options.includePrerelease ?? false
  let range: string | undefined
  if (options.range !== undefined) {
    // Loose, so calendar versions users write with leading zeros (`>=22.04`) are accepted.
    const valid = semver.validRange(options.range, {loose: true, includePrerelease})
    if (valid === null) {
      throw new UsageError(`invalid --tags range "${options.range}": expected a semver range such as '>=1.4 <3' or '^2'`)
    }
    range = options.range
  }
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

  return {
    select(tags) {
      const selected: TagVersion[] = []
      for (const tag of new Set(tags)) {
        const parsed = parseTagVersion(tag, pattern)
        if (!parsed) continue
        if (pattern ? !pattern.test(tag) : parsed.variant !== undefined) continue
        if (parsed.prerelease && !includePrerelease) continue
        if (range !== undefined && !semver.satisfies(parsed.version, range, {loose: true, includePrerelease})) continue
        selected.push(parsed)
      }
      selected.sort(compareTagVersions)
      return latest === undefined ? selected : selected.slice(0, latest)
    },
  }
}

/** One-shot form of compileTagSelection(options).select(tags). */
export function selectTags(tags: Iterable<string>, options: TagSelectionOptions): TagVersion[] {
  return compileTagSelection(options).select(tags)
}
