import {nativePlatform} from './host.js'
import {normalizePlatform} from './normalize.js'
import {parsePlatform} from './parse.js'
import type {Platform} from './types.js'

export interface MatchOptions {
  /** No fallback to older variants or 32-bit mode (containerd's `OnlyStrict`); aliases still apply. */
  strict?: boolean
}

/** A host given as a specifier, `native` (this machine) or a Platform; returned normalised. */
export function toHostPlatform(host: string | Platform): Platform {
  if (typeof host !== 'string') return normalizePlatform(host)
  return host === 'native' ? nativePlatform() : parsePlatform(host)
}

function numericVariant(variant: string | undefined): number | undefined {
  const match = /^v(\d+)$/.exec(variant ?? '')
  return match ? Number(match[1]) : undefined
}

/** arm64 `vM.m` (default v8.0) as numbers; undefined when the variant is not of that form. */
function arm64Version(variant: string | undefined): {major: number; minor: number} | undefined {
  const match = /^v(\d+)(?:\.(\d+))?$/.exec(variant || 'v8')
  return match ? {major: Number(match[1]), minor: Number(match[2] ?? 0)} : undefined
}

function arm64Variant(major: number, minor: number): string {
  return minor === 0 ? `v${major}` : `v${major}.${minor}`
}

/**
 * What a host accepts, most preferred first (containerd's `Only`): the host itself, then
 * - amd64/vN: vN-1 … v1 (= plain amd64), then 386; plain amd64: 386;
 * - arm/vN (N > 5): vN-1 … v5;
 * - arm64/v8.x: v8.x-1 … v8.0, then arm v8, v7, v6, v5 (32-bit mode);
 * - arm64/v9.x: v9.x-1 … v9.0, then v8.(x+5, at most 9) … v8.0, then arm v8 … v5.
 * The host must be normalised; os.version and os.features are carried to every entry.
 */
export function compatiblePlatforms(host: Platform): Platform[] {
  const like = (architecture: string, variant?: string): Platform =>
    normalizePlatform({...host, architecture, ...(variant ? {variant} : {variant: undefined})})
  const result = [host]
  switch (host.architecture) {
    case 'amd64': {
      for (let level = (numericVariant(host.variant) ?? 1) - 1; level >= 1; level--) result.push(like('amd64', `v${level}`))
      result.push(like('386'))
      break
    }
    case 'arm': {
      const version = numericVariant(host.variant)
      if (version !== undefined) for (let v = version - 1; v >= 5; v--) result.push(like('arm', `v${v}`))
      break
    }
    case 'arm64': {
      const version = arm64Version(host.variant)
      if (version && version.major >= 8) {
        let v8Minor = version.minor
        if (version.major === 9) {
          for (let minor = version.minor - 1; minor >= 0; minor--) result.push(like('arm64', arm64Variant(9, minor)))
          // ARMv9.x includes ARMv8.(x+5); the v8 line ends at v8.9.
          v8Minor = Math.min(version.minor + 5, 9)
          result.push(like('arm64', arm64Variant(8, v8Minor)))
        }
        for (let minor = v8Minor - 1; minor >= 0; minor--) result.push(like('arm64', arm64Variant(8, minor)))
      }
      // 32-bit mode: arm/v8 and below (an arm64 host with an unusual variant keeps it).
      const armVariant = version && version.major >= 8 ? 'v8' : host.variant
      result.push(...compatiblePlatforms(like('arm', armVariant)))
      break
    }
  }
  return result
}

/** A Windows os.version `major.minor.build[.revision]`; undefined when it has fewer than three numbers. */
function windowsVersion(version: string): number[] | undefined {
  const parts = version.split('.')
  if (parts.length < 3) return undefined
  const numbers = parts.slice(0, 3).map((part) => (/^\d+$/.test(part) ? Number(part) : Number.NaN))
  return numbers.some(Number.isNaN) ? undefined : numbers
}

/** The first Windows Server LTSC build with a stable container ABI (Windows Server 2022). */
const WINDOWS_STABLE_ABI_BUILD = 20348
/** LTSC builds with a stable ABI, ascending: a newer host runs images from the latest one at or below its build. */
const WINDOWS_LTSC_BUILDS = [WINDOWS_STABLE_ABI_BUILD]

/**
 * Whether a Windows host of os.version `hostVersion` runs an image of os.version `imageVersion`:
 * either missing → yes; otherwise major.minor equal, and a host below build 20348 needs the very
 * same build, a newer host takes builds from the previous LTSC build up to its own.
 */
export function windowsVersionCompatible(hostVersion: string | undefined, imageVersion: string | undefined): boolean {
  if (!hostVersion || !imageVersion) return true
  const host = windowsVersion(hostVersion)
  if (!host) return true
  const image = windowsVersion(imageVersion) ?? [0, 0, 0]
  if (host[0] !== image[0] || host[1] !== image[1]) return false
  if (host[2] < WINDOWS_STABLE_ABI_BUILD) return host[2] === image[2]
  const lowest = WINDOWS_LTSC_BUILDS.filter((build) => build <= host[2]).at(-1) ?? 0
  return image[2] >= lowest && image[2] <= host[2]
}

/** Exact match after normalisation (containerd's `NewMatcher`): os/arch/variant, Windows os.version, os.features ⊆ host's. */
function matchesExactly(want: Platform, candidate: Platform): boolean {
  const c = normalizePlatform(candidate)
  if (c.os !== want.os || c.architecture !== want.architecture || (c.variant ?? '') !== (want.variant ?? '')) return false
  if (want.os === 'windows' && !windowsVersionCompatible(want.osVersion, candidate.osVersion)) return false
  const hostFeatures = new Set(want.osFeatures ?? [])
  return (c.osFeatures ?? []).every((feature) => hostFeatures.has(feature))
}

/**
 * How much a host likes an image built for `candidate`: 0 for a native match, 1, 2… for each
 * step down its fallback list (see compatiblePlatforms), -1 when the host does not run it.
 * `host` must be normalised.
 */
export function matchRank(host: Platform, candidate: Platform, options: MatchOptions = {}): number {
  const accepted = options.strict ? [host] : compatiblePlatforms(host)
  return accepted.findIndex((want) => matchesExactly(want, candidate))
}

/**
 * Whether a client on `host` accepts an image built for `candidate`: with fallbacks to older
 * variants and 32-bit mode (containerd's `Only`), or only the host itself when `strict`
 * (`OnlyStrict`). Windows os.version compatibility is included.
 */
export function platformMatches(host: string | Platform, candidate: Platform, options: MatchOptions = {}): boolean {
  return matchRank(toHostPlatform(host), candidate, options) >= 0
}

function compareWindowsVersions(a: string | undefined, b: string | undefined): number {
  const va = a ? (windowsVersion(a) ?? []) : []
  const vb = b ? (windowsVersion(b) ?? []) : []
  const revision = (v: string | undefined) => Number(v?.split('.')[3] ?? 0) || 0
  for (let i = 0; i < 3; i++) if ((va[i] ?? -1) !== (vb[i] ?? -1)) return (va[i] ?? -1) - (vb[i] ?? -1)
  return revision(a) - revision(b)
}

/**
 * Negative when the host prefers `a`, positive when it prefers `b`, 0 when neither is preferred
 * (containerd's `Only(host).Less`): an accepted platform beats a rejected one, an earlier step of
 * the fallback list beats a later one, and on a Windows host the higher os.version wins a tie.
 */
export function comparePlatforms(host: string | Platform, a: Platform, b: Platform): number {
  const want = toHostPlatform(host)
  const rank = (p: Platform) => {
    const r = matchRank(want, p)
    return r < 0 ? Number.POSITIVE_INFINITY : r
  }
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra < rb ? -1 : 1
  if (ra === Number.POSITIVE_INFINITY || want.os !== 'windows') return 0
  return Math.sign(compareWindowsVersions(b.osVersion, a.osVersion))
}
