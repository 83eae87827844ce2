/**
 * archcheck's library API: everything the CLI does, callable from code. Documented in README.md
 * ("Library API") and the docs/ pages. Keep this file a list of exports.
 */
export {ArchcheckError, ExitCode, RegistryError, UsageError, type ExitCodeValue} from './oci/errors.js'

// References and registries
export {formatReference, manifestReference, parseReference, validateDigest, validateTag, type Reference} from './oci/reference.js'
export type {RegistryOptions} from './source/registry/options.js'
export {RegistrySource} from './source/registry/registry-source.js'
export {createRegistryClient, RegistryClient} from './source/registry/client.js'

// Image sources and the image tree
export type {FetchedManifest, ImageSource} from './source/source.js'
export {openSource} from './source/open.js'
export {OciLayoutSource, parseLayoutSpec, type LayoutSourceOptions} from './source/oci-layout.js'
export {openOciArchive} from './source/oci-archive.js'
export {fetchImageTree, type FetchTreeOptions} from './engine/tree.js'
export {parseImageConfig, parseManifest, type ParsedManifest} from './oci/manifest.js'
export {MediaType} from './oci/media-types.js'
export type {Descriptor, ImageConfig, ImageNode, ImageTree, IndexNode, OtherNode, TreeNode} from './oci/types.js'
export {inspectView, type AttestationView, type InspectView, type PlatformView} from './render/inspect-view.js'

// Platforms and pull simulation
export type {Platform} from './oci/platform/types.js'
export {formatPlatform, formatPlatformSpec, normalizePlatform} from './oci/platform/normalize.js'
export {parsePlatform} from './oci/platform/parse.js'
export {comparePlatforms, compatiblePlatforms, platformMatches, toHostPlatform, windowsVersionCompatible, type MatchOptions} from './oci/platform/match.js'
export {nativePlatform} from './oci/platform/host.js'
export {DEFAULT_HOSTS, parseHosts} from './oci/platform/hosts.js'
export {CLIENT_NAMES} from './engine/resolve/clients.js'
export {configPlatform, resolveForHost} from './engine/resolve/resolve.js'
export type {Candidate, ClientName, Resolution, Verdict} from './engine/resolve/resolution.js'

// Release verification
export {DEFAULT_REQUIRED_PLATFORMS, verifyImage, verifyReferences, verifyTargetsWith, type VerifyDependencies} from './engine/verify/verify.js'
export {verifyTargets, type VerifyTarget} from './engine/verify/targets.js'
export {exitCodeOf, verdictOf} from './engine/verify/report.js'
export {BUILTIN_CHECK_IDS, type CheckContext, type CheckProvider, type CheckResult, type CheckStatus, type ReportVerdict, type VerifyOptions, type VerifyReport} from './engine/verify/types.js'
export {parseBuildMetadata, readBuildMetadata, type BuildMetadata} from './engine/verify/metadata-file.js'
export {renderJunit} from './render/junit.js'
export {renderGithubAnnotations, renderGithubSummary} from './render/github.js'
export {renderVerifyJson} from './render/verify-json.js'
export {renderVerifyText} from './render/verify-text.js'

// Layers: what runs, and whether it can
export {diagnoseImage, foreignBinaries, type DiagnoseOptions, type DiagnoseReport, type HostDiagnosis} from './engine/layers/diagnose.js'
export {readImageFilesystems, type ReadLayersOptions} from './engine/layers/read-image.js'
export {ImageFilesystem, type FsNode} from './engine/layers/filesystem.js'
export {DOCKER_DEFAULT_PATH, executionPlan, traceExecution, type ExecTrace} from './engine/layers/entrypoint.js'
export {describeBinary, elfRunsOn, identifyBinary, needsNewerArm, type BinaryInfo, type ElfInfo} from './engine/layers/binary.js'
export {DEFAULT_LAYER_LIMITS, LayerLimitError, type LayerLimits} from './engine/layers/limits.js'
export {DEEP_CHECK_IDS, deepChecks} from './engine/layers/deep-checks.js'

// Building
export {lintDockerfile, type LintOptions, type LintRule, type LintWarning} from './engine/build/dockerfile-lint.js'
export {parseDockerfile, type Dockerfile, type Instruction, type Stage} from './engine/build/dockerfile.js'
export {runBuild, type BuildOptions, type BuildResult} from './engine/build/run-build.js'
export {verifyBuild, type BuildVerification} from './engine/build/verify-build.js'
