/**
 * The arm64 variants a host of each arm64 variant runs, best first: containerd/platforms'
 * `arm64variantToVersion` written out. An ARMv9.x core implements ARMv8.(x+5), so a v9.x host
 * also runs the v8 line up to that, capped at v8.9. Keys are variants after normalisation
 * (normalizeArch: `v8.0` and no variant are `v8`, `9.0` is `v9`); a variant missing here is one
 * containerd does not know, and such a host accepts nothing at all, not even itself.
 */
// prettier-ignore
export const ARM64_VARIANT_FALLBACKS: Readonly<Record<string, readonly string[]>> = {
  v8: ['v8'],
  'v8.1': ['v8.1', 'v8'],
  'v8.2': ['v8.2', 'v8.1', 'v8'],
  'v8.3': ['v8.3', 'v8.2', 'v8.1', 'v8'],
  'v8.4': ['v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v8.5': ['v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v8.6': ['v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v8.7': ['v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v8.8': ['v8.8', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v8.9': ['v8.9', 'v8.8', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  v9: ['v9', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v9.1': ['v9.1', 'v9', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v9.2': ['v9.2', 'v9.1', 'v9', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v9.3': ['v9.3', 'v9.2', 'v9.1', 'v9', 'v8.8', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v9.4': ['v9.4', 'v9.3', 'v9.2', 'v9.1', 'v9', 'v8.9', 'v8.8', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v9.5': ['v9.5', 'v9.4', 'v9.3', 'v9.2', 'v9.1', 'v9', 'v8.9', 'v8.8', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v9.6': ['v9.6', 'v9.5', 'v9.4', 'v9.3', 'v9.2', 'v9.1', 'v9', 'v8.9', 'v8.8', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
  'v9.7': ['v9.7', 'v9.6', 'v9.5', 'v9.4', 'v9.3', 'v9.2', 'v9.1', 'v9', 'v8.9', 'v8.8', 'v8.7', 'v8.6', 'v8.5', 'v8.4', 'v8.3', 'v8.2', 'v8.1', 'v8'],
}

/** The row of a normalised arm64 variant (none is v8), or undefined for a variant containerd does not know. */
export function arm64VariantFallbacks(variant: string | undefined): readonly string[] | undefined {
  const key = variant || 'v8'
  return Object.hasOwn(ARM64_VARIANT_FALLBACKS, key) ? ARM64_VARIANT_FALLBACKS[key] : undefined
}
