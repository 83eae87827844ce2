import type {ImageSource} from '../../source/source.js'
import type {ImageTree} from '../../oci/types.js'
import {indexEntries} from '../tree-entries.js'
import type {VerifyDependencies} from './types.js'

export interface LoadedTree {
  tree: ImageTree
  /** Images whose manifest exists but whose config blob is gone, by digest: why. Index entries, or the tag's own image. */
  unreadable: Map<string, string>
}

/**
 * The tag's tree. The tree itself shows a missing entry manifest or config as an `other` node
 * marked `missing`, which the dangling-manifest and missing-blob checks report; the images whose
 * config is gone are collected here for missing-blob and the platform checks.
 */
export async function loadTree(source: ImageSource, dependencies: VerifyDependencies): Promise<LoadedTree> {
  const tree = await dependencies.fetchTree(source)
  const unreadable = new Map<string, string>()
  for (const node of [tree.root, ...indexEntries(tree.root)]) {
    if (node.kind === 'other' && node.missing === 'config') unreadable.set(node.descriptor.digest, node.note)
  }
  return {tree, unreadable}
}
