/** What `archcheck builder create|inspect` tell a user about a buildx builder. */
import type {BuilderInfo} from './buildx-output.js'
import {emulationHint, missingPlatforms} from './preflight.js'
import {COMMON_PLATFORMS} from '../../oci/platform/common.js'

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
