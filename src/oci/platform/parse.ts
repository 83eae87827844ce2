import {UsageError} from '../errors.js'
import {nativePlatform} from './host.js'
import {normalizeArch, normalizeOs} from './normalize.js'
import type {Platform} from './types.js'

/** Operating systems Go knows (containerd's list): a lone word naming one is an OS. */
const KNOWN_OS = new Set([
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'hurd',
  'illumos',
  'ios',
  'js',
  'linux',
  'nacl',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'windows',
  'zos',
])

/** Architectures Go knows (containerd's list): a lone word naming one is an architecture. */
const KNOWN_ARCH = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'armbe',
  'arm64',
  'arm64be',
  'ppc64',
  'ppc64le',
  'loong64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'ppc',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
])

const COMPONENT = /^[A-Za-z0-9_.-]+$/
/** `os` or `os(version[+feature…])`, e.g. `windows(10.0.20348)` or `windows(10.0.17763+win32k)`. */
const OS_COMPONENT = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/

const SYNTAX = 'expected os, arch, os/arch or os/arch/variant, e.g. linux/arm64 or windows(10.0.20348)/amd64'

function invalid(spec: string, why: string): UsageError {
  return new UsageError(`invalid platform "${spec}": ${why} (${SYNTAX})`)
}

/** An os.version or os.feature as written: %-escapes decoded (containerd uses Go's url.PathUnescape). */
function decodeOsOption(spec: string, value: string): string {
  if (!value.includes('%')) return value
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) throw invalid(spec, `bad %-escape in "${value}"`)
  try {
    return decodeURIComponent(value)
  } catch {
    throw invalid(spec, `bad %-escape in "${value}"`)
  }
}

/** `+a+b` without its first '+': features in the order written, empty ones refused. */
function parseOsFeatures(spec: string, text: string): string[] | undefined {
  if (text === '') return undefined
  const features: string[] = []
  for (const raw of text.split('+')) {
    const trimmed = raw.trim()
    if (trimmed === '') throw invalid(spec, 'empty os feature')
    const feature = decodeOsOption(spec, trimmed)
    if (feature !== '') features.push(feature)
  }
  return features
}

/** The ARM variant a lone OS takes: this machine's, except v7 which containerd leaves implied. */
function defaultArmVariant(architecture: string): string | undefined {
  const variant = nativePlatform().variant
  return architecture === 'arm' && variant !== 'v7' ? variant : undefined
}

/**
 * containerd's `Parse`: a *selector*, not a normalised platform. `os`, `arch`, `os/arch`,
 * `os/arch/variant`, the OS optionally with a version and features: `windows(10.0.17763+win32k)`
 * (features kept in the order written, %-escapes decoded). Names are lower-cased and aliases
 * resolved, but `linux/arm` and `linux/armhf` keep no variant (v7 is implied), `linux/arm64/v8`
 * keeps `v8`, a lone OS takes this machine's architecture, a lone architecture its OS. Pass the
 * result through normalizePlatform for containerd's canonical form. Throws a UsageError (exit 2
 * in the CLI) where `Parse` fails: wildcards, a fourth part, an empty part, characters outside
 * `[A-Za-z0-9_.-]`, an unknown lone word.
 */
export function parsePlatform(spec: string): Platform {
  if (spec.includes('*')) throw invalid(spec, 'wildcards are not supported')
  if (/\s/.test(spec)) throw invalid(spec, 'spaces are not allowed')
  // Go's SplitN(spec, "/", 4): a fourth part is an error, whatever it holds.
  const parts = spec.split('/')
  if (parts.length > 3) throw invalid(spec, 'too many parts')

  const osMatch = OS_COMPONENT.exec(parts[0])
  if (!osMatch) throw invalid(spec, parts[0] === '' ? 'empty part' : `"${parts[0]}" is not an OS name`)
  for (const part of parts.slice(1)) {
    if (part === '') throw invalid(spec, 'empty part')
    if (!COMPONENT.test(part)) throw invalid(spec, `"${part}" has characters other than letters, digits, _ . -`)
  }
  const os = normalizeOs(osMatch[1])
  const osVersion = decodeOsOption(spec, osMatch[2] ?? '')
  const osFeatures = parseOsFeatures(spec, (osMatch[3] ?? '').slice(1))
  const osOptions = {...(osVersion ? {osVersion} : {}), ...(osFeatures ? {osFeatures} : {})}
  const withVariant = (architecture: string, variant: string | undefined): Platform => ({
    os,
    architecture,
    ...(variant ? {variant} : {}),
    ...osOptions,
  })

  if (parts.length === 1) {
    if (KNOWN_OS.has(os)) {
      const {architecture} = nativePlatform()
      return withVariant(architecture, defaultArmVariant(architecture))
    }
    const {architecture, variant} = normalizeArch(parts[0])
    if (!KNOWN_ARCH.has(architecture)) throw invalid(spec, `"${parts[0]}" is neither a known OS nor a known architecture`)
    return {...withVariant(architecture, architecture === 'arm' && variant === 'v7' ? '' : variant), os: nativePlatform().os}
  }
  if (parts.length === 2) {
    const {architecture, variant} = normalizeArch(parts[1])
    return withVariant(architecture, architecture === 'arm' && variant === 'v7' ? '' : variant)
  }
  const {architecture, variant} = normalizeArch(parts[1], parts[2])
  return withVariant(architecture, architecture === 'arm64' && variant === '' ? 'v8' : variant)
}

/** Levenshtein distance, for "did you mean" among the known names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}

/** The known name closest to a typo (two edits at most, or a transposition such as arm46 for arm64). */
function closestKnown(typed: string, known: ReadonlySet<string>): string | undefined {
  let best: {name: string; distance: number} | undefined
  for (const name of known) {
    const sorted = (text: string): string => [...text].sort().join('')
    const distance = sorted(name) === sorted(typed) ? 1 : editDistance(typed, name)
    if (distance <= 2 && distance < (best?.distance ?? Infinity)) best = {name, distance}
  }
  return best?.name
}

/**
 * Whether a parsed specifier names an OS and an architecture that Go (and so containerd, Docker and
 * every registry) knows. containerd itself accepts any word, so a typo (`linux/arm46`) would
 * otherwise become a platform no image has: a UsageError with a did-you-mean instead.
 * `allowUnknown` is for the truly exotic.
 */
export function checkKnownPlatform(spec: string, platform: Platform): void {
  const problems = unknownPlatformProblems(platform)
  if (problems.length === 0) return
  throw new UsageError(`platform "${spec}": ${problems.join(', ')}; --allow-unknown-platform accepts it as written`)
}

/** What Go does not know of a platform, with the likeliest intended name: `unknown architecture "arm46" (did you mean arm64?)`. */
export function unknownPlatformProblems(platform: Platform): string[] {
  const problems: string[] = []
  if (!KNOWN_OS.has(platform.os)) {
    const guess = closestKnown(platform.os, KNOWN_OS)
    problems.push(`unknown OS "${platform.os}"${guess ? ` (did you mean ${guess}?)` : ''}`)
  }
  if (!KNOWN_ARCH.has(platform.architecture)) {
    const guess = closestKnown(platform.architecture, KNOWN_ARCH)
    problems.push(`unknown architecture "${platform.architecture}"${guess ? ` (did you mean ${guess}?)` : ''}`)
  }
  return problems
}
