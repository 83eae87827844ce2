import {UsageError} from '../oci/errors.js'
import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {DEFAULT_HOSTS} from '../oci/platform/hosts.js'
import {toHostPlatform} from '../oci/platform/match.js'
import {formatPlatform, formatPlatformSpec} from '../oci/platform/normalize.js'
import type {Platform} from '../oci/platform/types.js'
import {formatSourceSpec, parseReference, withDefaultTag, type SourceSpec} from '../oci/reference.js'
import {
  INTERRUPTED,
  runAudit,
  type AuditHistory,
  type AuditHost,
  type AuditInput,
  type AuditRow,
  type RateLimitStop,
  type RepositorySelection,
  type SupplyChainHistory,
} from '../engine/audit/run.js'
import type {ReadInputOptions} from '../engine/audit/input.js'
import type {ImageOrigin, WorkloadImage} from '../engine/audit/workloads.js'
import type {ClusterNode} from '../engine/audit/nodes.js'
import {isWorkloadOrigin, type ClusterPlan, type NodeGroup, type WorkloadEntry} from '../engine/audit/cluster.js'
import type {ReadLayersOptions} from '../engine/layers/read-image.js'
import type {ClientName} from '../engine/resolve/resolution.js'
import {openContentCache} from '../source/cache.js'
export {defaultCacheDir} from '../source/cache.js'
import {parseSourceText} from '../source/open.js'
import {clientList, countOption, OptionError, platformList, sourceList, stringList, textOption} from './options.js'
import {versioned, type Versioned} from './schema.js'
import {withSources, type ReadOptions} from './sources.js'

export type {
  AuditCell,
  AuditHistory,
  AuditRow,
  AuditVerdict,
  HistoryRun,
  RateLimitStop,
  RepositorySelection,
  RowErrorKind,
  RowStatus,
  RowSupplyChain,
  SupplyChainHistory,
} from '../engine/audit/run.js'
export type {ImageOrigin} from '../engine/audit/workloads.js'
export type {NodeGroup, WorkloadCell, WorkloadEntry, WorkloadVerdict} from '../engine/audit/cluster.js'
export {isWorkloadOrigin} from '../engine/audit/cluster.js'
export {DEFAULT_AUDIT_CONCURRENCY, DEFAULT_MAX_IMAGES_PER_REPOSITORY} from '../engine/audit/run.js'

export interface AuditOptions extends ReadOptions {
  /** Files (or `-` for stdin) listing references, Kubernetes YAML or a Compose file. */
  from?: string[]
  /** `kubectl get nodes -o json` output; its distinct node platforms become hosts. */
  hostsFrom?: string
  /**
   * `--mirror REGISTRY=MIRROR[/PATH]`: images of REGISTRY in workload files are read from the
   * mirror, as nodes configured with it (containerd hosts.toml, Docker registry-mirrors) pull them.
   */
  mirrors?: string[]
  /** More hosts: specifiers or platforms (default linux/amd64, linux/arm64 when no host is named at all). */
  hosts?: ReadonlyArray<string | Platform>
  /** Accept hosts and required platforms whose OS or architecture Go does not know (otherwise refused as a likely typo). */
  allowUnknownPlatform?: boolean
  /**
   * Pull clients to model: models or their aliases (kubernetes, cri-o…), comma-separated or as an
   * array, or 'all' (default docker). With `hostsFrom` and workload files, each node group pulls
   * with the client its container runtime behaves like unless clients are named here.
   */
  clients?: readonly string[] | string
  allowFallback?: boolean
  /** Tag selection for repositories named without a tag. */
  tags?: string
  tagPattern?: string
  latest?: number
  includePrerelease?: boolean
  /** `--max-images`: images one repository's selection may have (default DEFAULT_MAX_IMAGES_PER_REPOSITORY). */
  maxImages?: number
  /** Images read at once per registry (default DEFAULT_AUDIT_CONCURRENCY, 64). */
  concurrency?: number
  /** Run verify's checks with these required platforms. */
  require?: ReadonlyArray<string | Platform>
  /**
   * Also read each image's provenance, SBOMs and signatures, as `inspect --supply-chain` does
   * (5 requests more per platform image and the index; tags naming one image share the read).
   */
  supplyChain?: boolean
  /** Also read layers (verify's deep checks; needs `require`). */
  deep?: boolean | ReadLayersOptions
  /**
   * Folder where manifests and configs are cached by digest between runs (default none: nothing
   * is kept on disk; the CLI passes `$XDG_CACHE_HOME/archcheck`, see defaultCacheDir).
   */
  cacheDir?: string
  noCache?: boolean
  /** A 429 asking to wait longer than this stops the audit of that registry (default 60 s). */
  maxRetryAfterMs?: number
  onProgress?(done: number, total: number): void
  /**
   * Stops the audit when aborted (Ctrl-C): no image starts any more, the requests of those in
   * flight are aborted, and the result holds what finished, the rest `not-audited` with the error
   * "interrupted" (`interrupted: true`). Aborted while input files are still read, the call rejects
   * with an AbortError: nothing was audited.
   */
  signal?: AbortSignal
  /** What `-` in `from` or `hostsFrom` reads. */
  stdin?: NodeJS.ReadableStream
  /** Registers a clean-up to run if the user interrupts (the CLI's onInterrupt); returns its unregistration. */
  onInterrupt?: (cleanup: () => unknown) => () => void
}

export interface AuditHostResult {
  host: string
  label: string
  /** Nodes with this platform (from --hosts-from), else null. */
  nodes: string[] | null
}

export interface AuditSummary {
  images: number
  hosts: number
  /** Rows audited with at least one failing cell or check. */
  failures: number
  unreadable: number
  notAudited: number
  requests: number
  byMethod: Record<string, number>
  durationMs: number
  cache: {dir: string; hits: number; misses: number; corrupt: number; written: number} | null
  /** Per registry host, the last `ratelimit-*` headers seen. */
  rateLimit: Record<string, {limit?: number; remaining?: number; windowSeconds?: number}>
  /** With workload inputs: how many workload containers, how many fail where they can be scheduled, how many fit no node. */
  workloads?: {total: number; failing: number; unschedulable: number} | null
}

/** `archcheck audit --json` (docs/audit.md). */
export type AuditResult = Versioned<{
  passed: boolean
  exitCode: ExitCodeValue
  hosts: AuditHostResult[]
  clients: ClientName[]
  allowFallback: boolean
  /** Platforms verify's checks required (--require), else null. */
  required: string[] | null
  rows: AuditRow[]
  /**
   * With Kubernetes or Compose inputs: one entry per workload container, judged on every node
   * group (docs/audit.md "Clusters"); empty otherwise.
   */
  workloads: WorkloadEntry[]
  /** The columns of the workload view: nodes (or --host hosts) grouped as the workloads see them. */
  nodeGroups: NodeGroup[]
  history: AuditHistory[]
  /** With `supplyChain`: per repository, how provenance, SBOMs and signatures changed over its releases; else empty. */
  supplyChainHistory: SupplyChainHistory[]
  /** References of rows that could not be read, with why. */
  unreadable: Array<{reference: string; error: string}>
  /** References not audited because a registry's rate limit or an interruption stopped the run. */
  notAudited: string[]
  /** The run was interrupted (`signal` aborted) before every image was audited. */
  interrupted: boolean
  rateLimited: RateLimitStop[]
  /** Repositories named without a tag of which no tag was selected (with how many tags they have). */
  unmatched: Array<{repository: string; tags: number}>
  /** Per repository named without a tag: what the tag selection did with its tags. */
  selection: RepositorySelection[]
  /** Why nothing was audited (then the run fails: a gate with nothing to pass does not pass), else null. */
  nothingAudited: string | null
  summary: AuditSummary
}>

/**
 * The cache's entries kept in memory during an audit: every tag costs a look-up of its index, and
 * tags name the same few indexes again and again. Manifests are a few KB: this holds thousands.
 */
const AUDIT_CACHE_MEMORY_BYTES = 8 * 1024 * 1024

/** A reference's identity for merging workload files: `nginx` and `docker.io/library/nginx:latest` are one image. */
function keyOf(spec: SourceSpec): string {
  return formatSourceSpec(withDefaultTag(spec))
}

/** Whether an image argument is a registry repository without tag or digest: its tags are listed and selected. */
function isBareRepository(spec: SourceSpec): boolean {
  return spec.kind === 'registry' && !spec.reference.tag && !spec.reference.digest
}

/**
 * Tag selection applies only to repositories named without a tag among the image arguments (a
 * file's untagged image is `:latest`, as Kubernetes and Compose pull it): given with none, it
 * would silently select nothing.
 */
function checkSelection(options: AuditOptions, images: readonly SourceSpec[]): void {
  const given = (['tags', 'tagPattern', 'latest', 'includePrerelease'] as const).filter(
    (option) => options[option] !== undefined && options[option] !== false,
  )
  if (given.length === 0 || images.some((image) => isBareRepository(image))) return
  throw new OptionError(
    `${given.map((option) => `{${option}}`).join(', ')} select${given.length === 1 ? 's' : ''} tags of a repository named without a tag among {images}, and none is (an untagged image in a file is :latest)`,
  )
}

/** `docker.io=registry.internal:5000/hub` → registry and the mirror's host and path prefix; a UsageError otherwise. */
export function parseMirrors(values: readonly string[]): Map<string, string> {
  const mirrors = new Map<string, string>()
  for (const value of values) {
    const match = /^([^=\s/]+)=([^=\s]+?)\/*$/.exec(value.trim())
    if (!match) throw new UsageError(`--mirror ${value}: expected REGISTRY=MIRROR (docker.io=registry.internal:5000)`)
    const [, registry, mirror] = match
    // The mirror's first component must read as a registry host (a dot, a port or localhost), or it would be a Docker Hub path.
    let host: string
    try {
      host = parseReference(`${mirror}/x`).registry
    } catch (error) {
      throw new UsageError(`--mirror ${value}: ${(error as Error).message}`, {cause: error})
    }
    if (host !== mirror.split('/')[0])
      throw new UsageError(`--mirror ${value}: "${mirror}" does not start with a registry host (HOST:PORT or a name with a dot)`)
    mirrors.set(parseReference(`${registry}/x`).registry, mirror)
  }
  return mirrors
}

/** The reference as read through a mirror of its registry, or undefined when its registry has none. */
function throughMirror(spec: SourceSpec, mirrors: Map<string, string>): SourceSpec | undefined {
  const qualified = withDefaultTag(spec)
  if (qualified.kind !== 'registry') return undefined
  const {reference} = qualified
  const mirror = mirrors.get(reference.registry)
  if (mirror === undefined) return undefined
  const [host, ...path] = mirror.split('/')
  return {kind: 'registry', reference: {...reference, registry: host, repository: [...path, reference.repository].join('/')}}
}

/** An image a workload file names, parsed, with every place it appears. */
interface WorkloadSource {
  spec: SourceSpec
  origins: ImageOrigin[]
}

/** Every reference a workload file names, parsed now so a typo fails as `FILE:LINE: …` before any request. */
async function readWorkloads(files: readonly string[], reading: ReadInputOptions): Promise<WorkloadSource[]> {
  if (files.filter((file) => file === '-').length > 1) throw new OptionError("{from}: stdin ('-') can be read only once")
  if (files.length === 0) return []
  // Loaded for workload files only: the YAML parser is most of the audit's code.
  const [{readInput}, {mergeWorkloadImages, readWorkloadImages}] = await Promise.all([
    import('../engine/audit/input.js'),
    import('../engine/audit/workloads.js'),
  ])
  const lists: WorkloadImage[][] = []
  // Each spelling parsed once, however many files and lines name it.
  const specs = new Map<string, SourceSpec>()
  for (const file of files) {
    const input = await readInput(file, reading)
    const {images} = readWorkloadImages(input.text, input.name)
    for (const image of images) {
      if (specs.has(image.reference)) continue
      try {
        specs.set(image.reference, parseSourceText(image.reference))
      } catch (error) {
        const origin = image.origins[0]
        throw new UsageError(`${origin.file}:${origin.line}: ${(error as Error).message}`, {cause: error})
      }
    }
    lists.push(images)
  }
  const specOf = (text: string): SourceSpec => specs.get(text)!
  return mergeWorkloadImages(lists, (text) => keyOf(specOf(text))).map((image) => ({spec: specOf(image.reference), origins: image.origins}))
}

/** Input files share the registry's patience: a FIFO or pipe silent for that long is given up. */
function inputReading(options: AuditOptions): ReadInputOptions {
  return {stdin: options.stdin, idleTimeoutMs: options.registry?.timeoutMs, signal: options.signal}
}

/** Hosts from a node file (one per distinct node platform) and those named, with the nodes themselves; the defaults when there are none. */
async function readHosts(
  hostsFrom: string | undefined,
  named: readonly Platform[],
  reading: ReadInputOptions,
): Promise<{hosts: AuditHost[]; nodes: ClusterNode[] | null}> {
  const hosts: AuditHost[] = []
  let nodes: ClusterNode[] | null = null
  if (hostsFrom !== undefined) {
    const [{readInput}, {hostsOf, readClusterNodes}] = await Promise.all([
      import('../engine/audit/input.js'),
      import('../engine/audit/nodes.js'),
    ])
    const input = await readInput(hostsFrom, reading)
    nodes = readClusterNodes(input.text, input.name)
    for (const host of hostsOf(nodes)) {
      const platform = toHostPlatform(host.spec)
      hosts.push({platform, spec: formatPlatformSpec(platform), label: host.label, nodes: host.nodes})
    }
  }
  const defaults = named.length === 0 && hosts.length === 0 ? platformList(undefined, 'hosts', {defaults: DEFAULT_HOSTS}) : []
  for (const platform of [...named, ...defaults]) {
    const spec = formatPlatformSpec(platform)
    if (!hosts.some((host) => host.spec === spec)) hosts.push({platform, spec, label: spec})
  }
  return {hosts, nodes}
}

/** Rows as handed out: an origin's scheduling rules and pod status are in `workloads`, not repeated per row. */
function publicRow(row: AuditRow): AuditRow {
  return {...row, origins: row.origins.map(({placement: _placement, running: _running, ...origin}) => origin)}
}

/**
 * Audits many images on many hosts in one run with one registry client (and one on-disk cache):
 * every image × host × client cell, per-repository history, and what could not be read. Images
 * are references, `oci-layout:`/`oci-archive:` specs or SourceSpecs from parseSourceSpec. Bad
 * input (references, flags, files) throws a UsageError before any request.
 */
export async function audit(images: ReadonlyArray<string | SourceSpec>, options: AuditOptions = {}): Promise<AuditResult> {
  const started = Date.now()
  // Every option is checked before any file or registry is read.
  const allowUnknown = options.allowUnknownPlatform
  const namedHosts = options.hosts?.length ? platformList(options.hosts, 'hosts', {allowUnknown}) : []
  const require = options.require === undefined ? undefined : platformList(options.require, 'require', {allowUnknown})
  const named: ClientName[] | undefined = options.clients === undefined ? undefined : clientList(options.clients)
  if (options.deep && !require) throw new OptionError('{deep} needs {require}: the layers read are those of the required platforms')
  const concurrency = countOption(options.concurrency, 'concurrency')
  const latest = countOption(options.latest, 'latest')
  const maxImages = countOption(options.maxImages, 'maxImages')
  const files = options.from === undefined ? [] : stringList(options.from, 'from')
  const hostsFrom = textOption(options.hostsFrom, 'hostsFrom')
  if (options.cacheDir !== undefined && options.noCache) throw new OptionError('{cacheDir} and {noCache} cannot be used together')
  // As inspect answers it: a name that is a local directory or file was meant as one (exit 2, not an unreadable row).
  const imageList = sourceList(images, 'images (the first argument)')
  checkSelection(options, imageList)
  const mirrors = parseMirrors(options.mirrors ?? [])
  const workloads = await readWorkloads(files, inputReading(options))
  // What each mirrored reference stands for: the report names the image as written and where it was read.
  const mirrorOf = new Map<string, string>()
  // Each workload image by the reference its rows show, for reading its layers again (--deep).
  const workloadSpecs = new Map<string, SourceSpec>()
  const inputs: AuditInput[] = [
    ...imageList.map((spec) => ({spec})),
    ...workloads.map((image) => {
      const mirrored = throughMirror(image.spec, mirrors)
      if (mirrored) mirrorOf.set(keyOf(mirrored), keyOf(image.spec))
      const spec = mirrored ?? image.spec
      workloadSpecs.set(keyOf(spec), spec)
      return {spec, origins: image.origins}
    }),
  ]
  if (inputs.length === 0) throw new OptionError('nothing to audit: name {images} or {from}')
  const {hosts, nodes} = await readHosts(hostsFrom, namedHosts, inputReading(options))
  const origins = workloads.flatMap((image) => image.origins)
  // Kubernetes and Compose inputs are judged per workload on node groups; plain lists stay an image matrix.
  const {judgeWorkloads, planCluster} = await import('../engine/audit/cluster.js')
  const plan: ClusterPlan | null = origins.some(isWorkloadOrigin)
    ? planCluster({nodes, hosts: hosts.filter((host) => host.nodes === undefined), clients: named, origins})
    : null
  for (const spec of plan?.hostSpecs ?? []) {
    const platform = toHostPlatform(spec)
    if (!hosts.some((host) => host.spec === formatPlatformSpec(platform)))
      hosts.push({platform, spec: formatPlatformSpec(platform), label: spec})
  }
  const clients: ClientName[] = named ?? (plan && nodes ? plan.clients : ['docker'])
  const providers = options.deep
    ? [(await import('../engine/verify/deep-checks.js')).deepChecks(options.deep === true ? {} : options.deep)]
    : undefined

  const cache = openContentCache({
    noCache: options.noCache,
    cacheDir: options.cacheDir,
    memoryBytes: AUDIT_CACHE_MEMORY_BYTES,
    debug: options.registry?.debug,
  })
  // Every registry source of the run shares one client, with the cache and the Retry-After bound.
  const registry = {...options.registry, cache, maxRetryAfterMs: options.maxRetryAfterMs}
  // The cache records what this run wrote when the run ends, interrupted or not.
  const forgetCache = cache && options.onInterrupt ? options.onInterrupt(() => cache.close()) : undefined
  return withSources({...options, registry}, async (scope) => {
    const run = await runAudit(inputs, {
      hosts,
      clients,
      allowFallback: options.allowFallback,
      selection: {range: options.tags, pattern: options.tagPattern, latest, includePrerelease: options.includePrerelease},
      concurrency,
      maxImagesPerRepository: maxImages,
      verify: require ? {require, client: clients[0], allowFallback: options.allowFallback} : undefined,
      providers,
      supplyChain: options.supplyChain,
      open: (spec) => scope.open(spec),
      onProgress: options.onProgress === undefined ? undefined : (done, total) => options.onProgress?.(done, total),
      signal: options.signal,
    })
    const stats = await scope.stats()
    const rows = run.rows
    const unreadable = rows.filter((row) => row.status === 'unreadable')
    const notAudited = rows.filter((row) => row.status === 'not-audited')
    const workloadEntries = (plan ? judgeWorkloads(rows, plan, options.allowFallback ?? false) : []).map((entry) => {
      const written = mirrorOf.get(entry.image)
      return written ? {...entry, image: written, pulledFrom: entry.image} : entry
    })
    if (options.deep && plan) {
      const {explainStartErrors} = await import('../engine/audit/cluster.js')
      const open = (reference: string) => {
        const spec = workloadSpecs.get(reference)
        // Every entry's image is a workload input's reference, as its row shows it.
        if (!spec) throw new Error(`no workload image is read as ${reference}`)
        return scope.open(spec)
      }
      await explainStartErrors(workloadEntries, plan, open, options.deep === true ? {} : options.deep)
    }
    // A workload's image is judged on the nodes it can reach; an image named only as such on every host.
    const failures = rows.filter((row) => row.status === 'audited' && !row.passed).length
    const nothingAudited =
      rows.length === 0
        ? `nothing was audited: no tag of ${run.unmatched.map((entry) => entry.repository).join(', ')} is selected, so nothing passed`
        : null
    // A workload's image fails only where its workload can be scheduled; an image named on its own, on every host.
    const failing =
      workloadEntries.filter((entry) => !entry.passed).length +
      rows.filter((row) => row.status === 'audited' && !row.passed && (!plan || !row.origins.some(isWorkloadOrigin))).length
    const exitCode =
      unreadable.length + notAudited.length > 0
        ? ExitCode.registry
        : failing > 0 || nothingAudited !== null
          ? ExitCode.checkFailed
          : ExitCode.ok
    const cacheStats = stats?.cache ?? cache?.stats()
    return versioned({
      passed: exitCode === ExitCode.ok,
      exitCode,
      hosts: hosts.map((host) => ({host: host.spec, label: host.label, nodes: host.nodes ?? null})),
      clients,
      allowFallback: options.allowFallback ?? false,
      required: require ? require.map((platform) => formatPlatform(platform)) : null,
      rows: rows.map(publicRow),
      workloads: workloadEntries,
      nodeGroups: (plan?.groups ?? []).map(({representative: _node, ...group}) => group),
      history: run.history,
      supplyChainHistory: run.supplyChainHistory,
      unreadable: unreadable.map((row) => ({reference: row.reference, error: row.error ?? ''})),
      notAudited: notAudited.map((row) => row.reference),
      interrupted: notAudited.some((row) => row.error === INTERRUPTED),
      rateLimited: run.rateLimited,
      unmatched: run.unmatched,
      selection: run.selection,
      nothingAudited,
      summary: {
        images: rows.length,
        hosts: hosts.length,
        failures,
        unreadable: unreadable.length,
        notAudited: notAudited.length,
        requests: stats?.requests ?? 0,
        byMethod: stats?.byMethod ?? {},
        durationMs: Date.now() - started,
        cache:
          cache && cacheStats
            ? {
                dir: cache.dir,
                hits: cacheStats.hits,
                misses: cacheStats.misses,
                corrupt: cacheStats.corrupt,
                written: cacheStats.entriesWritten,
              }
            : null,
        rateLimit: stats?.rateLimit ?? {},
        workloads: plan
          ? {
              total: workloadEntries.length,
              // Disjoint: a workload that fits no node is counted as unschedulable only.
              failing: workloadEntries.filter((entry) => !entry.passed && !entry.unschedulable).length,
              // A DaemonSet that fits no node passes: it is not counted as a problem.
              unschedulable: workloadEntries.filter((entry) => entry.unschedulable && !entry.passed).length,
            }
          : null,
      },
    })
  }).finally(() => {
    forgetCache?.()
    cache?.close()
  })
}

/** 0 every cell passes, 1 some cell or check fails or nothing was audited, 3 some image could not be read or was not audited. */
export function auditExitCode(result: AuditResult): ExitCodeValue {
  return result.exitCode
}

/** Where an image came from, for messages: `deploy.yaml:12 (Deployment/web container app)`. */
export function originText(origin: ImageOrigin): string {
  return `${origin.file}:${origin.line} (${origin.from})`
}
