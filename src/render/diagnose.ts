import {shortDigest} from '../oci/digest.js'
import type {DiagnoseResult, HostStatus, LayerProgress} from '../api/diagnose.js'
import type {Style} from './style.js'
import {sanitizeDeep} from '../oci/sanitize.js'

/** The text report: one verdict line per host, the chain followed for hosts that are not ok, and --all-binaries. */
export function renderDiagnoseText(original: DiagnoseResult, style: Style): string {
  // File names, argv and messages come from the image: shown, never obeyed by the terminal.
  const report = sanitizeDeep(original)
  const mark: Record<HostStatus, string> = {ok: style.green('ok  '), warn: style.yellow('warn'), fail: style.red('FAIL')}
  const lines = [style.bold(`${report.reference} (${report.digest})`)]
  for (const host of report.hosts) {
    lines.push(`${mark[host.status]} ${host.message}`)
    const steps = host.execution?.steps ?? []
    if (host.status === 'ok' || steps.length === 0) continue
    lines.push(style.dim(`     runs: ${host.execution!.plan.argv.map((arg) => JSON.stringify(arg)).join(' ')}`))
    for (const step of steps) {
      const via = step.symlinks.length ? ` via ${step.symlinks.join(', ')}` : ''
      const where = step.path ? `${step.path}${step.layer === undefined ? '' : ` (layer ${step.layer + 1})`}` : 'missing'
      lines.push(style.dim(`     ${step.role} ${step.requested}: ${where}${via}${step.description ? `: ${step.description}` : ''}`))
    }
  }
  for (const image of report.binaries ?? []) {
    const summary = image.mismatched.length ? image.mismatched.map((m) => `${m.count} ${m.architecture}`).join(', ') : 'none'
    lines.push(
      `binaries of ${shortDigest(image.digest)} (${image.platform}): ${image.elfCount} executable ELF file${image.elfCount === 1 ? '' : 's'}; other architectures: ${summary}`,
    )
    for (const group of image.mismatched) for (const file of group.files) lines.push(`     ${group.architecture} ${file}`)
  }
  return `${lines.join('\n')}\n`
}

/** One self-overwriting line on a terminal: layers done, and compressed MB read of those in flight. */
export class LayerProgressLine {
  private readonly layers = new Map<string, LayerProgress>()
  private last = 0
  private shown = false

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(event: LayerProgress): void {
    this.layers.set(event.digest, event)
    const now = Date.now()
    if (!event.done && now - this.last < 100) return
    this.last = now
    const all = [...this.layers.values()]
    const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)
    const active = all.filter((l) => !l.done).map((l) => `${l.digest.slice(7, 19)} ${mb(l.bytesRead)}/${mb(l.size)} MB`)
    this.stream.write(`\r\u001B[Kreading layers: ${all.filter((l) => l.done).length} done${active.length ? `; ${active.join(', ')}` : ''}`)
    this.shown = true
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\u001B[K')
    this.shown = false
  }
}
