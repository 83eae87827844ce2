import {builderReport, type BuilderReport} from '../engine/build/builder-report.js'
import {createBuilder, inspectBuilder, readBuildxVersions} from '../engine/build/buildx.js'
import type {AbortOptions} from '../oci/abort.js'
import {UsageError} from '../oci/errors.js'
import {versioned, type Versioned} from './schema.js'

export type {BuilderReport} from '../engine/build/builder-report.js'

/** `archcheck builder create|inspect --json` (docs/build.md). */
export type BuilderResult = Versioned<BuilderReport>

export interface BuilderCreateOptions extends AbortOptions {
  driver?: string
  /** Platforms the builder announces (already checked with parsePlatformList). */
  platforms?: string[]
  /** Make it the current builder. */
  use?: boolean
}

/** Creates a buildx builder (or reuses one of that name), starts it and reports what it supports. */
export async function builderCreate(name: string, options: BuilderCreateOptions = {}): Promise<BuilderResult> {
  await readBuildxVersions(options.signal)
  const {builder, created} = await createBuilder(name, {
    driver: options.driver ?? 'docker-container',
    platforms: options.platforms,
    use: options.use ?? false,
    signal: options.signal,
  })
  return versioned(builderReport(builder, created))
}

/** A buildx builder (the current one without a name): driver, status, platforms and which common ones are missing. */
export async function builderInspect(name: string | undefined, options: {bootstrap?: boolean} & AbortOptions = {}): Promise<BuilderResult> {
  await readBuildxVersions(options.signal)
  const builder = await inspectBuilder(name, options.bootstrap ?? false, options.signal)
  if (!builder) throw new UsageError(`no builder "${name}": create it with \`archcheck builder create ${name}\``)
  return versioned(builderReport(builder))
}
