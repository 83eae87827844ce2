import {nativePlatform} from './host.js'
import {normalizePlatform} from './normalize.js'
import {parsePlatform} from './parse.js'
import type {Platform} from './types.js'
import {arm64VariantFallbacks} from './variants.js'

export interface MatchOptions {
  /** No fallback to older variants or 32-bit mode (containerd's `OnlyStrict`); aliases still apply. */
  strict?: boolean
}

/** A host given as a specifier, `native` (this machine) or a Platform; returned normalised (containerd's `Normalize(Parse(…))`). */
export function toHostPlatform(host: string | Platform): Platform {
  if (typeof host !== 'string') return normalizePlatform(host)
  return host === 'native' ? nativePlatform() : normalizePlatform(parsePlatform(host))
}

/** Go's `strconv.Atoi(strings.TrimPrefix(variant, "v"))`: undefined where Atoi fails. */
function variantNumber(variant: string | undefined): number | undefined {
  const text = (variant ?? '').replace(/^v/, '')
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined
}

/**
 * What a host accepts, most preferred first (containerd's `Only`, its `platformVector`): the host,
 * then
 * - amd64/vN: vN-1 … v1 (= plain amd64), then 386; plain amd64: 386;
 * - arm/vN (N > 5): vN-1 … v5;
 * - arm64: the variants of its row of ARM64_VARIANT_FALLBACKS (v9.x: v9.x-1 … v9, then v8.(x+5, at
 *   most 9) … v8), then arm v8, v7, v6, v5 (32-bit mode); a variant not in the table (v10, v8.10,
 *   v9.8): nothing at all, not even itself.
 * os.version and os.features are carried to every entry. Entries are returned normalised.
 */
export function compatiblePlatforms(host: Platform): Platform[] {
  const base = normalizePlatform(host)
  const like = (architecture: string, variant?: string): Platform => {
    const {variant: _v, ...rest} = base
    return normalizePlatform({...rest, architecture, ...(variant ? {variant} : {})})
  }
  const result: Platform[] = []
  switch (base.architecture) {
    case 'amd64': {
      result.push(base)
      const level = variantNumber(base.variant)
      if (level !== undefined && level > 1) for (let v = level - 1; v >= 1; v--) result.push(like('amd64', `v${v}`))
      result.push(like('386'))
      break
    }
    case 'arm': {
      result.push(base)
      const version = variantNumber(base.variant)
      if (version !== undefined && version > 5) for (let v = version - 1; v >= 5; v--) result.push(like('arm', `v${v}`))
      break
    }
    case 'arm64': {
      const variants = arm64VariantFallbacks(base.variant)
      if (!variants) break
      for (const variant of variants) result.push(like('arm64', variant))
      result.push(...compatiblePlatforms(like('arm', 'v8')))
      break
    }
    default:
      result.push(base)
  }
  return result
}

/** A Windows os.version as containerd reads it: major (uint8), minor (uint8), build (uint16); all 0 when unreadable. */
function windowsVersion(version: string): {major: number; minor: number; build: number} {
  const zero = {major: 0, minor: 0, build: 0}
  const parts = version.split('.')
  if (parts.length < 3) return zero
  const number = (text: string, max: number) => (/^\d+$/.test(text) && Number(text) <= max ? Number(text) : undefined)
  const major = number(parts[0], 255)
  const minor = number(parts[1], 255)
  const build = number(parts[2], 65_535)
  if (major === undefined || minor === undefined || build === undefined) return zero
  return {major, minor, build}
}

/** Windows Server 2022 (LTSC, build 20348): the first build with a stable container ABI. */
const LTSC_2022 = 20_348
/** Stable-ABI LTSC builds, ascending (Windows Server 2022, 2025). */
const WINDOWS_LTSC_BUILDS = [LTSC_2022, 26_100]

/**
 * Whether a Windows host of os.version `hostVersion` runs an image of os.version `imageVersion`
 * (containerd's Windows version matcher): a host without a readable version, or an image without
 * a version, matches; otherwise major.minor must be equal; a host below build 20348 needs the very
 * same build; a newer host runs builds from the latest LTSC build *below* its own up to its own
 * (a 2025 host, 26100, runs 20348…26100; a 26200 host runs 26100…26200).
 */
export function windowsVersionCompatible(hostVersion: string | undefined, imageVersion: string | undefined): boolean {
  const host = windowsVersion(hostVersion ?? '')
  if ((host.major === 0 && host.minor === 0 && host.build === 0) || !imageVersion) return true
  const image = windowsVersion(imageVersion)
  if (host.major !== image.major || host.minor !== image.minor) return false
  if (host.build < LTSC_2022) return host.build === image.build
  const lowest = [...WINDOWS_LTSC_BUILDS].reverse().find((build) => host.build > build) ?? LTSC_2022
  return lowest <= image.build && image.build <= host.build
}

/** Go's sort order of strings: by UTF-8 bytes. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/**
 * containerd's `NewMatcher(want)`: after normalisation os, architecture and variant equal; on a
 * Windows `want`, os.version compatible and the image's `win32k` feature ignored (one occurrence);
 * the image's os.features a subset of want's. os.version is ignored for other OSes.
 */
function matcher(want: Platform): (candidate: Platform) => boolean {
  const w = normalizePlatform(want)
  const wantFeatures = [...new Set(w.osFeatures ?? [])].sort(byteOrder)
  const windows = want.os === 'windows'
  return (candidate) => {
    let features = candidate.osFeatures ?? []
    if (windows && features.includes('win32k')) {
      features = [...features]
      features.splice(features.indexOf('win32k'), 1)
    }
    const c = normalizePlatform({...candidate, osFeatures: features})
    if (c.os !== w.os || c.architecture !== w.architecture || (c.variant ?? '') !== (w.variant ?? '')) return false
    if (windows && !windowsVersionCompatible(w.osVersion, candidate.osVersion)) return false
    return (c.osFeatures ?? []).every((feature) => wantFeatures.includes(feature))
  }
}

/**
 * The platforms a host tries, best first: the host alone when strict (`OnlyStrict`) or on a
 * Windows host (containerd's default matcher on Windows matches the host platform only, no 386 or
 * arm fallback), else containerd's `Only` list (compatiblePlatforms).
 */
function preferenceList(host: Platform, options: MatchOptions): Platform[] {
  const h = normalizePlatform(host)
  return options.strict || h.os === 'windows' ? [h] : compatiblePlatforms(h)
}

/**
 * How much a host likes an image built for `candidate`: 0 for a native match, 1, 2… for each
 * step down its preference list (see compatiblePlatforms), -1 when the host does not take it.
 */
export function matchRank(host: Platform, candidate: Platform, options: MatchOptions = {}): number {
  return preferenceList(host, options).findIndex((want) => matcher(want)(candidate))
}

/**
 * Whether a client on `host` accepts an image built for `candidate`: with fallbacks to older
 * variants and 32-bit mode (containerd's `Only`), or only the host itself when `strict`
 * (`OnlyStrict`) and on Windows hosts. Windows os.version and os.features are included.
 */
export function platformMatches(host: string | Platform, candidate: Platform, options: MatchOptions = {}): boolean {
  return matchRank(toHostPlatform(host), candidate, options) >= 0
}

const featureCount = (platform: Platform): number => platform.osFeatures?.length ?? 0

/**
 * containerd's `Ordered(list…).Less`: at the first step either platform matches, the one that
 * matches wins; when both do, the one with more os.features; when neither matches any step but
 * one has os.features, compare again without them.
 */
function orderedLess(list: Platform[], a: Platform, b: Platform): boolean {
  for (const want of list) {
    const match = matcher(want)
    const am = match(a)
    const bm = match(b)
    if (am && !bm) return true
    if (am || bm) return am && bm && featureCount(a) !== featureCount(b) ? featureCount(a) > featureCount(b) : false
  }
  if (featureCount(a) > 0 || featureCount(b) > 0) {
    return orderedLess(list, {...a, osFeatures: undefined}, {...b, osFeatures: undefined})
  }
  return false
}

/**
 * containerd's Windows comparer (its default on Windows): of two matching platforms the one with
 * the greater os.version *as a string* wins (so 10.0.20348.999 beats 10.0.20348.2113), a matching
 * one beats one that does not; nothing else is ordered.
 */
function windowsLess(host: Platform, a: Platform, b: Platform): boolean {
  const match = matcher(host)
  const am = match(a)
  const bm = match(b)
  if (am && bm) return byteOrder(a.osVersion ?? '', b.osVersion ?? '') > 0
  return am && !bm
}

/**
 * Negative when the host prefers `a`, positive when it prefers `b`, 0 when neither is preferred
 * (containerd's `Less` of the host's matcher): on a Windows host its Windows comparer, elsewhere
 * `Only(host)` (or `OnlyStrict`): an earlier step of the preference list wins, then more os.features.
 */
export function comparePlatforms(host: string | Platform, a: Platform, b: Platform, options: MatchOptions = {}): number {
  const want = toHostPlatform(host)
  const less =
    want.os === 'windows' && !options.strict
      ? (x: Platform, y: Platform) => windowsLess(want, x, y)
      : (x: Platform, y: Platform) => orderedLess(preferenceList(want, options), x, y)
  if (less(a, b)) return -1
  return less(b, a) ? 1 : 0
}

/** Answers kept at most, per kind; a run judges few distinct platforms, so this bounds only hostile input. */
const MAX_KEPT_ANSWERS = 4096

/** A key that holds every field of a platform, and no two platforms share. */
const keyOf = (platform: Platform): string =>
  JSON.stringify([platform.os, platform.architecture, platform.variant ?? '', platform.osVersion ?? '', platform.osFeatures ?? []])

/**
 * matchRank and comparePlatforms (default options) with their answers kept by the platforms they
 * were asked about: each answer normalises both sides and builds the host's preference list, and
 * a pull simulation asks the same few questions again and again (every entry, for its rank, its
 * order and the reason given for it). Keep one for as long as the same platforms come back (one
 * audit run); it holds at most a few thousand answers of each kind.
 */
export class PlatformMatching {
  private readonly ranks = new Map<string, number>()
  private readonly comparisons = new Map<string, number>()

  rank(host: Platform, candidate: Platform): number {
    return kept(this.ranks, `${keyOf(host)} ${keyOf(candidate)}`, () => matchRank(host, candidate))
  }

  compare(host: Platform, a: Platform, b: Platform): number {
    return kept(this.comparisons, `${keyOf(host)} ${keyOf(a)} ${keyOf(b)}`, () => comparePlatforms(host, a, b))
  }
}

function kept(answers: Map<string, number>, key: string, answer: () => number): number {
  let known = answers.get(key)
  if (known === undefined) {
    known = answer()
    if (answers.size >= MAX_KEPT_ANSWERS) answers.delete(answers.keys().next().value!)
    answers.set(key, known)
  }
  return known
}
