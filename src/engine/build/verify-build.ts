/** Verification of what a build pushed, with verify's checks: the tag points to the built digest, and every built platform resolves. */
import {openSource, parseSourceSpec} from '../../source/open.js'
import {fetchImageTree} from '../tree.js'
import type {ImageSource} from '../../source/source.js'
import type {ImageTree} from '../../oci/types.js'
import type {Resolution} from '../resolve/resolution.js'
import type {Platform} from '../../oci/platform/types.js'
import {resolveForHost} from '../resolve/resolve.js'
import type {RegistryOptions} from '../../source/registry/options.js'
import {verifyTargetsWith} from '../verify/verify.js'
import type {VerifyReport} from '../verify/types.js'
import type {PushedTarget} from './run-build.js'

/** One destination as verify saw it: its report, and the tree and pull simulations behind it (for the tables). */
export interface BuildVerification {
  report: VerifyReport
  tree?: ImageTree
  resolutions: Resolution[]
}

/**
 * Verifies each destination of a build against the digest the backend reported, requiring the
 * platforms built. An OCI layout is read by digest (its index.json may hold no tag).
 */
export async function verifyBuild(pushed: readonly PushedTarget[], platforms: readonly Platform[], options: {registry?: RegistryOptions; strict?: boolean} = {}): Promise<BuildVerification[]> {
  const targets = pushed.map((target) => ({
    reference: parseSourceSpec(target.reference).kind === 'oci-layout' ? `${target.reference}@${target.digest}` : target.reference,
    expectDigest: target.digest,
  }))
  // Keep what verify computes so the tables need no second round of requests.
  const trees = new Map<string, ImageTree>()
  const resolutions = new Map<ImageTree, Resolution[]>()
  const dependencies = {
    async fetchTree(source: ImageSource): Promise<ImageTree> {
      const tree = await fetchImageTree(source)
      trees.set(source.displayName, tree)
      return tree
    },
    resolve(tree: ImageTree, host: Platform | string, client: Parameters<typeof resolveForHost>[2]): Resolution {
      const resolution = resolveForHost(tree, host, client)
      resolutions.set(tree, [...(resolutions.get(tree) ?? []), resolution])
      return resolution
    },
  }
  const reports = await verifyTargetsWith(targets, {require: [...platforms], strict: options.strict}, (reference) => openSource(reference, options.registry), dependencies)
  return reports.map((report) => {
    const tree = trees.get(report.reference)
    return {report, tree, resolutions: tree ? (resolutions.get(tree) ?? []) : []}
  })
}
