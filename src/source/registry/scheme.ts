/**
 * How a registry is reached, as Docker does it: HTTPS with verified TLS by default; plain HTTP for
 * loopback hosts; for hosts the user named insecure, HTTPS without certificate verification and,
 * when that fails, plain HTTP.
 */

export type Connection = 'https' | 'http' | 'insecure'

/** Splits `host[:port]` (including `[::1]:5000`) into a lower-case host name and an optional port. */
function splitHost(registry: string): {hostname: string; port?: string} {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(registry.trim().toLowerCase())
  if (!match) return {hostname: registry.toLowerCase()}
  return {hostname: match[1], port: match[2]}
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/** Whether `hostname[:port]` is in `insecure`; an entry without a port covers every port of its host. */
function listed(hostname: string, port: string | undefined, insecure: string[]): boolean {
  return insecure.some((entry) => {
    const candidate = splitHost(entry.replace(/^https?:\/\//, '').replace(/\/+$/, ''))
    return candidate.hostname === hostname && (candidate.port === undefined || candidate.port === port)
  })
}

/** 'http' for loopback registries, 'insecure' for hosts in `insecure`, 'https' otherwise. */
export function registryConnection(registry: string, insecure: string[]): Connection {
  const {hostname, port} = splitHost(registry)
  if (isLoopback(hostname)) return 'http'
  return listed(hostname, port, insecure) ? 'insecure' : 'https'
}

/** Whether the host of `url` is named insecure (its certificate is then not verified). */
export function namedInsecure(url: URL, insecure: string[]): boolean {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return listed(url.hostname.toLowerCase(), port, insecure)
}

/** Whether credentials may travel to `url` unencrypted: loopback or named insecure. */
export function plainHttpAllowed(url: URL, insecure: string[]): boolean {
  return isLoopback(url.hostname.toLowerCase()) || namedInsecure(url, insecure)
}

/**
 * Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, AWS's fd00:ec2::254, GCP's
 * and Alibaba's names and address): a token request there from a machine in the cloud reads or
 * probes its instance metadata, so a token realm or a redirect pointing there is followed only
 * when the registry itself is at such an address.
 */
export function metadataAddress(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(host)) return true
  if (/^fe[89ab][0-9a-f]:/.test(host) || host === 'fd00:ec2::254') return true
  return host === 'metadata.google.internal' || host === 'metadata' || host === '100.100.100.200'
}
