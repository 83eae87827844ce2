import {homedir} from 'node:os'

import {ExitCode, UsageError, type ExitCodeValue} from '../oci/errors.js'
import {DEFAULT_HOSTS} from '../oci/platform/hosts.js'
import {toHostPlatform} from '../oci/platform/match.js'
import {formatPlatform, formatPlatformSpec} from '../oci/platform/normalize.js'
import type {Platform} from '../oci/platform/types.js'
import {formatReference, parseReference} from '../oci/reference.js'
import {runAudit, type AuditHistory, type AuditHost, type AuditInput, type AuditRow, type RateLimitStop} from '../engine/audit/run.js'
import type {ReadInputOptions} from '../engine/audit/input.js'
import type {ImageOrigin, WorkloadImage} from '../engine/audit/workloads.js'
import type {ReadLayersOptions} from '../engine/layers/read-image.js'
import type {ClientName} from '../engine/resolve/resolution.js'
import {openContentCache} from '../source/cache.js'
import {parseSourceSpec} from '../source/open.js'
import {argumentList, clientList, countOption, OptionError, platformList, stringList, textOption} from './options.js'
import {versioned, type Versioned} from './schema.js'
import {withSources, type ReadOptions} from './sources.js'

export type {AuditCell, AuditHistory, AuditRow, AuditVerdict, HistoryRun, RateLimitStop, RowStatus} from '../engine/audit/run.js'
export type {ImageOrigin} from '../engine/audit/workloads.js'
export {DEFAULT_AUDIT_CONCURRENCY} from '../engine/audit/run.js'

export interface AuditOptions extends ReadOptions {
  /** Files (or `-` for stdin) listing references, Kubernetes YAML or a Compose file. */
  from?: string[]
  /** `kubectl get nodes -o json` output; its distinct node platforms become hosts. */
  hostsFrom?: string
  /** More hosts: specifiers or platforms (default linux/amd64, linux/arm64 when no host is named at all). */
  hosts?: ReadonlyArray<string | Platform>
  /** Accept hosts and required platforms whose OS or architecture Go does not know (otherwise refused as a likely typo). */
  allowUnknownPlatform?: boolean
  /** Client models or their aliases (kubernetes, cri-o…), comma-separated or as an array, or 'all' (default docker). */
  clients?: readonly string[] | string
  allowFallback?: boolean
  /** Tag selection for repositories named without a tag. */
  tags?: string
  tagPattern?: string
  latest?: number
  includePrerelease?: boolean
  /** Images read at once per registry (default DEFAULT_AUDIT_CONCURRENCY, 16). */
  concurrency?: number
  /** Run verify's checks with these required platforms. */
  require?: ReadonlyArray<string | Platform>
  /** Also read layers (verify's deep checks; needs `require`). */
  deep?: boolean | ReadLayersOptions
  /** Cache of manifests and configs (default `$XDG_CACHE_HOME/archcheck`). */
  cacheDir?: string
  noCache?: boolean
  /** A 429 asking to wait longer than this stops the audit of that registry (default 60 s). */
  maxRetryAfterMs?: number
  onProgress?(done: number, total: number): void
  /** What `-` in `from` or `hostsFrom` reads. */
  stdin?: NodeJS.ReadableStream
  env?: Record<string, string | undefined>
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
  history: AuditHistory[]
  /** References of rows that could not be read, with why. */
  unreadable: Array<{reference: string; error: string}>
  /** References not audited because a registry's rate limit stopped the run. */
  notAudited: string[]
  rateLimited: RateLimitStop[]
  /** Repositories named without a tag of which no tag was selected (with how many tags they have). */
  unmatched: Array<{repository: string; tags: number}>
  summary: AuditSummary
}>

/**
 * The cache's entries kept in memory during an audit: every tag costs a look-up of its index, and
 * tags name the same few indexes again and again. Manifests are a few KB: this holds thousands.
 */
const AUDIT_CACHE_MEMORY_BYTES = 8 * 1024 * 1024

/** A reference's identity for merging workload files: `nginx` and `docker.io/library/nginx:latest` are one image. */
function keyOf(reference: string): string {
  const parsed = parseSourceSpec(reference)
  if (parsed.kind !== 'registry') return reference
  const ref = parseReference(parsed.reference)
  return formatReference(ref.tag || ref.digest ? ref : {...ref, tag: 'latest'})
}

/** Whether an image argument is a registry repository without tag or digest: its tags are listed and selected. */
function isBareRepository(spec: string): boolean {
  const parsed = parseSourceSpec(spec)
  if (parsed.kind !== 'registry') return false
  const ref = parseReference(parsed.reference)
  return !ref.tag && !ref.digest
}

/**
 * Tag selection applies only to repositories named without a tag among the image arguments (a
 * file's untagged image is `:latest`, as Kubernetes and Compose pull it): given with none, it
 * would silently select nothing.
 */
function checkSelection(options: AuditOptions, images: readonly string[]): void {
  const given = (['tags', 'tagPattern', 'latest', 'includePrerelease'] as const).filter(
    (option) => options[option] !== undefined && options[option] !== false,
  )
  if (given.length === 0 || images.some((image) => isBareRepository(image))) return
  throw new OptionError(
    `${given.map((option) => `{${option}}`).join(', ')} select${given.length === 1 ? 's' : ''} tags of a repository named without a tag among {images}, and none is (an untagged image in a file is :latest)`,
  )
}

/** Every reference a workload file names, checked now so a typo fails as `FILE:LINE: …` before any request. */
async function readWorkloads(files: readonly string[], reading: ReadInputOptions): Promise<WorkloadImage[]> {
  if (files.filter((file) => file === '-').length > 1) throw new OptionError("{from}: stdin ('-') can be read only once")
  if (files.length === 0) return []
  // Loaded for workload files only: the YAML parser is most of the audit's code.
  const [{readInput}, {mergeWorkloadImages, readWorkloadImages}] = await Promise.all([
    import('../engine/audit/input.js'),
    import('../engine/audit/workloads.js'),
  ])
  const lists: WorkloadImage[][] = []
  for (const file of files) {
    const input = await readInput(file, reading)
    const {images} = readWorkloadImages(input.text, input.name)
    for (const image of images) {
      try {
        keyOf(image.reference)
      } catch (error) {
        const origin = image.origins[0]
        throw new UsageError(`${origin.file}:${origin.line}: ${(error as Error).message}`, {cause: error})
      }
    }
    lists.push(images)
  }
  return mergeWorkloadImages(lists, keyOf)
}

/** Input files share the registry's patience: a FIFO or pipe silent for that long is given up. */
function inputReading(options: AuditOptions): ReadInputOptions {
  return {stdin: options.stdin, idleTimeoutMs: options.registry?.timeoutMs}
}

/** The hosts of a node file first, then those named (without repeats); the defaults when there are none. */
async function readHosts(hostsFrom: string | undefined, named: readonly Platform[], reading: ReadInputOptions): Promise<AuditHost[]> {
  const hosts: AuditHost[] = []
  if (hostsFrom !== undefined) {
    const [{readInput}, {readNodeHosts}] = await Promise.all([import('../engine/audit/input.js'), import('../engine/audit/nodes.js')])
    const input = await readInput(hostsFrom, reading)
    for (const node of readNodeHosts(input.text, input.name)) {
      const platform = toHostPlatform(node.spec)
      hosts.push({platform, spec: formatPlatformSpec(platform), label: node.label, nodes: node.nodes})
    }
  }
  const defaults = named.length === 0 && hosts.length === 0 ? platformList(undefined, 'hosts', {defaults: DEFAULT_HOSTS}) : []
  for (const platform of [...named, ...defaults]) {
    const spec = formatPlatformSpec(platform)
    if (!hosts.some((host) => host.spec === spec)) hosts.push({platform, spec, label: spec})
  }
  return hosts
}

/**
 * Audits many images on many hosts in one run with one registry client (and one on-disk cache):
 * every image × host × client cell, per-repository history, and what could not be read. Bad
 * input (references, flags, files) throws a UsageError before any request.
 */
export async function audit(images: readonly string[], options: AuditOptions = {}): Promise<AuditResult> {
  const started = Date.now()
  // Every option is checked before any file or registry is read.
  const imageList = argumentList(images, 'images (the first argument)')
  const allowUnknown = options.allowUnknownPlatform
  const named = options.hosts?.length ? platformList(options.hosts, 'hosts', {allowUnknown}) : []
  const require = options.require === undefined ? undefined : platformList(options.require, 'require', {allowUnknown})
  const clients = clientList(options.clients)
  if (options.deep && !require) throw new OptionError('{deep} needs {require}: the layers read are those of the required platforms')
  const concurrency = countOption(options.concurrency, 'concurrency')
  const latest = countOption(options.latest, 'latest')
  const files = options.from === undefined ? [] : stringList(options.from, 'from')
  const hostsFrom = textOption(options.hostsFrom, 'hostsFrom')
  if (options.cacheDir !== undefined && options.noCache) throw new OptionError('{cacheDir} and {noCache} cannot be used together')
  for (const image of imageList) keyOf(image)
  checkSelection(options, imageList)
  const workloads = await readWorkloads(files, inputReading(options))
  const inputs: AuditInput[] = [
    ...imageList.map((spec) => ({spec})),
    ...workloads.map((image) => ({spec: image.reference, origins: image.origins})),
  ]
  if (inputs.length === 0) throw new OptionError('nothing to audit: name {images} or {from}')
  const hosts = await readHosts(hostsFrom, named, inputReading(options))
  const providers = options.deep
    ? [(await import('../engine/verify/deep-checks.js')).deepChecks(options.deep === true ? {} : options.deep)]
    : undefined

  const env = options.env ?? process.env
  const cache = openContentCache({
    noCache: options.noCache,
    cacheDir: options.cacheDir,
    env,
    homedir: homedir(),
    memoryBytes: AUDIT_CACHE_MEMORY_BYTES,
    debug: options.registry?.debug,
  })
  // Every registry source of the run shares one client, with the cache and the Retry-After bound.
  const registry = {...options.registry, cache, maxRetryAfterMs: options.maxRetryAfterMs}
  return withSources({...options, registry}, async (scope) => {
    const run = await runAudit(inputs, {
      hosts,
      clients,
      allowFallback: options.allowFallback,
      selection: {range: options.tags, pattern: options.tagPattern, latest, includePrerelease: options.includePrerelease},
      concurrency,
      verify: require ? {require, client: clients[0], allowFallback: options.allowFallback} : undefined,
      providers,
      open: (spec) => scope.open(spec),
      onProgress: options.onProgress === undefined ? undefined : (done, total) => options.onProgress?.(done, total),
    })
    const stats = await scope.stats()
    const rows = run.rows
    const unreadable = rows.filter((row) => row.status === 'unreadable')
    const notAudited = rows.filter((row) => row.status === 'not-audited')
    const failures = rows.filter((row) => row.status === 'audited' && !row.passed).length
    const exitCode = unreadable.length + notAudited.length > 0 ? ExitCode.registry : failures > 0 ? ExitCode.checkFailed : ExitCode.ok
    const cacheStats = stats?.cache ?? cache?.stats()
    return versioned({
      passed: exitCode === ExitCode.ok,
      exitCode,
      hosts: hosts.map((host) => ({host: host.spec, label: host.label, nodes: host.nodes ?? null})),
      clients,
      allowFallback: options.allowFallback ?? false,
      required: require ? require.map((platform) => formatPlatform(platform)) : null,
      rows,
      history: run.history,
      unreadable: unreadable.map((row) => ({reference: row.reference, error: row.error ?? ''})),
      notAudited: notAudited.map((row) => row.reference),
      rateLimited: run.rateLimited,
      unmatched: run.unmatched,
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
      },
    })
  })
}

/** 0 every cell passes, 1 some cell or check fails, 3 some image could not be read or was not audited. */
export function auditExitCode(result: AuditResult): ExitCodeValue {
  return result.exitCode
}

/** Where an image came from, for messages: `deploy.yaml:12 (Deployment/web container app)`. */
export function originText(origin: ImageOrigin): string {
  return `${origin.file}:${origin.line} (${origin.from})`
}
