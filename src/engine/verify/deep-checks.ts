import {shortDigest} from '../../oci/digest.js'
import {formatPlatform} from '../../oci/platform/normalize.js'
import {checkResult} from './checks/result.js'
import type {CheckContext, CheckProvider, CheckResult} from './types.js'
import {chosenLinuxImages} from '../layers/diagnose.js'
import {type ExecTrace, traceExecution} from '../layers/entrypoint.js'
import {readImageFilesystems, type ReadLayersOptions} from '../layers/read-image.js'

export const DEEP_CHECK_IDS = ['entrypoint-arch', 'entrypoint-missing', 'loader-missing'] as const

const ARCH_ERRORS = new Set(['exec format error', 'accessing a corrupted shared library', 'illegal instruction'])

/**
 * `verify --deep`: per required platform, reads the layers of the image the client pulls and
 * follows its entrypoint (as `diagnose` does):
 * - entrypoint-arch: the entrypoint, its interpreter or loader is built for another architecture
 *   (or, on 32-bit ARM, a newer version of it);
 * - entrypoint-missing: what should run is absent, not executable, or a CRLF script;
 * - loader-missing: the ELF loader (PT_INTERP) is not in the image.
 */
export function deepChecks(read: ReadLayersOptions = {}): CheckProvider {
  return {
    ids: DEEP_CHECK_IDS,
    async run(context: CheckContext): Promise<CheckResult[]> {
      const images = chosenLinuxImages(context.resolutions)
      const filesystems = images.length ? await readImageFilesystems(context.source, images, read) : new Map()
      return context.resolutions.flatMap((resolution) => {
        const platform = formatPlatform(resolution.host)
        const fs = resolution.chosen && filesystems.get(resolution.chosen.descriptor.digest)
        if (!resolution.chosen || !fs) {
          const why = resolution.chosen ? 'not a Linux image on a Linux host' : 'no image is pulled on this platform'
          return DEEP_CHECK_IDS.map((id) => checkResult(context, id, 'skip', `not examined: ${why}.`, platform))
        }
        return judge(
          context,
          platform,
          resolution.chosen.descriptor.digest,
          traceExecution(fs, resolution.chosen.config, resolution.host.architecture, resolution.host.variant),
        )
      })
    },
  }
}

function judge(context: CheckContext, platform: string, digest: string, trace: ExecTrace): CheckResult[] {
  const image = `the ${platform} image (${shortDigest(digest)})`
  const entry = trace.steps[0]
  const started = `${image} starts ${entry?.path ?? trace.plan.argv[0]}${entry?.description ? ` (${entry.description})` : ''}`
  const failure = trace.failure
  const failed = failure ? `${image}: ${failure.reason}: \`${failure.error}\`.` : ''
  const loaderMissing = failure?.error === 'no such file or directory' && trace.steps.at(-1)?.role === 'loader'
  const archFailure = failure !== undefined && ARCH_ERRORS.has(failure.error)
  const loader = trace.steps.find((step) => step.role === 'loader')
  return [
    archFailure
      ? checkResult(context, 'entrypoint-arch', 'fail', failed, platform)
      : checkResult(
          context,
          'entrypoint-arch',
          trace.warnings.length ? 'warn' : 'pass',
          trace.warnings.length ? `${image}: ${trace.warnings.join('; ')}.` : `${started}.`,
          platform,
        ),
    failure && !archFailure && !loaderMissing
      ? checkResult(context, 'entrypoint-missing', 'fail', failed, platform)
      : checkResult(context, 'entrypoint-missing', 'pass', `${image}: ${trace.plan.argv[0] ?? 'the entrypoint'} is there.`, platform),
    loaderMissing
      ? checkResult(context, 'loader-missing', 'fail', failed, platform)
      : loader?.path
        ? checkResult(context, 'loader-missing', 'pass', `${image}: the loader ${loader.requested} is there.`, platform)
        : failure
          ? checkResult(context, 'loader-missing', 'skip', `${image}: not reached, the start fails before.`, platform)
          : checkResult(context, 'loader-missing', 'pass', `${image}: no dynamic loader needed.`, platform),
  ]
}
