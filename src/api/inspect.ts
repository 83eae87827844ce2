import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {platformMatches, toHostPlatform} from '../oci/platform/match.js'
import type {Platform} from '../oci/platform/types.js'
import type {SourceSpec} from '../oci/reference.js'
import {inspectView, type InspectView, type PlatformFilter} from '../engine/inspect-view.js'
import {fetchImageTree} from '../engine/tree.js'
import {collectArtifacts} from '../engine/supply-chain/collect.js'
import {supplyChainPresence, type SupplyChainPresence} from '../engine/supply-chain/presence.js'
import type {FetchedManifest} from '../source/source.js'
import {sourceSpec} from './options.js'
import {versioned, type Versioned} from './schema.js'
import {progressOf, withSource, type ReadOptions} from './sources.js'

export type {
  AttestationView,
  ConfigView,
  InspectView,
  MissingView,
  NestedIndexView,
  OtherView,
  PlatformView,
} from '../engine/inspect-view.js'

export type {Presence, SupplyChainPresence} from '../engine/supply-chain/presence.js'

export interface InspectOptions extends ReadOptions {
  /** Only entries a host of this platform accepts (containerd's rules); `native` is this machine. */
  platform?: string
  /** Also look for provenance, SBOMs and signatures (5 requests more per platform; docs/attestations.md). */
  supplyChain?: boolean
}

/** `archcheck inspect --json`: the tag → index → per-platform table (docs/inspect.md). */
export type InspectResult = Versioned<InspectView & {supplyChain?: SupplyChainPresence[]}>

/** A platform filter for `inspect --platform`; throws a UsageError for a bad specifier. */
export function platformFilter(spec: string): PlatformFilter {
  const host = toHostPlatform(spec)
  return {spec, matches: (platform?: Platform) => platform !== undefined && platformMatches(host, platform)}
}

/** What a reference points to: its index, each platform's image and config, attestations, what is missing. */
export async function inspect(reference: string | SourceSpec, options: InspectOptions = {}): Promise<InspectResult> {
  const filter = options.platform === undefined ? undefined : platformFilter(options.platform)
  return withSource(sourceSpec(reference, 'reference'), options, async (source) => {
    const tree = await progressOf(options)(`Reading ${source.displayName}`, () => fetchImageTree(source))
    const view = inspectView(tree, filter)
    if (!options.supplyChain) return versioned(view)
    const {subjects} = await progressOf(options)(`Reading attestations and signatures of ${source.displayName}`, () =>
      collectArtifacts(source, tree),
    )
    const shown = new Set(['index', ...view.platforms.map((row) => row.digest)])
    const supplyChain = supplyChainPresence(subjects).filter((line) => line.target === 'index' || shown.has(line.digest))
    return versioned({...view, supplyChain})
  })
}

/** The top manifest exactly as served (`inspect --raw`): its bytes hash to the tag's digest. */
export async function inspectRaw(reference: string | SourceSpec, options: ReadOptions = {}): Promise<FetchedManifest> {
  return withSource(sourceSpec(reference, 'reference'), options, (source) => source.fetchManifest())
}

/** 3 when some image of the tag cannot be pulled (missing from the source), else 0. */
export function inspectExitCode(result: InspectResult): ExitCodeValue {
  return result.missing.length > 0 ? ExitCode.registry : ExitCode.ok
}
