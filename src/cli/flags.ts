import {Flags} from '@oclif/core'

import {DEFAULT_MAX_MANIFEST_BYTES} from '../image/digest.js'
import type {RegistryOptions} from '../registry/options.js'

/** The registry flags every command that reads images takes. */
export const registryFlags = {
  'insecure-registry': Flags.string({
    description: 'Reach this registry host[:port] without verifying its TLS certificate, or over plain HTTP when it has no TLS (repeatable; also $ARCHCHECK_INSECURE_REGISTRIES, comma-separated). localhost and 127.0.0.0/8 always use plain HTTP.',
    multiple: true,
    helpGroup: 'REGISTRY',
  }),
  timeout: Flags.integer({
    description: 'Seconds to wait for each registry request.',
    default: 30,
    min: 1,
    helpGroup: 'REGISTRY',
  }),
  'max-manifest-size': Flags.integer({
    description: 'Largest manifest or image config accepted, in bytes.',
    default: DEFAULT_MAX_MANIFEST_BYTES,
    min: 1024,
    helpGroup: 'REGISTRY',
  }),
}

export interface RegistryFlagValues {
  'insecure-registry'?: string[]
  timeout: number
  'max-manifest-size': number
}

/** RegistryOptions from the parsed registry flags; `debug` receives request lines for --debug. */
export function registryOptionsFromFlags(flags: RegistryFlagValues, debug?: (line: string) => void): RegistryOptions {
  return {
    insecureRegistries: flags['insecure-registry'] ?? [],
    timeoutMs: flags.timeout * 1000,
    maxManifestBytes: flags['max-manifest-size'],
    ...(debug ? {debug} : {}),
  }
}
