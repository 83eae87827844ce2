import {ArchcheckError} from '../../oci/errors.js'
import type {ImageSource} from '../../source/source.js'
import {fetchImageTree} from '../tree.js'
import {parseHosts} from '../../oci/platform/hosts.js'
import {toHostPlatform} from '../../oci/platform/match.js'
import {resolveForHost} from '../resolve/resolve.js'
import type {Platform} from '../../oci/platform/types.js'
import {formatSourceSpec, type SourceSpec} from '../../oci/reference.js'
import {createLimiter} from '../limit.js'
import {builtinChecks} from './checks/index.js'
import {loadTree} from './load-tree.js'
import {verdictOf} from './report.js'
import type {VerifyTargetSpec} from './targets.js'
import type {CheckContext, VerifyDependencies, VerifyOptions, VerifyReport} from './types.js'

/** The platforms required when none are given: the hosts archcheck exists for (DEFAULT_HOSTS). */
export const DEFAULT_REQUIRED_PLATFORMS: readonly Platform[] = parseHosts()

const DEFAULT_DEPENDENCIES: VerifyDependencies = {fetchTree: fetchImageTree, resolve: resolveForHost}

function errorReport(reference: string, error: unknown, startedAt: number, strict: boolean): VerifyReport {
  if (!(error instanceof ArchcheckError)) throw error
  return {
    reference,
    verdict: 'error',
    checks: [],
    error: error.message,
    errorKind: error.kind,
    durationMs: Date.now() - startedAt,
    strict,
  }
}

/**
 * Verifies one image: reads its tree, simulates a pull on every required platform, runs the
 * built-in checks and then each provider's. A source that cannot be read gives an `error` report
 * (other exceptions are bugs and propagate).
 */
export async function verifyImage(
  source: ImageSource,
  options: VerifyOptions = {},
  dependencies = DEFAULT_DEPENDENCIES,
): Promise<VerifyReport> {
  const startedAt = Date.now()
  const strict = options.strict ?? false
  const reference = source.displayName
  try {
    const {tree, unreadable} = await loadTree(source, dependencies)
    const require = (options.require ?? DEFAULT_REQUIRED_PLATFORMS).map((platform) => toHostPlatform(platform))
    const client = options.client ?? 'docker'
    const context: CheckContext = {
      reference,
      tree,
      resolutions: require.map((host) => dependencies.resolve(tree, host, client)),
      source,
      unreadable,
      options: {...options, require, client},
    }
    const checks = []
    for (const provider of [builtinChecks, ...(options.providers ?? [])]) checks.push(...(await provider.run(context)))
    return {
      reference,
      digest: tree.root.descriptor.digest,
      verdict: verdictOf(checks, strict),
      checks,
      durationMs: Date.now() - startedAt,
      strict,
    }
  } catch (error) {
    return errorReport(reference, error, startedAt, strict)
  }
}

/**
 * Verifies several references concurrently (`concurrency` at a time, default 4), in the given
 * order. `open` turns a parsed spec into a source; each source is closed when its report is made.
 */
export async function verifyTargetsWith(
  targets: readonly VerifyTargetSpec[],
  options: VerifyOptions & {concurrency?: number},
  open: (spec: SourceSpec) => Promise<ImageSource>,
  dependencies = DEFAULT_DEPENDENCIES,
): Promise<VerifyReport[]> {
  const limit = createLimiter(options.concurrency ?? 4)
  return Promise.all(
    targets.map((target) =>
      limit(async () => {
        const startedAt = Date.now()
        let source: ImageSource
        try {
          source = await open(target.spec)
        } catch (error) {
          return errorReport(formatSourceSpec(target.spec), error, startedAt, options.strict ?? false)
        }
        try {
          return await verifyImage(source, target.expectDigest ? {...options, expectDigest: target.expectDigest} : options, dependencies)
        } finally {
          await source.close()
        }
      }),
    ),
  )
}
