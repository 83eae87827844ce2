// cosign simple-signing signatures checked with ECDSA P-256, Ed25519 and RSA keys, and sigstore
// bundles recognised with their certificate identity.
import {generateKeyPairSync} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {parsePublicKey, readBundle, readSimpleSigning} from '../../../src/engine/supply-chain/signature.js'
import {SIGNATURE_ANNOTATION, cosignSignatureManifest, keyPair, type KeyKind} from '../../helpers/supply-chain.js'

const DIGEST = `sha256:${'1'.repeat(64)}`
/** A self-signed certificate made with openssl for this test, its SAN a workflow URI as Fulcio writes one. */
const CERTIFICATE =
  'MIICHDCCAcOgAwIBAgIUd/0v2mh6tQnuztt5dmitu8azri8wCgYIKoZIzj0EAwIwNzEVMBMGA1UECgwMc2lnc3RvcmUuZGV2MR4wHAYDVQQDDBVzaWdzdG9yZS1pbnRlcm1lZGlhdGUwHhcNMjYxMjA3MDQwMzA2WhcNMzYxMjA0MDQwMzA2WjA3MRUwEwYDVQQKDAxzaWdzdG9yZS5kZXYxHjAcBgNVBAMMFXNpZ3N0b3JlLWludGVybWVkaWF0ZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNmcu3F7GcEKQb4yCciJ1wWbUIiLJ5EO5yOIYfEUaVMSdB4ke+PhZO4QAfubGWYzM33uk7jmiJNkcV3RItqeC82jgawwgakwHQYDVR0OBBYEFDf441ioenGIk7tBS51Sy0gnKyYmMB8GA1UdIwQYMBaAFDf441ioenGIk7tBS51Sy0gnKyYmMA8GA1UdEwEB/wQFMAMBAf8wVgYDVR0RBE8wTYZLaHR0cHM6Ly9naXRodWIuY29tL293bmVyL2FwcC8uZ2l0aHViL3dvcmtmbG93cy9yZWxlYXNlLnltbEByZWZzL3RhZ3MvdjEuMC4wMAoGCCqGSM49BAMCA0cAMEQCIGZ7lrMPjISl4yLGv9eoHHHZRbUnl59lB4qyHTudyGjxAiAhyaNu5QfOXHHPBNDyWZOb9Y/UPTfj8di1UVCmwxmF4A=='

function signed(
  kind: KeyKind,
  options: {tamper?: boolean} = {},
): {payload: Buffer; annotations: Record<string, string>; publicPem: string} {
  const {privateKey, publicPem} = keyPair(kind)
  const built = cosignSignatureManifest({digest: DIGEST, reference: 'registry.example/app', key: privateKey, tamper: options.tamper})
  const manifest = JSON.parse(built.manifest.bytes.toString('utf8')) as {layers: Array<{annotations: Record<string, string>}>}
  return {payload: built.layers[0].bytes, annotations: manifest.layers[0].annotations, publicPem}
}

describe('cosign signatures', () => {
  for (const kind of ['ecdsa', 'ed25519', 'rsa'] as const) {
    it(`verifies a ${kind} signature with its key and refuses it with another or tampered`, () => {
      const good = signed(kind)
      const key = parsePublicKey(good.publicPem, 'key')
      const summary = readSimpleSigning(good.payload, good.annotations, key, 'sig')
      expect(summary).toEqual({
        signedDigest: DIGEST,
        identity: 'registry.example/app',
        annotations: {},
        verification: 'valid',
        problem: null,
      })
      const otherKey = parsePublicKey(keyPair(kind).publicPem, 'key')
      expect(readSimpleSigning(good.payload, good.annotations, otherKey, 'sig').verification).toBe('invalid')
      const tampered = signed(kind, {tamper: true})
      expect(readSimpleSigning(tampered.payload, tampered.annotations, parsePublicKey(tampered.publicPem, 'key'), 'sig').verification).toBe(
        'invalid',
      )
    })
  }

  it('reads without verifying when no key is given, and is invalid with a key but no signature annotation', () => {
    const good = signed('ecdsa')
    expect(readSimpleSigning(good.payload, good.annotations, undefined, 'sig').verification).toBe('unverified')
    const {[SIGNATURE_ANNOTATION]: _dropped, ...rest} = good.annotations
    const result = readSimpleSigning(good.payload, rest, parsePublicKey(good.publicPem, 'key'), 'sig')
    expect(result).toMatchObject({verification: 'invalid', problem: `no ${SIGNATURE_ANNOTATION} annotation`})
  })

  it('refuses a payload that is not a cosign container image signature', () => {
    expect(() => readSimpleSigning(Buffer.from('{"critical":{"type":"other"}}'), {}, undefined, 'sig')).toThrow(
      'not a cosign container image signature payload',
    )
  })

  it('takes P-256, Ed25519 and RSA public keys and refuses other curves and junk with a UsageError', () => {
    const p384 = generateKeyPairSync('ec', {namedCurve: 'secp384r1'}).publicKey.export({type: 'spki', format: 'pem'}).toString()
    expect(() => parsePublicKey(p384, 'key file k.pub')).toThrow(
      new UsageError('key file k.pub is an ECDSA key on secp384r1; cosign keys are P-256'),
    )
    expect(() => parsePublicKey('junk', 'key file k.pub')).toThrow(new UsageError('key file k.pub is not a PEM public key'))
    const x25519 = generateKeyPairSync('x25519').publicKey.export({type: 'spki', format: 'pem'}).toString()
    expect(() => parsePublicKey(x25519, 'key file k.pub')).toThrow('use ECDSA P-256, Ed25519 or RSA')
  })
})

describe('sigstore bundles', () => {
  it('shows the certificate identity and says it is not verified', () => {
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {certificate: {rawBytes: CERTIFICATE}},
      dsseEnvelope: {},
    }
    expect(readBundle(Buffer.from(JSON.stringify(bundle)), 'bundle')).toEqual({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      certificateIdentity: ['URI:https://github.com/owner/app/.github/workflows/release.yml@refs/tags/v1.0.0'],
      certificateIssuer: 'O=sigstore.dev, CN=sigstore-intermediate',
      verified: false,
    })
  })

  it('reads the v0.1/v0.2 certificate chain too, and refuses junk and a bad certificate', () => {
    const chain = {
      mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2',
      verificationMaterial: {x509CertificateChain: {certificates: [{rawBytes: CERTIFICATE}]}},
    }
    expect(readBundle(Buffer.from(JSON.stringify(chain)), 'bundle').certificateIdentity).toHaveLength(1)
    expect(() => readBundle(Buffer.from('{"mediaType":"text/plain"}'), 'bundle')).toThrow('not a sigstore bundle')
    const bad = {mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: {certificate: {rawBytes: 'AAAA'}}}
    expect(() => readBundle(Buffer.from(JSON.stringify(bad)), 'bundle')).toThrow('not a DER X.509 certificate')
  })
})
