import type {ImageSource} from './source.js'
import type {ImageTree} from './types.js'

export interface FetchTreeOptions {
  /** Tag or digest to start from (default: the source's default reference). */
  reference?: string
  /** Largest manifest or config accepted, in bytes (default 4 MiB). */
  maxManifestBytes?: number
  /** How many child manifests or configs are fetched at once (default 8). */
  concurrency?: number
}

/**
 * Resolves a reference into its tree: the top manifest, each entry's manifest (concurrently),
 * then the configs (concurrently, each distinct blob once).
 */
export async function fetchImageTree(source: ImageSource, options: FetchTreeOptions = {}): Promise<ImageTree> {
  throw new Error(`fetchImageTree(${source.displayName}, ${JSON.stringify(options)}): not written yet`)
}
