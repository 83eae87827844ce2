/** Parsers for what the docker CLI and buildx print; pure, tested against their documented output. */
import semver from 'semver'

/** `github.com/docker/buildx v0.17.1 257815a…` (also `0.11.0`, `v0.17.1-desktop.1`) → `0.17.1`. */
export function parseBuildxVersion(output: string): string | undefined {
  const match = /github\.com\/docker\/buildx\s+v?(\S+)/.exec(output) ?? /^\s*v?(\d+\.\d+\S*)/m.exec(output)
  return match ? semver.coerce(match[1])?.version : undefined
}

/** `Docker version 27.3.1, build ce12230` (also `20.10.24+dfsg1`) → `27.3.1`. */
export function parseDockerVersion(output: string): string | undefined {
  const match = /version\s+v?([^\s,]+)/i.exec(output)
  return match ? semver.coerce(match[1])?.version : undefined
}

export interface BuilderNode {
  name: string
  endpoint?: string
  status?: string
  buildkitVersion?: string
  /** Platforms without buildx's `*` marker (which only says the platform was set by hand). */
  platforms: string[]
}

export interface BuilderInfo {
  name: string
  driver: string
  /** `running` when any node runs, else the first node's status (`inactive`, `stopped`, `error`). */
  status: string
  /** Every node's platforms, each once, in buildx's order. */
  platforms: string[]
  nodes: BuilderNode[]
}

/** Parses `docker buildx inspect` (buildx 0.10 to 0.17 layouts). */
export function parseBuilderInspect(output: string): BuilderInfo {
  const info: BuilderInfo = {name: '', driver: '', status: 'unknown', platforms: [], nodes: []}
  let node: BuilderNode | undefined
  for (const line of output.split('\n')) {
    const match = /^([A-Za-z][A-Za-z ]*?):\s*(.*)$/.exec(line)
    if (!match) continue
    const [, key, value] = match
    if (key === 'Nodes') {
      node = undefined
      continue
    }
    if (key === 'Name') {
      if (!info.name) {
        info.name = value.trim()
      } else {
        node = {name: value.trim(), platforms: []}
        info.nodes.push(node)
      }
      continue
    }
    if (!node) {
      if (key === 'Driver') info.driver = value.trim()
      continue
    }
    if (key === 'Endpoint') node.endpoint = value.trim()
    else if (key === 'Status') node.status = value.trim()
    else if (key === 'Buildkit' || key === 'BuildKit version') node.buildkitVersion = value.trim()
    else if (key === 'Platforms')
      node.platforms = value
        .split(',')
        .map((platform) => platform.trim().replace(/\*$/, ''))
        .filter(Boolean)
  }
  info.platforms = [...new Set(info.nodes.flatMap((each) => each.platforms))]
  info.status = info.nodes.some((each) => each.status === 'running') ? 'running' : (info.nodes[0]?.status ?? 'unknown')
  return info
}
