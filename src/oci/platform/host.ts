import {readFileSync} from 'node:fs'
import {endianness, release} from 'node:os'

import {normalizePlatform} from './normalize.js'
import {ociOs} from './os.js'
import type {Platform} from './types.js'

/** Node's process.arch → the OCI (GOARCH) name. */
const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  ppc: 'ppc',
  s390: 's390',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
}

/** The OCI architecture of a Node process.arch value. */
export function ociArchitecture(nodeArch: string): string {
  if (nodeArch === 'ppc64') return endianness() === 'LE' ? 'ppc64le' : 'ppc64'
  return NODE_ARCH[nodeArch] ?? nodeArch
}

function cpuinfoField(cpuinfo: string, field: string): string | undefined {
  for (const line of cpuinfo.split('\n')) {
    const colon = line.indexOf(':')
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === field) return line.slice(colon + 1).trim()
  }
  return undefined
}

/**
 * The ARM variant the kernel reports in /proc/cpuinfo ("CPU architecture"), as containerd reads
 * it: `v8` for 8/aarch64, `v7` for 7 and the ?(12)…?(17) codes, `v6`, `v5`… Undefined when the
 * field is missing or unknown. A 32-bit kernel on a Raspberry Pi 1/Zero reports 7 for an ARMv6
 * core: its "model name" says so.
 */
export function armVariantFromCpuinfo(cpuinfo: string, architecture: string): string | undefined {
  const reported = cpuinfoField(cpuinfo, 'cpu architecture')?.toLowerCase()
  if (reported === undefined) return undefined
  if (architecture === 'arm' && reported === '7' && cpuinfoField(cpuinfo, 'model name')?.toLowerCase().startsWith('armv6-compatible')) {
    return 'v6'
  }
  if (reported === '8' || reported === 'aarch64') return 'v8'
  if (['7', '7m', '?(12)', '?(13)', '?(14)', '?(15)', '?(16)', '?(17)'].includes(reported)) return 'v7'
  if (reported === '6' || reported === '6tej') return 'v6'
  if (['5', '5t', '5te', '5tej'].includes(reported)) return 'v5'
  if (reported === '4' || reported === '4t') return 'v4'
  if (reported === '3') return 'v3'
  return undefined
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
  } catch {
    return ''
  }
}

/**
 * This machine's platform, normalised: process.platform/process.arch, the ARM variant from
 * /proc/cpuinfo (read on ARM only), and on Windows the os.version (`10.0.BUILD`) that Windows
 * image matching needs.
 */
export function nativePlatform(): Platform {
  const os = ociOs(process.platform)
  const architecture = ociArchitecture(process.arch)
  const variant = architecture === 'arm' || architecture === 'arm64' ? armVariantFromCpuinfo(readCpuinfo(), architecture) : undefined
  const platform: Platform = {os, architecture, ...(variant ? {variant} : {})}
  if (os === 'windows') platform.osVersion = release()
  return normalizePlatform(platform)
}
