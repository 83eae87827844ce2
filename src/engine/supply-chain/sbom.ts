import {field, stringField} from './json.js'
import type {SbomSummary} from './types.js'

export const SPDX_PREDICATE = 'https://spdx.dev/Document'
export const CYCLONEDX_PREDICATE = 'https://cyclonedx.org/bom'

/** An SBOM's format, version, tools and package count; undefined when the document is neither SPDX nor CycloneDX. */
export function summariseSbom(document: unknown): SbomSummary | undefined {
  const spdxVersion = stringField(document, 'spdxVersion')
  if (spdxVersion !== null) {
    const creators = field(document, 'creationInfo', 'creators')
    const tools = Array.isArray(creators)
      ? creators.filter((c): c is string => typeof c === 'string' && c.startsWith('Tool:')).map((c) => c.slice(5).trim())
      : []
    const packages = field(document, 'packages')
    return {format: 'spdx', version: spdxVersion, tools, packages: Array.isArray(packages) ? packages.length : 0}
  }
  if (stringField(document, 'bomFormat') === 'CycloneDX') {
    const components = field(document, 'components')
    return {
      format: 'cyclonedx',
      version: stringField(document, 'specVersion'),
      tools: cycloneDxTools(field(document, 'metadata', 'tools')),
      packages: Array.isArray(components) ? components.length : 0,
    }
  }
  return undefined
}

/** CycloneDX 1.4 lists tools as an array; 1.5 and later as `{components: […], services: […]}`. */
function cycloneDxTools(tools: unknown): string[] {
  const list = Array.isArray(tools) ? tools : field(tools, 'components')
  if (!Array.isArray(list)) return []
  return list.flatMap((tool) => {
    const name = stringField(tool, 'name')
    if (name === null) return []
    const version = stringField(tool, 'version')
    return [version === null ? name : `${name} ${version}`]
  })
}

export const isSbomPredicate = (predicateType: string): boolean =>
  predicateType === SPDX_PREDICATE || predicateType.startsWith(CYCLONEDX_PREDICATE) || predicateType.startsWith('https://spdx.dev/')

/** Each package of an SBOM as `name@version` (CycloneDX: `group/name@version`), for comparing platforms. */
export function sbomPackages(document: unknown): string[] {
  const list = field(document, stringField(document, 'spdxVersion') !== null ? 'packages' : 'components')
  if (!Array.isArray(list)) return []
  return list.flatMap((entry) => {
    const name = stringField(entry, 'name')
    if (name === null) return []
    const group = stringField(entry, 'group')
    const version = stringField(entry, 'versionInfo') ?? stringField(entry, 'version')
    return [`${group ? `${group}/` : ''}${name}${version === null ? '' : `@${version}`}`]
  })
}
