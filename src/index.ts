/**
 * archcheck's library API: one function per command, each returning the typed document its
 * `--json` prints (with `schemaVersion`), plus the registry client they share and the OCI
 * building blocks (references, platforms, errors). Documented in README.md ("Library API") and
 * docs/architecture.md. Keep this file a list of exports.
 */

// Commands
export {
  inspect,
  inspectExitCode,
  inspectRaw,
  type InspectOptions,
  type InspectResult,
  type PlatformView,
  type AttestationView,
} from './api/inspect.js'
export {
  CLIENT_ALIASES,
  CLIENT_NAMES,
  clientModelName,
  resolve,
  resolveExitCode,
  verdictPasses,
  type ClientName,
  type HostResult,
  type ResolveOptions,
  type ResolveResult,
  type Verdict,
} from './api/resolve.js'
export {
  BUILTIN_CHECK_IDS,
  DEEP_CHECK_IDS,
  DEFAULT_REQUIRED_PLATFORMS,
  SUPPLY_CHAIN_CHECK_IDS,
  parseBuildMetadata,
  readBuildMetadata,
  verify,
  verifyExitCode,
  type BuildMetadata,
  type CheckOutcome,
  type ReferenceResult,
  type VerifyOptions,
  type VerifyResult,
  type VerifyTarget,
} from './api/verify.js'
export {diagnose, diagnoseExitCode, type DiagnoseOptions, type DiagnoseResult, type HostDiagnosis} from './api/diagnose.js'
export {build, buildExitCode, type BuildRunOptions, type BuildRunResult} from './api/build.js'
export {builderCreate, builderInspect, type BuilderResult} from './api/builder.js'
export {
  audit,
  auditExitCode,
  type AuditOptions,
  type AuditResult,
  type AuditRow,
  type NodeGroup,
  type RowErrorKind,
  type WorkloadEntry,
} from './api/audit.js'
export {
  attestations,
  attestationsExitCode,
  type AttestationsOptions,
  type AttestationsResult,
  type Artifact,
  type SubjectArtifacts,
} from './api/attestations.js'
export {SCHEMA_VERSION} from './api/schema.js'
export type {ProxySettings, ReadOptions, RegistryOptions} from './api/sources.js'
export {
  defaultCacheDir,
  dockerKeychain,
  registryOptionsFromEnvironment,
  type Credentials,
  type DockerKeychainOptions,
  type Environment,
  type Keychain,
} from './api/environment.js'

// The registry client every call can share
export {createRegistryClient, type RegistryClient} from './source/registry/client.js'
export type {ClientStats, RateLimit} from './source/registry/stats.js'
export {openContentCache, type CacheStats, type ContentCache} from './source/cache.js'

// Reports in CI formats
export {renderJunit} from './render/junit.js'
export {renderGithubAnnotations, renderGithubSummary} from './render/github.js'

// OCI building blocks
export {
  ArchcheckError,
  BuildError,
  ERROR_KINDS,
  RegistryError,
  UsageError,
  type BuildErrorKind,
  type ErrorKind,
  type RegistryErrorKind,
} from './oci/errors.js'
export {AbortError, type AbortOptions} from './oci/abort.js'
export {errorExitCode, ExitCode, type ExitCodeValue} from './api/exit-codes.js'
export {
  formatReference,
  formatSourceSpec,
  parseReference,
  parseSourceSpec,
  validateDigest,
  validateTag,
  type LayoutSpec,
  type Reference,
  type SourceSpec,
} from './oci/reference.js'
export type {Platform} from './oci/platform/types.js'
export {formatAll, formatPlatform, formatPlatformSpec, normalizePlatform} from './oci/platform/normalize.js'
export {parsePlatform} from './oci/platform/parse.js'
export {comparePlatforms, platformMatches} from './oci/platform/match.js'
export {nativePlatform} from './oci/platform/host.js'
export {DEFAULT_HOSTS, parseHosts} from './oci/platform/hosts.js'
