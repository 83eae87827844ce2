import {openSource} from '../source/open.js'
import type {ImageSource} from '../source/source.js'
import {fetchImageTree} from '../engine/tree.js'
import type {ImageTree} from '../oci/types.js'
import type {RegistryOptions} from '../source/registry/options.js'
import {showProgress} from '../render/progress.js'

/** Opens the image source REF names, hands it to `use`, and closes it whatever happens. */
export async function withSource<T>(ref: string, options: RegistryOptions, use: (source: ImageSource) => Promise<T>): Promise<T> {
  const source = await openSource(ref, options)
  try {
    return await use(source)
  } finally {
    await source.close()
  }
}

/** The source's image tree, with a progress line while it is read (on a terminal only). */
export function readTree(source: ImageSource): Promise<ImageTree> {
  return showProgress(`Reading ${source.displayName}`, () => fetchImageTree(source))
}
