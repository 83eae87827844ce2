// archcheck's verdict on cosign-format signatures, cross-checked with openssl (an independent
// verifier) on the same bytes read back from the real test registry: signed, unsigned, another
// key, another digest and a tampered payload, for ECDSA P-256, Ed25519 and RSA keys.
import {execFile} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {beforeAll, describe, expect, it} from 'vitest'

import {buildImage} from '../../scripts/fixtures/image-builder.js'
import {runCli} from '../helpers/cli.js'
import {TestRegistryClient, testRegistryHost} from '../helpers/registry.js'
import {SIGNATURE_ANNOTATION, cosignSignatureManifest, fallbackTag, keyPair, type KeyKind} from '../helpers/supply-chain.js'
import {tempDir} from '../helpers/temp-dir.js'

type Case = 'signed' | 'unsigned' | 'other-key' | 'wrong-digest' | 'tampered'
const CASES: Case[] = ['signed', 'unsigned', 'other-key', 'wrong-digest', 'tampered']

let dir: string
const client = new TestRegistryClient()

beforeAll(async () => {
  dir = await tempDir('signature-crosscheck')
})

/** openssl's verdict on `signature` over `payload` with the PEM key in `keyFile`. */
async function opensslVerifies(kind: KeyKind, keyFile: string, payload: Buffer, signature: Buffer, name: string): Promise<boolean> {
  const payloadFile = join(dir, `${name}.payload`)
  const signatureFile = join(dir, `${name}.sig`)
  await writeFile(payloadFile, payload)
  await writeFile(signatureFile, signature)
  const args =
    kind === 'ed25519'
      ? ['pkeyutl', '-verify', '-pubin', '-inkey', keyFile, '-rawin', '-in', payloadFile, '-sigfile', signatureFile]
      : ['dgst', '-sha256', '-verify', keyFile, '-signature', signatureFile, payloadFile]
  try {
    await promisify(execFile)('openssl', args)
    return true
  } catch {
    return false
  }
}

describe.each(['ecdsa', 'ed25519', 'rsa'] as const)('%s keys: archcheck agrees with openssl', (kind) => {
  it.each(CASES)('%s', async (testCase) => {
    const signer = keyPair(kind)
    const keyFile = join(dir, `${kind}-${testCase}.pub`)
    await writeFile(keyFile, signer.publicPem)
    const image = await buildImage({config: {os: 'linux', architecture: 'amd64'}, files: [{path: 'app', content: `${kind} ${testCase}`}]})
    const repository = `crosscheck/${kind}-${testCase}`
    await client.pushBundle(repository, image, 'v1')
    const digest = image.manifest.digest
    if (testCase !== 'unsigned') {
      const key = testCase === 'other-key' ? keyPair(kind).privateKey : signer.privateKey
      const signed = testCase === 'wrong-digest' ? `sha256:${'0'.repeat(64)}` : digest
      await client.pushBundle(
        repository,
        cosignSignatureManifest({digest: signed, reference: `${testRegistryHost()}/${repository}`, key, tamper: testCase === 'tampered'}),
        `${fallbackTag(digest)}.sig`,
      )
    }

    const run = await runCli(['attestations', `${testRegistryHost()}/${repository}:v1`, '--key', keyFile, '--json'])
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout) as {
      subjects: Array<{artifacts: Array<{kind: string; signature?: {verification: string; signedDigest: string}}>}>
    }
    const signatures = result.subjects[0].artifacts.filter((artifact) => artifact.kind === 'signature')
    if (testCase === 'unsigned') {
      expect(signatures).toEqual([])
      return
    }
    // The same bytes, read back from the registry without archcheck.
    const manifest = JSON.parse((await client.getManifest(repository, `${fallbackTag(digest)}.sig`)).bytes.toString('utf8')) as {
      layers: Array<{digest: string; annotations: Record<string, string>}>
    }
    const payload = (await client.getBlob(repository, manifest.layers[0].digest)).bytes
    const signature = Buffer.from(manifest.layers[0].annotations[SIGNATURE_ANNOTATION], 'base64')
    const openssl = await opensslVerifies(kind, keyFile, payload, signature, `${kind}-${testCase}`)

    expect(signatures).toHaveLength(1)
    expect(openssl).toBe(testCase === 'signed' || testCase === 'wrong-digest')
    expect(signatures[0].signature!.verification).toBe(openssl ? 'valid' : 'invalid')
    expect(signatures[0].signature!.signedDigest === digest).toBe(testCase !== 'wrong-digest')
  })
})
