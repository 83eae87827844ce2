import {RegistryError} from '../../oci/errors.js'

/** Nesting deeper than any real statement, SBOM or bundle goes; deeper is broken or hostile. */
export const MAX_JSON_DEPTH = 128

type Json = Record<string, unknown>

/**
 * JSON of an artifact, refused with a RegistryError (kind 'malformed') when it is not UTF-8 JSON
 * or nests deeper than MAX_JSON_DEPTH: everything that walks it later may then recurse freely.
 */
export function parseArtifactJson(bytes: Uint8Array, what: string): unknown {
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw new RegistryError(`${what}: not valid UTF-8`, 'malformed')
  }
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw new RegistryError(`${what}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`, 'malformed')
  try {
    return JSON.parse(text) as unknown
  } catch {
    // Never the parser's message: it quotes the text.
    throw new RegistryError(`${what}: not valid JSON`, 'malformed')
  }
}

/** The deepest bracket nesting of JSON text, brackets inside strings not counted. */
function nestingDepth(text: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c) i++
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x7b || char === 0x5b) deepest = Math.max(deepest, ++depth)
    else if (char === 0x7d || char === 0x5d) depth--
  }
  return deepest
}

export const isJsonObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `value[key]` when `value` is an object, else undefined: reading untrusted JSON without casts everywhere. */
export function field(value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) {
    if (!isJsonObject(current) || !Object.hasOwn(current, key)) return undefined
    current = current[key]
  }
  return current
}

export const stringField = (value: unknown, ...path: string[]): string | null => {
  const found = field(value, ...path)
  return typeof found === 'string' ? found : null
}

export const booleanField = (value: unknown, ...path: string[]): boolean | null => {
  const found = field(value, ...path)
  return typeof found === 'boolean' ? found : null
}

/** A `{"sha256": "…"}` digest set, its string values only. */
export function digestSet(value: unknown): Record<string, string> {
  const digests: Record<string, string> = {}
  if (isJsonObject(value)) for (const [algorithm, hex] of Object.entries(value)) if (typeof hex === 'string') digests[algorithm] = hex
  return digests
}
