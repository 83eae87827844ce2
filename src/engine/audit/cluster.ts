/**
 * The workload view of an audit: nodes grouped as the workloads at hand see them, and each
 * workload's container judged on the node groups the scheduler can place it on.
 */
import {shortDigest} from '../../oci/digest.js'
import {ArchcheckError} from '../../oci/errors.js'
import {platformMatches, toHostPlatform} from '../../oci/platform/match.js'
import {formatPlatformSpec} from '../../oci/platform/normalize.js'
import type {Platform} from '../../oci/platform/types.js'
import type {ImageSource} from '../../source/source.js'
import {diagnoseImage} from '../layers/diagnose.js'
import type {ReadLayersOptions} from '../layers/read-image.js'
import type {ClientName} from '../resolve/resolution.js'
import {fetchImageTree} from '../tree.js'
import type {ClusterNode} from './nodes.js'
import {cellPasses, type AuditCell, type AuditRow, type AuditVerdict} from './run.js'
import {nothingKeepsItOff, placeOn, taintText, type PodPlacement, type SchedulingNode} from './scheduling.js'
import type {ImageOrigin} from './workloads.js'
import {plural} from '../../oci/words.js'

/** Nodes no workload at hand can tell apart: one column of the workload view. */
export interface NodeGroup {
  /** `linux/arm64 · containerd · 3 nodes`, unique within the run. */
  label: string
  /** The platform its nodes pull for, as the platform parser reads it back. */
  platform: string
  client: ClientName
  /** The container runtime the nodes report (`containerd://1.7.13`), null without nodes. */
  runtime: string | null
  /** Node names, sorted; empty for a host named with --host. */
  nodes: string[]
  /** Labels the workloads select on, as every node of the group carries them. */
  labels: Record<string, string>
  /** NoSchedule and NoExecute taints every node of the group carries. */
  taints: string[]
  cordoned: boolean
}

export type WorkloadVerdict = AuditVerdict | 'not-scheduled'

export interface WorkloadCell {
  group: string
  schedulable: boolean
  /** Why it is not scheduled there, why it fails there, or what to know (emulation); null when there is nothing to say. */
  reason: string | null
  verdict: WorkloadVerdict
  /** A Compose service pinned to another architecture of this group's OS: it runs only under emulation. */
  emulated?: true
}

export interface WorkloadEntry {
  namespace: string | null
  kind: string
  name: string
  container: string
  role: 'container' | 'init' | 'ephemeral'
  /** The reference as written, fully qualified. */
  image: string
  /** With --mirror: the reference actually read (on the mirror); null when read where it names. */
  pulledFrom: string | null
  origin: {file: string; line: number}
  /** Schedulable somewhere, and passing on every group it can be scheduled to. */
  passed: boolean
  /** Fits no node group. */
  unschedulable: boolean
  /** One line for a failing or unschedulable entry, null otherwise. */
  reason: string | null
  cells: WorkloadCell[]
  /** Compose: the service's `platform:`, else null. */
  platform: string | null
  /** A pod: the runtime's message when a container could not start (`exec format error`), else null. */
  startError: string | null
  /** A pod: the node it was bound to; null for templates. */
  node: string | null
  /** A pod: the digest its container runs (status.containerStatuses[].imageID), null when not reported. */
  imageID: string | null
  /** A pod: whether the tag still names what it runs; null when that cannot be told. */
  runningDigestCurrent: boolean | null
}

/** A group with the node the scheduling rules are evaluated on (every node of a group gives the same answers). */
interface Group extends NodeGroup {
  representative: SchedulingNode
}

export interface ClusterPlan {
  groups: Group[]
  /** The host platforms the run must simulate (group platforms, Compose `platform:` pins). */
  hostSpecs: string[]
  clients: ClientName[]
}

/** A workload file origin that is a container of a workload (not a line of a plain list). */
export function isWorkloadOrigin(origin: ImageOrigin): boolean {
  return origin.kind !== undefined || origin.role === 'service'
}

/** The placement rules minus `nodeName`, which is answered per group (see judge). */
function schedulingKey(placement: PodPlacement | undefined): string {
  if (!placement) return ''
  const {nodeName: _bound, ...rules} = placement
  return JSON.stringify(rules)
}

/** Keys a workload selects on: nodeSelector and required affinity expressions. */
function selectedKeys(placements: PodPlacement[]): Set<string> {
  const keys = new Set<string>()
  for (const placement of placements) {
    for (const key of Object.keys(placement.nodeSelector ?? {})) keys.add(key)
    for (const term of placement.requiredTerms ?? []) for (const requirement of term.matchExpressions ?? []) keys.add(requirement.key)
  }
  return keys
}

function runtimeName(runtime: string | null, client: ClientName): string {
  const name = /^([\w.-]+):\/\//.exec(runtime ?? '')?.[1]
  return name ?? client
}

/** A synthetic node for a host named with --host: the labels the kubelet would set, nothing else. */
function hostNode(spec: string, platform: Platform): SchedulingNode {
  return {
    name: spec,
    os: platform.os,
    labels: {'kubernetes.io/os': platform.os, 'kubernetes.io/arch': platform.architecture},
    taints: [],
    unschedulable: false,
  }
}

/**
 * Groups the nodes: two nodes share a group when they pull the same platform with the same client
 * and every workload at hand gets the same answer from the scheduling rules on both (so a label
 * one of them selects on, a taint, a cordon or a `matchFields` name splits them). A host named
 * with --host is a group per client, a node with the kubelet's OS and architecture labels only.
 * `clients` set (--client) replaces the runtimes' clients.
 */
export function planCluster(options: {
  nodes: ClusterNode[] | null
  hosts: Array<{spec: string; platform: Platform}>
  clients: readonly ClientName[] | undefined
  origins: ImageOrigin[]
}): ClusterPlan {
  const placements = new Map<string, PodPlacement>()
  for (const origin of options.origins) if (origin.placement) placements.set(schedulingKey(origin.placement), origin.placement)
  const rules = [...placements.values()].map(({nodeName: _bound, ...rest}) => rest)
  const keys = selectedKeys(rules)
  const groups: Group[] = []
  const byKey = new Map<string, {nodes: ClusterNode[]; client: ClientName}>()
  for (const node of options.nodes ?? []) {
    for (const client of options.clients ?? [node.client]) {
      const answers = rules.map((rule) => placeOn(rule, node))
      const key = JSON.stringify([node.spec, client, options.clients ? '' : node.runtime?.replace(/:\/\/.*/, ''), answers])
      const entry = byKey.get(key)
      if (entry) entry.nodes.push(node)
      else byKey.set(key, {nodes: [node], client})
    }
  }
  for (const {nodes, client} of byKey.values()) {
    const first = nodes[0]
    const common = (list: string[][]) => list.reduce((a, b) => a.filter((item) => b.includes(item)))
    const taints = common(nodes.map((node) => node.taints.filter((t) => t.effect !== 'PreferNoSchedule').map(taintText)))
    const labels = Object.fromEntries(
      [...keys]
        .filter((key) => first.labels[key] !== undefined && nodes.every((node) => node.labels[key] === first.labels[key]))
        .map((key) => [key, first.labels[key]]),
    )
    groups.push({
      // The runtime names the client it behaves like; a client named with --client is shown as such.
      label: `${first.spec} · ${options.clients ? client : runtimeName(first.runtime, client)} · ${plural(nodes.length, 'node')}`,
      platform: first.spec,
      client,
      runtime: first.runtime,
      nodes: nodes.map((node) => node.name).sort(),
      labels,
      taints,
      cordoned: nodes.every((node) => node.unschedulable),
      representative: first,
    })
  }
  const hostClients = options.clients ?? ['docker']
  for (const client of hostClients) {
    for (const host of options.hosts) {
      groups.push({
        label: hostClients.length > 1 ? `${host.spec} · ${client}` : host.spec,
        platform: host.spec,
        client,
        runtime: null,
        nodes: [],
        labels: {},
        taints: [],
        cordoned: false,
        representative: hostNode(host.spec, host.platform),
      })
    }
  }
  distinguish(groups)
  const hostSpecs = [...new Set(groups.map((group) => group.platform))]
  for (const origin of options.origins) if (origin.platform) hostSpecs.push(formatPlatformSpec(toHostPlatform(origin.platform)))
  return {groups, hostSpecs: [...new Set(hostSpecs)], clients: [...new Set(groups.map((group) => group.client))]}
}

/**
 * Groups with the same label get what sets each apart from the others of that label appended
 * (taints, cordon, selected labels), then, if that is not enough, their node names.
 */
function distinguish(groups: Group[]): void {
  const byLabel = new Map<string, Group[]>()
  for (const group of groups) byLabel.set(group.label, [...(byLabel.get(group.label) ?? []), group])
  for (const same of byLabel.values()) {
    if (same.length < 2) continue
    const traits = same.map((group) => [
      // The control plane's cordon taint says what `cordoned` says.
      ...group.taints
        .filter((taint) => !(group.cordoned && taint.startsWith('node.kubernetes.io/unschedulable')))
        .map((taint) => `tainted ${taint}`),
      ...(group.cordoned ? ['cordoned'] : []),
      ...Object.entries(group.labels).map(([key, value]) => `${key}=${value}`),
    ])
    same.forEach((group, i) => {
      const apart = traits[i].filter((trait) => !traits.every((other) => other.includes(trait)))
      if (apart.length) group.label = `${group.label} · ${apart.join(', ')}`
    })
  }
  const count = (label: string) => groups.filter((group) => group.label === label).length
  for (const group of groups) if (count(group.label) > 1) group.label = `${group.label} · ${group.nodes.join(', ')}`
}

/** `docker-pullable://nginx@sha256:…`, `sha256:…` → the digest. */
function digestOf(imageID: string | null): string | null {
  const match = imageID ? /(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})/.exec(imageID) : null
  return match ? match[1] : null
}

const ROLE = {container: 'container', initContainer: 'init', ephemeralContainer: 'ephemeral', service: 'container'} as const

interface Judged {
  cell: WorkloadCell
  passes: boolean
}

/**
 * Judges every workload container of the run's rows on every node group: not scheduled where the
 * rules keep it off, else the verdict of the pull the group's client makes for its platform (or
 * for the Compose service's pinned platform), with a reason where it fails.
 */
export function judgeWorkloads(rows: AuditRow[], plan: ClusterPlan, allowFallback: boolean): WorkloadEntry[] {
  const entries: WorkloadEntry[] = []
  for (const row of rows) {
    for (const origin of row.origins) {
      if (!isWorkloadOrigin(origin)) continue
      const judged = plan.groups.map((group) => judgeCell(row, origin, group, allowFallback))
      const schedulable = judged.filter((j) => j.cell.schedulable)
      const unschedulable = schedulable.length === 0
      const failing = schedulable.filter((j) => !j.passes)
      const running = origin.running
      const imageDigest = digestOf(running?.imageID ?? null)
      const current =
        imageDigest === null || row.status !== 'audited'
          ? null
          : imageDigest === row.digest || row.cells.some((cell) => cell.chosen === imageDigest)
      const reasons: string[] = []
      if (unschedulable) {
        // One rule often keeps it off every group, each node showing its own value: said once.
        const bound = origin.placement?.nodeName
        const why = [...new Set(judged.map((j) => (j.cell.reason ?? '').replace(/ \(the node has [^)]*\)$/, '')))].filter(Boolean)
        reasons.push(
          bound !== undefined && !plan.groups.some((group) => group.nodes.includes(bound))
            ? `unschedulable here: it runs on node ${bound}, which is not among the nodes read`
            : origin.kind === 'DaemonSet'
              ? `runs on no node: no node group fits (${why.join('; ')}), so the DaemonSet places no pod`
              : `unschedulable: no node group fits (${why.join('; ')})`,
        )
      }
      // Groups that fail (or emulate) for the same reason are named together, the reason said once.
      const groupsByReason = new Map<string, string[]>()
      for (const {cell} of [...failing, ...schedulable.filter((j) => j.cell.emulated)]) {
        const reason = cell.reason ?? ''
        groupsByReason.set(reason, [...(groupsByReason.get(reason) ?? []), cell.group])
      }
      for (const [reason, groups] of groupsByReason) reasons.push(`${groups.join(', ')}: ${reason}`)
      if (current === false && imageDigest && row.digest) {
        reasons.push(`runs ${shortDigest(imageDigest)}…, the tag now points to ${shortDigest(row.digest)}…`)
      }
      entries.push({
        namespace: origin.namespace ?? null,
        kind: origin.kind ?? 'Compose',
        name: origin.name ?? (origin.role === 'service' ? (origin.container ?? '?') : '?'),
        container: origin.container ?? '?',
        role: ROLE[origin.role ?? 'container'],
        image: row.reference,
        pulledFrom: null,
        origin: {file: origin.file, line: origin.line},
        // A DaemonSet runs one pod per fitting node: with none it places no pod, and nothing is left
        // Pending, as a Deployment's pods would be.
        passed: (!unschedulable || origin.kind === 'DaemonSet') && failing.length === 0,
        unschedulable,
        reason: reasons.length ? reasons.join('; ') : null,
        cells: judged.map((j) => j.cell),
        platform: origin.platform ?? null,
        startError: running?.failure ?? null,
        node: origin.placement?.nodeName ?? null,
        imageID: running?.imageID ?? null,
        runningDigestCurrent: running ? current : null,
      })
    }
  }
  // In the order of the files (rows are grouped by repository).
  return entries.sort((a, b) => (a.origin.file < b.origin.file ? -1 : a.origin.file > b.origin.file ? 1 : a.origin.line - b.origin.line))
}

function judgeCell(row: AuditRow, origin: ImageOrigin, group: Group, allowFallback: boolean): Judged {
  const placement = origin.placement
  const notScheduled = (reason: string): Judged => ({
    cell: {group: group.label, schedulable: false, reason, verdict: 'not-scheduled'},
    passes: true,
  })
  // A bound pod runs on its node only; that node's group answers for it. A --host group has no
  // node names: there the pod is judged as its template would be.
  if (placement?.nodeName !== undefined && group.nodes.length > 0 && !group.nodes.includes(placement.nodeName)) {
    return notScheduled(`runs on node ${placement.nodeName}`)
  }
  if (placement) {
    // Bound to one of this group's nodes, the pod skips the scheduler (no cordon, no NoSchedule
    // taint stops it); the group's nodes agree on everything else, so its representative, named as
    // that node, answers. On a --host group it is judged as its template would be.
    const {nodeName, ...template} = placement
    const fit =
      nodeName !== undefined && group.nodes.length > 0
        ? placeOn(placement, {...group.representative, name: nodeName})
        : placeOn(template, group.representative)
    if (!fit.fits) return notScheduled(fit.reason)
  }
  let emulated = false
  const cell = (verdict: WorkloadVerdict, reason: string | null, passes: boolean): Judged => ({
    cell: {group: group.label, schedulable: true, reason, verdict, ...(emulated && passes ? {emulated: true as const} : {})},
    passes,
  })
  if (row.status !== 'audited') return cell('error', row.error ?? 'the image could not be read', false)
  const pinned = origin.platform ? formatPlatformSpec(toHostPlatform(origin.platform)) : undefined
  const pulled = row.cells.find((c) => c.host === (pinned ?? group.platform) && c.client === group.client)
  if (!pulled) return cell('error', 'not simulated', false)
  let passes = cellPasses(pulled.verdict, allowFallback)
  const notes: string[] = []
  if (pinned) {
    const host = toHostPlatform(group.platform)
    const wanted = toHostPlatform(pinned)
    if (host.os !== wanted.os) {
      // binfmt emulation translates instructions, not an operating system.
      passes = false
      notes.push(`platform: ${pinned} pins the pull; a ${group.platform} host cannot run a ${wanted.os} image, and no emulation makes it`)
    } else if (!passes || platformMatches(host, wanted)) {
      // Native here; or the pull fails anyway, and its reason is what matters.
      notes.push(`platform: ${pinned} pins the pull`)
    } else if (host.architecture === wanted.architecture) {
      notes.push(`platform: ${pinned} pins the pull; a ${group.platform} host runs it only if its CPU has what ${pinned} needs`)
    } else {
      emulated = true
      notes.push(`platform: ${pinned} pins the pull; a ${group.platform} host runs it only under emulation (QEMU binfmt_misc)`)
    }
  }
  const failure = origin.running?.failure
  if (failure) {
    return cell(pulled.verdict, execFormatReason(pulled, group, placement?.nodeName, failure, passes), false)
  }
  if (!passes) {
    notes.push(pulled.message.replace(/\.$/, ''))
    if (placement)
      notes.push(
        `nothing keeps it off the ${plural(group.nodes.length || 1, `${group.platform} node`)}: ${nothingKeepsItOff(placement, group.representative, mismatchOf(row, pulled, group))}`,
      )
  }
  return cell(pulled.verdict, notes.length ? notes.join('; ') : null, passes)
}

/** Whether the image lacks the node's OS altogether (then the OS label is the fix) or only its architecture. */
function mismatchOf(row: AuditRow, pulled: AuditCell, group: Group): 'os' | 'arch' {
  const os = toHostPlatform(group.platform).os
  const platforms = row.cells.map((cell) => cell.platform).filter((p): p is string => p !== null)
  if (pulled.platform) platforms.push(pulled.platform)
  return platforms.some((p) => p.startsWith(`${os}/`) || p.startsWith(`${os}(`)) ? 'arch' : 'os'
}

function execFormatReason(pulled: AuditCell, group: Group, node: string | undefined, failure: string, passes: boolean): string {
  const where = node ? `node ${node} (${group.platform})` : `a ${group.platform} node`
  const picked = pulled.chosen
    ? `the ${group.client} client picks ${shortDigest(pulled.chosen)}… (${pulled.platform ?? 'platform unknown'})`
    : `the ${group.client} client picks no image`
  const why = passes
    ? 'its index entry claims this platform, but the binary is built for another (--deep with --require reads the layers)'
    : pulled.message
  return `exec format error on ${where}: ${picked}; ${why} (runtime said: ${failure})`
}

/**
 * With --deep: for each container that failed with `exec format error`, reads the layers of the
 * image its node's client picks and follows the entrypoint (diagnose's finding), down to the file.
 * The finding is added to the reason of the node's cell and of the entry.
 */
export async function explainStartErrors(
  entries: WorkloadEntry[],
  plan: ClusterPlan,
  open: (spec: string) => Promise<ImageSource>,
  read: ReadLayersOptions,
): Promise<void> {
  for (const entry of entries) {
    if (entry.startError === null) continue
    for (const cell of entry.cells) {
      const group = plan.groups.find((g) => g.label === cell.group)
      if (!cell.schedulable || !group) continue
      let source: ImageSource | undefined
      let finding: string
      try {
        source = await open(entry.pulledFrom ?? entry.image)
        const tree = await fetchImageTree(source)
        const report = await diagnoseImage(source, tree, {hosts: [toHostPlatform(group.platform)], client: group.client, read})
        finding = report.hosts[0].message
      } catch (error) {
        if (!(error instanceof ArchcheckError)) throw error
        finding = `its layers could not be read: ${error.message}`
      } finally {
        await source?.close()
      }
      cell.reason = `${cell.reason ?? ''}; ${finding}`
      entry.reason = `${entry.reason ?? ''}; ${finding}`
    }
  }
}
