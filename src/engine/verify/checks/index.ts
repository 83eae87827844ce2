import type {CheckContext, CheckProvider, CheckResult} from '../types.js'
import {BUILTIN_CHECK_IDS} from '../types.js'
import {checkAttestationOrphan, checkDanglingManifest, checkDigestMismatch, checkMissingBlobs, checkMixedMediaTypes} from './integrity.js'
import {
  checkConfigMismatch,
  checkDuplicatePlatform,
  checkPlatformFallback,
  checkPlatformMissing,
  checkSinglePlatform,
  checkUnexpectedPlatform,
} from './platforms.js'

type Check = (context: CheckContext) => CheckResult[] | Promise<CheckResult[]>

/** The built-in checks in the order of BUILTIN_CHECK_IDS (the order of every output). */
const BUILTIN_CHECKS: Record<(typeof BUILTIN_CHECK_IDS)[number], Check> = {
  'platform-missing': checkPlatformMissing,
  'platform-fallback': checkPlatformFallback,
  'config-mismatch': checkConfigMismatch,
  'single-platform': checkSinglePlatform,
  'duplicate-platform': checkDuplicatePlatform,
  'unexpected-platform': checkUnexpectedPlatform,
  'dangling-manifest': checkDanglingManifest,
  'missing-blob': checkMissingBlobs,
  'mixed-media-types': checkMixedMediaTypes,
  'attestation-orphan': checkAttestationOrphan,
  'digest-mismatch': checkDigestMismatch,
}

export const builtinChecks: CheckProvider = {
  ids: BUILTIN_CHECK_IDS,
  async run(context) {
    const results = await Promise.all(BUILTIN_CHECK_IDS.map(async (id) => BUILTIN_CHECKS[id](context)))
    return results.flat()
  },
}
