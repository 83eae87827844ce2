import {ociOs} from './os.js'
import type {Platform} from './types.js'

/** containerd's normalisation of an OS name; an empty one is the OS of the machine running the code (Go's runtime.GOOS). */
export function normalizeOs(os: string): string {
  if (os === '') return ociOs()
  const lower = os.toLowerCase()
  return lower === 'macos' ? 'darwin' : lower
}

/** containerd's normalisation of an architecture and its variant (platforms v1.0 `NormalizeArch`). */
export function normalizeArch(architecture: string, variant = ''): {architecture: string; variant: string} {
  const arch = architecture.toLowerCase()
  const v = variant.toLowerCase()
  switch (arch) {
    case 'i386':
      return {architecture: '386', variant: ''}
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return {architecture: 'amd64', variant: v === 'v1' ? '' : v}
    case 'aarch64':
    case 'arm64':
      if (v === '8' || v === 'v8' || v === 'v8.0') return {architecture: 'arm64', variant: ''}
      if (v === '9' || v === '9.0' || v === 'v9.0') return {architecture: 'arm64', variant: 'v9'}
      return {architecture: 'arm64', variant: v}
    case 'armhf':
      return {architecture: 'arm', variant: 'v7'}
    case 'armel':
      return {architecture: 'arm', variant: 'v6'}
    case 'arm':
      if (v === '' || v === '7') return {architecture: 'arm', variant: 'v7'}
      if (v === '5' || v === '6' || v === '8') return {architecture: 'arm', variant: `v${v}`}
      return {architecture: 'arm', variant: v}
    default:
      return {architecture: arch, variant: v}
  }
}

/**
 * A platform with containerd's aliases resolved: lower-case names, canonical architecture and
 * variant (an empty variant is omitted), os.features sorted without repeats.
 */
export function normalizePlatform(platform: Platform): Platform {
  const {architecture, variant} = normalizeArch(platform.architecture, platform.variant)
  const result: Platform = {os: normalizeOs(platform.os), architecture}
  if (variant) result.variant = variant
  if (platform.osVersion) result.osVersion = platform.osVersion
  if (platform.osFeatures?.length) result.osFeatures = [...new Set(platform.osFeatures)].sort()
  return result
}

/** containerd's `Format`: `os/arch[/variant]`, `unknown` when there is no OS. */
export function formatPlatform(platform: Platform): string {
  if (!platform.os) return 'unknown'
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/')
}

/** containerd's escaping of characters in an os.version or os.feature that the specifier syntax uses ('%' first). */
function encodeOsOption(value: string): string {
  return value.replace(/[%+()/]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}

/**
 * containerd's `FormatAll`: `os[(os.version[+feature…])]/arch[/variant]`, the specifier form that
 * parsePlatform reads back. Features are printed sorted, without repeats or empty ones, and
 * characters of the syntax are %-escaped.
 */
export function formatAll(platform: Platform): string {
  if (!platform.os) return 'unknown'
  const features = [...new Set(platform.osFeatures ?? [])].filter(Boolean).sort().map(encodeOsOption).join('+')
  const version = encodeOsOption(platform.osVersion ?? '')
  const options = version || features ? `(${version}${features ? `+${features}` : ''})` : ''
  return formatPlatform({...platform, os: `${platform.os}${options}`})
}

/** The specifier form of a platform (containerd's `FormatAll`). */
export function formatPlatformSpec(platform: Platform): string {
  return formatAll(platform)
}
