import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {DEFAULT_HOSTS, parseHosts} from '../oci/platform/hosts.js'
import {formatPlatformSpec} from '../oci/platform/normalize.js'
import type {Platform} from '../oci/platform/types.js'
import type {SourceSpec} from '../oci/reference.js'
import {diagnoseImage, type DiagnoseReport} from '../engine/layers/diagnose.js'
import type {ReadLayersOptions} from '../engine/layers/read-image.js'
import {fetchImageTree} from '../engine/tree.js'
import {singleClient, sourceSpec} from './options.js'
import {versioned, type Versioned} from './schema.js'
import {progressOf, withSource, type ReadOptions} from './sources.js'

export type {DiagnoseReport, HostDiagnosis, HostStatus, ImageBinaries, MismatchedMachine} from '../engine/layers/diagnose.js'
export type {LayerProgress, ReadLayersOptions} from '../engine/layers/read-image.js'
export {DEFAULT_LAYER_LIMITS, LayerLimitError, type LayerLimits} from '../engine/layers/limits.js'

export interface DiagnoseOptions extends ReadOptions {
  /** Hosts to judge (default: this machine, then linux/amd64 and linux/arm64). */
  hosts?: ReadonlyArray<string | Platform>
  /** A client model or an alias (kubernetes, cri-o…); default docker. */
  client?: string
  /** Also list every executable ELF whose architecture differs from its image's platform. */
  allBinaries?: boolean
  /** Layer reading: concurrency, decompression limits, progress events. */
  layers?: ReadLayersOptions
}

/** `archcheck diagnose --json` (docs/diagnose.md). */
export type DiagnoseResult = Versioned<DiagnoseReport>

/** Per host: the image pulled, what `docker run` executes in it, and whether it starts there. */
export async function diagnose(reference: string | SourceSpec, options: DiagnoseOptions = {}): Promise<DiagnoseResult> {
  // This machine first, then the two hosts archcheck exists for (parseHosts drops a repeat).
  const specs = options.hosts?.length
    ? options.hosts.map((host) => (typeof host === 'string' ? host : formatPlatformSpec(host)))
    : ['native', ...DEFAULT_HOSTS]
  const hosts = parseHosts(specs)
  return withSource(sourceSpec(reference, 'reference'), options, async (source) => {
    const tree = await progressOf(options)(`Reading ${source.displayName}`, () => fetchImageTree(source))
    return versioned(
      await diagnoseImage(source, tree, {
        hosts,
        client: singleClient(options.client),
        allBinaries: options.allBinaries,
        read: options.layers,
      }),
    )
  })
}

/** 1 when some host will fail to start the image, else 0. */
export function diagnoseExitCode(result: DiagnoseResult): ExitCodeValue {
  return result.failed ? ExitCode.checkFailed : ExitCode.ok
}
