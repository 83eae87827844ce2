import type {ErrorKind} from '../oci/errors.js'
import {formatPlatform} from '../oci/platform/normalize.js'
import {DEFAULT_HOSTS} from '../oci/platform/hosts.js'
import type {Platform} from '../oci/platform/types.js'
import type {SourceSpec} from '../oci/reference.js'
import type {ReadLayersOptions} from '../engine/layers/read-image.js'
import type {ClientName} from '../engine/resolve/resolution.js'
import type {BuildMetadata} from '../engine/verify/metadata-file.js'
import {listTargets, type VerifyTargetSpec} from '../engine/verify/targets.js'
import type {SupplyChainCheckOptions} from '../engine/supply-chain/checks.js'
import type {CheckProvider, CheckStatus, ReportVerdict, VerifyOptions as CheckOptions, VerifyReport} from '../engine/verify/types.js'
import {verifyTargetsWith} from '../engine/verify/verify.js'
import {ExitCode, exitCodeOfKind, type ExitCodeValue} from './exit-codes.js'
import {OptionError, platformList, singleClient, sourceSpec} from './options.js'
import {versioned, type Versioned} from './schema.js'
import {withSources, type ReadOptions} from './sources.js'

export {BUILTIN_CHECK_IDS, type CheckStatus, type ReportVerdict} from '../engine/verify/types.js'
export {isFailure, unreadableLine} from '../engine/verify/report.js'
export {DEEP_CHECK_IDS} from '../engine/verify/deep-checks.js'
export {SUPPLY_CHAIN_CHECK_IDS, type SignatureScope} from '../engine/supply-chain/checks.js'
export {readBuildMetadata, parseBuildMetadata, type BuildMetadata} from '../engine/verify/metadata-file.js'
export {DEFAULT_REQUIRED_PLATFORMS} from '../engine/verify/verify.js'

export interface VerifyOptions extends ReadOptions, Omit<CheckOptions, 'providers' | 'require' | 'client'> {
  /** Platforms every reference must serve natively (default linux/amd64, linux/arm64). */
  require?: ReadonlyArray<string | Platform>
  /** The pull client whose choice decides: a model or an alias (kubernetes, cri-o…); default docker. */
  client?: string
  /** Accept platforms whose OS or architecture Go does not know (otherwise refused as a likely typo). */
  allowUnknownPlatform?: boolean
  /** Also read the layers of each required platform's image (entrypoint-arch, entrypoint-missing, loader-missing). */
  deep?: boolean | ReadLayersOptions
  /** `docker buildx build --metadata-file` contents: its names are verified against its digests. */
  metadata?: BuildMetadata[]
  /** References checked at once (default 4). */
  concurrency?: number
  /** Provenance, SBOM and signature requirements (docs/attestations.md); the checks run when any is set. */
  supplyChain?: SupplyChainRequirements
}

/** One reference to verify and the digest it must point to. */
export interface VerifyTarget {
  reference: string | SourceSpec
  expectDigest?: string
}

/** What `verify` requires of each reference's attestations and signatures. */
export interface SupplyChainRequirements extends Omit<SupplyChainCheckOptions, 'key'> {
  /** PEM public key file signatures must verify with. */
  key?: string
}

/** One check's outcome; `platform` is null for checks of the whole tag. */
export interface CheckOutcome {
  id: string
  status: CheckStatus
  platform: string | null
  message: string
}

/** One reference's checks and verdict; `error` says why it could not be read. */
export interface ReferenceResult {
  reference: string
  digest: string | null
  verdict: ReportVerdict
  error: string | null
  /** The kind of `error` (docs/cli.md "Error kinds"). */
  errorKind: ErrorKind | null
  durationMs: number
  checks: CheckOutcome[]
}

/** `archcheck verify --json` (docs/verify.md). */
export type VerifyResult = Versioned<{
  verdict: ReportVerdict
  exitCode: ExitCodeValue
  required: string[]
  client: ClientName
  strict: boolean
  references: ReferenceResult[]
}>

/**
 * The exit code of a run: a reference that could not be read wins (its error's code: 3 for the
 * registry, 2 for bad input), then 1 when a check failed, else 0.
 */
export function reportsExitCode(reports: readonly VerifyReport[]): ExitCodeValue {
  const errored = reports.find((report) => report.verdict === 'error')
  if (errored) return errored.errorKind ? exitCodeOfKind(errored.errorKind) : ExitCode.registry
  return reports.some((report) => report.verdict === 'fail') ? ExitCode.checkFailed : ExitCode.ok
}

/** The engine's reports as the result document: what --json prints and every renderer reads. */
export function verifyResult(
  reports: readonly VerifyReport[],
  run: {require: readonly Platform[]; client: ClientName; strict: boolean},
): VerifyResult {
  const exitCode = reportsExitCode(reports)
  return versioned({
    verdict: exitCode === ExitCode.ok ? 'pass' : exitCode === ExitCode.checkFailed ? 'fail' : 'error',
    exitCode,
    required: run.require.map((platform) => formatPlatform(platform)),
    client: run.client,
    strict: run.strict,
    references: reports.map((report) => ({
      reference: report.reference,
      digest: report.digest ?? null,
      verdict: report.verdict,
      error: report.error ?? null,
      errorKind: report.errorKind ?? null,
      durationMs: report.durationMs,
      checks: report.checks.map((check) => ({
        id: check.id,
        status: check.status,
        platform: check.platform ?? null,
        message: check.message,
      })),
    })),
  })
}

/** The layer checks of `verify --deep`, loaded only when asked for. */
async function deepProviders(deep: VerifyOptions['deep']): Promise<CheckProvider[]> {
  if (!deep) return []
  const {deepChecks} = await import('../engine/verify/deep-checks.js')
  return [deepChecks(deep === true ? {} : deep)]
}

/** The supply-chain checks, loaded only when a requirement is given. */
async function supplyChainProviders(requirements: SupplyChainRequirements | undefined): Promise<CheckProvider[]> {
  if (!requirements || !Object.values(requirements).some((value) => value !== undefined && value !== false)) return []
  const [{supplyChainChecks}, {readPublicKeyFile}] = await Promise.all([
    import('../engine/supply-chain/checks.js'),
    import('../engine/supply-chain/signature.js'),
  ])
  const key = requirements.key === undefined ? undefined : await readPublicKeyFile(requirements.key)
  return [supplyChainChecks({...requirements, key})]
}

/** Each reference of `verify(references)` parsed, with its own expected digest when it has one. */
function targetSpecs(references: unknown): VerifyTargetSpec[] {
  if (!Array.isArray(references)) throw new OptionError('references: expected an array of image references')
  return references.map((entry: unknown) => {
    // A VerifyTarget has a reference and no kind; a SourceSpec always has a kind.
    if (typeof entry !== 'object' || entry === null || 'kind' in entry || !('reference' in entry))
      return {spec: sourceSpec(entry, 'references')}
    const {reference, expectDigest} = entry as VerifyTarget
    return expectDigest === undefined
      ? {spec: sourceSpec(reference, 'references')}
      : {spec: sourceSpec(reference, 'references'), expectDigest}
  })
}

/**
 * The release gate: each reference (registry references, `oci-layout:`/`oci-archive:` specs, and
 * every name in `metadata`) is checked concurrently, one result per reference in order. Bad
 * references and platforms throw a UsageError before anything is read; unreadable images are
 * `error` entries.
 */
export async function verify(
  references: ReadonlyArray<string | SourceSpec | VerifyTarget>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const require = platformList(options.require, 'require', {defaults: DEFAULT_HOSTS, allowUnknown: options.allowUnknownPlatform})
  const client = singleClient(options.client)
  const strict = options.strict ?? false
  const targets = listTargets(targetSpecs(references), {expectDigest: options.expectDigest, metadata: options.metadata})
  const providers = [...(await deepProviders(options.deep)), ...(await supplyChainProviders(options.supplyChain))]
  const reports = await withSources(options, (scope) =>
    verifyTargetsWith(targets, {...options, require, client, strict, providers}, (reference) => scope.open(reference)),
  )
  return verifyResult(reports, {require, client, strict})
}

/** The exit code of a run: an unreadable reference's own code, else 1 when a check failed, else 0. */
export function verifyExitCode(result: VerifyResult): ExitCodeValue {
  return result.exitCode
}
