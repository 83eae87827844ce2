/**
 * Parsing and validation of the four manifest formats (OCI index, OCI manifest, Docker manifest
 * list v2, Docker manifest v2 schema 2) and of image configs, from their exact bytes. Anything
 * malformed is a RegistryError of kind 'malformed' naming the object's digest.
 */
import {RegistryError} from './errors.js'
import type {Platform} from './platform/types.js'
import {isDigest} from './digest.js'
import {MediaType, SCHEMA1_MESSAGE, isImageManifestType, isIndexType, isSchema1Type} from './media-types.js'
import type {Descriptor, ImageConfig} from './types.js'

export interface ParsedIndex {
  kind: 'index'
  mediaType: string
  manifests: Descriptor[]
  annotations?: Record<string, string>
}

export interface ParsedImageManifest {
  kind: 'image'
  mediaType: string
  config: Descriptor
  layers: Descriptor[]
  annotations?: Record<string, string>
  artifactType?: string
  subject?: Descriptor
}

/** A manifest of a media type archcheck does not read (an artifact, a future format). */
export interface ParsedOther {
  kind: 'other'
  mediaType: string
}

export type ParsedManifest = ParsedIndex | ParsedImageManifest | ParsedOther

/** Config media types whose JSON is an image config (os, architecture, config, rootfs). */
export const isImageConfigType = (mediaType: string): boolean => mediaType === MediaType.ociConfig || mediaType === MediaType.dockerConfig

const malformed = (what: string, digest: string, problem: string): RegistryError =>
  new RegistryError(`malformed ${what} ${digest}: ${problem}`, 'malformed')

type Json = Record<string, unknown>
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Parses JSON bytes into an object, or throws 'malformed' naming `digest`. */
export function parseJsonObject(bytes: Uint8Array, what: string, digest: string): Json {
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw malformed(what, digest, 'not valid UTF-8')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Never the parser's message: it quotes the text, which may be any file a symlink led to (a token).
    const at = Buffer.byteLength(text.slice(0, jsonErrorOffset(text)))
    throw malformed(what, digest, `not valid JSON (at byte ${at})`)
  }
  if (!isObject(value)) throw malformed(what, digest, 'not a JSON object')
  return value
}

/**
 * The media type of manifest JSON: its own `mediaType`, else `declared` (the descriptor that
 * pointed to it), else what its shape says (OCI allows omitting `mediaType`). Throws when the
 * body and the descriptor disagree.
 */
export function manifestMediaType(json: Json, digest: string, declared?: string): string {
  const own = json.mediaType
  if (own !== undefined && typeof own !== 'string') throw malformed('manifest', digest, '"mediaType" is not a string')
  if (own && declared && own !== declared)
    throw malformed('manifest', digest, `its mediaType is ${own} but the descriptor pointing to it says ${declared}`)
  if (own) return own
  if (declared) return declared
  if (Array.isArray(json.manifests)) return MediaType.ociIndex
  if (isObject(json.config) && Array.isArray(json.layers)) return MediaType.ociManifest
  if (json.schemaVersion === 1) return MediaType.dockerSchema1
  throw malformed('manifest', digest, 'no mediaType, and it has neither "manifests" nor "config" and "layers"')
}

/** Parses manifest bytes already verified against `digest`. */
export function parseManifest(bytes: Uint8Array, digest: string, declaredMediaType?: string): ParsedManifest {
  const json = parseJsonObject(bytes, 'manifest', digest)
  const mediaType = manifestMediaType(json, digest, declaredMediaType)
  if (isSchema1Type(mediaType) || json.schemaVersion === 1) {
    throw new RegistryError(`manifest ${digest}: ${SCHEMA1_MESSAGE}`, 'unsupported')
  }
  if (!isIndexType(mediaType) && !isImageManifestType(mediaType)) return {kind: 'other', mediaType}
  if (json.schemaVersion !== 2) throw malformed('manifest', digest, `schemaVersion is ${JSON.stringify(json.schemaVersion)}, expected 2`)
  const annotations = parseAnnotations(json.annotations, digest, 'annotations')

  if (isIndexType(mediaType)) {
    if (!Array.isArray(json.manifests)) throw malformed('index', digest, '"manifests" is not a list')
    const manifests = json.manifests.map((entry, i) => parseDescriptor(entry, digest, `manifests[${i}]`))
    return {kind: 'index', mediaType, manifests, ...(annotations ? {annotations} : {})}
  }

  if (!Array.isArray(json.layers)) throw malformed('manifest', digest, '"layers" is not a list')
  const result: ParsedImageManifest = {
    kind: 'image',
    mediaType,
    config: parseDescriptor(json.config, digest, 'config'),
    layers: json.layers.map((layer, i) => parseDescriptor(layer, digest, `layers[${i}]`)),
  }
  if (annotations) result.annotations = annotations
  if (typeof json.artifactType === 'string') result.artifactType = json.artifactType
  if (json.subject !== undefined) result.subject = parseDescriptor(json.subject, digest, 'subject')
  return result
}

function parseDescriptor(value: unknown, digest: string, where: string): Descriptor {
  if (!isObject(value)) throw malformed('manifest', digest, `${where} is not a descriptor object`)
  const {mediaType, digest: target, size} = value
  if (typeof mediaType !== 'string' || mediaType === '') throw malformed('manifest', digest, `${where} has no mediaType`)
  if (typeof target !== 'string' || !isDigest(target))
    throw malformed('manifest', digest, `${where} has an invalid digest ${JSON.stringify(target)}`)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw malformed('manifest', digest, `${where} has an invalid size ${JSON.stringify(size)}`)
  const descriptor: Descriptor = {mediaType, digest: target, size}
  if (value.platform !== undefined) descriptor.platform = parsePlatform(value.platform, digest, `${where}.platform`)
  const annotations = parseAnnotations(value.annotations, digest, `${where}.annotations`)
  if (annotations) descriptor.annotations = annotations
  if (typeof value.artifactType === 'string') descriptor.artifactType = value.artifactType
  return descriptor
}

function parsePlatform(value: unknown, digest: string, where: string): Platform {
  if (!isObject(value)) throw malformed('manifest', digest, `${where} is not an object`)
  const {os, architecture, variant} = value
  if (typeof os !== 'string' || typeof architecture !== 'string')
    throw malformed('manifest', digest, `${where} needs "os" and "architecture" strings`)
  const platform: Platform = {os, architecture}
  if (typeof variant === 'string' && variant !== '') platform.variant = variant
  if (typeof value['os.version'] === 'string' && value['os.version'] !== '') platform.osVersion = value['os.version']
  const features = value['os.features']
  if (Array.isArray(features) && features.length > 0) platform.osFeatures = features.map(String)
  return platform
}

function parseAnnotations(value: unknown, digest: string, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw malformed('manifest', digest, `${where} is not a map of strings`)
  }
  return Object.keys(value).length > 0 ? (value as Record<string, string>) : undefined
}

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined

/** What archcheck keeps of an image config blob (bytes already verified against `descriptor`). */
export function parseImageConfig(bytes: Uint8Array, descriptor: Descriptor): ImageConfig {
  const json = parseJsonObject(bytes, 'image config', descriptor.digest)
  const {os, architecture, variant, created} = json
  if (typeof os !== 'string' || typeof architecture !== 'string') {
    throw malformed('image config', descriptor.digest, 'it needs "os" and "architecture" strings')
  }
  const run = isObject(json.config) ? json.config : {}
  const config: ImageConfig = {digest: descriptor.digest, size: descriptor.size, mediaType: descriptor.mediaType, os, architecture}
  if (typeof variant === 'string' && variant !== '') config.variant = variant
  if (typeof json['os.version'] === 'string' && json['os.version'] !== '') config.osVersion = json['os.version']
  if (typeof created === 'string') config.created = created
  const entrypoint = stringList(run.Entrypoint)
  if (entrypoint) config.entrypoint = entrypoint
  const cmd = stringList(run.Cmd)
  if (cmd) config.cmd = cmd
  const env = stringList(run.Env)
  if (env) config.env = env
  if (typeof run.WorkingDir === 'string' && run.WorkingDir !== '') config.workingDir = run.WorkingDir
  if (typeof run.User === 'string' && run.User !== '') config.user = run.User
  return config
}

/**
 * Where JSON.parse gives up on `text` (an index into it), found by a plain scan of JSON's grammar:
 * the parser's own message quotes the text instead of giving the position. Iterative, so deep
 * nesting costs no stack.
 */
export function jsonErrorOffset(text: string): number {
  const containers: string[] = []
  let i = 0
  let want: 'value' | 'key' | 'after' = 'value'
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++
  }
  /** Reads the string starting at `i` (a quote); false, with `i` at the fault, when it is not one. */
  const string = (): boolean => {
    if (text[i] !== '"') return false
    for (i++; i < text.length;) {
      const code = text.charCodeAt(i)
      if (code === 0x22) {
        i++
        return true
      }
      if (code < 0x20) return false
      if (code !== 0x5c) {
        i++
        continue
      }
      const escape = text[i + 1] ?? ''
      i++
      if (escape === 'u') {
        // At the first character that is not one of the four hex digits.
        const first = i + 1
        for (i = first; i < first + 4 && /[\dA-Fa-f]/.test(text[i] ?? ''); i++);
        if (i < first + 4) return false
        continue
      }
      if (escape === '' || !'"\\/bfnrt'.includes(escape)) return false
      i++
    }
    return false
  }
  const digits = (): boolean => {
    const start = i
    while (i < text.length && text[i] >= '0' && text[i] <= '9') i++
    return i > start
  }
  /** Reads a number or true/false/null at `i`; false, with `i` at the first character that does not fit. */
  const literal = (): boolean => {
    for (const word of ['true', 'false', 'null']) {
      if (text[i] !== word[0]) continue
      for (const char of word) {
        if (text[i] !== char) return false
        i++
      }
      return true
    }
    if (text[i] === '-') i++
    if (text[i] === '0') i++
    else if (!digits()) return false
    if (text[i] === '.') {
      i++
      if (!digits()) return false
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++
      if (text[i] === '+' || text[i] === '-') i++
      if (!digits()) return false
    }
    return true
  }
  for (;;) {
    skipSpace()
    if (want === 'value') {
      const char = text[i]
      if (char === '{' || char === '[') {
        i++
        skipSpace()
        if (text[i] === (char === '{' ? '}' : ']')) {
          i++
          want = 'after'
        } else {
          containers.push(char)
          want = char === '{' ? 'key' : 'value'
        }
        continue
      }
      if (char === '"') {
        if (!string()) return i
        want = 'after'
        continue
      }
      if (!literal()) return i
      want = 'after'
      continue
    }
    if (want === 'key') {
      if (!string()) return i
      skipSpace()
      if (text[i] !== ':') return i
      i++
      want = 'value'
      continue
    }
    const open = containers.at(-1)
    if (open === undefined) return i
    if (text[i] === ',') {
      i++
      want = open === '{' ? 'key' : 'value'
    } else if (text[i] === (open === '{' ? '}' : ']')) {
      i++
      containers.pop()
    } else {
      return i
    }
  }
}
