import {ArchcheckError, RegistryError} from '../errors.js'
import {parseManifest} from '../image/manifest.js'
import type {ImageSource} from '../image/source.js'
import {fetchImageTree, placeImage} from '../image/tree.js'
import type {Descriptor, ImageTree, TreeNode} from '../image/types.js'
import {createLimiter} from '../util/limit.js'
import type {VerifyDependencies} from './verify.js'

export interface LoadedTree {
  tree: ImageTree
  /** Images whose manifest exists but that could not be read (a config blob gone), by digest: why. Index entries, or the tag's own image. */
  unreadable: Map<string, string>
}

/** A subtree fetched by digest, put back under the descriptor the index gives it (platform, annotations). */
function underIndexDescriptor(node: TreeNode, descriptor: Descriptor): TreeNode {
  return node.kind === 'image' ? placeImage(node, descriptor) : {...node, descriptor}
}

/**
 * The tag's tree. A whole-tree fetch fails when any entry's manifest or config is gone; then
 * each entry is read on its own so that the missing ones become `other` nodes that the
 * dangling-manifest and missing-blob checks report, instead of failing the reference as unreadable.
 * A tag that is one image whose config is gone becomes an `other` root, reported the same way.
 * Entries are read with fetchImageTree itself: an injected `fetchTree` is only asked for whole tags.
 */
export async function loadTree(source: ImageSource, dependencies: VerifyDependencies, maxManifestBytes?: number): Promise<LoadedTree> {
  try {
    return {tree: await dependencies.fetchTree(source, {maxManifestBytes}), unreadable: new Map()}
  } catch (error) {
    if (!(error instanceof RegistryError) || error.kind !== 'not-found') throw error
    // The tag itself missing is the original error, not a dangling entry.
    const top = await source.fetchManifest().catch(() => {
      throw error
    })
    const parsed = parseManifest(top.bytes, top.digest, top.mediaType)
    const topDescriptor: Descriptor = {mediaType: parsed.mediaType, digest: top.digest, size: top.bytes.length}
    const unreadable = new Map<string, string>()
    if (parsed.kind === 'image') {
      // The manifest was read, so what is not found is its config blob.
      unreadable.set(top.digest, error.message)
      return {tree: {reference: source.displayName, root: {kind: 'other', descriptor: topDescriptor, note: error.message}}, unreadable}
    }
    if (parsed.kind !== 'index') throw error
    const limit = createLimiter(4)
    const children = await Promise.all(
      parsed.manifests.map((descriptor) =>
        limit(async (): Promise<TreeNode> => {
          if (!(await source.manifestExists(descriptor.digest))) return {kind: 'other', descriptor, note: 'manifest not found in the registry'}
          try {
            return underIndexDescriptor((await fetchImageTree(source, {reference: descriptor.digest, maxManifestBytes})).root, descriptor)
          } catch (childError) {
            if (!(childError instanceof ArchcheckError)) throw childError
            unreadable.set(descriptor.digest, childError.message)
            return {kind: 'other', descriptor, note: childError.message}
          }
        }),
      ),
    )
    const root: TreeNode = {
      kind: 'index',
      descriptor: topDescriptor,
      children,
      ...(parsed.annotations ? {annotations: parsed.annotations} : {}),
    }
    return {tree: {reference: source.displayName, root}, unreadable}
  }
}
