import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {registryFlags, registryOptionsFromFlags} from '../cli/flags.js'
import {layerFlags, layerReadOptionsFromFlags} from '../cli/layer-flags.js'
import {ExitCode, UsageError} from '../errors.js'
import type {DiagnoseReport} from '../layers/diagnose.js'
import type {LayerProgress} from '../layers/read-image.js'
import type {ClientName} from '../platform/resolution.js'

export default class Diagnose extends BaseCommand {
  static override summary = 'Look inside the layers: find the file that will fail with "exec format error" on each host.'

  static override description = `Simulates the pull on each host, follows the chosen image's entrypoint (Entrypoint + Cmd, PATH, symlinks, #! interpreters, the ELF loader) through its layers and says, per host, whether it will start — and if not, which file fails with which error. Nothing is run and nothing is written to disk.

Exit codes: 0 every host starts it, 1 some host will fail, 2 bad usage, 3 the image or a layer could not be read (including a layer over the decompression limits).`

  static override examples = [
    '<%= config.bin %> diagnose ghcr.io/acme/app:1.4',
    '<%= config.bin %> diagnose ghcr.io/acme/app:1.4 --host linux/arm64 --all-binaries',
    '<%= config.bin %> diagnose oci-layout:./out:latest --json',
  ]

  static override args = {
    ref: Args.string({description: 'Image reference, oci-layout:PATH[:TAG] or oci-archive:FILE[:TAG].', required: true}),
  }

  static override flags = {
    host: Flags.string({description: 'Host platform(s) to judge, repeatable or comma-separated (default: this machine, linux/amd64 and linux/arm64).', multiple: true}),
    client: Flags.string({description: 'Pull client whose platform choice is simulated.', options: ['docker', 'containerd', 'podman', 'exact'], default: 'docker'}),
    'all-binaries': Flags.boolean({description: 'Also list every executable ELF whose architecture differs from its image\'s platform, counted per machine.'}),
    json: Flags.boolean({description: 'Print the report as JSON (schema in docs/diagnose.md).'}),
    ...layerFlags,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Diagnose)
    const [{openSource}, {fetchImageTree}, {parseHosts}, {diagnoseImage}] = await Promise.all([
      import('../image/open.js'),
      import('../image/tree.js'),
      import('../platform/hosts.js'),
      import('../layers/diagnose.js'),
    ])
    const hosts = parseHosts(flags.host?.length ? flags.host : ['native', 'linux/amd64', 'linux/arm64'])
    if (hosts.length === 0) throw new UsageError('no host platform given')
    const source = await openSource(args.ref, registryOptionsFromFlags(flags, this.debugEnabled ? (line) => this.debugLog(line) : undefined))
    const progress = process.stderr.isTTY && !flags.json ? new ProgressLine() : undefined
    try {
      const tree = await fetchImageTree(source)
      const report = await diagnoseImage(source, tree, {
        hosts,
        client: flags.client as ClientName,
        allBinaries: flags['all-binaries'],
        read: {...layerReadOptionsFromFlags(flags), onProgress: progress ? (event) => progress.update(event) : undefined},
      })
      progress?.clear()
      process.stdout.write(flags.json ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : renderText(report))
      if (report.failed) process.exitCode = ExitCode.checkFailed
    } finally {
      progress?.clear()
      await source.close()
    }
  }
}

/** Heads are bytes: never put them in JSON. */
function jsonReplacer(key: string, value: unknown): unknown {
  return key === 'head' ? undefined : value
}

const MARK = {ok: 'ok  ', warn: 'warn', fail: 'FAIL'}

function renderText(report: DiagnoseReport): string {
  const lines = [`${report.reference} (${report.digest})`]
  for (const host of report.hosts) {
    lines.push(`${MARK[host.status]} ${host.message}`)
    const steps = host.execution?.steps ?? []
    if (host.status !== 'ok' && steps.length) {
      lines.push(`     runs: ${host.execution!.plan.argv.map((arg) => JSON.stringify(arg)).join(' ')}`)
      for (const step of steps) {
        const via = step.symlinks.length ? ` via ${step.symlinks.join(', ')}` : ''
        const where = step.path ? `${step.path}${step.layer === undefined ? '' : ` (layer ${step.layer + 1})`}` : 'missing'
        lines.push(`     ${step.role} ${step.requested}: ${where}${via}${step.description ? `: ${step.description}` : ''}`)
      }
    }
  }
  for (const image of report.binaries ?? []) {
    const summary = image.mismatched.length ? image.mismatched.map((m) => `${m.count} ${m.architecture}`).join(', ') : 'none'
    lines.push(`binaries of ${image.digest.slice(0, 19)} (${image.platform}): ${image.elfCount} executable ELF files; other architectures: ${summary}`)
    for (const group of image.mismatched) for (const file of group.files) lines.push(`     ${group.architecture} ${file}`)
  }
  return `${lines.join('\n')}\n`
}

/** One self-overwriting stderr line: layers done and compressed bytes read. */
class ProgressLine {
  private readonly layers = new Map<string, LayerProgress>()
  private last = 0
  private shown = false

  update(event: LayerProgress): void {
    this.layers.set(event.digest, event)
    const now = Date.now()
    if (!event.done && now - this.last < 100) return
    this.last = now
    const all = [...this.layers.values()]
    const mb = (bytes: number): string => (bytes / 1024 ** 2).toFixed(1)
    const active = all.filter((l) => !l.done).map((l) => `${l.digest.slice(7, 19)} ${mb(l.bytesRead)}/${mb(l.size)} MB`)
    process.stderr.write(`\r\u001B[Kreading layers: ${all.filter((l) => l.done).length} done${active.length ? `; ${active.join(', ')}` : ''}`)
    this.shown = true
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\u001B[K')
    this.shown = false
  }
}
