import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {DEFAULT_HOSTS} from '../oci/platform/hosts.js'
import {formatPlatform, formatPlatformSpec} from '../oci/platform/normalize.js'
import type {Platform} from '../oci/platform/types.js'
import type {SourceSpec} from '../oci/reference.js'
import type {ImageNode, ImageTree} from '../oci/types.js'
import {writtenConfigPlatform} from '../engine/config-platform.js'
import type {ClientName, Resolution, Verdict} from '../engine/resolve/resolution.js'
import {resolveForHost} from '../engine/resolve/resolve.js'
import {fetchImageTree} from '../engine/tree.js'
import type {ReadLayersOptions} from '../engine/layers/read-image.js'
import type {CheckStatus} from '../engine/verify/types.js'
import {clientList, platformList, sourceSpec} from './options.js'
import {versioned, type Versioned} from './schema.js'
import {progressOf, withSource, type ReadOptions} from './sources.js'
import type {ImageSource} from '../source/source.js'

export type {ClientName, Verdict} from '../engine/resolve/resolution.js'
export {CLIENT_ALIASES, CLIENT_NAMES, clientModelName} from '../engine/resolve/clients.js'

export interface ResolveOptions extends ReadOptions {
  /** Hosts to simulate: specifiers or platforms (default linux/amd64, linux/arm64). */
  hosts?: ReadonlyArray<string | Platform>
  /** Client models or their aliases (kubernetes, cri-o…), comma-separated or as an array, or 'all' (default docker). */
  clients?: readonly string[] | string
  /** Accept hosts whose OS or architecture Go does not know (otherwise refused as a likely typo). */
  allowUnknownPlatform?: boolean
  /** A fallback (arm64 host served arm/v7) passes. */
  allowFallback?: boolean
  /** Also read the layers of each chosen image: verify --deep's entrypoint-arch, entrypoint-missing, loader-missing. */
  deep?: boolean | ReadLayersOptions
}

/** One layer check of `resolve --deep` (as in verify --deep) for one host and client. */
export interface LayerCheck {
  id: string
  status: CheckStatus
  host: string
  client: ClientName
  message: string
}

/** The image a client pulls: manifest, the platform it was chosen for, and its config. */
export interface ChosenImage {
  digest: string
  mediaType: string
  /** The platform the client judged (the entry's, or its config's when the entry has none). */
  platform: string | null
  configDigest: string
  /** The config's os/arch[/variant] as written. */
  configPlatform: string
}

export interface CandidateResult {
  digest: string
  platform: string | null
  accepted: boolean
  rank: number | null
  reason: string
}

export interface HostResult {
  host: string
  client: ClientName
  verdict: Verdict
  message: string
  clientMessage: string | null
  chosen: ChosenImage | null
  tiedWith: string[]
  candidates: CandidateResult[]
}

/** `archcheck resolve --json` (docs/resolve.md). */
export type ResolveResult = Versioned<{
  reference: string
  digest: string
  mediaType: string
  /** Every host resolves ok (or fallback, when allowed), and with --deep no layer check failed. */
  passed: boolean
  results: HostResult[]
  /** The layer checks of --deep; null when the layers were not read (the binaries were not looked at). */
  layers: LayerCheck[] | null
}>

/** Whether a verdict passes `resolve`: only ok, and fallback when allowed. */
export function verdictPasses(verdict: Verdict, allowFallback: boolean): boolean {
  return verdict === 'ok' || (allowFallback && verdict === 'fallback')
}

function chosenImage(node: ImageNode, platform: Platform | undefined): ChosenImage {
  return {
    digest: node.descriptor.digest,
    mediaType: node.descriptor.mediaType,
    platform: platform ? formatPlatformSpec(platform) : null,
    configDigest: node.config.digest,
    configPlatform: formatPlatform(writtenConfigPlatform(node)),
  }
}

/** The result document for pull simulations already made on `tree` (resolve, build, audit). */
export function resolutionResult(
  tree: ImageTree,
  resolutions: readonly Resolution[],
  allowFallback = false,
  layers: LayerCheck[] | null = null,
): ResolveResult {
  return versioned({
    reference: tree.reference,
    digest: tree.root.descriptor.digest,
    mediaType: tree.root.descriptor.mediaType,
    passed: resolutions.every((r) => verdictPasses(r.verdict, allowFallback)) && !(layers ?? []).some((check) => check.status === 'fail'),
    results: resolutions.map((r) => ({
      host: formatPlatformSpec(r.host),
      client: r.client,
      verdict: r.verdict,
      message: r.message,
      clientMessage: r.clientMessage ?? null,
      chosen: r.chosen ? chosenImage(r.chosen, r.candidates.find((candidate) => candidate.rank === 1)?.platform) : null,
      tiedWith: r.tiedWith ?? [],
      candidates: r.candidates.map((c) => ({
        digest: c.node.descriptor.digest,
        platform: c.platform ? formatPlatformSpec(c.platform) : null,
        accepted: c.accepted,
        rank: c.rank ?? null,
        reason: c.reason,
      })),
    })),
    layers,
  })
}

/** verify --deep's layer checks for the images each client pulls: the same provider, so the same verdicts and words. */
async function layerChecks(
  tree: ImageTree,
  source: ImageSource,
  resolutions: readonly Resolution[],
  read: ReadLayersOptions,
): Promise<LayerCheck[]> {
  const {deepChecks} = await import('../engine/verify/deep-checks.js')
  const checks: LayerCheck[] = []
  for (const client of new Set(resolutions.map((r) => r.client))) {
    const mine = resolutions.filter((r) => r.client === client)
    const context = {
      reference: tree.reference,
      tree,
      resolutions: mine,
      source,
      unreadable: new Map<string, string>(),
      options: {require: mine.map((r) => r.host), client},
    }
    for (const result of await deepChecks(read).run(context)) {
      checks.push({id: result.id, status: result.status, host: result.platform ?? '', client, message: result.message})
    }
  }
  return checks
}

/** Which image each host gets from the reference, per client, and whether it will run there. */
export async function resolve(reference: string | SourceSpec, options: ResolveOptions = {}): Promise<ResolveResult> {
  const hosts = platformList(options.hosts, 'hosts', {defaults: DEFAULT_HOSTS, allowUnknown: options.allowUnknownPlatform})
  const clients = clientList(options.clients)
  return withSource(sourceSpec(reference, 'reference'), options, async (source) => {
    const tree = await progressOf(options)(`Reading ${source.displayName}`, () => fetchImageTree(source))
    const resolutions = clients.flatMap((client) => hosts.map((host) => resolveForHost(tree, host, client)))
    const layers = options.deep ? await layerChecks(tree, source, resolutions, options.deep === true ? {} : options.deep) : null
    return resolutionResult(tree, resolutions, options.allowFallback, layers)
  })
}

/** 0 when every host passes, else 1. */
export function resolveExitCode(result: ResolveResult): ExitCodeValue {
  return result.passed ? ExitCode.ok : ExitCode.checkFailed
}
