import type {BuilderReport} from '../api/builder.js'

/** The text of `builder create` and `builder inspect`. */
export function renderBuilderReport(report: BuilderReport): string {
  const lines: string[] = []
  if (report.created !== undefined)
    lines.push(report.created ? `created builder ${report.name}` : `reusing the existing builder ${report.name}`)
  lines.push(`builder:   ${report.name}`, `driver:    ${report.driver}`, `status:    ${report.status}`)
  if (report.status !== 'running') {
    lines.push(`platforms: unknown until the builder runs (archcheck builder inspect ${report.name} --bootstrap)`)
  } else {
    lines.push(`platforms: ${report.platforms.join(', ') || 'none'}`)
    if (report.missing.length > 0) lines.push(`missing:   ${report.missing.join(', ')}`, `to add them, ${report.hint}`)
    else lines.push('every common platform is supported')
  }
  if (report.driver === 'docker')
    lines.push('note: the docker driver builds one platform at a time; for multi-platform images run `archcheck builder create --use`')
  return `${lines.join('\n')}\n`
}
