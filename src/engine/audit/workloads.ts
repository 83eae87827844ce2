import {isAlias, isMap, isScalar, isSeq} from 'yaml'
import type {Document, Node, YAMLMap} from 'yaml'

import {UsageError} from '../../oci/errors.js'
import {toHostPlatform} from '../../oci/platform/match.js'
import {checkKnownPlatform} from '../../oci/platform/parse.js'
import {MAX_LIST_REFERENCES, parseYaml, textLines} from './input.js'
import type {NodeSelectorTerm, PodPlacement, SelectorRequirement, Toleration} from './scheduling.js'

export type WorkloadFileKind = 'list' | 'kubernetes' | 'compose'

/** One place an image reference was found. */
export interface ImageOrigin {
  /** Display name of the input (a path, or `<stdin>`). */
  file: string
  /** 1-based line of the reference itself (of the `image:` value in YAML). */
  line: number
  /** Human-readable source, e.g. `Deployment/web container app`, `service db`, `line 3`. */
  from: string
  /** Kubernetes only: the object's kind, name and namespace (when the object carries one). */
  kind?: string
  name?: string
  namespace?: string
  /** Kubernetes: `container`, `initContainer` or `ephemeralContainer`; Compose: `service`. */
  role?: 'container' | 'initContainer' | 'ephemeralContainer' | 'service'
  /** The container or Compose service name. */
  container?: string
  /** Kubernetes: what of the pod spec decides the nodes it may run on. */
  placement?: PodPlacement
  /** A running pod's container (from `kubectl get pods -o json`): what its status says. */
  running?: ContainerRunning
  /** Compose: the service's `platform:`, the platform pulled whatever the host. */
  platform?: string
}

/** A container's status in a pod that has run. */
export interface ContainerRunning {
  /** `imageID`: the digest the node pulled (`docker.io/library/nginx@sha256:…`). */
  imageID: string | null
  /** The runtime's message when it could not start the container, such as `exec format error`. */
  failure: string | null
}

/** A reference as written (not normalised) and every place it appears. */
export interface WorkloadImage {
  reference: string
  origins: ImageOrigin[]
}

export interface WorkloadFile {
  kind: WorkloadFileKind
  images: WorkloadImage[]
}

/**
 * Reads the image references a `--from` input names. The kind is told from the content, not the
 * file name (stdin has none): a text whose every meaningful line is one whitespace-free word is a
 * list; anything with YAML structure (`key:`, `- `, `---`, `{`) is Kubernetes or Compose, the
 * first document deciding which. References are returned as written and in order of first
 * appearance, deduplicated by exact text with all their origins kept; the caller validates them
 * with the reference parser (an origin gives FILE:LINE for its message) and may merge further
 * after normalising (`nginx` and `docker.io/library/nginx:latest`) with mergeWorkloadImages.
 *
 * Throws a UsageError naming `FILE:LINE` for unparsable YAML, a list line that is not one word, an
 * `image` that is not a non-empty string, and documents that are neither Kubernetes nor Compose.
 */
export function readWorkloadImages(text: string, file: string): WorkloadFile {
  if (!looksStructured(text)) return {kind: 'list', images: readList(text, file)}
  const {docs, lineOf} = parseYaml(text, file)
  const found: ImageOrigin[] = []
  const refs: string[] = []
  const add = (reference: string, origin: ImageOrigin) => {
    refs.push(reference)
    found.push(origin)
  }
  const contents = docs.filter((doc) => !isEmpty(doc.contents))
  const first = contents[0]
  const kind: WorkloadFileKind = first && isComposeRoot(first) ? 'compose' : 'kubernetes'
  const context = {file, lineOf, add}
  if (kind === 'compose') {
    if (contents.length > 1) {
      throw new UsageError(`${file}:${lineOf(contents[1].contents?.range[0])}: a Compose file has one document; found a second`)
    }
    readCompose(first, context)
  } else {
    for (const doc of contents) readKubernetesDocument(doc, context)
  }
  return {kind, images: group(refs, found)}
}

/**
 * Merges the images of several inputs (repeated `--from`), optionally under a key such as the
 * normalised reference, keeping the first spelling and every origin.
 */
export function mergeWorkloadImages(lists: WorkloadImage[][], keyOf: (reference: string) => string = (r) => r): WorkloadImage[] {
  const byKey = new Map<string, WorkloadImage>()
  for (const list of lists) {
    for (const image of list) {
      const key = keyOf(image.reference)
      const seen = byKey.get(key)
      if (seen) for (const origin of image.origins) seen.origins.push(origin)
      else byKey.set(key, {reference: image.reference, origins: [...image.origins]})
    }
  }
  return [...byKey.values()]
}

function group(refs: string[], origins: ImageOrigin[]): WorkloadImage[] {
  return mergeWorkloadImages([refs.map((reference, i) => ({reference, origins: [origins[i]]}))])
}

// ---- plain lists ----

/** Strips a `#` comment: at the start of a line, or after whitespace (a reference never holds `#`). */
function stripComment(line: string): string {
  return line.replace(/(^|\s)#.*$/, '').trim()
}

/**
 * A line with YAML structure, after leading blanks and not a comment: `key:` or `key: value` (a
 * reference has no `: ` and never ends in `:`), a sequence item, a document marker, or flow/JSON.
 * One search of the whole text: a list of millions of lines is told in milliseconds.
 */
const STRUCTURED_LINE = /^[ \t]*(?:(?:---|\.\.\.)(?:\s|$)|[{[]|-(?:\s|$)|(?!#)\S*:(?:\s|$))/m

function looksStructured(text: string): boolean {
  return STRUCTURED_LINE.test(text)
}

function readList(text: string, file: string): WorkloadImage[] {
  const refs: string[] = []
  const origins: ImageOrigin[] = []
  for (const {text: raw, number} of textLines(text)) {
    const line = stripComment(raw)
    if (line === '') continue
    if (/\s/.test(line)) throw new UsageError(`${file}:${number}: expected one image reference per line, found "${line}"`)
    if (refs.length === MAX_LIST_REFERENCES) throw new UsageError(`${file}:${number}: more than ${MAX_LIST_REFERENCES} image references`)
    refs.push(line)
    origins.push({file, line: number, from: `line ${number}`})
  }
  return group(refs, origins)
}

// ---- YAML walking ----

interface Context {
  file: string
  lineOf(offset: number | undefined): number
  add(reference: string, origin: ImageOrigin): void
}

type Doc = Document.Parsed

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined))
}

/** Follows an alias (`*name`) to its anchored node; anchors are how YAML shares a value. */
function deref(node: unknown, doc: Doc): Node | undefined {
  const seen = new Set<unknown>()
  let current = node
  while (isAlias(current) && !seen.has(current)) {
    seen.add(current)
    current = current.resolve(doc)
  }
  return (current ?? undefined) as Node | undefined
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.value === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<'))
}

/**
 * A key's value node in a mapping, as YAML 1.1 merge keys define it: the map's own pairs first,
 * then the maps merged in with `<<: *a` or `<<: [*a, *b]` (earlier ones win).
 */
function mapGet(map: YAMLMap, key: string, doc: Doc, depth = 0): Node | undefined {
  const own = map.items.find((pair) => isScalar(pair.key) && pair.key.value === key)
  if (own) return (own.value ?? undefined) as Node | undefined
  if (depth > 8) return undefined
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue
    const value = deref(pair.value, doc)
    const sources = isSeq(value) ? value.items.map((item) => deref(item, doc)) : [value]
    for (const source of sources) {
      if (!isMap(source)) continue
      const found = mapGet(source, key, doc, depth + 1)
      if (found !== undefined) return found
    }
  }
  return undefined
}

function getMap(map: YAMLMap, key: string, doc: Doc): YAMLMap | undefined {
  const node = deref(mapGet(map, key, doc), doc)
  return isMap(node) ? node : undefined
}

function getString(map: YAMLMap, key: string, doc: Doc): string | undefined {
  const node = deref(mapGet(map, key, doc), doc)
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined
}

function describeValue(node: Node | undefined): string {
  if (node === undefined || (isScalar(node) && node.value === null)) return 'empty'
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isScalar(node)) return `${typeof node.value} ${String(node.value)}`
  return 'not a string'
}

/**
 * Reads an `image:` value: a non-empty string, or a UsageError at its line. Template and Compose
 * variables are refused with the command that expands them, since no reference parser could.
 */
function imageValue(owner: YAMLMap, doc: Doc, ctx: Context, hint: string): {reference: string; line: number} | undefined {
  const raw = mapGet(owner, 'image', doc)
  if (raw === undefined) return undefined
  const node = deref(raw, doc)
  const line = ctx.lineOf(raw.range?.[0] ?? owner.range?.[0])
  if (!isScalar(node) || typeof node.value !== 'string') {
    throw new UsageError(`${ctx.file}:${line}: image must be a string, found ${describeValue(node)}`)
  }
  const reference = node.value.trim()
  if (reference === '') throw new UsageError(`${ctx.file}:${line}: image is empty`)
  if (/\{\{|\$\{?[A-Za-z_]/.test(reference)) {
    throw new UsageError(`${ctx.file}:${line}: image "${reference}" holds an unexpanded variable; ${hint}`)
  }
  return {reference, line}
}

// ---- Compose ----

function isComposeRoot(doc: Doc): boolean {
  const root = doc.contents
  if (!isMap(root)) return false
  // `services:` with nothing under it yet is still a Compose file (with nothing to audit).
  const services = mapGet(root, 'services', doc)
  return services !== undefined && (isMap(deref(services, doc)) || isEmpty(services)) && getString(root, 'kind', doc) === undefined
}

function readCompose(doc: Doc, ctx: Context): void {
  const services = getMap(doc.contents as YAMLMap, 'services', doc)
  if (!services) return
  for (const pair of services.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '?'
    const service = deref(pair.value, doc)
    if (!isMap(service)) continue
    const image = imageValue(service, doc, ctx, 'run `docker compose config` and audit its output')
    // A service with only `build:` has no image to pull.
    if (!image) continue
    const platform = composePlatform(service, doc, ctx)
    ctx.add(image.reference, {
      file: ctx.file,
      line: image.line,
      from: `service ${name}`,
      role: 'service',
      container: name,
      ...(platform ? {platform} : {}),
    })
  }
}

/** A service's `platform:`, checked as `--host` checks a platform so a typo fails at its line. */
function composePlatform(service: YAMLMap, doc: Doc, ctx: Context): string | undefined {
  const raw = mapGet(service, 'platform', doc)
  if (raw === undefined) return undefined
  const node = deref(raw, doc)
  const line = ctx.lineOf(raw.range?.[0])
  if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
    throw new UsageError(`${ctx.file}:${line}: platform must be a string such as linux/arm64, found ${describeValue(node)}`)
  }
  const platform = node.value.trim()
  try {
    checkKnownPlatform(platform, toHostPlatform(platform))
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${ctx.file}:${line}: ${error.message}`, {cause: error})
    throw error
  }
  return platform
}

// ---- Kubernetes ----

/** Where each workload kind keeps its pod spec (CronJob nests a Job template inside). */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
}

const CONTAINER_LISTS = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
] as const

function readKubernetesDocument(doc: Doc, ctx: Context): void {
  const root = doc.contents
  if (!isMap(root)) {
    const found = describeValue(root ?? undefined)
    throw new UsageError(`${ctx.file}:${ctx.lineOf(root?.range[0])}: expected a Kubernetes object (a mapping with kind), found ${found}`)
  }
  readKubernetesObject(root, doc, ctx, 0)
}

function readKubernetesObject(object: YAMLMap, doc: Doc, ctx: Context, depth: number): void {
  const kind = getString(object, 'kind', doc)
  if (kind === undefined) {
    throw new UsageError(`${ctx.file}:${ctx.lineOf(object.range?.[0])}: not a Kubernetes object or Compose file: no kind (nor services)`)
  }
  // `kubectl get … -o yaml` prints `kind: List`; the API itself answers e.g. `DeploymentList`.
  if (kind === 'List' || /^[A-Z]\w*List$/.test(kind)) {
    const items = deref(mapGet(object, 'items', doc), doc)
    if (items === undefined || isEmpty(items)) return
    if (!isSeq(items) || depth > 4) throw new UsageError(`${ctx.file}:${ctx.lineOf(items.range?.[0])}: ${kind} items must be a list`)
    for (const item of items.items) {
      const node = deref(item, doc)
      if (!isMap(node)) throw new UsageError(`${ctx.file}:${ctx.lineOf((item as Node).range?.[0])}: a ${kind} item must be an object`)
      readKubernetesObject(node, doc, ctx, depth + 1)
    }
    return
  }
  const metadata = getMap(object, 'metadata', doc)
  const name = metadata ? (getString(metadata, 'name', doc) ?? getString(metadata, 'generateName', doc)) : undefined
  const namespace = metadata ? getString(metadata, 'namespace', doc) : undefined
  const podSpec = findPodSpec(object, kind, doc)
  if (!podSpec) return
  const placement = readPlacement(podSpec, kind, doc)
  const statuses = kind === 'Pod' ? readContainerStatuses(object, doc) : undefined
  for (const [field, role] of CONTAINER_LISTS) {
    const list = deref(mapGet(podSpec, field, doc), doc)
    if (list === undefined || isEmpty(list)) continue
    if (!isSeq(list)) {
      throw new UsageError(`${ctx.file}:${ctx.lineOf(list.range?.[0])}: ${field} must be a list, found ${describeValue(list)}`)
    }
    for (const item of list.items) {
      const container = deref(item, doc)
      if (!isMap(container)) {
        throw new UsageError(`${ctx.file}:${ctx.lineOf((item as Node).range?.[0])}: an entry of ${field} must be a mapping`)
      }
      const containerName = getString(container, 'name', doc)
      // An absent image is allowed by the API (a controller may fill it in): nothing to audit then.
      const image = imageValue(container, doc, ctx, 'render the chart with `helm template` and audit its output')
      if (!image) continue
      const objectName = `${kind}/${name ?? '?'}`
      ctx.add(image.reference, {
        file: ctx.file,
        line: image.line,
        from: `${objectName} ${role} ${containerName ?? '?'}`,
        kind,
        ...(name === undefined ? {} : {name}),
        ...(namespace === undefined ? {} : {namespace}),
        role,
        ...(containerName === undefined ? {} : {container: containerName}),
        placement,
        ...(statuses && containerName !== undefined && statuses.has(`${role} ${containerName}`)
          ? {running: statuses.get(`${role} ${containerName}`)}
          : {}),
      })
    }
  }
}

/**
 * The pod spec of an object: at the known place for built-in workload kinds; for other kinds
 * (Argo Rollout, OpenKruise CloneSet and the like) at the conventional `spec.template.spec` or
 * `spec.jobTemplate.spec.template.spec` when it holds containers. Other objects (Service,
 * ConfigMap…) have none.
 */
function findPodSpec(object: YAMLMap, kind: string, doc: Doc): YAMLMap | undefined {
  const known = POD_SPEC_PATHS[kind]
  const candidates = known ? [known] : [POD_SPEC_PATHS.Deployment, POD_SPEC_PATHS.CronJob]
  for (const path of candidates) {
    let node: YAMLMap | undefined = object
    for (const key of path) node = node && getMap(node, key, doc)
    if (node && (known || mapGet(node, 'containers', doc) !== undefined)) return node
  }
  return undefined
}

// ---- scheduling and status ----

/** A value of the document as plain data, aliases followed. */
function plain(map: YAMLMap | undefined, key: string, doc: Doc): unknown {
  if (!map) return undefined
  const node = deref(mapGet(map, key, doc), doc)
  return node === undefined ? undefined : (node.toJS(doc, {maxAliasCount: 100}) as unknown)
}

function records(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object') : []
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined
}

function requirements(value: unknown): SelectorRequirement[] {
  return records(value).map((item) => ({
    key: optionalText(item.key) ?? '',
    operator: optionalText(item.operator) ?? '',
    ...(Array.isArray(item.values) ? {values: item.values.map((v) => optionalText(v) ?? '')} : {}),
  }))
}

/** nodeName, nodeSelector, required node affinity, tolerations, os and host network of a pod spec. */
function readPlacement(podSpec: YAMLMap, kind: string, doc: Doc): PodPlacement {
  const nodeName = optionalText(plain(podSpec, 'nodeName', doc))
  const selector = plain(podSpec, 'nodeSelector', doc)
  const affinity = plain(podSpec, 'affinity', doc) as {
    nodeAffinity?: {requiredDuringSchedulingIgnoredDuringExecution?: {nodeSelectorTerms?: unknown}}
  } | null
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
  const terms: NodeSelectorTerm[] | undefined =
    required === undefined || required === null
      ? undefined
      : records(required.nodeSelectorTerms).map((term) => ({
          matchExpressions: requirements(term.matchExpressions),
          matchFields: requirements(term.matchFields),
        }))
  const tolerations: Toleration[] = records(plain(podSpec, 'tolerations', doc)).map((item) => {
    const toleration: Toleration = {}
    for (const field of ['key', 'operator', 'value', 'effect'] as const) {
      const value = optionalText(item[field])
      if (value !== undefined) toleration[field] = value
    }
    return toleration
  })
  const os = optionalText((plain(podSpec, 'os', doc) as {name?: unknown} | null)?.name)
  return {
    ...(nodeName ? {nodeName} : {}),
    ...(selector !== null && typeof selector === 'object' && !Array.isArray(selector)
      ? {nodeSelector: Object.fromEntries(Object.entries(selector).map(([key, value]) => [key, optionalText(value) ?? '']))}
      : {}),
    ...(terms ? {requiredTerms: terms} : {}),
    tolerations,
    ...(os ? {os} : {}),
    ...(kind === 'DaemonSet' ? {daemonSet: true} : {}),
    ...(plain(podSpec, 'hostNetwork', doc) === true ? {hostNetwork: true} : {}),
  }
}

const STATUS_LISTS = [
  ['containerStatuses', 'container'],
  ['initContainerStatuses', 'initContainer'],
  ['ephemeralContainerStatuses', 'ephemeralContainer'],
] as const

/** The runtime's message in a state (`waiting.message`, `terminated.message` or `.reason`). */
function stateMessage(state: unknown): string | undefined {
  for (const phase of ['waiting', 'terminated'] as const) {
    const detail = (state as Record<string, Record<string, unknown> | undefined> | null)?.[phase]
    const message = optionalText(detail?.message) ?? optionalText(detail?.reason)
    if (message) return message
  }
  return undefined
}

/** A pod's container statuses by `role name`: the image the node pulled and why a start failed. */
function readContainerStatuses(pod: YAMLMap, doc: Doc): Map<string, ContainerRunning> {
  const status = getMap(pod, 'status', doc)
  const out = new Map<string, ContainerRunning>()
  for (const [field, role] of STATUS_LISTS) {
    for (const item of records(plain(status, field, doc))) {
      const name = optionalText(item.name)
      if (name === undefined) continue
      const messages = [stateMessage(item.state), stateMessage(item.lastState)].filter((m): m is string => m !== undefined)
      const failure = messages.find((message) => /exec format error/i.test(message)) ?? null
      out.set(`${role} ${name}`, {imageID: optionalText(item.imageID) || null, failure})
    }
  }
  return out
}
