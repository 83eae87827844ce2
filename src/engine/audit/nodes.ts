import {isMap, isScalar, isSeq} from 'yaml'
import type {Node, YAMLMap} from 'yaml'

import {UsageError} from '../../oci/errors.js'
import {toHostPlatform} from '../../oci/platform/match.js'
import {checkKnownPlatform} from '../../oci/platform/parse.js'
import type {ClientName} from '../resolve/resolution.js'
import {parseYaml} from './input.js'
import {looksLikeJson, readJson} from './json-input.js'
import type {SchedulingNode, Taint} from './scheduling.js'

/** One distinct platform among a cluster's nodes: a host column of the audit. */
export interface NodeHost {
  os: string
  architecture: string
  variant?: string
  /**
   * Windows only: `major.minor.build` (e.g. `10.0.20348`). Nodes are grouped by build, not by the
   * update revision after it, because image selection compares builds (containerd, hcsshim).
   */
  osVersion?: string
  /** Names of the nodes with this platform, sorted. */
  nodes: string[]
  /** A specifier the platform parser accepts: `linux/arm64`, `windows(10.0.20348)/amd64`. */
  spec: string
  /** For a column heading: `linux/arm64 (3 nodes)`. */
  label: string
}

/** Labels a node may carry, and what they say. */
const WINDOWS_BUILD_LABEL = 'node.kubernetes.io/windows-build'
const OS_LABELS = ['kubernetes.io/os', 'beta.kubernetes.io/os']
const ARCH_LABELS = ['kubernetes.io/arch', 'beta.kubernetes.io/arch']
/**
 * Kubernetes has no standard label for the ARM variant and the kubelet does not report it, so it
 * is read only from labels a cluster may set itself; without one the matcher's default (arm → v7,
 * arm64 → v8) applies, which is also what containerd assumes on most hosts.
 */
export const DEFAULT_VARIANT_LABELS = ['archcheck.io/arch-variant', 'kubernetes.io/arch-variant']

/**
 * The build of a Windows Server release named in `osImage` when nothing better is reported
 * (older kubelets printed `Microsoft Windows [Version 10.0.14393]`, newer ones the product name).
 */
const WINDOWS_SERVER_BUILDS: Array<[RegExp, string]> = [
  [/\b2016\b/, '10.0.14393'],
  [/\b2019\b/, '10.0.17763'],
  [/\b2022\b/, '10.0.20348'],
  [/\b2025\b/, '10.0.26100'],
]

/**
 * Reads `kubectl get nodes -o json` (or `-o yaml`, or a single Node) and returns the distinct node
 * platforms, each with the nodes that have it, sorted by spec. Platform comes from
 * `status.nodeInfo.operatingSystem`/`architecture` (what the kubelet reports), falling back to the
 * `kubernetes.io/os`/`arch` labels. A Windows node's build comes from `kernelVersion`
 * (`10.0.20348.2113`), else the `node.kubernetes.io/windows-build` label, else `osImage`.
 * Throws a UsageError naming FILE:LINE for anything that is not a Node, or a node whose platform
 * cannot be told, and for an input without nodes.
 */
export function readNodeHosts(text: string, file: string, options: {variantLabels?: string[]} = {}): NodeHost[] {
  return hostsOf(readClusterNodes(text, file, options))
}

/** The distinct platforms of nodes, each with the nodes that have it, sorted by spec. */
export function hostsOf(nodes: readonly ClusterNode[]): NodeHost[] {
  const groups = new Map<string, Omit<NodeHost, 'label'>>()
  for (const node of nodes) {
    const group = groups.get(node.spec)
    if (group) group.nodes.push(node.name)
    else groups.set(node.spec, {...node.platform, nodes: [node.name], spec: node.spec})
  }
  return [...groups.values()]
    .map((host) => {
      const names = [...host.nodes].sort()
      return {...host, nodes: names, label: `${host.spec} (${names.length} node${names.length === 1 ? '' : 's'})`}
    })
    .sort((a, b) => (a.spec < b.spec ? -1 : a.spec > b.spec ? 1 : 0))
}

/** A node with what decides which pods it takes and which image its runtime pulls. */
export interface ClusterNode extends SchedulingNode {
  platform: NodePlatform
  /** The platform as the platform parser reads it back (see specOf). */
  spec: string
  /** `status.nodeInfo.containerRuntimeVersion` as reported (`containerd://1.7.13`), or null. */
  runtime: string | null
  /** The pull client that runtime behaves like. */
  client: ClientName
}

/**
 * Reads `kubectl get nodes -o json` (or `-o yaml`, or a single Node): every node with its platform,
 * labels, taints, cordon and container runtime. Throws a UsageError naming FILE:LINE for anything
 * that is not a Node, a node whose platform cannot be told or is not one `--host` accepts, and for
 * an input without nodes.
 */
export function readClusterNodes(text: string, file: string, options: {variantLabels?: string[]} = {}): ClusterNode[] {
  const variantLabels = options.variantLabels ?? DEFAULT_VARIANT_LABELS
  const nodes: ClusterNode[] = []
  const objects = looksLikeJson(text) ? jsonNodeObjects(text, file) : yamlNodeObjects(text, file)
  for (const {value, line} of objects) nodes.push(readNode(value, `${file}:${line}`, variantLabels))
  if (nodes.length === 0) throw new UsageError(`${file}: no nodes found (expected the output of kubectl get nodes -o json)`)
  return nodes
}

interface NodeObject {
  value: unknown
  line: number
}

function isNodeList(kind: unknown): boolean {
  return kind === 'List' || kind === 'NodeList'
}

function* yamlNodeObjects(text: string, file: string): Generator<NodeObject> {
  const {docs, lineOf} = parseYaml(text, file)
  for (const doc of docs) {
    const root = doc.contents
    if (root === null || (isScalar(root) && root.value === null)) continue
    if (!isMap(root)) throw new UsageError(`${file}:${lineOf(root.range?.[0])}: expected kubectl get nodes -o json output`)
    const kind = (root.toJS(doc, {maxAliasCount: -1}) as {kind?: unknown} | null)?.kind
    const items = root.get('items', true) as Node | undefined
    if (isNodeList(kind)) {
      if (items === undefined || (isScalar(items) && items.value === null)) continue
      if (!isSeq(items)) throw new UsageError(`${file}:${lineOf(items.range?.[0])}: items must be a list`)
      for (const item of items.items) yield {value: (item as Node).toJS(doc, {maxAliasCount: -1}), line: lineOf((item as Node).range?.[0])}
    } else {
      yield {value: root.toJS(doc, {maxAliasCount: -1}), line: lineOf((root as YAMLMap).range?.[0])}
    }
  }
}

/** JSON is read item by item: a node's `status.images`, often most of its text, is parsed and dropped with it. */
function* jsonNodeObjects(text: string, file: string): Generator<NodeObject> {
  const json = readJson(text, file)
  if (json.isArray) throw new UsageError(`${file}:${json.line}: expected kubectl get nodes -o json output`)
  if (!isNodeList(json.field('kind'))) {
    yield json.whole()
    return
  }
  if (json.itemsShape.kind === 'other') throw new UsageError(`${file}:${json.itemsShape.line}: items must be a list`)
  yield* json.items()
}

/**
 * The pull client a node's runtime behaves like: containerd and cri-o by their own models (cri-o
 * pulls through containers/image, as podman does); dockershim and cri-dockerd pull through
 * dockerd, whose matching before 23.0 was exact. An unknown runtime is taken for containerd, the
 * default of every current distribution.
 */
export function runtimeClient(runtime: string | null): ClientName {
  const match = /^([\w.-]+):\/\/v?(\d+)?/.exec(runtime ?? '')
  const name = match?.[1]?.toLowerCase()
  if (name === 'cri-o') return 'podman'
  if (name === 'docker') return match?.[2] !== undefined && Number(match[2]) < 23 ? 'docker@20.10' : 'docker'
  return 'containerd'
}

export type NodePlatform = Pick<NodeHost, 'os' | 'architecture' | 'variant' | 'osVersion'>

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

function readNode(value: unknown, where: string, variantLabels: string[]): ClusterNode {
  const object = record(value)
  if (object.kind !== 'Node') {
    throw new UsageError(`${where}: expected a Node, found ${typeof object.kind === 'string' ? object.kind : 'an object without kind'}`)
  }
  const metadata = record(object.metadata)
  const name = text(metadata.name) ?? '?'
  const labels = record(metadata.labels)
  const label = (keys: string[]) => keys.map((key) => text(labels[key])).find((v) => v !== undefined)
  const info = record(record(object.status).nodeInfo)
  const os = (text(info.operatingSystem) ?? label(OS_LABELS))?.toLowerCase()
  const architecture = (text(info.architecture) ?? label(ARCH_LABELS))?.toLowerCase()
  if (!os || !architecture) {
    const looked = 'status.nodeInfo, kubernetes.io/os|arch labels'
    throw new UsageError(`${where}: node ${name} reports no operating system or architecture (${looked})`)
  }
  const variant = label(variantLabels)?.toLowerCase()
  const osVersion = os === 'windows' ? windowsBuild(info, labels) : undefined
  const platform: NodePlatform = {os, architecture, ...(variant ? {variant} : {}), ...(osVersion ? {osVersion} : {})}
  const spec = specOf(platform)
  try {
    checkKnownPlatform(spec, toHostPlatform(spec))
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${where}: node ${name}: ${error.message}`, {cause: error})
    throw error
  }
  const runtime = text(info.containerRuntimeVersion) ?? null
  const nodeSpec = record(object.spec)
  return {
    name,
    os,
    platform,
    spec,
    labels: Object.fromEntries(Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
    taints: readTaints(nodeSpec.taints),
    unschedulable: nodeSpec.unschedulable === true,
    runtime,
    client: runtimeClient(runtime),
  }
}

function readTaints(value: unknown): Taint[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((item) => {
    const taint = record(item)
    const key = text(taint.key)
    const effect = text(taint.effect)
    if (key === undefined || effect === undefined) return []
    const taintValue = text(taint.value)
    return [{key, ...(taintValue === undefined ? {} : {value: taintValue}), effect}]
  })
}

/** `10.0.20348.2113` → `10.0.20348`; undefined for anything that is not a Windows version. */
function buildOf(version: string | undefined): string | undefined {
  const match = version ? /(?:^|\s|\[Version )(\d+\.\d+\.\d+)(?:\.\d+)?(?:\]|\s|$)/.exec(version) : null
  return match ? match[1] : undefined
}

function windowsBuild(info: Record<string, unknown>, labels: Record<string, unknown>): string | undefined {
  const osImage = text(info.osImage)
  const fromKernel = buildOf(text(info.kernelVersion))
  const fromLabel = buildOf(text(labels[WINDOWS_BUILD_LABEL]))
  const fromImage = buildOf(osImage) ?? (osImage ? WINDOWS_SERVER_BUILDS.find(([pattern]) => pattern.test(osImage))?.[1] : undefined)
  return fromKernel ?? fromLabel ?? fromImage
}

/** The platform as a specifier the platform parser reads back unchanged. */
export function specOf(platform: NodePlatform): string {
  const os = platform.osVersion ? `${platform.os}(${platform.osVersion})` : platform.os
  return [os, platform.architecture, platform.variant].filter(Boolean).join('/')
}
