import {createHash} from 'node:crypto'

import nock from 'nock'
import {afterEach, beforeEach, expect} from 'vitest'

import {RegistryError} from '../../src/oci/errors.js'
import type {RegistryOptions} from '../../src/source/registry/options.js'
import {NodeHttpDispatcher} from './node-http-dispatcher.js'
import {closeRegistryClients} from './registry-client.js'

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** A small, valid OCI index as the exact bytes a registry would serve. */
export function indexBytes(extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{mediaType: OCI_MANIFEST, digest: sha256('child'), size: 5, platform: {os: 'linux', architecture: 'amd64'}}],
        ...extra,
      },
      null,
      2,
    ),
  )
}

/**
 * Client options whose requests nock answers: they go through node:http (NodeHttpDispatcher), not
 * the client's own undici pools, which nock does not see. Everything above the dispatcher is the
 * real transport.
 */
export const THROUGH_NOCK: RegistryOptions = {dispatcher: new NodeHttpDispatcher()}

/** No real network in unit tests; each source has a client of its own, closed after each test. */
export function useNock(): void {
  beforeEach(() => {
    nock.disableNetConnect()
  })
  afterEach(async () => {
    const pending = nock.pendingMocks()
    nock.cleanAll()
    nock.enableNetConnect()
    await closeRegistryClients()
    if (pending.length > 0) throw new Error(`requests the test expected were not made: ${pending.join(', ')}`)
  })
}

/** The RegistryError a promise rejects with (the test fails if it resolves or rejects otherwise). */
export async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RegistryError)
  return error as RegistryError
}
