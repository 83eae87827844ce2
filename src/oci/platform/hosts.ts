import {splitList} from '../list.js'
import {toHostPlatform} from './match.js'
import {formatPlatformSpec} from './normalize.js'
import type {Platform} from './types.js'

/** The hosts archcheck exists for, checked when none are named. */
export const DEFAULT_HOSTS = ['linux/amd64', 'linux/arm64']

/**
 * Hosts from repeatable, comma-separated values (`--host linux/amd64,linux/arm64 --host native`),
 * normalised and without repeats, in the order given; the defaults when there are none.
 * Throws a UsageError for a bad specifier.
 */
export function parseHosts(values: readonly string[] = []): Platform[] {
  const specs = splitList(values, {keepEmpty: true})
  const hosts = new Map<string, Platform>()
  for (const spec of specs.length > 0 ? specs : DEFAULT_HOSTS) {
    const platform = toHostPlatform(spec)
    hosts.set(formatPlatformSpec(platform), platform)
  }
  return [...hosts.values()]
}
