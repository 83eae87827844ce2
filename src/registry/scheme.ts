/**
 * Which scheme a registry is spoken to with: HTTPS with verified TLS, except for loopback hosts
 * (as Docker does) and hosts the user named insecure, which get plain HTTP.
 */

export const INSECURE_REGISTRIES_ENV = 'ARCHCHECK_INSECURE_REGISTRIES'

/** Splits `host[:port]` (including `[::1]:5000`) into a lower-case host name and an optional port. */
function splitHost(registry: string): {hostname: string; port?: string} {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(registry.trim().toLowerCase())
  if (!match) return {hostname: registry.toLowerCase()}
  return {hostname: match[1], port: match[2]}
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/** Insecure hosts from the options plus $ARCHCHECK_INSECURE_REGISTRIES (comma-separated). */
export function insecureRegistriesFrom(optionHosts: string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env[INSECURE_REGISTRIES_ENV] ?? '').split(',').map((host) => host.trim()).filter(Boolean)
  return [...optionHosts, ...fromEnv]
}

/**
 * 'http' for loopback registries and for hosts in `insecure` (an entry without a port covers
 * every port of that host); 'https' otherwise.
 */
export function registryScheme(registry: string, insecure: string[]): 'http' | 'https' {
  const {hostname, port} = splitHost(registry)
  if (isLoopback(hostname)) return 'http'
  const named = insecure.some((entry) => {
    const candidate = splitHost(entry.replace(/^https?:\/\//, '').replace(/\/+$/, ''))
    return candidate.hostname === hostname && (candidate.port === undefined || candidate.port === port)
  })
  return named ? 'http' : 'https'
}
