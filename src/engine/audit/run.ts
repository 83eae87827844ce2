import {AbortError, AbortWatch} from '../../oci/abort.js'
import {ArchcheckError, RegistryError, type ErrorKind} from '../../oci/errors.js'
import {PlatformMatching} from '../../oci/platform/match.js'
import {formatPlatformSpec} from '../../oci/platform/normalize.js'
import type {Platform} from '../../oci/platform/types.js'
import {formatSourceSpec, validateTag, withDefaultTag, type SourceSpec} from '../../oci/reference.js'
import type {ImageTree} from '../../oci/types.js'
import type {ImageSource} from '../../source/source.js'
import {createLimiter} from '../limit.js'
import type {ClientName, Resolution, Verdict} from '../resolve/resolution.js'
import {resolveForHost} from '../resolve/resolve.js'
import {fetchImageTree} from '../tree.js'
import {collectArtifacts} from '../supply-chain/collect.js'
import {supplyChainPresence} from '../supply-chain/presence.js'
import type {CheckProvider, CheckResult, VerifyOptions} from '../verify/types.js'
import {verifyImage} from '../verify/verify.js'
import {
  compareTagVersions,
  compileTagSelection,
  parseTagVersion,
  type SelectionCounts,
  type TagSelectionOptions,
  type TagVersion,
} from './tags.js'
import {OnceMemo, SharedReads} from './shared-reads.js'
import type {ImageOrigin} from './workloads.js'
import {plural} from '../../oci/words.js'

/**
 * A cell of the audit matrix: the resolver's verdict, plus `missing` (the client picks an image the
 * registry no longer has: the pull fails), `error` (the image could not be read at all) and
 * `check-failed` (the pull works, but a verify check of this host's platform fails: the image
 * pulled will not run there, e.g. its entrypoint is built for another architecture).
 */
export type AuditVerdict = Verdict | 'missing' | 'error' | 'check-failed'

/** A column of the matrix. */
export interface AuditHost {
  platform: Platform
  /** As the platform parser reads it back: `linux/arm64`, `windows(10.0.20348)/amd64`. */
  spec: string
  /** For headings: the spec, with the node count when the host came from `--hosts-from`. */
  label: string
  /** Node names with this platform (from `--hosts-from`). */
  nodes?: string[]
}

/** One thing the user asked to audit. */
export interface AuditInput {
  /** A reference, `oci-layout:`/`oci-archive:` spec, or a registry repository without tag (expanded through its tag list). */
  spec: SourceSpec
  /** Where a workload file named it; such references are never expanded (`nginx` in a Pod means `nginx:latest`). */
  origins?: ImageOrigin[]
}

export interface AuditCell {
  host: string
  client: ClientName
  verdict: AuditVerdict
  /** The manifest the client pulls; null when it pulls none. */
  chosen: string | null
  /** The platform the chosen entry was picked as. */
  platform: string | null
  message: string
  /** With --require: ids of the failed verify checks of this host's platform (their messages are in `message`). */
  failedChecks: string[]
}

export type RowStatus = 'audited' | 'unreadable' | 'not-audited'

/**
 * Why a row has no result: the kind of the error that made it unreadable, `invalid-tag` for a
 * listed tag that is no valid reference, or `not-audited`.
 */
export type RowErrorKind = ErrorKind | 'invalid-tag' | 'not-audited'

export interface AuditRow {
  /** The repository the row is grouped under: `registry/repository`, or the local spec without its tag. */
  repository: string
  /** Full reference as opened: `127.0.0.1:5000/app:1.4.0`, `oci-layout:dir:tag`. */
  reference: string
  tag: string | null
  /** Other tags of the same repository naming the same top digest (`2.2`, `2`, `latest`): one release, one row. */
  aliases: string[]
  /** Why the row stands alone when it might be expected not to: `no full release with this digest` for a floating tag. */
  note: string | null
  /** The version the tag names (semver), null for `latest`, partial versions (`2`, `2.2`), digests and local images. */
  version: string | null
  /** Pre-release versions (`2.1.0-rc.1`). */
  prerelease: boolean
  /** Image variant the tag's suffix names (`alpine`). */
  variant: string | null
  digest: string | null
  status: RowStatus
  /** Every cell passes and no check fails; false for rows that are unreadable or not audited. */
  passed: boolean
  /** Why the image could not be read, or why it was not audited. */
  error: string | null
  /** The kind of `error` (`not-found`, `rate-limited`, …; docs/cli.md "Error kinds"). */
  errorKind: RowErrorKind | null
  cells: AuditCell[]
  /** verify's checks with `--require`, else null. */
  checks: Array<{id: string; status: CheckResult['status']; platform: string | null; message: string}> | null
  /** With --supply-chain: what is attached to the image (docs/audit.md "Supply chain"), else null. */
  supplyChain: RowSupplyChain | null
  origins: ImageOrigin[]
  durationMs: number
}

/**
 * A release's provenance, SBOM and signature: each true when the tag's index carries it, or every
 * platform image does. `error` names what was attached but could not be read (the booleans then
 * say only what could be read).
 */
export interface RowSupplyChain {
  provenance: boolean
  sbom: boolean
  signed: boolean
  error: string | null
}

/** Per repository (and variant): how provenance, SBOMs and signatures came and went across releases. */
export interface SupplyChainHistory {
  repository: string
  variant: string | null
  /** "provenance in all 5 releases; no sbom in all 5 releases; unsigned in 1.3.0; signed from 1.4.0 on". */
  text: string
}

/** One stretch of versions with the same verdict, oldest first. */
export interface HistoryRun<Verdict extends string = AuditVerdict> {
  verdict: Verdict
  /** With `check-failed`: the failed checks. */
  failedChecks: string[]
  from: string
  to: string
  count: number
}

/** Per repository (and variant), per host × client: how the verdict changed across versions. */
export interface AuditHistory {
  repository: string
  variant: string | null
  host: string
  client: ClientName
  /** Over releases, oldest first. */
  runs: HistoryRun[]
  /** Pre-releases whose verdict differs from the releases around them. */
  exceptions: Array<{version: string; verdict: AuditVerdict}>
  /** "ok from 1.4.0 on; no-match in 2.1.0-rc.1". */
  text: string
}

export interface RateLimitStop {
  registry: string
  message: string
  retryAfterMs: number | null
}

export interface AuditRun {
  rows: AuditRow[]
  history: AuditHistory[]
  /** With supplyChain: per repository, how its releases' provenance, SBOMs and signatures changed. */
  supplyChainHistory: SupplyChainHistory[]
  /** Registries whose rate limit stopped the run there (their unstarted images are `not-audited`). */
  rateLimited: RateLimitStop[]
  /** Repositories whose tag list had no tag the selection kept: nothing of them was audited. */
  unmatched: Array<{repository: string; tags: number}>
  /** Per repository named without a tag whose list was read: what the selection did with its tags. */
  selection: RepositorySelection[]
}

/** What the tag selection did with one repository's tags (a line on stderr, `selection` in JSON). */
export interface RepositorySelection extends SelectionCounts {
  repository: string
  /** `REPO: 21 tags: 14 selected by '>=1.4 <3'; left out: 3 not versions (latest, main, sha-3f9c2a1), 3 variants, 1 pre-release`. */
  text: string
}

export interface AuditRunOptions {
  hosts: AuditHost[]
  clients: readonly ClientName[]
  /** fallback cells pass. */
  allowFallback?: boolean
  /** How tags of a repository without tag are chosen. */
  selection?: TagSelectionOptions
  /** Images read at once per registry (default DEFAULT_AUDIT_CONCURRENCY). */
  concurrency?: number
  /** verify's options with `--require`: the checks run on each image's tree, no second read. */
  verify?: Omit<VerifyOptions, 'providers'> & {require: Platform[]}
  providers?: CheckProvider[]
  /** Also read each image's provenance, SBOMs and signatures (5 requests more per platform image and the index). */
  supplyChain?: boolean
  /** Opens a spec; the caller owns the registry client behind it. */
  open(spec: SourceSpec): Promise<ImageSource>
  /** Images a repository's selection may have (default DEFAULT_MAX_IMAGES_PER_REPOSITORY); more is an error of that repository. */
  maxImagesPerRepository?: number
  /** Called after each image (and once at the start) with how many are done of how many. */
  onProgress?(done: number, total: number): void
  /** Aborted (Ctrl-C): no image starts any more, those in flight are given up; all of them are `not-audited`, "interrupted". */
  signal?: AbortSignal
}

/** The error of a row the run was interrupted before it finished. */
export const INTERRUPTED = 'interrupted'

/**
 * Images read at once per registry: twice the transport's 32 connections per host, so that the
 * pool always has the next request while an image is between its tag's HEAD and its children's.
 * A warm audit is one HEAD per tag and per child manifest (200 tags over 20 indexes of 4: 280), so
 * the pool sets how many round trips it waits for: at least 9 at 32 connections, 18 at 16.
 * Requests waiting in the pool count against their timeout: a few round trips here.
 */
export const DEFAULT_AUDIT_CONCURRENCY = 64

/**
 * Images one repository's tag selection may have. Each costs at least a request and a row: a
 * selection bigger than this is a range written wider than meant (`--tags '*'` over a repository of
 * 100,000 nightly tags), refused for that repository with how to narrow it, or raised with --max-images.
 */
export const DEFAULT_MAX_IMAGES_PER_REPOSITORY = 2000

interface Planned {
  /** What the source is opened with: registry references with a tag or digest (`latest` filled in). */
  spec: SourceSpec
  /** The spec as rows show it: `127.0.0.1:5000/app:1.4.0`, `oci-layout:dir:tag`. */
  reference: string
  repository: string
  registry: string
  tag: string | null
  version: TagVersion | null
  origins: ImageOrigin[]
  /**
   * named: the user named it; selected: the tag selection chose it; alias: a floating tag
   * (`2`, `latest`) read only to be attached to a selected release by digest.
   */
  role: 'named' | 'selected' | 'alias'
}

/** A registry reference with neither tag nor digest, named on the command line: a repository to expand. */
function isBareRepository(input: AuditInput): boolean {
  if (input.origins?.length || input.spec.kind !== 'registry') return false
  return input.spec.reference.tag === undefined && input.spec.reference.digest === undefined
}

/** Where a spec's images come from, for grouping rows and for per-registry concurrency. */
function placeOf(spec: SourceSpec): {repository: string; registry: string; tag: string | null} {
  if (spec.kind === 'registry') {
    const {reference} = spec
    return {
      repository: `${reference.registry}/${reference.repository}`,
      registry: reference.registry,
      tag: reference.digest ? null : (reference.tag ?? 'latest'),
    }
  }
  // oci-layout:PATH[:TAG|@DIGEST]: the path is the repository.
  return {repository: `${spec.kind}:${spec.layout.path}`, registry: spec.kind, tag: spec.layout.tag ?? null}
}

function errorText(error: unknown): {message: string; kind: ErrorKind} {
  if (error instanceof ArchcheckError) return {message: error.message, kind: error.kind}
  throw error
}

function emptyRow(item: Planned, status: RowStatus, error: string | null, kind: RowErrorKind | null, durationMs = 0): AuditRow {
  return {
    repository: item.repository,
    reference: item.reference,
    tag: item.tag,
    aliases: [],
    note: null,
    version: item.version ? item.version.version.version : null,
    prerelease: item.version?.prerelease ?? false,
    variant: item.version?.variant ?? null,
    digest: null,
    status,
    passed: false,
    error,
    errorKind: kind,
    cells: [],
    checks: null,
    supplyChain: null,
    origins: item.origins,
    durationMs,
  }
}

/** The verdict of a cell: a no-match because the chosen image is gone is `missing`. */
function cellVerdict(resolution: Resolution, tree: ImageTree): AuditVerdict {
  if (resolution.verdict !== 'no-match') return resolution.verdict
  const first =
    resolution.candidates.find((candidate) => candidate.rank === 1)?.node ?? (tree.root.kind === 'other' ? tree.root : undefined)
  return first?.kind === 'other' && first.missing ? 'missing' : 'no-match'
}

export function cellPasses(verdict: AuditVerdict, allowFallback: boolean): boolean {
  return verdict === 'ok' || (allowFallback && verdict === 'fallback')
}

/** A full version (three numbers) read from the tag; partial ones (`2`, `2.2`) name no release of their own. */
function fullVersionOf(tag: string | null, variantPattern: RegExp | undefined): TagVersion | null {
  const parsed = tag ? parseTagVersion(tag, variantPattern) : undefined
  return parsed && parsed.precision === 3 ? parsed : null
}

/** "REPO: 21 tags: 14 selected by '>=1.4 <3'; left out: 3 not versions (latest, main, sha-3f9c2a1), 3 variants, 1 pre-release". */
export function selectionText(repository: string, counts: SelectionCounts): string {
  const left: string[] = []
  if (counts.notVersions > 0) {
    const more = counts.notVersions > counts.notVersionNames.length ? ', …' : ''
    left.push(`${plural(counts.notVersions, 'not a version', 'not versions')} (${counts.notVersionNames.join(', ')}${more})`)
  }
  if (counts.notMatching > 0) left.push(`${counts.notMatching} not matching the pattern`)
  if (counts.variants > 0) left.push(plural(counts.variants, 'variant'))
  if (counts.prereleases > 0) left.push(plural(counts.prereleases, 'pre-release'))
  if (counts.outOfRange > 0) left.push(`${counts.outOfRange} out of range`)
  if (counts.beyondLatest > 0) left.push(`${counts.beyondLatest} older than the newest releases kept`)
  const head = `${repository}: ${plural(counts.tags, 'tag')}: ${counts.selected} selected by ${counts.by}`
  return left.length > 0 ? `${head}; left out: ${left.join(', ')}` : head
}

/**
 * Audits many images: expands repositories through their tag lists, reads each image's tree
 * (at most `concurrency` at once per registry), simulates every host × client pull and, with
 * `verify`, runs verify's checks on the same tree. An image that cannot be read is a row marked
 * `unreadable`; a registry that answers "rate limited" past the bound stops new work there, lets
 * what is in flight finish, and leaves the rest `not-audited`. Nothing finished is lost.
 * In a repository named without a tag, tags naming the same top digest are one release: one row,
 * the other tags its `aliases`.
 */
export async function runAudit(inputs: readonly AuditInput[], options: AuditRunOptions): Promise<AuditRun> {
  const selector = compileTagSelection(options.selection ?? {})
  const variantPattern = options.selection?.pattern ? new RegExp(options.selection.pattern) : undefined
  const concurrency = options.concurrency ?? DEFAULT_AUDIT_CONCURRENCY
  const maxImages = options.maxImagesPerRepository ?? DEFAULT_MAX_IMAGES_PER_REPOSITORY
  const limiters = new Map<string, ReturnType<typeof createLimiter>>()
  const limiterOf = (registry: string) => {
    let limiter = limiters.get(registry)
    if (!limiter) limiters.set(registry, (limiter = createLimiter(concurrency)))
    return limiter
  }
  const stopped = new Map<string, RateLimitStop>()
  // Ctrl-C: images not started are not started, those in flight are given up (options.signal).
  // Their requests abort too, but those rejections come later: each is settled as interrupted first,
  // all through one listener on the signal.
  const aborts = new AbortWatch()
  const unlessInterrupted = <T>(work: Promise<T>, interrupted: () => T): Promise<T> =>
    aborts.race(work, options.signal).catch((error: unknown) => {
      if (error instanceof AbortError && options.signal?.aborted) return interrupted()
      throw error
    })
  const stopFor = (registry: string, error: unknown): void => {
    if (!(error instanceof RegistryError) || error.kind !== 'rate-limited' || stopped.has(registry)) return
    stopped.set(registry, {registry, message: error.message, retryAfterMs: error.retryAfterMs ?? null})
  }

  // Plan: explicit references as given, repositories through their tag lists (concurrently).
  const rows: AuditRow[] = []
  const planned = new Map<string, Planned>()
  const plan = (spec: SourceSpec, origins: ImageOrigin[], role: Planned['role'], version: TagVersion | null) => {
    const canonical = withDefaultTag(spec)
    const reference = formatSourceSpec(canonical)
    const seen = planned.get(reference)
    if (seen) {
      for (const origin of origins) seen.origins.push(origin)
      // A tag both named and selected (or an alias candidate) is read once, in its strongest role.
      if (role === 'named' || (role === 'selected' && seen.role === 'alias')) seen.role = role
      return
    }
    const place = placeOf(canonical)
    planned.set(reference, {
      spec: canonical,
      reference,
      ...place,
      version: version ?? (role === 'alias' ? null : fullVersionOf(place.tag, variantPattern)),
      origins: [...origins],
      role,
    })
  }
  const listings = await Promise.all(
    inputs.map(async (input) => {
      if (!isBareRepository(input)) return {input}
      const place = placeOf(input.spec)
      const interrupted = () => ({input, failed: {message: INTERRUPTED, kind: 'not-audited' as const}})
      return limiterOf(place.registry)(async () => {
        const stop = stopped.get(place.registry)
        if (stop) return {input, failed: {message: `not audited: ${stop.message}`, kind: 'not-audited' as const}}
        if (options.signal?.aborted) return interrupted()
        let source: ImageSource | undefined
        try {
          source = await options.open(input.spec)
          if (!source.listTags)
            throw new RegistryError(`${source.displayName}: this source cannot list its tags; name a tag`, 'unsupported')
          const tags = await unlessInterrupted(source.listTags(), () => undefined)
          if (tags === undefined) return interrupted()
          return {input, selection: selector.select(tags)}
        } catch (error) {
          stopFor(place.registry, error)
          const {message, kind} = errorText(error)
          return {input, failed: {message: `cannot list the tags: ${message}`, kind}}
        } finally {
          await source?.close()
        }
      })
    }),
  )
  const unmatched: AuditRun['unmatched'] = []
  const selections: RepositorySelection[] = []
  const expanded = new Set<string>()
  const repositoryRow = (input: AuditInput, message: string, kind: RowErrorKind) => {
    const place = placeOf(input.spec)
    const status: RowStatus = kind === 'not-audited' ? 'not-audited' : 'unreadable'
    rows.push(
      emptyRow(
        {spec: input.spec, reference: formatSourceSpec(input.spec), ...place, tag: null, version: null, origins: [], role: 'named'},
        status,
        message,
        kind,
      ),
    )
  }
  for (const listing of listings) {
    const {input} = listing
    if ('selection' in listing && listing.selection) {
      const {selected, aliasCandidates, counts} = listing.selection
      const repository = placeOf(input.spec).repository
      selections.push({repository, ...counts, text: selectionText(repository, counts)})
      if (selected.length === 0) {
        unmatched.push({repository, tags: counts.tags})
        continue
      }
      if (selected.length + aliasCandidates.length > maxImages) {
        repositoryRow(
          input,
          `${selected.length + aliasCandidates.length} images selected, more than the ${maxImages} allowed per repository: narrow the selection (--tags, --tag-pattern, --latest) or raise --max-images`,
          'too-large',
        )
        continue
      }
      expanded.add(repository)
      // Only registry repositories are listed (isBareRepository): each tag is the repository's reference with that tag.
      const bare = input.spec
      const planListed = (tag: string, role: Planned['role'], version: TagVersion | null) => {
        const spec: SourceSpec = bare.kind === 'registry' ? {kind: 'registry', reference: {...bare.reference, tag}} : bare
        try {
          validateTag(tag)
          plan(spec, [], role, version)
        } catch (error) {
          // A registry may list a tag no client can name (longer than 128 characters): that row fails, not the run.
          const item: Planned = {
            spec,
            reference: formatSourceSpec(spec),
            repository,
            registry: placeOf(input.spec).registry,
            tag,
            version: null,
            origins: [],
            role,
          }
          rows.push(
            emptyRow(
              item,
              'unreadable',
              `the registry lists a tag that is not a valid reference: ${errorText(error).message}`,
              'invalid-tag',
            ),
          )
        }
      }
      for (const {tag, version} of selected) planListed(tag, 'selected', version)
      for (const {tag} of aliasCandidates) planListed(tag, 'alias', null)
    } else if ('failed' in listing && listing.failed) {
      repositoryRow(input, listing.failed.message, listing.failed.kind)
    } else {
      plan(input.spec, input.origins ?? [], 'named', null)
    }
  }

  const items = [...planned.values()]
  const shared = new SharedReads()
  const images = new OnceMemo<Simulated>(MAX_SIMULATED_IMAGES)
  // Every image is judged on the same hosts: each platform question is answered once per run.
  const matching = new PlatformMatching()
  const supplyChains = new OnceMemo<RowSupplyChain>(MAX_SIMULATED_IMAGES)
  const openShared = async (item: Planned) => shared.wrap(await options.open(item.spec), item.repository)
  let done = 0
  options.onProgress?.(0, items.length)
  const audited = await Promise.all(
    items.map((item) =>
      limiterOf(item.registry)(async (): Promise<Audited> => {
        try {
          const stop = stopped.get(item.registry)
          if (stop) return {item, row: emptyRow(item, 'not-audited', `not audited: ${stop.message}`, 'not-audited'), created: null}
          const interrupted = (): Audited => ({item, row: emptyRow(item, 'not-audited', INTERRUPTED, 'not-audited'), created: null})
          if (options.signal?.aborted) return interrupted()
          return await unlessInterrupted(
            auditOne(item, {...options, open: () => openShared(item)}, {images, matching, supplyChains}, (error) =>
              stopFor(item.registry, error),
            ),
            interrupted,
          )
        } finally {
          options.onProgress?.(++done, items.length)
        }
      }),
    ),
  )
  const created = new Map<AuditRow, string | null>()
  for (const release of releasesOf(audited, expanded)) {
    rows.push(release.row)
    created.set(release.row, release.created)
  }
  const sorted = sortRows(rows, (row) => created.get(row) ?? null)
  return {
    rows: sorted,
    history: historyOf(sorted, options),
    supplyChainHistory: options.supplyChain ? supplyChainHistoryOf(sorted) : [],
    rateLimited: [...stopped.values()],
    unmatched,
    selection: selections,
  }
}

/** A row as audited, with what planning and ordering need of it. */
interface Audited {
  item: Planned
  row: AuditRow
  /** The newest `created` of the image's configs: orders tags that are no version. */
  created: string | null
}

/** Alias tags in the order people read them: versions most precise first (`2.2`, `2`), then names. */
function compareAliases(a: string, b: string): number {
  const va = parseTagVersion(a)
  const vb = parseTagVersion(b)
  if (va && vb) return compareTagVersions(va, vb)
  if (va || vb) return va ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * One row per release in each expanded repository: audited rows with the same top digest are one
 * release, shown as its full version (the newest when several name it), the other tags as aliases.
 * A floating tag whose digest no full version of the selection has stands as itself, and says so.
 * Other rows (unreadable, not audited, explicit references elsewhere) are kept as they are.
 */
function releasesOf(audited: Audited[], expanded: ReadonlySet<string>): Audited[] {
  const out: Audited[] = []
  const byDigest = new Map<string, Audited[]>()
  for (const entry of audited) {
    const {row} = entry
    if (row.status !== 'audited' || !row.digest || !expanded.has(row.repository)) {
      out.push(entry)
      continue
    }
    const key = `${row.repository}\u0000${row.digest}`
    const group = byDigest.get(key)
    if (group) group.push(entry)
    else byDigest.set(key, [entry])
  }
  const rank = ({item}: Audited) => (item.version ? 0 : item.role === 'alias' ? 2 : 1)
  for (const group of byDigest.values()) {
    group.sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (a.item.version && b.item.version ? compareTagVersions(a.item.version, b.item.version) : 0) ||
        compareAliases(a.item.tag ?? '', b.item.tag ?? ''),
    )
    const [first, ...rest] = group
    const aliases = rest.map(({item}) => item.tag).filter((tag): tag is string => tag !== null)
    aliases.sort(compareAliases)
    for (const {item} of rest) for (const origin of item.origins) first.row.origins.push(origin)
    const note = first.item.role === 'alias' ? 'no full release with this digest' : null
    out.push({...first, row: {...first.row, aliases, note}})
  }
  return out
}

/**
 * Images simulated at most once per run: tags of a repository name the same few indexes again and
 * again, and re-tags of one release sort next to each other, so a short memory catches most repeats
 * while a run over thousands of distinct images keeps only this many trees.
 */
const MAX_SIMULATED_IMAGES = 256

/** An image's tree and its matrix cells, shared by every tag of its repository that names the same top manifest. */
interface Simulated {
  tree: ImageTree
  cells: AuditCell[]
  /** No message names `tree.reference`, so the cells hold for any tag of the image (most messages name only platforms and digests). */
  anyReference: boolean
}

function simulate(tree: ImageTree, options: AuditRunOptions, matching: PlatformMatching): Simulated {
  const cells = cellsOf(tree, options, matching)
  return {tree, cells, anyReference: cells.every((cell) => !cell.message.includes(tree.reference))}
}

function cellsOf(tree: ImageTree, options: AuditRunOptions, matching: PlatformMatching): AuditCell[] {
  const resolutions = options.clients.flatMap((client) =>
    options.hosts.map((host) => resolveForHost(tree, host.platform, client, matching)),
  )
  return resolutions.map((resolution, i) => {
    const verdict = cellVerdict(resolution, tree)
    const chosenPlatform = resolution.candidates.find((candidate) => candidate.rank === 1)?.platform
    return {
      host: options.hosts[i % options.hosts.length].spec,
      client: resolution.client,
      verdict,
      chosen: resolution.chosen?.descriptor.digest ?? null,
      platform: resolution.chosen && chosenPlatform ? formatPlatformSpec(chosenPlatform) : null,
      message: resolution.message,
      failedChecks: [],
    }
  })
}

/** The newest `created` of an image's configs, for ordering tags that are no version. */
function createdOf(tree: ImageTree): string | null {
  let newest: string | null = null
  const visit = (node: ImageTree['root']) => {
    if (node.kind === 'image' && node.config.created && (newest === null || node.config.created > newest)) newest = node.config.created
    if (node.kind === 'index') for (const child of node.children) visit(child)
  }
  visit(tree.root)
  return newest
}

/**
 * The failed checks a host's cell must show: a check of a platform concerns the host of that
 * platform (or the host pulling it). A cell whose pull passes becomes `check-failed`; one that
 * already fails keeps its verdict and lists the checks too.
 */
function withFailedChecks(cells: AuditCell[], checks: NonNullable<AuditRow['checks']>, allowFallback: boolean): AuditCell[] {
  const failed = checks.filter((check) => check.status === 'fail' && check.platform !== null)
  if (failed.length === 0) return cells
  return cells.map((cell) => {
    const concerned = failed.filter((check) => check.platform === cell.host || check.platform === cell.platform)
    if (concerned.length === 0) return cell
    const failedChecks = concerned.map((check) => check.id)
    if (!cellPasses(cell.verdict, allowFallback)) return {...cell, failedChecks}
    return {...cell, verdict: 'check-failed', failedChecks, message: concerned.map((check) => `${check.id}: ${check.message}`).join(' ')}
  })
}

async function auditOne(
  item: Planned,
  options: AuditRunOptions,
  {images, matching, supplyChains}: {images: OnceMemo<Simulated>; matching: PlatformMatching; supplyChains: OnceMemo<RowSupplyChain>},
  onError: (error: unknown) => void,
): Promise<Audited> {
  const started = Date.now()
  let source: ImageSource | undefined
  try {
    source = await options.open(item.spec)
    const opened = source
    const top = await opened.fetchManifest(opened.defaultReference)
    const key = `${item.repository} ${top.digest}`
    const readAlone = async () => simulate(await fetchImageTree(opened, {top}), options, matching)
    const known = images.get(key)
    // When another tag's read of this image failed, this tag reads for itself: its error then names its own reference.
    const image = known ? await known.catch(readAlone) : await images.once(key, readAlone)
    const tree: ImageTree =
      image.tree.reference === opened.displayName ? image.tree : {reference: opened.displayName, root: image.tree.root}
    // Copies: rows are handed to callers, and one row's cells must not change with another's.
    let cells = image.anyReference || tree === image.tree ? image.cells.map((cell) => ({...cell})) : cellsOf(tree, options, matching)
    let checks: AuditRow['checks'] = null
    if (options.verify) {
      const treeOnce = {fetchTree: () => Promise.resolve(tree), resolve: resolveForHost}
      const report = await verifyImage(opened, {...options.verify, providers: options.providers}, treeOnce)
      checks = report.checks.map((check) => ({
        id: check.id,
        status: check.status,
        platform: check.platform ?? null,
        message: check.message,
      }))
      if (report.verdict === 'error') throw new RegistryError(report.error ?? 'verify could not read the image', 'unreadable')
      cells = withFailedChecks(cells, checks, options.allowFallback ?? false)
    }
    const checksPass = (checks ?? []).every((check) => check.status !== 'fail')
    // Tags naming the same image share one read of what is attached to it, on the tree already read.
    const supplyChain = options.supplyChain ? await supplyChains.once(key, () => readSupplyChain(opened, tree)) : null
    return {
      item,
      row: {
        ...emptyRow(item, 'audited', null, null, Date.now() - started),
        digest: tree.root.descriptor.digest,
        passed: checksPass && cells.every((cell) => cellPasses(cell.verdict, options.allowFallback ?? false)),
        cells,
        checks,
        supplyChain,
      },
      created: createdOf(tree),
    }
  } catch (error) {
    onError(error)
    const {message, kind} = errorText(error)
    return {item, row: emptyRow(item, 'unreadable', message, kind, Date.now() - started), created: null}
  } finally {
    await source?.close()
  }
}

/**
 * What is attached to an image, summed up for its row: present when the index carries it or every
 * platform image does. A read that fails is the row's error, never a crash of the audit nor a pass.
 */
async function readSupplyChain(source: ImageSource, tree: ImageTree): Promise<RowSupplyChain> {
  try {
    const {subjects, lookupProblems} = await collectArtifacts(source, tree)
    const lines = supplyChainPresence(subjects)
    const index = lines.find((line) => line.target === 'index')
    const platforms = lines.filter((line) => line !== index)
    const has = (kind: 'provenance' | 'sbom' | 'signed') =>
      index?.[kind] === 'yes' || (platforms.length > 0 && platforms.every((line) => line[kind] === 'yes'))
    const unreadable = lines.flatMap((line) =>
      (['provenance', 'sbom', 'signed'] as const).filter((kind) => line[kind] === 'unreadable').map((kind) => `${line.target} ${kind}`),
    )
    const problems = [...lookupProblems, ...(unreadable.length > 0 ? [`unreadable: ${unreadable.join(', ')}`] : [])]
    return {
      provenance: has('provenance'),
      sbom: has('sbom'),
      signed: has('signed'),
      error: problems.length > 0 ? problems.join('; ') : null,
    }
  } catch (error) {
    return {provenance: false, sbom: false, signed: false, error: errorText(error).message}
  }
}

/**
 * Rows grouped by repository (in the order repositories were first named), newest first within:
 * tags that are not versions (`latest`, `sha-3f9c2a1`) at the top, newest image first, then
 * versions newest first, then digests.
 */
function sortRows(rows: AuditRow[], createdOf: (row: AuditRow) => string | null): AuditRow[] {
  const order = new Map<string, number>()
  for (const row of rows) if (!order.has(row.repository)) order.set(row.repository, order.size)
  const rank = (row: AuditRow) => (row.version ? 1 : row.tag ? 0 : 2)
  const versions = new Map<AuditRow, TagVersion | undefined>(
    rows.map((row) => [row, row.version ? parseTagVersion(row.tag ?? '') : undefined]),
  )
  return [...rows].sort((a, b) => {
    const byRepository = order.get(a.repository)! - order.get(b.repository)!
    if (byRepository !== 0) return byRepository
    if (rank(a) !== rank(b)) return rank(a) - rank(b)
    const va = versions.get(a)
    const vb = versions.get(b)
    if (va && vb) return compareTagVersions(va, vb)
    const ca = createdOf(a) ?? ''
    const cb = createdOf(b) ?? ''
    if (ca !== cb) return ca > cb ? -1 : 1
    return a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0
  })
}

/** Audited rows with a version, grouped by repository and variant, one per version, oldest first; groups of fewer than 2 left out. */
function releaseGroups(rows: AuditRow[]): AuditRow[][] {
  const groups = new Map<string, AuditRow[]>()
  for (const row of rows) {
    if (row.status !== 'audited' || !row.version) continue
    const key = `${row.repository}\u0000${row.variant ?? ''}`
    const group = groups.get(key)
    if (group) group.push(row)
    else groups.set(key, [row])
  }
  const out: AuditRow[][] = []
  for (const group of groups.values()) {
    // Oldest first; one row per version (the first in newest-first order).
    const byVersion = new Map<string, AuditRow>()
    for (const row of group) if (!byVersion.has(row.version!)) byVersion.set(row.version!, row)
    if (byVersion.size >= 2) out.push([...byVersion.values()].reverse())
  }
  return out
}

/**
 * Runs of releases with the same verdict, and the pre-releases whose verdict differs from the
 * releases around them (the last release not newer than it, else the first release).
 */
function runsOf<Verdict extends string>(
  ordered: AuditRow[],
  judgeRow: (row: AuditRow) => {verdict: Verdict; failedChecks: string[]},
): {runs: Array<HistoryRun<Verdict>>; exceptions: Array<{version: string; verdict: Verdict}>} {
  const runs: Array<HistoryRun<Verdict>> = []
  const exceptions: Array<{version: string; verdict: Verdict}> = []
  let lastRelease: AuditRow | undefined
  const pending: AuditRow[] = []
  const judge = (row: AuditRow, around: AuditRow | undefined) => {
    const {verdict} = judgeRow(row)
    if (!around || judgeRow(around).verdict !== verdict) exceptions.push({version: row.version!, verdict})
  }
  for (const row of ordered) {
    if (row.prerelease) {
      if (lastRelease) judge(row, lastRelease)
      else pending.push(row)
      continue
    }
    const {verdict, failedChecks} = judgeRow(row)
    const last = runs.at(-1)
    if (last && last.verdict === verdict && last.failedChecks.join() === failedChecks.join()) {
      last.to = row.version!
      last.count++
    } else {
      runs.push({verdict, failedChecks, from: row.version!, to: row.version!, count: 1})
    }
    if (!lastRelease) for (const early of pending.splice(0)) judge(early, row)
    lastRelease = row
  }
  for (const early of pending) judge(early, undefined)
  exceptions.sort((a, b) => compareVersions(b.version, a.version))
  return {runs, exceptions}
}

/**
 * The history of one repository's releases on one host × client, from its audited rows (one per
 * release, newest first). Linear in the rows: each group is walked once, oldest first.
 */
export function historyOf(rows: AuditRow[], options: Pick<AuditRunOptions, 'hosts' | 'clients'>): AuditHistory[] {
  const out: AuditHistory[] = []
  for (const ordered of releaseGroups(rows)) {
    const releaseCount = ordered.filter((row) => !row.prerelease).length
    for (const client of options.clients) {
      for (const host of options.hosts) {
        const {runs, exceptions} = runsOf(ordered, (row) => {
          const cell = row.cells.find((candidate) => candidate.host === host.spec && candidate.client === client)
          return {verdict: cell?.verdict ?? 'error', failedChecks: cell?.failedChecks ?? []}
        })
        out.push({
          repository: ordered[0].repository,
          variant: ordered[0].variant,
          host: host.spec,
          client,
          runs,
          exceptions,
          text: historyText(runs, exceptions, releaseCount),
        })
      }
    }
  }
  return out
}

/** How each of provenance, SBOM and signature is named in the supply-chain history, present or not. */
const SUPPLY_CHAIN_WORDS = {
  provenance: ['provenance', 'no provenance'],
  sbom: ['sbom', 'no sbom'],
  signed: ['signed', 'unsigned'],
} as const

/** "provenance in all 5 releases; no sbom in all 5 releases; unsigned in 1.3.0; signed from 1.4.0 on", per repository. */
export function supplyChainHistoryOf(rows: AuditRow[]): SupplyChainHistory[] {
  return releaseGroups(rows.filter((row) => row.supplyChain !== null)).map((ordered) => {
    const releaseCount = ordered.filter((row) => !row.prerelease).length
    const parts = (Object.keys(SUPPLY_CHAIN_WORDS) as Array<keyof typeof SUPPLY_CHAIN_WORDS>).map((kind) => {
      const {runs, exceptions} = runsOf(ordered, (row): {verdict: string; failedChecks: string[]} => {
        const presence = row.supplyChain!
        const [present, absent] = SUPPLY_CHAIN_WORDS[kind]
        // Not found where something could not be read is not known to be absent.
        const verdict = presence[kind] ? present : presence.error !== null ? `${kind} unreadable` : absent
        return {verdict, failedChecks: []}
      })
      return historyText(runs, exceptions, releaseCount)
    })
    return {repository: ordered[0].repository, variant: ordered[0].variant, text: parts.join('; ')}
  })
}

function compareVersions(a: string, b: string): number {
  const va = parseTagVersion(a)
  const vb = parseTagVersion(b)
  return va && vb ? -compareTagVersions(va, vb) : 0
}

/**
 * "no-match from 1.0.0 to 1.3.1; ok from 1.4.0 on; no-match in 2.1.0-rc.1". The first run names
 * its first version: the audit saw only the versions selected, and says nothing of older ones. A
 * failed check is named after the run: "check-failed in 2.0.1 (entrypoint-arch)".
 */
export function historyText<Verdict extends string>(
  runs: Array<HistoryRun<Verdict>>,
  exceptions: Array<{version: string; verdict: Verdict}>,
  releases: number,
): string {
  const parts = runs.map((run, i) => {
    const checks = run.failedChecks.length > 0 ? ` (${run.failedChecks.join(', ')})` : ''
    if (runs.length === 1) return `${run.verdict} in all ${releases} release${releases === 1 ? '' : 's'}${checks}`
    if (run.count === 1) return `${run.verdict} in ${run.from}${checks}`
    if (i === runs.length - 1) return `${run.verdict} from ${run.from} on${checks}`
    return `${run.verdict} from ${run.from} to ${run.to}${checks}`
  })
  for (const exception of exceptions) parts.push(`${exception.verdict} in ${exception.version}`)
  return parts.join('; ')
}
