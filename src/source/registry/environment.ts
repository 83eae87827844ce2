import {join} from 'node:path'

import {dockerKeychain} from './credentials.js'
import type {RegistryOptions} from './options.js'

/** An environment as given by the caller (the CLI passes process.env); never read from the process here. */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * The registry options a command-line tool takes from its environment, as Docker and curl do:
 * HTTP(S)_PROXY and NO_PROXY (either case), Docker's keychain in $DOCKER_CONFIG or ~/.docker,
 * $ARCHCHECK_INSECURE_REGISTRIES (comma-separated hosts) and $ARCHCHECK_RETRY_BASE_MS.
 */
export function registryOptionsFromEnvironment(env: Environment, homeDir: string): RegistryOptions {
  const httpProxy = env.http_proxy || env.HTTP_PROXY || undefined
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY || undefined
  const noProxy = env.no_proxy || env.NO_PROXY || undefined
  const retryBase = env.ARCHCHECK_RETRY_BASE_MS
  return {
    insecureRegistries: (env.ARCHCHECK_INSECURE_REGISTRIES ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean),
    ...(httpProxy || httpsProxy ? {proxy: {httpProxy, httpsProxy, noProxy}} : {}),
    keychain: dockerKeychain({configDir: env.DOCKER_CONFIG ?? join(homeDir, '.docker'), homeDir}),
    ...(retryBase && /^\d+$/.test(retryBase) ? {retryBaseDelayMs: Number(retryBase)} : {}),
  }
}
