import {X509Certificate, createPublicKey, verify as verifySignature, type KeyObject} from 'node:crypto'

import {open} from 'node:fs/promises'

import {RegistryError, UsageError, fileErrorText} from '../../oci/errors.js'
import {field, isJsonObject, parseArtifactJson, stringField} from './json.js'
import type {BundleSummary, SignatureSummary} from './types.js'

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json'
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
/** The `type` every cosign container image signature payload carries. */
const SIMPLE_SIGNING_TYPE = 'cosign container image signature'

/** A public key for `--key`: PEM (SPKI) ECDSA P-256, Ed25519 or RSA, as cosign writes `cosign.pub`. */
export function parsePublicKey(pem: string, where: string): KeyObject {
  let key: KeyObject
  try {
    key = createPublicKey({key: pem, format: 'pem'})
  } catch {
    throw new UsageError(`${where} is not a PEM public key`)
  }
  const type = key.asymmetricKeyType
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new UsageError(`${where} is an ECDSA key on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}; cosign keys are P-256`)
  if (type !== 'ec' && type !== 'ed25519' && type !== 'rsa')
    throw new UsageError(`${where} is a ${type ?? 'unknown'} key; use ECDSA P-256, Ed25519 or RSA`)
  return key
}

/**
 * A cosign simple-signing signature: the layer's bytes are the payload that was signed (so its
 * digest is what the signature covers), the layer annotation `dev.cosignproject.cosign/signature`
 * the base64 signature. With a key the signature is checked over the exact payload bytes
 * (ECDSA and RSA PKCS#1 v1.5 with SHA-256, Ed25519 over the message itself).
 */
export function readSimpleSigning(
  payload: Uint8Array,
  annotations: Record<string, string>,
  key: KeyObject | undefined,
  what: string,
): SignatureSummary {
  const json = parseArtifactJson(payload, what)
  if (stringField(json, 'critical', 'type') !== SIMPLE_SIGNING_TYPE)
    throw new RegistryError(`${what}: not a cosign container image signature payload`, 'malformed')
  const optional = field(json, 'optional')
  const signatureText = annotations[COSIGN_SIGNATURE_ANNOTATION]
  const summary: SignatureSummary = {
    signedDigest: stringField(json, 'critical', 'image', 'docker-manifest-digest'),
    identity: stringField(json, 'critical', 'identity', 'docker-reference'),
    annotations: isJsonObject(optional) ? stringsOf(optional) : {},
    verification: 'unverified',
    problem: null,
  }
  if (!key) return summary
  if (signatureText === undefined) return {...summary, verification: 'invalid', problem: `no ${COSIGN_SIGNATURE_ANNOTATION} annotation`}
  const signature = Buffer.from(signatureText, 'base64')
  let valid = false
  try {
    valid = verifySignature(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, signature)
  } catch {
    valid = false
  }
  return valid
    ? {...summary, verification: 'valid'}
    : {...summary, verification: 'invalid', problem: 'the signature does not match the payload with this key'}
}

function stringsOf(value: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') result[key] = item
  return result
}

/**
 * A sigstore bundle (v0.1–v0.3): recognised and its signing certificate's identity shown. Keyless
 * verification (the Fulcio chain, the Rekor inclusion proof, the identity policy) is not done.
 */
export function readBundle(bytes: Uint8Array, what: string): BundleSummary {
  const json = parseArtifactJson(bytes, what)
  const mediaType = stringField(json, 'mediaType')
  if (mediaType === null || !mediaType.startsWith('application/vnd.dev.sigstore.bundle'))
    throw new RegistryError(`${what}: not a sigstore bundle (no sigstore bundle mediaType)`, 'malformed')
  const material = field(json, 'verificationMaterial')
  const chain = field(material, 'x509CertificateChain', 'certificates')
  const raw = stringField(material, 'certificate', 'rawBytes') ?? (Array.isArray(chain) ? stringField(chain[0], 'rawBytes') : null)
  if (raw === null) return {mediaType, certificateIdentity: [], certificateIssuer: null, verified: false}
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(Buffer.from(raw, 'base64'))
  } catch {
    throw new RegistryError(`${what}: its certificate is not a DER X.509 certificate`, 'malformed')
  }
  const names = (certificate.subjectAltName ?? '').split(/,\s*/).filter(Boolean)
  return {mediaType, certificateIdentity: names, certificateIssuer: certificate.issuer.replaceAll('\n', ', ') || null, verified: false}
}

/** A public key file is a few hundred bytes (RSA 4096: under 1 kB); anything near this is not one. */
const MAX_KEY_FILE_BYTES = 64 * 1024

/** `--key FILE`: read, bounded, and parsed; every problem a UsageError naming the file. */
export async function readPublicKeyFile(file: string): Promise<KeyObject> {
  let handle
  try {
    handle = await open(file, 'r')
    const info = await handle.stat()
    if (!info.isFile()) throw new UsageError(`key file ${file} is not a file`)
    if (info.size > MAX_KEY_FILE_BYTES) throw new UsageError(`key file ${file} is ${info.size} bytes; a PEM public key is far smaller`)
    return parsePublicKey(await handle.readFile('utf8'), `key file ${file}`)
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot read key file ${file}: ${fileErrorText(error)}`)
  } finally {
    await handle?.close()
  }
}
