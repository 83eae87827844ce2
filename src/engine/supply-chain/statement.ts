import {RegistryError} from '../../oci/errors.js'
import {digestSet, field, isJsonObject, parseArtifactJson, stringField} from './json.js'

export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json'
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json'
export const PREDICATE_TYPE_ANNOTATION = 'in-toto.io/predicate-type'

export interface Statement {
  predicateType: string
  predicate: unknown
  /** The subjects' sha256 digests, as `sha256:<hex>`. */
  subjects: string[]
  envelope: 'dsse' | 'plain'
}

/**
 * An in-toto statement from a layer: buildkit stores it bare (`_type`, `subject`, `predicateType`,
 * `predicate`); cosign and others wrap it in a DSSE envelope whose base64 `payload` is the statement.
 * DSSE signatures are not verified here: the envelope is only opened.
 */
export function readStatement(bytes: Uint8Array, what: string): Statement {
  const json = parseArtifactJson(bytes, what)
  if (isJsonObject(json) && typeof json.payloadType === 'string') {
    const payload = stringField(json, 'payload')
    if (payload === null) throw new RegistryError(`${what}: DSSE envelope without a payload`, 'malformed')
    return {...statementOf(parseArtifactJson(Buffer.from(payload, 'base64'), `${what} (DSSE payload)`), what), envelope: 'dsse'}
  }
  return {...statementOf(json, what), envelope: 'plain'}
}

function statementOf(json: unknown, what: string): Omit<Statement, 'envelope'> {
  const predicateType = stringField(json, 'predicateType')
  if (predicateType === null || !Array.isArray(field(json, 'subject')))
    throw new RegistryError(`${what}: not an in-toto statement (no predicateType or subject)`, 'malformed')
  const subjects = (field(json, 'subject') as unknown[])
    .map((subject) => digestSet(field(subject, 'digest')).sha256)
    .filter((hex): hex is string => hex !== undefined)
    .map((hex) => `sha256:${hex}`)
  return {predicateType, predicate: field(json, 'predicate'), subjects}
}
