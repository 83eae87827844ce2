/**
 * Named test images pushed into the test registry, each returned with what a correct tool must
 * report, computed from the pushed bytes (never through archcheck's code).
 *
 *   const s = await pushScenario('oci-index')                 // one of SCENARIOS
 *   const t = await pushScenario('my-case', {index: {entries: [{platform: 'linux/arm/v6'}]}})
 *   s.reference                 // 127.0.0.1:PORT/scenarios/oci-index:latest
 *   s.root.digest, s.root.size  // the tag's descriptor
 *   s.image('linux/arm64').config.digest
 *
 * A spec is declarative: an `image` (single platform, no index) or an `index` of entries; an
 * entry is an image (platform string, optional config override, attestation, annotations) or a
 * nested `index`. For anything else, build it with scripts/fixtures/image-builder.ts and pass it as
 * `bundle`. `remove` deletes manifests or blobs after the push (dangling entries, lost configs).
 */
import {makeElf, ELF_MACHINES, type ElfArchitecture} from '../../scripts/fixtures/elf.js'
import {
  buildAttestation,
  buildImage,
  buildIndex,
  type BuiltImage,
  type ConfigSpec,
  type ContentObject,
  type ImageBundle,
  type IndexEntry,
  type LayerFile,
  type ManifestFormat,
} from '../../scripts/fixtures/image-builder.js'
import type {Platform} from '../../src/oci/platform/types.js'

import {sha256Digest, TestRegistryClient, testRegistryHost} from './registry.js'

export interface ScenarioImage {
  /** The platform the index entry declares (and, unless `configPlatform`, the config's): `os/arch[/variant]`. */
  platform: string
  /** os.version of entry and config (Windows). */
  osVersion?: string
  /** Media types of this image; default the index's format ('oci' for a single image). */
  format?: ManifestFormat
  /** The config's own platform when it should disagree with the entry: `linux/amd64`. */
  configPlatform?: string
  /**
   * Whether a correct tool flags this entry's config as disagreeing (after normalisation).
   * Default: `configPlatform` is given and differs from `platform` as written. Set it when aliases
   * make them equal (`linux/arm64/v8` vs `linux/arm64` → false).
   */
  mismatch?: boolean
  /** More config fields (created, entrypoint, cmd, env, …); wins over the above. */
  config?: Partial<ConfigSpec>
  /** Files of the image's layer; default a tiny ELF of the config's architecture at usr/bin/hello. */
  files?: LayerFile[]
  /** Adds a buildx-style attestation manifest for this image (after all images, as buildx does). */
  attestation?: boolean
  /** Annotations on the index entry. */
  annotations?: Record<string, string>
}

export interface ScenarioNestedIndex {
  index: ScenarioIndex
  /** Platform declared on the entry pointing at the nested index (default none). */
  platform?: string
  annotations?: Record<string, string>
}

export interface ScenarioIndex {
  /** 'oci' (image index, default) or 'docker' (manifest list). */
  format?: ManifestFormat
  entries: Array<ScenarioImage | ScenarioNestedIndex>
  annotations?: Record<string, string>
}

export interface ScenarioSpec {
  /** Exactly one of image, index, bundle. */
  image?: ScenarioImage
  index?: ScenarioIndex
  /** Anything image-builder made. */
  bundle?: ImageBundle
  /** Default `scenarios/<name>`. */
  repository?: string
  /** Default `latest`. */
  tag?: string
  /** Deleted after the push (by digest), e.g. `(s) => ({blobs: [s.image('linux/arm64').config.digest]})`. */
  remove?: (scenario: PushedScenario) => {manifests?: string[]; blobs?: string[]}
}

/** A descriptor as expected, from the bytes. */
export interface ExpectedDescriptor {
  digest: string
  size: number
  mediaType: string
}

export interface ExpectedImage extends ExpectedDescriptor {
  kind: 'image'
  /** As the parent index declares it (library field names), undefined at the top or when absent. */
  platform?: Platform
  annotations?: Record<string, string>
  config: ExpectedDescriptor & {os: string; architecture: string; variant?: string; osVersion?: string; created?: string}
  layers: {count: number; compressedSize: number; digests: string[]}
  /** For attestation manifests: the digest of the image they describe. */
  attestationFor?: string
  /** Whether a correct tool flags the config's platform (only known for declarative scenarios). */
  platformMismatch?: boolean
}

export interface ExpectedIndex extends ExpectedDescriptor {
  kind: 'index'
  platform?: Platform
  annotations?: Record<string, string>
  children: ExpectedNode[]
}

export interface ExpectedOther extends ExpectedDescriptor {
  kind: 'other'
  platform?: Platform
  annotations?: Record<string, string>
}

export type ExpectedNode = ExpectedImage | ExpectedIndex | ExpectedOther

export interface PushedScenario {
  name: string
  host: string
  repository: string
  tag: string
  /** `HOST/REPOSITORY:TAG`, ready for archcheck and skopeo (`docker://` + it). */
  reference: string
  /** The exact bytes the tag points at. */
  topBytes: Buffer
  root: ExpectedNode
  /** Every image node, depth first in index order (attestations included). */
  images: ExpectedImage[]
  /** The single image whose declared platform (`os/arch[/variant]`) is `platform`; throws if none or several. */
  image(platform: string): ExpectedImage
  /** What an efficient `inspect` fetches: the top manifest, each distinct child manifest, each distinct config. */
  fetches: {manifests: number; configs: number}
  /** What `remove` deleted. */
  removed: {manifests: string[]; blobs: string[]}
  bundle: ImageBundle
}

/** The standard scenarios of issue 2; other issues add theirs next to these or inline. */
export const SCENARIOS = {
  'oci-index': {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}},
  'docker-list': {index: {format: 'docker', entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64/v8'}]}},
  'mixed-media-types': {index: {format: 'oci', entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64', format: 'docker'}]}},
  'single-platform': {image: {platform: 'linux/amd64', config: {entrypoint: ['/usr/bin/hello']}}},
  'single-platform-docker': {image: {platform: 'linux/arm64', format: 'docker'}},
  attestations: {
    index: {
      entries: [
        {platform: 'linux/amd64', attestation: true},
        {platform: 'linux/arm64', attestation: true},
      ],
    },
  },
  nested: {
    index: {
      entries: [{platform: 'linux/amd64'}, {index: {entries: [{platform: 'linux/arm64'}, {platform: 'linux/arm/v7'}]}}],
    },
  },
  // The arm64 entry is an amd64 build (its own config and digest): "exec format error" on arm64 hosts.
  'config-mismatch': {
    index: {
      entries: [
        {platform: 'linux/amd64'},
        {platform: 'linux/arm64', configPlatform: 'linux/amd64', config: {entrypoint: ['/usr/bin/hello']}},
      ],
    },
  },
} satisfies Record<string, ScenarioSpec>

export type ScenarioName = keyof typeof SCENARIOS

const standardScenarios = new Map<string, Promise<PushedScenario>>()

/**
 * Builds `spec` (default: the standard scenario `name`), pushes it to the test registry under
 * `scenarios/<name>:latest` and returns what a correct tool must report. The global setup pushes
 * the standard scenarios before any test runs, so test files (running in parallel) only read
 * them: two concurrent pushes of the same content into one repository briefly hide its blobs.
 */
export async function pushScenario(name: ScenarioName): Promise<PushedScenario>
export async function pushScenario(name: string, spec: ScenarioSpec, options?: {host?: string}): Promise<PushedScenario>
export async function pushScenario(name: string, spec?: ScenarioSpec, options: {host?: string} = {}): Promise<PushedScenario> {
  if (spec) return push(name, spec, options.host ?? testRegistryHost())
  if (!(name in SCENARIOS)) throw new Error(`no standard scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`)
  const host = testRegistryHost()
  const key = `${host} ${name}`
  if (!standardScenarios.has(key)) standardScenarios.set(key, push(name, SCENARIOS[name as ScenarioName], host, {unlessTagged: true}))
  return standardScenarios.get(key)!
}

/** Pushes every standard scenario into `host` (the global setup does, before the tests). */
export async function pushStandardScenarios(host: string): Promise<void> {
  await Promise.all(Object.entries(SCENARIOS).map(([name, spec]) => push(name, spec as ScenarioSpec, host)))
}

async function push(name: string, spec: ScenarioSpec, host: string, options: {unlessTagged?: boolean} = {}): Promise<PushedScenario> {
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name)) throw new Error(`scenario name "${name}" must be lower-case letters, digits and . _ -`)
  const given = [spec.image, spec.index, spec.bundle].filter((part) => part !== undefined).length
  if (given !== 1) throw new Error(`scenario "${name}": give exactly one of image, index, bundle`)
  /** Per index entry (see entryKey): whether a correct tool flags its config's platform. */
  const mismatches = new Map<string, boolean>()
  const bundle =
    spec.bundle ??
    (spec.image ? await buildScenarioImage(spec.image, 'oci', mismatches) : await buildScenarioIndex(spec.index!, mismatches))
  const repository = spec.repository ?? `scenarios/${name}`
  const tag = spec.tag ?? 'latest'
  const client = new TestRegistryClient(host)
  // Already there (pushed by the global setup): pushing again would race with readers.
  const tagged =
    options.unlessTagged &&
    (await client.getManifest(repository, tag, 'HEAD')).headers.get('docker-content-digest') === sha256Digest(bundle.top.bytes)
  if (!tagged) await client.pushBundle(repository, bundle, tag)

  const objects = new Map<string, ContentObject>()
  for (const object of [...bundle.blobs, ...bundle.manifests]) objects.set(sha256Digest(object.bytes), object)
  const root = expectNode(bundle.top, {}, objects, mismatches)
  const images = collectImages(root)
  const scenario: PushedScenario = {
    name,
    host,
    repository,
    tag,
    reference: `${host}/${repository}:${tag}`,
    topBytes: Buffer.from(bundle.top.bytes),
    root,
    images,
    image: (platform) => {
      const found = images.filter((image) => image.platform && platformString(image.platform) === platform)
      if (found.length !== 1) throw new Error(`scenario "${name}": ${found.length} images declared ${platform}`)
      return found[0]
    },
    fetches: countFetches(root),
    removed: {manifests: [], blobs: []},
    bundle,
  }
  const removal = spec.remove?.(scenario) ?? {}
  for (const digest of removal.manifests ?? []) await client.deleteManifest(repository, digest)
  for (const digest of removal.blobs ?? []) await client.deleteBlob(repository, digest)
  scenario.removed = {manifests: removal.manifests ?? [], blobs: removal.blobs ?? []}
  return scenario
}

/** `linux/arm/v7` → Platform. */
export function parsePlatformString(platform: string, osVersion?: string): Platform {
  const [os, architecture, variant, ...rest] = platform.split('/')
  if (!os || !architecture || rest.length > 0) throw new Error(`platform "${platform}" is not os/arch[/variant]`)
  return {os, architecture, ...(variant ? {variant} : {}), ...(osVersion ? {osVersion} : {})}
}

export const platformString = (platform: Platform): string =>
  [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/')

async function buildScenarioImage(
  image: ScenarioImage,
  defaultFormat: ManifestFormat,
  mismatches: Map<string, boolean>,
): Promise<BuiltImage> {
  const declared = parsePlatformString(image.platform, image.osVersion)
  const own = image.configPlatform ? parsePlatformString(image.configPlatform, image.osVersion) : declared
  const built = await buildImage({
    format: image.format ?? defaultFormat,
    config: {os: own.os, architecture: own.architecture, variant: own.variant, osVersion: own.osVersion, ...image.config},
    files: image.files ?? defaultFiles(own),
    indexPlatform: declared,
    indexAnnotations: image.annotations,
  })
  mismatches.set(
    entryKey(built.manifest.digest, declared),
    image.mismatch ?? (image.configPlatform !== undefined && image.configPlatform !== image.platform),
  )
  return built
}

async function buildScenarioIndex(index: ScenarioIndex, mismatches: Map<string, boolean>): Promise<ImageBundle> {
  const format = index.format ?? 'oci'
  const entries: IndexEntry[] = []
  const attestations: IndexEntry[] = []
  for (const entry of index.entries) {
    if ('index' in entry) {
      const nested = await buildScenarioIndex(entry.index, mismatches)
      entries.push({target: nested, platform: entry.platform ? parsePlatformString(entry.platform) : null, annotations: entry.annotations})
      continue
    }
    const image = await buildScenarioImage(entry, format, mismatches)
    entries.push({target: image})
    if (entry.attestation) attestations.push({target: await buildAttestation(image.manifest)})
  }
  return buildIndex({format, entries: [...entries, ...attestations], annotations: index.annotations})
}

/** Mismatch flags belong to index entries: two entries may share a manifest and differ in platform. */
const entryKey = (digest: string, declared: Platform): string => `${digest} ${platformString(declared)}`

/** An ELF of the architecture when there is a generator for it, else a text file. */
function defaultFiles(platform: Platform): LayerFile[] {
  const arch = platform.architecture as ElfArchitecture
  if (platform.os === 'linux' && arch in ELF_MACHINES) return [{path: 'usr/bin/hello', content: makeElf(arch)}]
  return [{path: 'hello.txt', content: `${platformString(platform)}\n`, mode: 0o644}]
}

interface DescriptorJson {
  mediaType: string
  digest: string
  size: number
  platform?: Record<string, unknown>
  annotations?: Record<string, string>
}

/** The expected node for `object`, reading its JSON and every object it names from the bundle. */
function expectNode(
  object: {bytes: Uint8Array; mediaType: string},
  entry: {platform?: Platform; annotations?: Record<string, string>},
  objects: Map<string, ContentObject>,
  mismatches: Map<string, boolean>,
): ExpectedNode {
  const digest = sha256Digest(object.bytes)
  const base = {digest, size: object.bytes.length, mediaType: object.mediaType, ...entry}
  const json = JSON.parse(Buffer.from(object.bytes).toString('utf8')) as {
    manifests?: DescriptorJson[]
    config?: DescriptorJson
    layers?: DescriptorJson[]
  }
  if (json.manifests) {
    const children = json.manifests.map((child) => {
      const target = objects.get(child.digest)
      const childEntry = {
        ...(child.platform ? {platform: platformFromJson(child.platform)} : {}),
        ...(child.annotations ? {annotations: child.annotations} : {}),
      }
      // A removed manifest still appears in the parent: what its descriptor says is all there is.
      if (!target) return {kind: 'other' as const, digest: child.digest, size: child.size, mediaType: child.mediaType, ...childEntry}
      return expectNode(target, childEntry, objects, mismatches)
    })
    return {kind: 'index', ...base, children}
  }
  if (json.config && json.layers) {
    const configObject = objects.get(json.config.digest)
    const config = configObject ? (JSON.parse(configObject.bytes.toString('utf8')) as Record<string, unknown>) : {}
    const layerSizes = json.layers.map((layer) => objects.get(layer.digest)?.bytes.length ?? layer.size)
    const attested =
      entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
        ? entry.annotations['vnd.docker.reference.digest']
        : undefined
    return {
      kind: 'image',
      ...base,
      config: {
        digest: configObject ? sha256Digest(configObject.bytes) : json.config.digest,
        size: configObject?.bytes.length ?? json.config.size,
        mediaType: json.config.mediaType,
        os: String(config.os),
        architecture: String(config.architecture),
        ...(config.variant ? {variant: String(config.variant)} : {}),
        ...(config['os.version'] ? {osVersion: String(config['os.version'])} : {}),
        ...(config.created ? {created: String(config.created)} : {}),
      },
      layers: {
        count: json.layers.length,
        compressedSize: layerSizes.reduce((a, b) => a + b, 0),
        digests: json.layers.map((layer) => layer.digest),
      },
      ...(attested ? {attestationFor: attested} : {}),
      ...(entry.platform && mismatches.has(entryKey(digest, entry.platform))
        ? {platformMismatch: mismatches.get(entryKey(digest, entry.platform))}
        : {}),
    }
  }
  return {kind: 'other', ...base}
}

function platformFromJson(json: Record<string, unknown>): Platform {
  return {
    os: String(json.os),
    architecture: String(json.architecture),
    ...(json.variant ? {variant: String(json.variant)} : {}),
    ...(json['os.version'] ? {osVersion: String(json['os.version'])} : {}),
    ...(Array.isArray(json['os.features']) ? {osFeatures: json['os.features'].map(String)} : {}),
  }
}

function collectImages(node: ExpectedNode): ExpectedImage[] {
  if (node.kind === 'image') return [node]
  if (node.kind === 'index') return node.children.flatMap(collectImages)
  return []
}

function countFetches(root: ExpectedNode): {manifests: number; configs: number} {
  const manifests = new Set<string>()
  const configs = new Set<string>()
  const walk = (node: ExpectedNode): void => {
    manifests.add(node.digest)
    if (node.kind === 'image') configs.add(node.config.digest)
    if (node.kind === 'index') node.children.forEach(walk)
  }
  walk(root)
  return {manifests: manifests.size, configs: configs.size}
}
