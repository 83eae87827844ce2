/** Node's process.platform → the OCI (GOOS) name. */
const NODE_OS: Record<string, string> = {win32: 'windows', sunos: 'solaris'}

/** The OCI os of a Node process.platform value (the running machine's by default). */
export function ociOs(nodePlatform: string = process.platform): string {
  return NODE_OS[nodePlatform] ?? nodePlatform
}
