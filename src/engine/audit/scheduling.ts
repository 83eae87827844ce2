/**
 * Which nodes a pod can be placed on, by the rules of the Kubernetes scheduler's NodeName,
 * NodeUnschedulable, NodeAffinity (nodeSelector and required node affinity) and TaintToleration
 * filters, the kubelet's check of `spec.os.name`, and the tolerations the DaemonSet controller adds.
 * Pod affinity, topology spread, resources, ports, volumes and runtime classes are not modelled.
 */

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'

export interface Taint {
  key: string
  value?: string
  effect: string
}

export interface Toleration {
  key?: string
  /** `Equal` (the default when absent) or `Exists`. */
  operator?: string
  value?: string
  /** Empty: every effect. */
  effect?: string
}

export interface SelectorRequirement {
  key: string
  operator: string
  values?: string[]
}

export interface NodeSelectorTerm {
  matchExpressions?: SelectorRequirement[]
  matchFields?: SelectorRequirement[]
}

/** What of a pod spec decides where it may run. */
export interface PodPlacement {
  /** `spec.nodeName`: the scheduler is bypassed, the kubelet of that node runs it. */
  nodeName?: string
  nodeSelector?: Record<string, string>
  /** `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`. */
  requiredTerms?: NodeSelectorTerm[]
  tolerations?: Toleration[]
  /** `spec.os.name`. */
  os?: string
  /** The pod template of a DaemonSet: its pods get the controller's tolerations. */
  daemonSet?: boolean
  hostNetwork?: boolean
}

/** A node as the scheduler's filters see it. */
export interface SchedulingNode {
  name: string
  os: string
  labels: Record<string, string>
  taints: Taint[]
  /** `spec.unschedulable` (cordoned). */
  unschedulable: boolean
}

export type Placement = {fits: true} | {fits: false; reason: string}

const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable'
const OS_LABEL = 'kubernetes.io/os'

/**
 * What the DaemonSet controller adds to every daemon pod (pkg/controller/daemon/util): daemons
 * run on nodes that are not ready, unreachable, under pressure or cordoned, and host-network
 * daemons (the network plugin itself) on nodes whose network is not up yet.
 */
export function daemonSetTolerations(hostNetwork: boolean): Toleration[] {
  const exists = (key: string, effect: TaintEffect): Toleration => ({key, operator: 'Exists', effect})
  return [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists(UNSCHEDULABLE_TAINT, 'NoSchedule'),
    ...(hostNetwork ? [exists('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ]
}

/** The pod's tolerations, with the DaemonSet controller's for a daemon pod. */
export function tolerationsOf(pod: PodPlacement): Toleration[] {
  return [...(pod.tolerations ?? []), ...(pod.daemonSet ? daemonSetTolerations(pod.hostNetwork ?? false) : [])]
}

/**
 * Whether a toleration matches a taint (k8s.io/api core/v1 Toleration.ToleratesTaint): effects equal
 * or the toleration's empty; keys equal, or the toleration's key empty with Exists (which then
 * tolerates everything); Exists ignores the value, Equal (or no operator) compares it.
 */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false
  const operator = toleration.operator || 'Equal'
  if ((toleration.key ?? '') !== taint.key && !(operator === 'Exists' && !toleration.key)) return false
  if (operator === 'Exists') return true
  if (operator === 'Equal') return (toleration.value ?? '') === (taint.value ?? '')
  return false
}

export function taintText(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`
}

/** Go's strconv.ParseInt(s, 10, 64) on what labels hold: an optional sign and decimal digits. */
function integer(value: string | undefined): bigint | undefined {
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return undefined
  const n = BigInt(value)
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined
}

/**
 * One requirement on a label (or field) value, as component-helpers' nodeaffinity reads it: In and
 * NotIn on the value set (NotIn and DoesNotExist hold for a node without the key), Gt and Lt
 * compare integers and fail when either side is not one; an unknown operator matches nothing.
 */
export function requirementMatches(requirement: SelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? []
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value)
    case 'NotIn':
      return value === undefined || !values.includes(value)
    case 'Exists':
      return value !== undefined
    case 'DoesNotExist':
      return value === undefined
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1) return false
      const actual = integer(value)
      const bound = integer(values[0])
      if (actual === undefined || bound === undefined) return false
      return requirement.operator === 'Gt' ? actual > bound : actual < bound
    }
    default:
      return false
  }
}

/**
 * A term matches when all its expressions and fields do; a term with neither matches no node.
 * `matchFields` knows only `metadata.name` with In and NotIn.
 */
export function termMatches(term: NodeSelectorTerm, node: SchedulingNode): boolean {
  const expressions = term.matchExpressions ?? []
  const fields = term.matchFields ?? []
  if (expressions.length === 0 && fields.length === 0) return false
  for (const requirement of expressions) if (!requirementMatches(requirement, node.labels[requirement.key])) return false
  for (const requirement of fields) {
    if (requirement.key !== 'metadata.name' || (requirement.operator !== 'In' && requirement.operator !== 'NotIn')) return false
    if (!requirementMatches(requirement, node.name)) return false
  }
  return true
}

function requirementText(requirement: SelectorRequirement): string {
  const values = requirement.values?.length ? ` ${requirement.values.join(',')}` : ''
  return `${requirement.key} ${requirement.operator}${values}`
}

function termText(term: NodeSelectorTerm): string {
  return [...(term.matchExpressions ?? []), ...(term.matchFields ?? [])].map(requirementText).join(' and ') || 'an empty term'
}

/**
 * Whether the pod can be placed on the node, and if not the first rule that keeps it off, in the
 * order the scheduler's filters run. With `nodeName` the scheduler is bypassed: only the kubelet's
 * admission (node name, selector and affinity, OS) and NoExecute taints apply; a cordon or a
 * NoSchedule taint does not stop a pod bound by name.
 */
export function placeOn(pod: PodPlacement, node: SchedulingNode): Placement {
  const bound = pod.nodeName !== undefined
  if (bound && pod.nodeName !== node.name) return {fits: false, reason: `spec.nodeName pins it to node ${pod.nodeName}`}
  if (!bound && node.unschedulable) {
    const cordon = {key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule'}
    if (!tolerationsOf(pod).some((toleration) => tolerates(toleration, cordon))) return {fits: false, reason: 'the node is cordoned'}
  }
  for (const [key, value] of Object.entries(pod.nodeSelector ?? {})) {
    const actual = node.labels[key]
    if (actual !== value) {
      return {
        fits: false,
        reason: `nodeSelector ${key}=${value} (the node has ${actual === undefined ? 'no such label' : `${key}=${actual}`})`,
      }
    }
  }
  if (pod.requiredTerms !== undefined && !pod.requiredTerms.some((term) => termMatches(term, node))) {
    const terms = pod.requiredTerms.map(termText).join(' or ') || 'no term'
    return {fits: false, reason: `required node affinity ${terms} does not match`}
  }
  const tolerations = tolerationsOf(pod)
  for (const taint of node.taints) {
    if (taint.effect === 'PreferNoSchedule' || (bound && taint.effect !== 'NoExecute')) continue
    if (!tolerations.some((toleration) => tolerates(toleration, taint))) {
      return {fits: false, reason: `taint ${taintText(taint)} is not tolerated`}
    }
  }
  if (pod.os !== undefined && pod.os !== node.os) {
    return {fits: false, reason: `spec.os.name ${pod.os} (the kubelet of a ${node.os} node refuses it)`}
  }
  return {fits: true}
}

/**
 * For a pod that fits a node it cannot run on: why nothing keeps it off (no selector on the OS or
 * architecture label, no taint it does not tolerate), in the words of the fix.
 */
export function nothingKeepsItOff(pod: PodPlacement, node: SchedulingNode, mismatch: 'os' | 'arch'): string {
  const label = mismatch === 'os' ? OS_LABEL : 'kubernetes.io/arch'
  const selects =
    pod.nodeSelector?.[label] !== undefined || (pod.requiredTerms ?? []).some((term) => term.matchExpressions?.some((r) => r.key === label))
  const tolerated = node.taints.filter((taint) => taint.effect !== 'PreferNoSchedule')
  const parts = [
    selects ? `its ${label} selection lets it in` : `no nodeSelector ${label}`,
    tolerated.length ? `it tolerates ${tolerated.map(taintText).join(', ')}` : 'no taint',
  ]
  return parts.join(', ')
}
