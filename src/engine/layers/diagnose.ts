import {shortDigest} from '../../oci/digest.js'
import type {ImageSource} from '../../source/source.js'
import type {ImageNode, ImageTree} from '../../oci/types.js'
import {formatPlatform, normalizePlatform} from '../../oci/platform/normalize.js'
import type {ClientName, Resolution} from '../resolve/resolution.js'
import {resolveForHost} from '../resolve/resolve.js'
import type {Platform} from '../../oci/platform/types.js'
import {entryPlatform} from '../tree-entries.js'
import {type BinaryInfo, identifyBinary, needsNewerArm} from './binary.js'
import {type ExecFailure, type ExecStep, type ExecutionPlan, traceExecution} from './entrypoint.js'
import type {ImageFilesystem} from './filesystem.js'
import {readImageFilesystems, type ReadLayersOptions} from './read-image.js'
import {matchingConfigPlatform} from '../config-platform.js'

export interface DiagnoseOptions {
  /** Hosts to judge (already parsed). */
  hosts: Platform[]
  client?: ClientName
  /** Also list every executable ELF whose architecture differs from its image's platform. */
  allBinaries?: boolean
  read?: ReadLayersOptions
}

/** ok: it starts; warn: it starts, with a caveat; fail: `docker run` fails on this host. */
export type HostStatus = 'ok' | 'warn' | 'fail'

export interface HostDiagnosis {
  host: string
  client: ClientName
  status: HostStatus
  /** The verdict in plain words: which image, which file, which error. */
  message: string
  /** The pull simulation's verdict and sentence. */
  resolution: {verdict: Resolution['verdict']; message: string; clientMessage?: string}
  /** The image pulled (absent when the client refuses the tag). */
  image?: {digest: string; declared?: string; config: string}
  /** What runs, how it was resolved, and what fails (absent when not traced: no image, non-Linux). */
  execution?: {plan: ExecutionPlan; steps: ExecStep[]; failure?: ExecFailure; warnings: string[]}
}

export interface MismatchedMachine {
  architecture: string
  /** e.g. "x86-64". */
  machineName: string
  count: number
  /** Up to 20 paths, in filesystem order. */
  files: string[]
}

export interface ImageBinaries {
  digest: string
  platform: string
  /** Executable ELF files (exec bit set) in the final filesystem. */
  elfCount: number
  mismatched: MismatchedMachine[]
}

export interface DiagnoseReport {
  reference: string
  digest: string
  /** True when some host will fail. */
  failed: boolean
  hosts: HostDiagnosis[]
  /** With allBinaries: one entry per image diagnosed. */
  binaries?: ImageBinaries[]
}

const MAX_LISTED_FILES = 20

/**
 * For each host: which image the client pulls, and whether what `docker run` executes in it will
 * start there. Layers of all chosen images are read together (each distinct layer once).
 */
export async function diagnoseImage(source: ImageSource, tree: ImageTree, options: DiagnoseOptions): Promise<DiagnoseReport> {
  const client = options.client ?? 'docker'
  const resolutions = options.hosts.map((host) => resolveForHost(tree, host, client))
  // --all-binaries lists the ELFs of every Linux image pulled, whatever the host's OS.
  const images = chosenLinuxImages(resolutions, {anyHost: options.allBinaries})
  const filesystems = images.length ? await readImageFilesystems(source, images, options.read) : new Map<string, ImageFilesystem>()
  const hosts = resolutions.map((resolution) => diagnoseHost(resolution, filesystems))
  const report: DiagnoseReport = {
    reference: tree.reference,
    digest: tree.root.descriptor.digest,
    failed: hosts.some((h) => h.status === 'fail'),
    hosts,
  }
  if (options.allBinaries) report.binaries = images.map((image) => foreignBinaries(image, filesystems.get(image.descriptor.digest)!))
  return report
}

/**
 * The Linux images the resolutions pull, each once: those on Linux hosts (whose entrypoints are
 * followed), or on any host. Only their layers are worth reading.
 */
export function chosenLinuxImages(resolutions: readonly Resolution[], options: {anyHost?: boolean} = {}): ImageNode[] {
  const images = new Map<string, ImageNode>()
  for (const {chosen, host} of resolutions) {
    if (chosen?.config.os === 'linux' && (options.anyHost || host.os === 'linux')) images.set(chosen.descriptor.digest, chosen)
  }
  return [...images.values()]
}

function diagnoseHost(resolution: Resolution, filesystems: Map<string, ImageFilesystem>): HostDiagnosis {
  const host = formatPlatform(resolution.host)
  const base = {
    host,
    client: resolution.client,
    resolution: {
      verdict: resolution.verdict,
      message: resolution.message,
      ...(resolution.clientMessage ? {clientMessage: resolution.clientMessage} : {}),
    },
  }
  const image = resolution.chosen
  if (!image) {
    const said = resolution.clientMessage ? `: \`${resolution.clientMessage}\`` : ''
    return {...base, status: 'fail', message: `${host} hosts cannot pull it${said}. ${resolution.message}`}
  }
  const declared = image.descriptor.platform ? formatPlatform(normalizePlatform(image.descriptor.platform)) : undefined
  const imageInfo = {
    digest: image.descriptor.digest,
    ...(declared ? {declared} : {}),
    config: formatPlatform(matchingConfigPlatform(image, image.descriptor.platform)),
  }
  const pulls = `${host} hosts pull ${shortDigest(image.descriptor.digest)} (${declared ? `declared ${declared}` : `config ${imageInfo.config}`})`
  const fs = filesystems.get(image.descriptor.digest)
  if (!fs || resolution.host.os !== 'linux') {
    const status: HostStatus = resolution.verdict === 'ok' ? 'ok' : 'warn'
    return {
      ...base,
      image: imageInfo,
      status,
      message: `${pulls}; its files were not examined: archcheck follows entrypoints of Linux images on Linux hosts only. ${resolution.message}`,
    }
  }
  const trace = traceExecution(fs, image.config, resolution.host.architecture, resolution.host.variant)
  const execution = {plan: trace.plan, steps: trace.steps, warnings: trace.warnings, ...(trace.failure ? {failure: trace.failure} : {})}
  const entry = trace.steps[0]
  const what = entry?.path ? `${entry.path}${entry.description ? ` (${entry.description})` : ''}` : trace.plan.argv[0]
  if (trace.failure) {
    const {error, reason} = trace.failure
    return {...base, image: imageInfo, execution, status: 'fail', message: `${pulls}, but ${reason}: \`${error}\``}
  }
  // The files were followed and start on this host: a prediction of `exec format error` from the
  // config alone would contradict that, so say what is wrong instead (the config, not the binaries).
  const mislabelled =
    resolution.verdict === 'wrong-arch'
      ? `its config says ${imageInfo.config}, yet the files it runs are built for ${host}: the config is mislabelled, and ${imageInfo.config} hosts pulling it fail`
      : undefined
  const caveats = [...trace.warnings, ...(resolution.verdict === 'ok' ? [] : [mislabelled ?? resolution.message])]
  return {
    ...base,
    image: imageInfo,
    execution,
    status: caveats.length ? 'warn' : 'ok',
    message: `${pulls}; its entrypoint ${what} starts${caveats.length ? `, but ${caveats.join('; ')}` : ''}`,
  }
}

/** Executable ELFs of another architecture than the image's (or of a newer 32-bit ARM), grouped by machine (multi-stage leftovers). */
export function foreignBinaries(image: ImageNode, fs: ImageFilesystem): ImageBinaries {
  const platform = entryPlatform(image)!
  const groups = new Map<string, MismatchedMachine>()
  let elfCount = 0
  for (const {path, node} of fs.files()) {
    if (!node.head) continue
    const info: BinaryInfo = identifyBinary(node.head, node.armAttributes)
    if (info.kind !== 'elf' || (info.type !== 'executable' && info.type !== 'shared-object')) continue
    elfCount++
    // 32-bit ARM code for a newer ARM than the image's variant counts as foreign too (`arm/v7` in an arm/v6 image).
    const newerArm = info.architecture === 'arm' && platform.architecture === 'arm' && needsNewerArm(info, platform.variant)
    const architecture = newerArm ? `arm/${info.arm!.variant}` : (info.architecture ?? `machine-${info.machine}`)
    if (architecture === platform.architecture) continue
    const group = groups.get(architecture) ?? {architecture, machineName: info.machineName, count: 0, files: []}
    group.count++
    if (group.files.length < MAX_LISTED_FILES) group.files.push(path)
    groups.set(architecture, group)
  }
  return {
    digest: image.descriptor.digest,
    platform: formatPlatform(platform),
    elfCount,
    mismatched: [...groups.values()].sort((a, b) => b.count - a.count),
  }
}
