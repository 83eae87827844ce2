import {openSource} from '../../src/image/open.js'
import {fetchImageTree} from '../../src/image/tree.js'
import type {ImageTree} from '../../src/image/types.js'

/** The image tree of a reference (registry, oci-layout:, oci-archive:), read as the commands read it. */
export async function readTree(reference: string): Promise<ImageTree> {
  const source = await openSource(reference)
  try {
    return await fetchImageTree(source)
  } finally {
    await source.close()
  }
}
