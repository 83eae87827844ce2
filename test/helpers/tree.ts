import {openSource} from '../../src/source/open.js'
import {fetchImageTree} from '../../src/engine/tree.js'
import type {ImageTree} from '../../src/oci/types.js'

/** The image tree of a reference (registry, oci-layout:, oci-archive:), read as the commands read it. */
export async function readTree(reference: string): Promise<ImageTree> {
  const source = await openSource(reference)
  try {
    return await fetchImageTree(source)
  } finally {
    await source.close()
  }
}
