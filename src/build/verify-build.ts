/** Verification of what a build pushed, with verify's checks: the tag points to the built digest, and every required platform resolves. */
import {openSource} from '../image/open.js'
import {fetchImageTree} from '../image/tree.js'
import type {Platform} from '../platform/types.js'
import {resolveForHost} from '../platform/resolve.js'
import type {RegistryOptions} from '../registry/options.js'
import {verifyTargetsWith} from '../verify/verify.js'
import type {VerifyReport} from '../verify/types.js'
import type {PushedTarget} from './run-build.js'

/**
 * Verifies each destination of a build against the digest the backend reported. The platforms
 * built are the platforms required; an OCI layout is read by digest (its index.json may hold no tag).
 */
export async function verifyBuild(pushed: readonly PushedTarget[], platforms: readonly Platform[], options: {registry?: RegistryOptions; strict?: boolean} = {}): Promise<VerifyReport[]> {
  const targets = pushed.map((target) => ({
    reference: target.reference.startsWith('oci-layout:') ? `${target.reference}@${target.digest}` : target.reference,
    expectDigest: target.digest,
  }))
  return verifyTargetsWith(targets, {require: [...platforms], strict: options.strict}, (reference) => openSource(reference, options.registry), {
    fetchTree: fetchImageTree,
    resolve: resolveForHost,
  })
}
