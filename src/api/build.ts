import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {normalizePlatform} from '../oci/platform/normalize.js'
import {parsePlatform} from '../oci/platform/parse.js'
import type {Platform} from '../oci/platform/types.js'
import {parseSourceSpec, type SourceSpec} from '../oci/reference.js'
import type {ImageTree} from '../oci/types.js'
import {runBuild, type BuildOptions, type BuildResult} from '../engine/build/run-build.js'
import {inspectView} from '../engine/inspect-view.js'
import type {Resolution} from '../engine/resolve/resolution.js'
import {resolveForHost} from '../engine/resolve/resolve.js'
import {fetchImageTree} from '../engine/tree.js'
import {verifyTargetsWith} from '../engine/verify/verify.js'
import type {ImageSource} from '../source/source.js'
import type {InspectResult} from './inspect.js'
import {resolutionResult, type ResolveResult} from './resolve.js'
import {versioned, type Versioned} from './schema.js'
import {withSources, type ReadOptions} from './sources.js'
import {verifyResult, type ReferenceResult} from './verify.js'

export {BACKENDS, type BackendName} from '../engine/build/argv.js'
export {parsePlatformList} from '../engine/build/preflight.js'
export type {BuildOptions, BuildResult, PushedTarget} from '../engine/build/run-build.js'

/** One destination as verify saw it, with the inspect and resolve documents of what landed there. */
export type BuildVerification = ReferenceResult & {inspect: InspectResult | null; resolve: ResolveResult | null}

/** `archcheck build --json` (docs/build.md). */
export type BuildRunResult = Versioned<
  BuildResult & {
    /** Null with verification skipped. */
    verification: BuildVerification[] | null
    verdict: 'pass' | 'fail' | 'error' | 'skipped'
    /** Whether warnings failed the verification (--strict). */
    strict: boolean
    /** 0 built and verified (or skipped), 1 a check failed, else the unreadable destination's code (3, or 2 for bad input). */
    exitCode: ExitCodeValue
  }
>

export interface BuildRunOptions extends BuildOptions, ReadOptions {
  /** Verify each destination against the digest the backend reported (default true). */
  verify?: boolean
}

/**
 * Verifies each destination of a build against the digest the backend reported, requiring the
 * platforms built. An OCI layout is read by digest (its index.json may hold no tag). The trees
 * verify reads are kept for the inspect and resolve documents: no second round of requests.
 */
async function verifyDestinations(
  build: BuildResult,
  strict: boolean,
  options: ReadOptions,
): Promise<{entries: BuildVerification[]; exitCode: ExitCodeValue}> {
  const require: Platform[] = build.platforms.map((platform) => normalizePlatform(parsePlatform(platform)))
  const targets = build.pushed.map((target) => {
    const spec = parseSourceSpec(target.reference)
    const exact: SourceSpec =
      spec.kind === 'oci-layout' ? {kind: 'oci-layout', layout: {path: spec.layout.path, digest: target.digest}} : spec
    return {spec: exact, expectDigest: target.digest}
  })
  const trees = new Map<string, ImageTree>()
  const resolutions = new Map<ImageTree, Resolution[]>()
  const dependencies = {
    async fetchTree(source: ImageSource): Promise<ImageTree> {
      const tree = await fetchImageTree(source)
      trees.set(source.displayName, tree)
      return tree
    },
    resolve(tree: ImageTree, host: Platform, client: Resolution['client']): Resolution {
      const resolution = resolveForHost(tree, host, client)
      resolutions.set(tree, [...(resolutions.get(tree) ?? []), resolution])
      return resolution
    },
  }
  const reports = await withSources(options, (scope) =>
    verifyTargetsWith(targets, {require, strict}, (spec) => scope.open(spec), dependencies),
  )
  const result = verifyResult(reports, {require, client: 'docker', strict})
  const entries = result.references.map((reference) => {
    const tree = trees.get(reference.reference)
    return {
      ...reference,
      inspect: tree ? versioned(inspectView(tree)) : null,
      resolve: tree ? resolutionResult(tree, resolutions.get(tree) ?? []) : null,
    }
  })
  return {entries, exitCode: result.exitCode}
}

const VERDICTS: Partial<Record<ExitCodeValue, BuildRunResult['verdict']>> = {[ExitCode.ok]: 'pass', [ExitCode.checkFailed]: 'fail'}

/** Builds (preflight, backend, push), then verifies what landed at each destination. */
export async function build(options: BuildRunOptions): Promise<BuildRunResult> {
  const built = await runBuild(options)
  if (options.verify === false)
    return versioned({...built, verification: null, verdict: 'skipped', strict: options.strict, exitCode: ExitCode.ok})
  const {entries, exitCode} = await verifyDestinations(built, options.strict, options)
  return versioned({...built, verification: entries, verdict: VERDICTS[exitCode] ?? 'error', strict: options.strict, exitCode})
}

export function buildExitCode(result: BuildRunResult): ExitCodeValue {
  return result.exitCode
}
