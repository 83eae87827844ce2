import {Flags} from '@oclif/core'

import {UsageError} from '../oci/errors.js'
import {splitList} from '../oci/list.js'
import {parseHosts} from '../oci/platform/hosts.js'
import {toHostPlatform} from '../oci/platform/match.js'
import {checkKnownPlatform} from '../oci/platform/parse.js'
import type {Platform} from '../oci/platform/types.js'
import {DEFAULT_MAX_MANIFEST_BYTES} from '../oci/digest.js'
import {CLIENT_ALIASES, CLIENT_NAMES} from '../api/resolve.js'
import {clientAliasMeaning, OptionError} from '../api/options.js'
import {registryOptionsFromEnvironment} from '../api/environment.js'
import type {RegistryOptions} from '../api/sources.js'
import {homeDir, processEnvironment} from './environment.js'

/** The registry flags every command that reads images takes. */
export const registryFlags = {
  'insecure-registry': Flags.string({
    description:
      'Reach this registry host[:port] without verifying its TLS certificate, or over plain HTTP when it has no TLS (repeatable; also $ARCHCHECK_INSECURE_REGISTRIES, comma-separated). localhost and 127.0.0.0/8 always use plain HTTP.',
    helpValue: 'HOST[:PORT]',
    multiple: true,
    // Non-greedy: `--insecure-registry HOST REF` must leave REF to be the argument.
    multipleNonGreedy: true,
    helpGroup: 'REGISTRY',
  }),
  timeout: Flags.integer({
    description: 'Seconds to wait for each registry request.',
    helpValue: 'SECONDS',
    default: 30,
    min: 1,
    // A day: longer does not fit Node's timers (they would fire at once).
    max: 86_400,
    helpGroup: 'REGISTRY',
  }),
  'max-manifest-size': Flags.integer({
    description: 'Largest manifest or image config accepted, in bytes.',
    helpValue: 'BYTES',
    default: DEFAULT_MAX_MANIFEST_BYTES,
    min: 1024,
    helpGroup: 'REGISTRY',
  }),
}

/** A value compared with a reference's host (a scheme is tolerated): `reg:5000/v2` or '' would silently never match. */
function checkRegistryHost(value: string): string {
  if (!/^(?:https?:\/\/)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?\/?$/.test(value)) {
    throw new UsageError(
      `--insecure-registry ${JSON.stringify(value)}: expected HOST[:PORT] as in image references (registry.example:5000), without a path`,
    )
  }
  return value
}

export interface RegistryFlagValues {
  'insecure-registry'?: string[]
  timeout: number
  'max-manifest-size': number
}

/**
 * RegistryOptions from the parsed registry flags and the environment (proxies, Docker's keychain,
 * $ARCHCHECK_INSECURE_REGISTRIES after the flag's hosts); `debug` receives request lines for --debug.
 */
export function registryOptionsFromFlags(flags: RegistryFlagValues, debug?: (line: string) => void): RegistryOptions {
  const fromEnvironment = registryOptionsFromEnvironment(processEnvironment(), homeDir())
  return {
    ...fromEnvironment,
    insecureRegistries: [
      ...(flags['insecure-registry'] ?? []).map((host) => checkRegistryHost(host)),
      ...(fromEnvironment.insecureRegistries ?? []),
    ],
    timeoutMs: flags.timeout * 1000,
    maxManifestBytes: flags['max-manifest-size'],
    ...(debug ? {debug} : {}),
  }
}

const PLATFORM_SPEC = 'os/arch[/variant], windows(10.0.20348)/amd64, or native (this machine)'

/**
 * Host platforms, repeatable or comma-separated. Non-greedy, so `--host linux/arm64 REF` leaves REF
 * to be the argument (a greedy multiple flag would swallow it).
 */
export function hostsFlag(options: {purpose: string; defaultText: string}) {
  return Flags.string({
    description: `${options.purpose}: ${PLATFORM_SPEC}; repeatable or comma-separated. Default: ${options.defaultText}.`,
    multiple: true,
    multipleNonGreedy: true,
    helpValue: 'PLATFORM',
  })
}

const CLIENT_DESCRIPTION =
  'Pull client to model: docker (current Docker Engine), docker@20.10 (dockerd 20.10 and older: exact matching), containerd ' +
  '(aliases kubernetes, cri, nerdctl), podman (containers/image; aliases cri-o, buildah, skopeo) or exact (crane, oras)'

/** The pull client whose choice is modelled (verify's one client); an alias is resolved by the api. */
export function clientFlag() {
  return Flags.option({
    description: `${CLIENT_DESCRIPTION}.`,
    options: [...CLIENT_NAMES, ...Object.keys(CLIENT_ALIASES)],
    default: 'docker',
  })()
}

/** Pull clients to model, repeatable or comma-separated, or all: a host × client matrix. */
export function clientsFlag() {
  return Flags.option({
    description: `${CLIENT_DESCRIPTION}; repeatable or comma-separated, or all (every client, a host × client matrix).`,
    options: [...CLIENT_NAMES, ...Object.keys(CLIENT_ALIASES), 'all'],
    multiple: true,
    delimiter: ',',
    // Non-greedy: `--client containerd REF` leaves REF to be the argument.
    multipleNonGreedy: true,
    default: ['docker'],
  })()
}

/** What the client aliases typed stand for, said once on stderr: `kubernetes = containerd's rules`. */
export function noteClientAliases(names: readonly string[]): void {
  for (const name of new Set(names)) {
    const meaning = clientAliasMeaning(name)
    if (meaning) process.stderr.write(`archcheck: note: ${meaning}\n`)
  }
}

/** resolve's and verify's --allow-fallback: the same rule, the same words. */
export const allowFallbackFlag = Flags.boolean({
  description:
    'Accept (exit 0) a host that gets its image only through a fallback: an older variant or 32-bit mode (arm64 hosts running arm/v7).',
})

/** --json: one document on stdout (its schema in docs/TOPIC.md); errors still go to stderr. */
export function jsonFlag(what: string, doc?: string) {
  return Flags.boolean({description: `Print ${what} as JSON on stdout${doc ? ` (schema: ${doc})` : ''}.`})
}

/** docker's --no-trunc: full digests and every column, even when the terminal is narrower. */
export const noTruncFlag = Flags.boolean({
  description:
    'Do not shorten digests or drop columns to fit the terminal (full digests are always shown when stdout is not a terminal and COLUMNS is unset).',
})

/** buildx's own rule for builder names; checked here so that '' or 'my builder' fail before docker runs. */
export function checkBuilderName(name: string): string {
  if (!/^[a-zA-Z][a-zA-Z0-9._-]*$/.test(name)) {
    throw new UsageError(
      `invalid builder name ${JSON.stringify(name)}: it starts with a letter and has only letters, digits, '.', '-' and '_'`,
    )
  }
  return name
}

/** The flag of an api option where its name is not the option's in kebab case (`allowUnknownPlatform`: `--allow-unknown-platform`). */
const OPTION_FLAGS: Record<string, string> = {hosts: '--host', clients: '--client', images: 'IMAGE…'}

/** The flag a command line gives an api option as (`hosts` is `--host`, `tagPattern` is `--tag-pattern`). */
export function flagOfOption(option: string): string {
  return OPTION_FLAGS[option] ?? `--${option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`
}

/** An api error as the command line says it: its option names replaced by flag names. */
export function withFlagNames(error: unknown): unknown {
  return error instanceof OptionError ? new UsageError(error.render(flagOfOption), {cause: error}) : error
}

/** Parses a flag's value; a UsageError names the flag (`--host: invalid platform "x": …`). */
export function parseFlag<T>(flag: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--${flag}: ${error.message}`, {cause: error})
    throw error
  }
}

/** For the exotic: platforms Go does not know are refused unless this is given (a typo is likelier). */
export const allowUnknownPlatformFlag = Flags.boolean({
  description: 'Accept an OS or architecture that Go and containerd do not know (otherwise refused as a likely typo).',
})

/** Each specifier of a platform flag, refused when its OS or architecture is unknown (see checkKnownPlatform). */
function checkSpecs(values: readonly string[], allowUnknown: boolean): void {
  if (allowUnknown) return
  for (const spec of splitList(values)) {
    if (spec !== 'native') checkKnownPlatform(spec, toHostPlatform(spec))
  }
}

/** `--host`/`--require` values as hosts: parsed, then checked against the known platforms; errors name the flag. */
export function parsePlatformFlag(flag: string, values: readonly string[] | undefined, allowUnknown = false): Platform[] {
  return parseFlag(flag, () => {
    const hosts = parseHosts(values)
    checkSpecs(values ?? [], allowUnknown)
    return hosts
  })
}

/** One platform value (inspect --platform, a build's --platform list), checked the same way. */
export function checkPlatformFlag(flag: string, values: readonly string[], allowUnknown = false): void {
  parseFlag(flag, () => checkSpecs(values, allowUnknown))
}
