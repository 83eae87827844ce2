import {isAlias, isMap, isScalar, isSeq} from 'yaml'
import type {Document, Node, YAMLMap} from 'yaml'

import {UsageError} from '../../oci/errors.js'
import {toHostPlatform} from '../../oci/platform/match.js'
import {checkKnownPlatform} from '../../oci/platform/parse.js'
import {MAX_LIST_REFERENCES, parseYaml, textLines} from './input.js'
import {looksLikeJson, readJson} from './json-input.js'
import type {JsonItem} from './json-input.js'
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
 * first document deciding which; a text starting with `{` or `[` is read as JSON (readJsonWorkloads). References are returned as written and in order of first
 * appearance, deduplicated by exact text with all their origins kept; the caller validates them
 * with the reference parser (an origin gives FILE:LINE for its message) and may merge further
 * after normalising (`nginx` and `docker.io/library/nginx:latest`) with mergeWorkloadImages.
 *
 * Throws a UsageError naming `FILE:LINE` for unparsable YAML or JSON, a list line that is not one word, an
 * `image` that is not a non-empty string, and documents that are neither Kubernetes nor Compose.
 */
export function readWorkloadImages(text: string, file: string): WorkloadFile {
  if (!looksStructured(text)) return {kind: 'list', images: readList(text, file)}
  const found: ImageOrigin[] = []
  const refs: string[] = []
  const add = (reference: string, origin: ImageOrigin) => {
    refs.push(reference)
    found.push(origin)
  }
  const kind = looksLikeJson(text) ? readJsonWorkloads(text, file, add) : readYamlWorkloads(text, file, add)
  return {kind, images: group(refs, found)}
}

type AddImage = (reference: string, origin: ImageOrigin) => void

function readYamlWorkloads(text: string, file: string, add: AddImage): WorkloadFileKind {
  const {docs, lineOf} = parseYaml(text, file)
  const contents = docs.filter((doc) => !isEmptyYaml(doc.contents))
  const first = contents[0]
  const firstTree = first && yamlTree(first, lineOf)
  if (first && isComposeRoot(first.contents ?? undefined, firstTree)) {
    if (contents.length > 1) {
      throw new UsageError(`${file}:${lineOf(contents[1].contents?.range[0])}: a Compose file has one document; found a second`)
    }
    readCompose(first.contents as Node, {file, tree: firstTree, add})
    return 'compose'
  }
  for (const doc of contents) readKubernetesDocument(doc.contents ?? undefined, {file, tree: yamlTree(doc, lineOf), add})
  return 'kubernetes'
}

/**
 * JSON (`kubectl get … -o json`, `docker compose config --format json`): a List's items are parsed
 * and read one at a time, so a cluster of thousands of pods costs a few times its text, and an
 * image's line is that of its `"image":` key. The results are those of the same objects in YAML.
 */
function readJsonWorkloads(text: string, file: string, add: AddImage): WorkloadFileKind {
  const json = readJson(text, file, {lineKey: 'image'})
  let references = 0
  // The YAML reader's token bound also bounds its references; JSON needs its own.
  const addBounded: AddImage = (reference, origin) => {
    if (++references > MAX_LIST_REFERENCES)
      throw new UsageError(`${file}:${origin.line}: more than ${MAX_LIST_REFERENCES} image references`)
    add(reference, origin)
  }
  if (json.isArray) throw new UsageError(`${file}:${json.line}: expected a Kubernetes object (a mapping with kind), found a list`)
  const kind = json.field('kind')
  if (typeof kind === 'string' && isListKind(kind)) {
    const {kind: items, line} = json.itemsShape
    if (items === 'other') throw new UsageError(`${file}:${line}: ${kind} items must be a list`)
    for (const item of json.items()) {
      const tree = jsonTree(item)
      const node = {value: item.value, path: ''}
      if (!tree.isMap(node)) throw new UsageError(`${file}:${item.line}: a ${kind} item must be an object`)
      readKubernetesObject(node, {file, tree, add: addBounded}, 1)
    }
    return 'kubernetes'
  }
  const whole = json.whole()
  const tree = jsonTree(whole)
  const root = {value: whole.value, path: ''}
  if (isComposeRoot(root, tree)) {
    readCompose(root, {file, tree, add: addBounded})
    return 'compose'
  }
  readKubernetesDocument(root, {file, tree, add: addBounded})
  return 'kubernetes'
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

function isEmptyYaml(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined))
}

// ---- reading a tree: YAML nodes or parsed JSON ----

/**
 * What the readers below need of a parsed document, so that YAML (nodes with positions, aliases
 * and merge keys) and JSON (plain values, one item at a time) read to the same results.
 */
interface Tree<N> {
  isMap(node: N | undefined): boolean
  isSeq(node: N | undefined): boolean
  /** Absent, or null (`key:` with nothing after it). */
  isEmpty(node: N | undefined): boolean
  /** A key's value as written: in YAML before an alias is followed, merge keys applied. */
  get(map: N, key: string): N | undefined
  /** Follows an alias to its anchored node (YAML); JSON has none. */
  resolve(node: N | undefined): N | undefined
  items(seq: N): N[]
  entries(map: N): Array<[string, N]>
  /** A string scalar's value (aliases followed), else undefined. */
  string(node: N | undefined): string | undefined
  describe(node: N | undefined): string
  /** 1-based line of a node; in JSON, of an `image` key, else the item's first line. */
  line(node: N | undefined, fallback?: N): number
  /** The value as plain data. */
  plain(node: N | undefined): unknown
}

function describePlain(value: unknown): string {
  if (value === undefined || value === null) return 'empty'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`
  return 'a mapping'
}

function yamlTree(doc: Document.Parsed, lineOf: (offset: number | undefined) => number): Tree<Node> {
  const deref = (node: unknown): Node | undefined => {
    const seen = new Set<unknown>()
    let current = node
    while (isAlias(current) && !seen.has(current)) {
      seen.add(current)
      current = current.resolve(doc)
    }
    return (current ?? undefined) as Node | undefined
  }
  const tree: Tree<Node> = {
    isMap: (node) => isMap(deref(node)),
    isSeq: (node) => isSeq(deref(node)),
    isEmpty: (node) => node === undefined || node === null || (isScalar(node) && (node.value === null || node.value === undefined)),
    get: (map, key) => {
      const node = deref(map)
      return isMap(node) ? mapGet(node, key, deref) : undefined
    },
    resolve: deref,
    items: (seq) => {
      const node = deref(seq)
      return isSeq(node) ? (node.items as Node[]) : []
    },
    entries: (map) => {
      const node = deref(map)
      if (!isMap(node)) return []
      return node.items.map((pair) => [isScalar(pair.key) ? String(pair.key.value) : '?', pair.value as Node])
    },
    string: (node) => {
      const value = deref(node)
      return isScalar(value) && typeof value.value === 'string' ? value.value : undefined
    },
    describe: (node) => {
      const value = deref(node)
      if (value === undefined || (isScalar(value) && value.value === null)) return 'empty'
      if (isMap(value)) return 'a mapping'
      if (isSeq(value)) return 'a list'
      if (isScalar(value)) return `${typeof value.value} ${String(value.value)}`
      return 'not a string'
    },
    line: (node, fallback) => lineOf(node?.range?.[0] ?? fallback?.range?.[0]),
    plain: (node) => {
      const value = deref(node)
      return value === undefined ? undefined : (value.toJS(doc, {maxAliasCount: 100}) as unknown)
    },
  }
  return tree
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.value === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<'))
}

/**
 * A key's value node in a mapping, as YAML 1.1 merge keys define it: the map's own pairs first,
 * then the maps merged in with `<<: *a` or `<<: [*a, *b]` (earlier ones win).
 */
function mapGet(map: YAMLMap, key: string, deref: (node: unknown) => Node | undefined, depth = 0): Node | undefined {
  const own = map.items.find((pair) => isScalar(pair.key) && pair.key.value === key)
  if (own) return (own.value ?? undefined) as Node | undefined
  if (depth > 8) return undefined
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue
    const value = deref(pair.value)
    const sources = isSeq(value) ? value.items.map((item) => deref(item)) : [value]
    for (const source of sources) {
      if (!isMap(source)) continue
      const found = mapGet(source, key, deref, depth + 1)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** A parsed JSON value with its path from the item, which finds the line of its `image` key. */
interface JsonNode {
  value: unknown
  path: string
}

function jsonTree(item: JsonItem): Tree<JsonNode> {
  const object = (node: JsonNode | undefined) =>
    node !== undefined && node.value !== null && typeof node.value === 'object' && !Array.isArray(node.value)
  const child = (node: JsonNode, step: string, value: unknown): JsonNode => ({
    value,
    path: node.path === '' ? step : `${node.path}\n${step}`,
  })
  return {
    isMap: object,
    isSeq: (node) => Array.isArray(node?.value),
    isEmpty: (node) => node === undefined || node.value === null,
    get: (map, key) => {
      const record = map.value as Record<string, unknown>
      return object(map) && Object.hasOwn(record, key) ? child(map, key, record[key]) : undefined
    },
    resolve: (node) => node,
    items: (seq) => (Array.isArray(seq.value) ? seq.value.map((value, index) => child(seq, String(index), value)) : []),
    entries: (map) =>
      object(map) ? Object.entries(map.value as Record<string, unknown>).map(([key, value]) => [key, child(map, key, value)]) : [],
    string: (node) => (typeof node?.value === 'string' ? node.value : undefined),
    describe: (node) => describePlain(node?.value),
    line: (node) => (node ? item.keyLines.get(node.path) : undefined) ?? item.line,
    plain: (node) => node?.value,
  }
}

interface Context<N> {
  file: string
  tree: Tree<N>
  add(reference: string, origin: ImageOrigin): void
}

function getMap<N>(map: N, key: string, tree: Tree<N>): N | undefined {
  const node = tree.resolve(tree.get(map, key))
  return tree.isMap(node) ? node : undefined
}

function getString<N>(map: N, key: string, tree: Tree<N>): string | undefined {
  return tree.string(tree.get(map, key))
}

/**
 * Reads an `image:` value: a non-empty string, or a UsageError at its line. Template and Compose
 * variables are refused with the command that expands them, since no reference parser could.
 */
function imageValue<N>(owner: N, ctx: Context<N>, hint: string): {reference: string; line: number} | undefined {
  const {tree} = ctx
  const raw = tree.get(owner, 'image')
  if (raw === undefined) return undefined
  const line = tree.line(raw, owner)
  const value = tree.string(raw)
  if (value === undefined) throw new UsageError(`${ctx.file}:${line}: image must be a string, found ${tree.describe(raw)}`)
  const reference = value.trim()
  if (reference === '') throw new UsageError(`${ctx.file}:${line}: image is empty`)
  if (/\{\{|\$\{?[A-Za-z_]/.test(reference)) {
    throw new UsageError(`${ctx.file}:${line}: image "${reference}" holds an unexpanded variable; ${hint}`)
  }
  return {reference, line}
}

// ---- Compose ----

function isComposeRoot<N>(root: N | undefined, tree: Tree<N>): boolean {
  if (root === undefined || !tree.isMap(root)) return false
  // `services:` with nothing under it yet is still a Compose file (with nothing to audit).
  const services = tree.get(root, 'services')
  return services !== undefined && (tree.isMap(services) || tree.isEmpty(services)) && getString(root, 'kind', tree) === undefined
}

function readCompose<N>(root: N, ctx: Context<N>): void {
  const {tree} = ctx
  const services = getMap(root, 'services', tree)
  if (!services) return
  for (const [name, value] of tree.entries(services)) {
    const service = tree.resolve(value)
    if (!service || !tree.isMap(service)) continue
    const image = imageValue(service, ctx, 'run `docker compose config` and audit its output')
    // A service with only `build:` has no image to pull.
    if (!image) continue
    const platform = composePlatform(service, ctx)
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
function composePlatform<N>(service: N, ctx: Context<N>): string | undefined {
  const {tree} = ctx
  const raw = tree.get(service, 'platform')
  if (raw === undefined) return undefined
  const line = tree.line(raw)
  const value = tree.string(raw)
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`${ctx.file}:${line}: platform must be a string such as linux/arm64, found ${tree.describe(raw)}`)
  }
  const platform = value.trim()
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

/** `kubectl get … -o yaml` prints `kind: List`; the API itself answers e.g. `DeploymentList`. */
function isListKind(kind: string): boolean {
  return kind === 'List' || /^[A-Z]\w*List$/.test(kind)
}

function readKubernetesDocument<N>(root: N | undefined, ctx: Context<N>): void {
  if (!root || !ctx.tree.isMap(root)) {
    throw new UsageError(
      `${ctx.file}:${ctx.tree.line(root)}: expected a Kubernetes object (a mapping with kind), found ${ctx.tree.describe(root)}`,
    )
  }
  readKubernetesObject(root, ctx, 0)
}

function readKubernetesObject<N>(object: N, ctx: Context<N>, depth: number): void {
  const {tree} = ctx
  const kind = getString(object, 'kind', tree)
  if (kind === undefined) {
    throw new UsageError(`${ctx.file}:${tree.line(object)}: not a Kubernetes object or Compose file: no kind (nor services)`)
  }
  if (isListKind(kind)) {
    const items = tree.resolve(tree.get(object, 'items'))
    if (items === undefined || tree.isEmpty(items)) return
    if (!tree.isSeq(items) || depth > 4) throw new UsageError(`${ctx.file}:${tree.line(items)}: ${kind} items must be a list`)
    for (const item of tree.items(items)) {
      const node = tree.resolve(item)
      if (!node || !tree.isMap(node)) throw new UsageError(`${ctx.file}:${tree.line(item)}: a ${kind} item must be an object`)
      readKubernetesObject(node, ctx, depth + 1)
    }
    return
  }
  const metadata = getMap(object, 'metadata', tree)
  const name = metadata ? (getString(metadata, 'name', tree) ?? getString(metadata, 'generateName', tree)) : undefined
  const namespace = metadata ? getString(metadata, 'namespace', tree) : undefined
  const podSpec = findPodSpec(object, kind, tree)
  if (!podSpec) return
  const placement = readPlacement(podSpec, kind, tree)
  const statuses = kind === 'Pod' ? readContainerStatuses(object, tree) : undefined
  for (const [field, role] of CONTAINER_LISTS) {
    const list = tree.resolve(tree.get(podSpec, field))
    if (list === undefined || tree.isEmpty(list)) continue
    if (!tree.isSeq(list)) throw new UsageError(`${ctx.file}:${tree.line(list)}: ${field} must be a list, found ${tree.describe(list)}`)
    for (const item of tree.items(list)) {
      const container = tree.resolve(item)
      if (!container || !tree.isMap(container)) {
        throw new UsageError(`${ctx.file}:${tree.line(item)}: an entry of ${field} must be a mapping`)
      }
      const containerName = getString(container, 'name', tree)
      // An absent image is allowed by the API (a controller may fill it in): nothing to audit then.
      const image = imageValue(container, ctx, 'render the chart with `helm template` and audit its output')
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
function findPodSpec<N>(object: N, kind: string, tree: Tree<N>): N | undefined {
  const known = POD_SPEC_PATHS[kind]
  const candidates = known ? [known] : [POD_SPEC_PATHS.Deployment, POD_SPEC_PATHS.CronJob]
  for (const path of candidates) {
    let node: N | undefined = object
    for (const key of path) node = node && getMap(node, key, tree)
    if (node && (known || tree.get(node, 'containers') !== undefined)) return node
  }
  return undefined
}

// ---- scheduling and status ----

/** A value of the document as plain data, aliases followed. */
function plain<N>(map: N | undefined, key: string, tree: Tree<N>): unknown {
  return map === undefined ? undefined : tree.plain(tree.get(map, key))
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
function readPlacement<N>(podSpec: N, kind: string, tree: Tree<N>): PodPlacement {
  const nodeName = optionalText(plain(podSpec, 'nodeName', tree))
  const selector = plain(podSpec, 'nodeSelector', tree)
  const affinity = plain(podSpec, 'affinity', tree) as {
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
  const tolerations: Toleration[] = records(plain(podSpec, 'tolerations', tree)).map((item) => {
    const toleration: Toleration = {}
    for (const field of ['key', 'operator', 'value', 'effect'] as const) {
      const value = optionalText(item[field])
      if (value !== undefined) toleration[field] = value
    }
    return toleration
  })
  const os = optionalText((plain(podSpec, 'os', tree) as {name?: unknown} | null)?.name)
  return {
    ...(nodeName ? {nodeName} : {}),
    ...(selector !== null && typeof selector === 'object' && !Array.isArray(selector)
      ? {nodeSelector: Object.fromEntries(Object.entries(selector).map(([key, value]) => [key, optionalText(value) ?? '']))}
      : {}),
    ...(terms ? {requiredTerms: terms} : {}),
    tolerations,
    ...(os ? {os} : {}),
    ...(kind === 'DaemonSet' ? {daemonSet: true} : {}),
    ...(plain(podSpec, 'hostNetwork', tree) === true ? {hostNetwork: true} : {}),
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
function readContainerStatuses<N>(pod: N, tree: Tree<N>): Map<string, ContainerRunning> {
  const status = getMap(pod, 'status', tree)
  const out = new Map<string, ContainerRunning>()
  for (const [field, role] of STATUS_LISTS) {
    for (const item of records(plain(status, field, tree))) {
      const name = optionalText(item.name)
      if (name === undefined) continue
      const messages = [stateMessage(item.state), stateMessage(item.lastState)].filter((m): m is string => m !== undefined)
      const failure = messages.find((message) => /exec format error/i.test(message)) ?? null
      out.set(`${role} ${name}`, {imageID: optionalText(item.imageID) || null, failure})
    }
  }
  return out
}
