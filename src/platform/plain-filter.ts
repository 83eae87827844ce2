import {UsageError} from '../errors.js'
import {normalizePlatform} from './normalize.js'
import type {Platform} from './types.js'

/**
 * `--platform os/arch[/variant]` as a plain filter: equal normalised os, architecture and variant
 * (an empty variant matches only an empty variant after normalisation). No fallbacks: the pull
 * simulation does real matching.
 */
export function plainPlatformFilter(spec: string): (platform: Platform | undefined) => boolean {
  const parts = spec.trim().split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) {
    throw new UsageError(`invalid platform "${spec}": expected os/arch[/variant], e.g. linux/arm64 or linux/arm/v7`)
  }
  const wanted = normalizePlatform({os: parts[0], architecture: parts[1], ...(parts[2] ? {variant: parts[2]} : {})})
  return (platform) => {
    if (!platform) return false
    const p = normalizePlatform(platform)
    return p.os === wanted.os && p.architecture === wanted.architecture && (p.variant ?? '') === (wanted.variant ?? '')
  }
}
