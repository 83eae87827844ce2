/** What `archcheck builder create|inspect` tell a user about a buildx builder. */
import type {BuilderInfo} from './buildx-output.js'
import {emulationHint, missingPlatforms} from './preflight.js'

/** Platforms multi-arch images commonly ship; a builder missing one of them is worth a hint. */
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

export interface BuilderReport {
  name: string
  driver: string
  status: string
  platforms: string[]
  /** Common platforms the builder lacks (empty while it is not running: unknown). */
  missing: string[]
  /** How to add the missing ones, when some are missing. */
  hint?: string
  /** Set by `builder create`: whether it was created now or reused. */
  created?: boolean
}

export function builderReport(builder: BuilderInfo, created?: boolean): BuilderReport {
  const running = builder.status === 'running'
  const missing = running ? missingPlatforms(COMMON_PLATFORMS, builder.platforms) : []
  const report: BuilderReport = {name: builder.name, driver: builder.driver, status: builder.status, platforms: builder.platforms, missing}
  if (missing.length > 0) report.hint = `${emulationHint(missing)}, then \`docker buildx inspect ${builder.name} --bootstrap\``
  if (created !== undefined) report.created = created
  return report
}
