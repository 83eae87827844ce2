/**
 * archcheck's library API: everything the CLI does, callable from code. Documented in README.md
 * ("Library API") and the docs/ pages. Keep this file a list of exports.
 */
export {ArchcheckError, ExitCode, RegistryError, UsageError, type ExitCodeValue} from './errors.js'

// References and registries
export {formatReference, manifestReference, parseReference, validateDigest, validateTag, type Reference} from './registry/reference.js'
export type {RegistryOptions} from './registry/options.js'
export {RegistrySource} from './registry/registry-source.js'
export {closeTransport} from './registry/transport.js'

// Image sources and the image tree
export type {FetchedManifest, ImageSource} from './image/source.js'
export {openSource} from './image/open.js'
export {OciLayoutSource, parseLayoutSpec, type LayoutSourceOptions} from './image/oci-layout.js'
export {openOciArchive} from './image/oci-archive.js'
export {fetchImageTree, type FetchTreeOptions} from './image/tree.js'
export {parseImageConfig, parseManifest, type ParsedManifest} from './image/manifest.js'
export {MediaType} from './image/media-types.js'
export type {Descriptor, ImageConfig, ImageNode, ImageTree, IndexNode, OtherNode, TreeNode} from './image/types.js'
export {inspectView, type AttestationView, type InspectView, type PlatformView} from './render/inspect-view.js'

// Platforms and pull simulation
export type {Platform} from './platform/types.js'
export {formatAll, formatPlatform, formatPlatformSpec, normalizePlatform} from './platform/normalize.js'
export {parsePlatform} from './platform/parse.js'
export {comparePlatforms, compatiblePlatforms, platformMatches, toHostPlatform, windowsVersionCompatible, type MatchOptions} from './platform/match.js'
export {nativePlatform} from './platform/host.js'
export {DEFAULT_HOSTS, parseHosts} from './platform/hosts.js'
export {CLIENT_ALIASES, CLIENT_NAMES, clientModelName} from './platform/clients.js'
export {configPlatform, resolveForHost} from './platform/resolve.js'
export type {Candidate, ClientName, Resolution, Verdict} from './platform/resolution.js'

// Release verification
export {DEFAULT_REQUIRED_PLATFORMS, verifyImage, verifyReferences, verifyTargetsWith, type VerifyDependencies} from './verify/verify.js'
export {verifyTargets, type VerifyTarget} from './verify/targets.js'
export {exitCodeOf, verdictOf} from './verify/report.js'
export {BUILTIN_CHECK_IDS, type CheckContext, type CheckProvider, type CheckResult, type CheckStatus, type ReportVerdict, type VerifyOptions, type VerifyReport} from './verify/types.js'
export {parseBuildMetadata, readBuildMetadata, type BuildMetadata} from './verify/metadata-file.js'
export {renderJunit} from './render/junit.js'
export {renderGithubAnnotations, renderGithubSummary} from './render/github.js'
export {renderVerifyJson} from './render/verify-json.js'
export {renderVerifyText} from './render/verify-text.js'

// Layers: what runs, and whether it can
export {diagnoseImage, foreignBinaries, type DiagnoseOptions, type DiagnoseReport, type HostDiagnosis} from './layers/diagnose.js'
export {readImageFilesystems, type ReadLayersOptions} from './layers/read-image.js'
export {ImageFilesystem, type FsNode} from './layers/filesystem.js'
export {DOCKER_DEFAULT_PATH, executionPlan, traceExecution, type ExecTrace} from './layers/entrypoint.js'
export {describeBinary, elfRunsOn, identifyBinary, type BinaryInfo, type ElfInfo} from './layers/binary.js'
export {needsNewerArm} from './layers/arm-attributes.js'
export {DEFAULT_LAYER_LIMITS, LayerLimitError, type LayerLimits} from './layers/limits.js'
export {DEEP_CHECK_IDS, deepChecks} from './layers/deep-checks.js'

// Building
export {lintDockerfile, type LintOptions, type LintRule, type LintWarning} from './build/dockerfile-lint.js'
export {parseDockerfile, type Dockerfile, type Instruction, type Stage} from './build/dockerfile.js'
export {runBuild, type BuildOptions, type BuildResult} from './build/run-build.js'
export {verifyBuild, type BuildVerification} from './build/verify-build.js'
