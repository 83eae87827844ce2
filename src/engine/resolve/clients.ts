import type {PlatformMatching} from '../../oci/platform/match.js'
import {formatPlatform, normalizePlatform} from '../../oci/platform/normalize.js'
import type {ClientName} from './resolution.js'
import type {Platform} from '../../oci/platform/types.js'

/** An index entry as a client sees it: the platform it declares (or, failing that, its config's). */
export interface Entry {
  index: number
  digest: string
  platform: Platform
  /** The entry declares no platform: `platform` comes from its config. */
  fromConfig: boolean
}

/**
 * How one pull client chooses from an index. `rank` is the client's preference for an entry
 * (0 best, 1, 2… worse, -1 refused); entries of equal rank keep index order.
 */
export interface ClientModel {
  name: ClientName
  /** Who behaves like this, for messages. */
  describes: string
  rank(host: Platform, entry: Entry, matching: PlatformMatching): number
  /** Order of two accepted entries: negative when `a` is preferred (stable sort keeps index order on 0). */
  compare(host: Platform, a: Entry, b: Entry, matching: PlatformMatching): number
  /** Whether an index entry that is itself an index is looked into (containerd walks them; the others expect images). */
  followsNestedIndexes: boolean
  /** Entries tried when no entry ranks (moby's arm rule, containers/image's platform-less entry). */
  lastResort(host: Platform, entries: Entry[]): Entry | undefined
  /** The client's warning when it pulls a single image of another platform. */
  singlePlatformWarning(host: Platform, image: Platform): string | undefined
  /** The client's own error text when nothing fits (`digest` is the index's). */
  noMatchMessage(host: Platform, context: {reference: string; indexMediaType: string; digest: string}): string
}

/** Docker prints the host with its default variant: linux/arm64/v8, linux/arm/v7. */
function dockerPlatformText(platform: Platform): string {
  const shown = platform.architecture === 'arm64' && !platform.variant ? {...platform, variant: 'v8'} : platform
  const os = shown.osVersion ? `${shown.os}(${shown.osVersion})` : shown.os
  return formatPlatform({...shown, os})
}

/**
 * containerd's choice, shared by Docker and containerd: rank by `platforms.Only`'s fallback step;
 * order entries without a platform (judged by their config) after every entry with one, as
 * containerd's index handlers sort them, the others by the host's comparer.
 */
const containerdMatching: Pick<ClientModel, 'rank' | 'compare'> = {
  rank: (host, entry, matching) => matching.rank(host, entry.platform),
  compare: (host, a, b, matching) => {
    if (a.fromConfig !== b.fromConfig) return a.fromConfig ? 1 : -1
    return a.fromConfig ? 0 : matching.compare(host, a.platform, b.platform)
  },
}

const withoutOsVersion = ({osVersion: _v, osFeatures: _f, ...rest}: Platform): Platform => rest

/**
 * Current Docker (moby 23 and later, either image store): containerd/platforms v1.0's matcher
 * (`platforms.Only`) sorted stably; when nothing matches an arm host, any arm entry of the same OS
 * whatever its variant (moby's backwards-compatibility rule); a single image is pulled whatever
 * its platform, with a warning.
 */
const docker: ClientModel = {
  name: 'docker',
  describes: 'Docker',
  ...containerdMatching,
  followsNestedIndexes: false,
  lastResort(host, entries) {
    if (host.architecture !== 'arm') return undefined
    return entries.find((entry) => {
      const p = normalizePlatform(entry.platform)
      return p.os === host.os && p.architecture === 'arm'
    })
  },
  singlePlatformWarning: (host, image) =>
    `The requested image's platform (${formatPlatform(image)}) does not match the detected host platform (${dockerPlatformText(host)}) and no specific platform was requested`,
  noMatchMessage: (host) => `no matching manifest for ${dockerPlatformText(host)} in the manifest list entries`,
}

/**
 * dockerd 20.10 (Debian 12's docker.io, and every engine before moby 23): the first entry in index
 * order whose os/architecture/variant equal the host's after normalisation — no fallback at all
 * (no arm64→arm, amd64→386, arm/v7→v6), os.version and os.features not looked at; when nothing
 * matches an arm host, the first entry whose os and architecture as written are the host's. A
 * single image is pulled whatever its platform, with the same warning as current Docker. Its
 * refusal names the host as `--platform` names it (checked with dockerd 20.10.24).
 */
const docker2010: ClientModel = {
  name: 'docker@20.10',
  describes: 'Docker 20.10',
  rank(host, entry) {
    if (entry.fromConfig) return -1
    const p = normalizePlatform(entry.platform)
    return p.os === host.os && p.architecture === host.architecture && (p.variant ?? '') === (host.variant ?? '') ? 0 : -1
  },
  compare: () => 0,
  followsNestedIndexes: false,
  lastResort(host, entries) {
    if (host.architecture !== 'arm') return undefined
    return entries.find((entry) => !entry.fromConfig && entry.platform.os === host.os && entry.platform.architecture === 'arm')
  },
  singlePlatformWarning: (host, image) => docker.singlePlatformWarning(host, image),
  noMatchMessage: (host) => `no matching manifest for ${formatPlatform(host)} in the manifest list entries`,
}

/**
 * containerd (ctr, nerdctl, Kubernetes on containerd): `platforms.Only` sorted stably, no last
 * resort; nested indexes are walked. Like Docker it takes a tag holding a single image whatever that image's platform (only
 * index entries are filtered; checked with ctr 1.6), but without a warning.
 */
const containerd: ClientModel = {
  name: 'containerd',
  describes: 'containerd',
  ...containerdMatching,
  followsNestedIndexes: true,
  lastResort: () => undefined,
  singlePlatformWarning: () => undefined,
  noMatchMessage: (_host, {digest}) => `no match for platform in manifest ${digest}: not found`,
}

/**
 * containers/image's variant lists: most capable first; arm64 without a variant also takes v8.
 * arm starts at v8 (an arm/v8 host takes v7 … v5): podman 4.3 does so in the oracle suite.
 */
const PODMAN_VARIANTS: Record<string, string[]> = {arm: ['v8', 'v7', 'v6', 'v5'], arm64: ['v8']}

/** The platforms containers/image wants, in order: the variant and older ones, then "no variant". */
export function podmanWantedPlatforms(host: Platform): Platform[] {
  const known = PODMAN_VARIANTS[host.architecture]
  let variants: string[]
  if (host.variant) {
    const from = known?.indexOf(host.variant) ?? -1
    variants = [...(from >= 0 ? known.slice(from) : [host.variant]), '']
  } else {
    variants = host.architecture === 'arm64' ? ['', 'v8'] : ['']
  }
  return variants.map((variant) => ({os: host.os, architecture: host.architecture, ...(variant ? {variant} : {})}))
}

/**
 * Podman, Buildah, CRI-O, Skopeo (containers/image): tries each wanted platform in turn and takes
 * the first entry (in index order) whose os/architecture/variant equal it exactly (no aliases, no
 * os.version, no arm64→arm or amd64→386 fallback). Entries without a platform are only the last
 * resort; a single image is pulled whatever its platform, with a warning.
 */
const podman: ClientModel = {
  name: 'podman',
  describes: 'Podman (containers/image)',
  rank(host, entry) {
    if (entry.fromConfig) return -1
    return podmanWantedPlatforms(host).findIndex(
      (want) =>
        entry.platform.os === want.os &&
        entry.platform.architecture === want.architecture &&
        (entry.platform.variant ?? '') === (want.variant ?? ''),
    )
  },
  compare(host, a, b, matching) {
    return this.rank(host, a, matching) - this.rank(host, b, matching)
  },
  followsNestedIndexes: false,
  lastResort: (_host, entries) => entries.find((entry) => entry.fromConfig),
  singlePlatformWarning: (host, image) =>
    `image platform (${formatPlatform(image)}) does not match the expected platform (${formatPlatform(host)})`,
  noMatchMessage(host, {indexMediaType}) {
    const want = podmanWantedPlatforms(host)[0]
    const kind = indexMediaType.includes('docker') ? 'manifest list' : 'image index'
    // Only the variant is quoted (%q in containers/image), as podman 4.3 prints it.
    return `no image found in ${kind} for architecture ${want.architecture}, variant "${want.variant ?? ''}", OS ${want.os}`
  },
}

/**
 * crane, oras and other go-containerregistry-style clients: os and architecture must be equal, the
 * variant (and os.version) only when the host names one; the first such entry in index order. A
 * single image is returned whatever its platform.
 */
const exact: ClientModel = {
  name: 'exact',
  describes: 'an exact-matching client (crane, oras)',
  rank(host, entry) {
    const p = entry.platform
    if (p.os !== host.os || p.architecture !== host.architecture) return -1
    if (host.variant && p.variant !== host.variant) return -1
    if (host.osVersion && p.osVersion !== host.osVersion) return -1
    return 0
  },
  compare: () => 0,
  followsNestedIndexes: false,
  lastResort: () => undefined,
  singlePlatformWarning: () => undefined,
  noMatchMessage: (host, {reference}) => `no child with platform ${formatPlatform(withoutOsVersion(host))} in index ${reference}`,
}

export const CLIENT_MODELS: Record<ClientName, ClientModel> = {docker, 'docker@20.10': docker2010, containerd, podman, exact}
export const CLIENT_NAMES = Object.keys(CLIENT_MODELS) as ClientName[]

/** Names users type for a client that behaves like one of the models. */
export const CLIENT_ALIASES: Record<string, ClientName> = {
  kubernetes: 'containerd',
  cri: 'containerd',
  nerdctl: 'containerd',
  'cri-o': 'podman',
  buildah: 'podman',
  skopeo: 'podman',
}

/** The model a client name or alias stands for; undefined for a name archcheck does not know. */
export function clientModelName(name: string): ClientName | undefined {
  if (Object.hasOwn(CLIENT_MODELS, name)) return name as ClientName
  return Object.hasOwn(CLIENT_ALIASES, name) ? CLIENT_ALIASES[name] : undefined
}
