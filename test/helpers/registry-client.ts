import type {Reference} from '../../src/oci/reference.js'
import {createRegistryClient, type RegistryClient} from '../../src/source/registry/client.js'
import type {RegistryOptions} from '../../src/source/registry/options.js'
import type {RegistrySource} from '../../src/source/registry/registry-source.js'

/** Clients made by registrySource() since the last closeRegistryClients(). */
const open: RegistryClient[] = []

/** A repository read through a client of its own (no pools, tokens or challenges shared with other tests). */
export function registrySource(ref: Reference, options: RegistryOptions = {}): RegistrySource {
  const client = createRegistryClient(options)
  open.push(client)
  return client.repository(ref)
}

/** Closes every client registrySource() made: call it in afterEach/afterAll. */
export async function closeRegistryClients(): Promise<void> {
  await Promise.all(open.splice(0).map((client) => client.close()))
}
