import {readFile, stat} from 'node:fs/promises'

import {UsageError} from '../../oci/errors.js'
import {validateDigest} from '../../oci/reference.js'

/** What one buildx build (or one bake target) says it pushed. */
export interface BuildMetadata {
  /** The bake target name, when the file is bake's map of targets. */
  target?: string
  /** `containerimage.digest`: the digest of the pushed index or manifest. */
  digest: string
  /** `image.name` split on commas: every name the build pushed to (may be empty). */
  names: string[]
}

const MAX_METADATA_BYTES = 4 * 1024 * 1024

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function oneBuild(file: string, entry: Json, target?: string): BuildMetadata {
  const where = target ? `${file} (target "${target}")` : file
  const descriptor = entry['containerimage.descriptor']
  const descriptorDigest = isObject(descriptor) && typeof descriptor.digest === 'string' ? descriptor.digest : undefined
  const rawDigest = entry['containerimage.digest'] ?? descriptorDigest
  if (typeof rawDigest !== 'string') {
    throw new UsageError(`metadata file ${where} has no "containerimage.digest": was the image pushed (buildx writes it with --push)?`)
  }
  try {
    validateDigest(rawDigest)
  } catch (error) {
    throw new UsageError(`metadata file ${where}: ${(error as Error).message}`)
  }
  if (descriptorDigest !== undefined && descriptorDigest !== rawDigest) {
    throw new UsageError(
      `metadata file ${where} is inconsistent: "containerimage.digest" ${rawDigest} differs from "containerimage.descriptor" digest ${descriptorDigest}`,
    )
  }
  const rawNames = entry['image.name']
  if (rawNames !== undefined && typeof rawNames !== 'string') throw new UsageError(`metadata file ${where}: "image.name" is not a string`)
  const names = (rawNames ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  const build: BuildMetadata = {digest: rawDigest, names}
  if (target) build.target = target
  return build
}

/**
 * Parses the JSON written by `docker buildx build --metadata-file` (one build) or
 * `docker buildx bake --metadata-file` (an object of targets). Throws a one-line UsageError for a
 * missing, oversized or malformed file.
 */
export function parseBuildMetadata(file: string, text: string): BuildMetadata[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`metadata file ${file} is not valid JSON: ${(error as Error).message}`)
  }
  if (!isObject(data)) throw new UsageError(`metadata file ${file} is not a JSON object as buildx writes it`)
  if ('containerimage.digest' in data || 'containerimage.descriptor' in data) return [oneBuild(file, data)]
  const targets = Object.entries(data).filter(
    ([, value]) => isObject(value) && ('containerimage.digest' in value || 'containerimage.descriptor' in value),
  )
  if (targets.length === 0) {
    throw new UsageError(`metadata file ${file} has no "containerimage.digest": was the image pushed (buildx writes it with --push)?`)
  }
  return targets.map(([target, value]) => oneBuild(file, value as Json, target))
}

export async function readBuildMetadata(file: string): Promise<BuildMetadata[]> {
  let text: string
  try {
    const info = await stat(file)
    if (!info.isFile()) throw new UsageError(`metadata file ${file} is not a file`)
    if (info.size > MAX_METADATA_BYTES)
      throw new UsageError(`metadata file ${file} is ${info.size} bytes; buildx metadata is far smaller (limit ${MAX_METADATA_BYTES})`)
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof UsageError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(`cannot read metadata file ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
  }
  return parseBuildMetadata(file, text)
}
