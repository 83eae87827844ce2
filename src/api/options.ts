/**
 * The options resolve, verify and audit take, checked once and the same way for all three, in a
 * library caller's words: a bad value is an OptionError naming the option (`hosts`, `clients`).
 * The CLI shows the same error with its flag names instead (`--host`, `--client`).
 */
import {isDeepStrictEqual} from 'node:util'

import {UsageError} from '../oci/errors.js'
import {splitList} from '../oci/list.js'
import {toHostPlatform} from '../oci/platform/match.js'
import {formatPlatformSpec} from '../oci/platform/normalize.js'
import {unknownPlatformProblems} from '../oci/platform/parse.js'
import type {Platform} from '../oci/platform/types.js'
import {formatSourceSpec, parseSourceSpec, type SourceSpec} from '../oci/reference.js'
import {CLIENT_ALIASES, CLIENT_NAMES, clientModelName} from '../engine/resolve/clients.js'
import type {ClientName} from '../engine/resolve/resolution.js'
import {parseSourceText} from '../source/open.js'

/**
 * A bad option of an api call. The message is a template whose `{name}`s are option names, so
 * that each audience reads its own: `{deep} needs {require}` is "deep needs require" to a library
 * caller and "--deep needs --require" on the command line (see cli/flags.ts).
 */
export class OptionError extends UsageError {
  constructor(
    readonly template: string,
    options?: {cause?: unknown},
  ) {
    super(
      template.replace(/\{(\w+)\}/g, (_, name: string) => name),
      options,
    )
  }

  /** The message with each option named by `nameOf` (a flag name, say). */
  render(nameOf: (option: string) => string): string {
    return this.template.replace(/\{(\w+)\}/g, (_, name: string) => nameOf(name))
  }
}

/** What a value is, for messages: `a number`, `an object`. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Strings of a list option given as `'a,b'` or `['a,b', 'c']`, through the one splitter. */
export function stringList(value: unknown, option: string): string[] {
  if (typeof value === 'string') return splitList(value)
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return splitList(value)
  throw new OptionError(`{${option}}: expected a string or an array of strings, found ${kindOf(value)}`)
}

/**
 * An image source given as text (`alpine:3.20`, `oci-layout:dir:v1`; parsed here, once, and a
 * name that is also a local path refused) or as a SourceSpec from parseSourceSpec, taken as is
 * once it proves to be one: it must read back the same from its text form.
 */
export function sourceSpec(value: unknown, what: string): SourceSpec {
  if (typeof value === 'string') return parseSourceText(value)
  const expected = `${what}: expected an image reference or a SourceSpec from parseSourceSpec`
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OptionError(`${expected}, found ${kindOf(value)}`)
  let again: SourceSpec
  try {
    again = parseSourceSpec(formatSourceSpec(value as SourceSpec))
  } catch (error) {
    if (!(error instanceof UsageError)) throw new OptionError(`${expected}, found another object`, {cause: error})
    throw new OptionError(`${what}: ${error.message}`, {cause: error})
  }
  if (!isDeepStrictEqual(again, value)) throw new OptionError(`${expected}, found an object parseSourceSpec would not make`)
  return again
}

/** The image sources of a list argument (`verify(references)`, `audit(images)`): each text or SourceSpec as sourceSpec takes it. */
export function sourceList(value: unknown, what: string): SourceSpec[] {
  if (!Array.isArray(value)) throw new OptionError(`${what}: expected an array of image references, found ${kindOf(value)}`)
  return value.map((item: unknown) => sourceSpec(item, what))
}

export interface PlatformListRules {
  /** Platforms used when the option is absent; absent and no defaults is an empty list. */
  defaults?: readonly string[]
  /** Accept an OS or architecture Go does not know (else refused as a likely typo, with a did-you-mean). */
  allowUnknown?: boolean
}

/**
 * Platforms of a hosts-like option: specifiers (`linux/arm64`, `windows(10.0.20348)/amd64`,
 * `native`, comma-separated) or Platform objects, normalised, each once, in the order given.
 * Given but empty is refused: it would silently check nothing or the defaults.
 */
export function platformList(value: unknown, option: string, rules: PlatformListRules = {}): Platform[] {
  if (value === undefined) return rules.defaults ? platformList([...rules.defaults], option) : []
  const items = typeof value === 'string' ? [value] : value
  if (!Array.isArray(items)) throw new OptionError(`{${option}}: expected platforms, found ${kindOf(value)}`)
  const platforms = new Map<string, Platform>()
  const given = (items as unknown[]).flatMap((item) => (typeof item === 'string' ? splitList(item, {keepEmpty: true}) : [item]))
  // Only empty items: nothing named. Among others, an empty item is a slip (`linux/arm64,`): refused as a bad platform.
  if (given.every((item) => item === '')) throw new OptionError(`{${option}} needs at least one platform`)
  for (const item of given) {
    const platform = checkedPlatform(item, option, rules.allowUnknown ?? false)
    platforms.set(formatPlatformSpec(platform), platform)
  }
  return [...platforms.values()]
}

function checkedPlatform(spec: unknown, option: string, allowUnknown: boolean): Platform {
  if (typeof spec !== 'string') {
    const given = spec as Partial<Platform> | null
    if (typeof given !== 'object' || given === null || typeof given.os !== 'string' || typeof given.architecture !== 'string') {
      throw new OptionError(`{${option}}: expected a platform specifier or {os, architecture}, found ${kindOf(spec)}`)
    }
    return toHostPlatform(given as Platform)
  }
  let platform: Platform
  try {
    platform = toHostPlatform(spec)
  } catch (error) {
    if (error instanceof UsageError) throw new OptionError(`{${option}}: ${error.message}`, {cause: error})
    throw error
  }
  // `native` is this machine, whatever Go calls it.
  const problems = allowUnknown || spec === 'native' ? [] : unknownPlatformProblems(platform)
  if (problems.length > 0) {
    throw new OptionError(`{${option}}: platform "${spec}": ${problems.join(', ')}; {allowUnknownPlatform} accepts it as written`)
  }
  return platform
}

/** Client models named by `clients`: names, aliases (kubernetes, cri-o…) or 'all'; docker when absent. */
export function clientList(value: unknown, option = 'clients'): ClientName[] {
  if (value === undefined) return ['docker']
  if (value === 'all') return [...CLIENT_NAMES]
  const names = stringList(value, option)
  if (names.includes('all')) return [...CLIENT_NAMES]
  if (names.length === 0) throw new OptionError(`{${option}} needs at least one client`)
  const models = new Set<ClientName>()
  for (const name of names) {
    const model = clientModelName(name)
    if (!model) {
      const known = [...CLIENT_NAMES, ...Object.keys(CLIENT_ALIASES), 'all'].join(', ')
      throw new OptionError(`{${option}}: unknown client "${name}": expected one of ${known}`)
    }
    models.add(model)
  }
  return [...models]
}

/** The one client of verify and diagnose: a model or an alias, docker when absent. */
export function singleClient(value: unknown): ClientName {
  const clients = clientList(value ?? 'docker', 'client')
  if (clients.length !== 1) throw new OptionError('{client}: expected one client, found several')
  return clients[0]
}

/** What an alias stands for (`kubernetes = containerd's rules`); undefined for a model's own name. */
export function clientAliasMeaning(name: string): string | undefined {
  const model = Object.hasOwn(CLIENT_ALIASES, name) ? CLIENT_ALIASES[name] : undefined
  return model ? `${name} = ${model}'s rules` : undefined
}

/** A whole number of at least `min`, or undefined when absent. */
export function countOption(value: unknown, option: string, min = 1): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new OptionError(
      `{${option}}: expected a whole number of at least ${min}, found ${typeof value === 'number' ? value : kindOf(value)}`,
    )
  }
  return value
}

/** A string option, or undefined when absent. */
export function textOption(value: unknown, option: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value
  throw new OptionError(`{${option}}: expected a string, found ${kindOf(value)}`)
}
