import type {FetchTreeOptions} from '../tree.js'
import type {ImageSource} from '../../source/source.js'
import type {ImageTree} from '../../oci/types.js'
import type {ClientName, Resolution} from '../resolve/resolution.js'
import type {Platform} from '../../oci/platform/types.js'
import type {ErrorKind} from '../../oci/errors.js'

/** pass: fine; fail: the image is broken for users; warn: suspicious (fails only with --strict); skip: not run. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip'

/** The ids of the built-in checks; providers (e.g. the deep layer checks) add their own ids. */
export const BUILTIN_CHECK_IDS = [
  'platform-missing',
  'platform-fallback',
  'config-mismatch',
  'single-platform',
  'duplicate-platform',
  'unexpected-platform',
  'dangling-manifest',
  'missing-blob',
  'mixed-media-types',
  'attestation-orphan',
  'digest-mismatch',
] as const

export type BuiltinCheckId = (typeof BUILTIN_CHECK_IDS)[number]

export interface CheckResult {
  /** Stable id, e.g. `platform-missing`; shown in every output format. */
  id: string
  status: CheckStatus
  /** `os/arch[/variant]` the result is about; absent for checks of the whole tag. */
  platform?: string
  /** One sentence: what a user will see and, where known, the usual cause and fix. */
  message: string
  /** The reference checked, as the user named it (normalised). */
  reference: string
}

/** pass: every check passed (or only warned without --strict); fail: a check failed; error: the image could not be read. */
export type ReportVerdict = 'pass' | 'fail' | 'error'

export interface VerifyReport {
  reference: string
  /** Digest the reference pointed to when checked (absent when it could not be read). */
  digest?: string
  verdict: ReportVerdict
  checks: CheckResult[]
  /** Set when verdict is `error`: why the reference could not be read (one line). */
  error?: string
  /** What kind of error that was (`usage` for bad input, else the registry's or source's kind). */
  errorKind?: ErrorKind
  /** Wall time spent on this reference. */
  durationMs: number
  /** Whether warnings counted as failures (--strict) when the verdict was made. */
  strict: boolean
}

export interface VerifyOptions {
  /** Platforms every reference must serve: Platforms or specifiers (`linux/arm64`, `native`); default linux/amd64, linux/arm64. */
  require?: Array<Platform | string>
  /** The pull client whose choice decides (default docker). */
  client?: ClientName
  /** A fallback (arm64 host served arm/v7) satisfies a requirement. */
  allowFallback?: boolean
  /** A tag that is a single image passes when its platform is the only one required. */
  allowSinglePlatform?: boolean
  /** Entries for platforms outside `require` fail (attestations excluded). */
  forbidExtra?: boolean
  /** HEAD every layer blob (configs are read to build the tree anyway). */
  blobs?: boolean
  /** Warnings fail the verdict. */
  strict?: boolean
  /** The digest each reference must point to. */
  expectDigest?: string
  /** Extra checks (e.g. the deep layer checks), run after the built-in ones. */
  providers?: CheckProvider[]
  /** How many blob HEADs run at once per reference (default 8). */
  blobConcurrency?: number
}

/** Everything a check may look at; built once per reference. */
export interface CheckContext {
  reference: string
  tree: ImageTree
  /** One resolution per required platform, in `require` order. */
  resolutions: Resolution[]
  source: ImageSource
  /** Index entries whose manifest exists but whose image could not be read (e.g. its config blob is gone), by digest: why. */
  unreadable: ReadonlyMap<string, string>
  /** The run's options, with the required platforms parsed and normalised and the client settled. */
  options: Omit<VerifyOptions, 'require' | 'client'> & {require: Platform[]; client: ClientName}
}

/**
 * A group of checks. The built-in checks are providers too; renderers only see CheckResults, so a
 * new provider needs no renderer change.
 */
export interface CheckProvider {
  /** The ids this provider reports (listed in docs and in `--json`). */
  readonly ids: readonly string[]
  run(context: CheckContext): Promise<CheckResult[]> | CheckResult[]
}

/** How verify reads images and simulates pulls; replaceable in tests. */
export interface VerifyDependencies {
  fetchTree(source: ImageSource, options?: FetchTreeOptions): Promise<ImageTree>
  resolve(tree: ImageTree, host: Platform, client: ClientName): Resolution
}
