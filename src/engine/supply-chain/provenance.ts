import {booleanField, digestSet, field, isJsonObject, stringField} from './json.js'
import type {Material, ProvenanceSummary} from './types.js'

export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2'
export const SLSA_V1 = 'https://slsa.dev/provenance/v1'

export const isProvenanceType = (predicateType: string): boolean => predicateType === SLSA_V02 || predicateType === SLSA_V1

/** buildkit's own metadata key in a v0.2 predicate's `metadata`. */
const BUILDKIT_METADATA_V02 = 'https://mobyproject.org/buildkit@v1#metadata'
const BUILDKIT_HERMETIC_V02 = 'https://mobyproject.org/buildkit@v1#hermetic'

/**
 * A SLSA provenance predicate as buildkit writes it (docs/attestations/slsa-definitions.md in
 * moby/buildkit), v0.2 or v1, in one shape. Fields another builder leaves out are null.
 */
export function summariseProvenance(predicateType: string, predicate: unknown): ProvenanceSummary {
  return predicateType === SLSA_V1 ? summariseV1(predicate) : summariseV02(predicate)
}

function summariseV02(p: unknown): ProvenanceSummary {
  const metadata = field(p, 'metadata')
  const buildkit = field(metadata, BUILDKIT_METADATA_V02)
  const buildConfig = field(p, 'buildConfig')
  return {
    slsaVersion: 'v0.2',
    builderId: stringField(p, 'builder', 'id'),
    buildType: stringField(p, 'buildType'),
    configSource: {
      uri: stringField(p, 'invocation', 'configSource', 'uri'),
      digest: digestSet(field(p, 'invocation', 'configSource', 'digest')),
      path: stringField(p, 'invocation', 'configSource', 'entryPoint'),
    },
    vcsHint: vcsHint(field(buildkit, 'vcs')),
    builderPlatform: stringField(p, 'invocation', 'environment', 'platform'),
    startedOn: stringField(metadata, 'buildStartedOn'),
    finishedOn: stringField(metadata, 'buildFinishedOn'),
    mode: buildConfig === undefined ? 'min' : 'max',
    hermetic: booleanField(metadata, BUILDKIT_HERMETIC_V02),
    reproducible: booleanField(metadata, 'reproducible'),
    completeness: {
      parameters: booleanField(metadata, 'completeness', 'parameters'),
      materials: booleanField(metadata, 'completeness', 'materials'),
    },
    materials: materialsOf(field(p, 'materials')),
    finalStageBase: finalStageBase(field(buildConfig, 'llbDefinition')),
  }
}

function summariseV1(p: unknown): ProvenanceSummary {
  const definition = field(p, 'buildDefinition')
  const metadata = field(p, 'runDetails', 'metadata')
  const buildConfig = field(definition, 'internalParameters', 'buildConfig')
  return {
    slsaVersion: 'v1',
    builderId: stringField(p, 'runDetails', 'builder', 'id'),
    buildType: stringField(definition, 'buildType'),
    configSource: {
      uri: stringField(definition, 'externalParameters', 'configSource', 'uri'),
      digest: digestSet(field(definition, 'externalParameters', 'configSource', 'digest')),
      path: stringField(definition, 'externalParameters', 'configSource', 'path'),
    },
    vcsHint: vcsHint(field(metadata, 'buildkit_metadata', 'vcs')),
    builderPlatform: stringField(definition, 'internalParameters', 'builderPlatform'),
    startedOn: stringField(metadata, 'startedOn'),
    finishedOn: stringField(metadata, 'finishedOn'),
    mode: buildConfig === undefined ? 'min' : 'max',
    hermetic: booleanField(metadata, 'buildkit_hermetic'),
    reproducible: booleanField(metadata, 'buildkit_reproducible'),
    completeness: {
      parameters: booleanField(metadata, 'buildkit_completeness', 'request'),
      materials: booleanField(metadata, 'buildkit_completeness', 'resolvedDependencies'),
    },
    materials: materialsOf(field(definition, 'resolvedDependencies')),
    finalStageBase: finalStageBase(field(buildConfig, 'llbDefinition')),
  }
}

function vcsHint(vcs: unknown): ProvenanceSummary['vcsHint'] {
  const source = stringField(vcs, 'source')
  const revision = stringField(vcs, 'revision')
  return source === null && revision === null ? null : {source, revision, unverified: true}
}

function materialsOf(value: unknown): Material[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((entry): Material[] => {
    const uri = stringField(entry, 'uri')
    if (uri === null) return []
    const image = dockerPurl(uri)
    return [{uri, digest: digestSet(field(entry, 'digest')), ...(image ? {image} : {})}]
  })
}

/** `pkg:docker/NAME@VERSION?platform=linux%2Farm64` (package-url's docker type) → its parts. */
export function dockerPurl(uri: string): Material['image'] | undefined {
  const match = /^pkg:docker\/([^@?#]+)(?:@([^?#]*))?(?:\?([^#]*))?/.exec(uri)
  if (!match) return undefined
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text)
    } catch {
      return text
    }
  }
  const platform = new URLSearchParams(match[3] ?? '').get('platform')
  return {name: decode(match[1]), version: match[2] === undefined ? null : decode(match[2]), platform: platform || null}
}

const DOCKER_IMAGE_SOURCE = 'docker-image://'

/**
 * The image the final stage starts from, read from a mode=max build definition (LLB steps):
 * from the last step (the build's result) along each step's first input, which is the
 * filesystem it runs on, to the `docker-image://` source it began with. Null for `FROM scratch`
 * or a definition this walk does not understand.
 */
function finalStageBase(llb: unknown): ProvenanceSummary['finalStageBase'] {
  if (!Array.isArray(llb) || llb.length === 0) return null
  const steps = new Map<string, unknown>()
  for (const step of llb) {
    const id = stringField(step, 'id')
    if (id !== null) steps.set(id, step)
  }
  let step: unknown = llb[llb.length - 1]
  // Each step at most once: a cyclic definition ends the walk.
  for (let hops = 0; hops <= steps.size && step !== undefined; hops++) {
    const identifier = stringField(step, 'op', 'Op', 'source', 'identifier')
    if (identifier !== null) {
      if (!identifier.startsWith(DOCKER_IMAGE_SOURCE)) return null
      return {image: identifier.slice(DOCKER_IMAGE_SOURCE.length), platform: llbPlatform(field(step, 'op', 'platform'))}
    }
    const inputs = field(step, 'inputs')
    const first = Array.isArray(inputs) && typeof inputs[0] === 'string' ? inputs[0] : undefined
    if (first === undefined) return null
    step = steps.get(first.replace(/:\d+$/, ''))
  }
  return null
}

/** An LLB platform (`{"OS": "linux", "Architecture": "arm64", "Variant": "v8"}`) as `linux/arm64/v8`. */
function llbPlatform(value: unknown): string | null {
  if (!isJsonObject(value)) return null
  const os = stringField(value, 'OS')
  const architecture = stringField(value, 'Architecture')
  if (os === null || architecture === null) return null
  const variant = stringField(value, 'Variant')
  return [os, architecture, variant].filter(Boolean).join('/')
}
