import {openSource} from '../image/open.js'
import type {ImageSource} from '../image/source.js'
import {fetchImageTree} from '../image/tree.js'
import type {ImageTree} from '../image/types.js'
import type {RegistryOptions} from '../registry/options.js'
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
