import {normalizePlatform} from '../oci/platform/normalize.js'
import type {Platform} from '../oci/platform/types.js'
import type {ImageNode} from '../oci/types.js'

/**
 * An image's platform as clients match it: its config's, normalised, where a config without a
 * variant borrows the index entry's for the same architecture (buildx writes none for arm64).
 */
export function matchingConfigPlatform(image: ImageNode, declared?: Platform): Platform {
  const {os, architecture, variant, osVersion} = image.config
  const sameArch = declared && normalizePlatform(declared).architecture === normalizePlatform({os, architecture}).architecture
  const filled = variant ?? (sameArch ? declared.variant : undefined)
  return normalizePlatform({os, architecture, ...(filled ? {variant: filled} : {}), ...(osVersion ? {osVersion} : {})})
}

/** An image's platform exactly as its config writes it (what `inspect` shows): nothing borrowed, nothing normalised. */
export function writtenConfigPlatform(node: ImageNode): Platform {
  const {os, architecture, variant} = node.config
  return {os, architecture, ...(variant ? {variant} : {})}
}
