/**
 * Platforms multi-arch images commonly ship: what a buildx builder should support (a missing one
 * is worth a hint) and what shell completion offers for a platform flag.
 */
export const COMMON_PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
]
