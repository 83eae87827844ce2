import {UsageError} from '../errors.js'
import {nativePlatform} from './host.js'
import {normalizeArch, normalizeOs, normalizePlatform} from './normalize.js'
import type {Platform} from './types.js'

/** Operating systems Go knows (containerd's list): a lone word naming one is an OS. */
const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd',
  'openbsd', 'plan9', 'solaris', 'windows', 'zos',
])

/** Architectures Go knows (containerd's list): a lone word naming one is an architecture. */
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle',
  'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64',
  'wasm',
])

const COMPONENT = /^[A-Za-z0-9_.-]+$/
/** `os` or `os(version[+feature…])`, e.g. `windows(10.0.20348)` or `windows(10.0.17763+win32k)`. */
const OS_COMPONENT = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/

const SYNTAX = 'expected os, arch, os/arch or os/arch/variant, e.g. linux/arm64 or windows(10.0.20348)/amd64'

function invalid(spec: string, why: string): UsageError {
  return new UsageError(`invalid platform "${spec}": ${why} (${SYNTAX})`)
}

function decodeOsOption(spec: string, value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw invalid(spec, `bad %-escape in "${value}"`)
  }
}

/**
 * Parses a platform specifier as containerd does and returns it normalised: `os`, `arch`,
 * `os/arch`, `os/arch/variant`, with an optional Windows version and features on the OS
 * (`windows(10.0.20348)/amd64`). A lone OS takes this machine's architecture (and ARM variant),
 * a lone architecture this machine's OS. Throws a UsageError (an Error, exit 2 in the CLI) for
 * empty parts, a fourth part, spaces, wildcards and unknown lone words.
 */
export function parsePlatform(spec: string): Platform {
  if (spec.includes('*')) throw invalid(spec, 'wildcards are not supported')
  if (/\s/.test(spec)) throw invalid(spec, 'spaces are not allowed')
  const parts = spec.split('/')
  if (parts.length > 3) throw invalid(spec, 'too many parts')
  if (parts.some((part) => part === '')) throw invalid(spec, 'empty part')

  const osMatch = OS_COMPONENT.exec(parts[0])
  if (!osMatch) throw invalid(spec, `"${parts[0]}" is not an OS name`)
  for (const part of parts.slice(1)) {
    if (!COMPONENT.test(part)) throw invalid(spec, `"${part}" has characters other than letters, digits, _ . -`)
  }
  const os = normalizeOs(osMatch[1])
  const osVersion = osMatch[2] ? decodeOsOption(spec, osMatch[2]) : undefined
  const osFeatures = osMatch[3] ? osMatch[3].slice(1).split('+').map((f) => decodeOsOption(spec, f)) : undefined
  const osOptions = {...(osVersion ? {osVersion} : {}), ...(osFeatures ? {osFeatures} : {})}

  if (parts.length === 1) {
    if (KNOWN_OS.has(os)) {
      const host = nativePlatform()
      return normalizePlatform({os, architecture: host.architecture, variant: host.variant, ...osOptions})
    }
    if (osVersion !== undefined || osFeatures) throw invalid(spec, `"${osMatch[1]}" is not a known OS`)
    const {architecture, variant} = normalizeArch(parts[0])
    if (!KNOWN_ARCH.has(architecture)) throw invalid(spec, `"${parts[0]}" is neither a known OS nor a known architecture`)
    return normalizePlatform({os: nativePlatform().os, architecture, variant})
  }
  return normalizePlatform({os, architecture: parts[1], variant: parts[2], ...osOptions})
}
