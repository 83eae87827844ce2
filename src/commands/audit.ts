import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {
  allowFallbackFlag,
  allowUnknownPlatformFlag,
  clientsFlag,
  hostsFlag,
  jsonFlag,
  noteClientAliases,
  noTruncFlag,
  registryFlags,
} from '../cli/flags.js'
import {layerFlags, layerReadOptionsFromFlags} from '../cli/layer-flags.js'
import {interruptSignal, onInterrupt} from '../cli/interrupt.js'
import {homeDir, processEnvironment} from '../cli/environment.js'
import {checkStepSummary} from '../cli/output-file.js'
import {drainStdout, writeJson, writeStdout} from '../cli/output.js'
import type {AuditResult} from '../api/audit.js'
import {sanitizeText} from '../oci/sanitize.js'

/**
 * The report, on stdout in the format asked for, and under GitHub Actions in the step summary;
 * what could not be read or was not audited also on stderr. Registry text reaches no stream raw.
 */
async function report(result: AuditResult, options: {json: boolean; format: string; noTrunc: boolean}): Promise<void> {
  const [{renderAuditCsv, renderAuditMarkdown, renderAuditText, writeAuditStepSummary}, {styleFor}, {outputWidth}] = await Promise.all([
    import('../render/audit.js'),
    import('../render/style.js'),
    import('../render/fit.js'),
  ])
  // What each repository's tag selection did, and why an empty report fails: tag names come from registries.
  for (const entry of result.selection) process.stderr.write(`archcheck: ${sanitizeText(entry.text)}\n`)
  if (result.nothingAudited) process.stderr.write(`archcheck: ${sanitizeText(result.nothingAudited)}\n`)
  for (const entry of result.unreadable) process.stderr.write(`archcheck: ${sanitizeText(entry.reference)}: ${sanitizeText(entry.error)}\n`)
  if (result.notAudited.length > 0) {
    const count = `${result.notAudited.length} image${result.notAudited.length === 1 ? '' : 's'}`
    process.stderr.write(`archcheck: ${result.interrupted ? 'interrupted' : 'rate limited'}: ${count} not audited (listed in the report)\n`)
  }
  if (options.json) await writeJson(result)
  else if (options.format === 'markdown') await writeStdout(renderAuditMarkdown(result))
  else if (options.format === 'csv') await writeStdout(renderAuditCsv(result))
  else if (options.format === 'html') await writeStdout((await import('../render/html.js')).renderAuditHtml(result))
  else
    await writeStdout(
      await renderAuditText(result, styleFor(process.stdout, processEnvironment()), {
        width: outputWidth(process.stdout, processEnvironment()),
        noTrunc: options.noTrunc,
      }),
    )
  const env = processEnvironment()
  if (env.GITHUB_ACTIONS === 'true') {
    await writeAuditStepSummary(result, env)
    const {renderWorkloadAnnotations} = await import('../render/workloads.js')
    // Under --json on stderr, so stdout stays one JSON document (the runner reads both).
    const annotations = renderWorkloadAnnotations(result)
    if (options.json) process.stderr.write(annotations)
    else await writeStdout(annotations)
  }
}

export default class Audit extends BaseCommand {
  static override summary = 'Audit many images at once: every tag × host × client pull, per-repository history, one summary.'
  static override description = `IMAGE is a registry reference (REPO:TAG, REPO@DIGEST), oci-layout:PATH[:TAG|@DIGEST] or oci-archive:FILE[:TAG|@DIGEST], or a registry repository without a tag: its tags are listed and those selected by --tags, --tag-pattern, --latest and --include-prerelease are audited, one row per release (tags naming one digest are one release: 2.2.0 (also 2.2, 2, latest)); tags that are not versions, such as latest or sha-3f9c2a1, only when named or matched by --tag-pattern.
--from FILE adds the images of a list (one reference per line), Kubernetes YAML (helm template, kubectl get -o yaml) or a Compose file; --hosts-from FILE takes the hosts from kubectl get nodes -o json. With Kubernetes or Compose files the report is per workload container, judged on the node groups its nodeSelector, node affinity, tolerations and nodeName let the scheduler place it on (— elsewhere).
Each cell is the verdict of a simulated pull: ok, fallback, wrong-arch, no-match, ambiguous, missing (the image picked is gone from the registry), check-failed (with --require: a check of that host's platform fails, e.g. an entrypoint built for another architecture) or error (the image could not be read).
Manifests and configs are cached by digest under $XDG_CACHE_HOME/archcheck (--cache-dir, --no-cache): a re-audit of unchanged tags costs one HEAD per tag.
Exit status: 0 every cell passes, 1 some cell or check fails or nothing was selected, 2 bad input, 3 some image could not be read or was not audited (a rate limit stopped the run); the report is printed in every case. Details and the --json schema: docs/audit.md.`

  static override examples = [
    "<%= config.bin %> audit ghcr.io/owner/app --tags '>=1.4 <3' --host linux/amd64,linux/arm64",
    '<%= config.bin %> audit --from deploy.yaml --hosts-from nodes.json',
    'helm template ./chart | <%= config.bin %> audit --from - --format markdown',
    '<%= config.bin %> audit nginx --tag-pattern -alpine$ --latest 10 --client all --json',
    '<%= config.bin %> audit app:1.4.0 app:latest --require linux/amd64,linux/arm64 --deep',
  ]

  static override strict = false

  static override args = {
    // ignoreStdin: oclif would otherwise take piped stdin as the first IMAGE, and `--from -` would find it empty.
    image: Args.string({description: 'Images or repositories to audit (several allowed; optional with --from).', ignoreStdin: true}),
  }

  static override flags = {
    'no-trunc': noTruncFlag,
    from: Flags.string({
      description: 'A file naming images: one reference per line, Kubernetes YAML or a Compose file; - for stdin; repeatable.',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'FILE',
    }),
    'hosts-from': Flags.string({
      description:
        'kubectl get nodes -o json output: its distinct node platforms are the hosts; workloads are judged on the nodes they can be scheduled to (- for stdin).',
      helpValue: 'FILE',
    }),
    mirror: Flags.string({
      description: 'Read images of REGISTRY named in workload files from a mirror, as nodes with that mirror pull them; repeatable.',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'REGISTRY=MIRROR[/PATH]',
      helpGroup: 'REGISTRY',
    }),
    host: hostsFlag({purpose: 'Host platform to audit', defaultText: 'linux/amd64,linux/arm64, unless --hosts-from gives hosts'}),
    client: clientsFlag(),
    'allow-unknown-platform': allowUnknownPlatformFlag,
    'allow-fallback': allowFallbackFlag,
    tags: Flags.string({
      description: "For a repository without a tag: a semver range of tags ('>=1.4 <3', '^2'); v1.2 and 1.2 are read as 1.2.0.",
      helpValue: 'RANGE',
      helpGroup: 'TAGS',
    }),
    'tag-pattern': Flags.string({
      description: 'For a repository without a tag: only tags matching this regular expression (-alpine$); variant tags need it.',
      helpValue: 'REGEX',
      helpGroup: 'TAGS',
    }),
    latest: Flags.integer({
      description: 'For a repository without a tag: only the newest N selected releases.',
      helpValue: 'N',
      min: 1,
      helpGroup: 'TAGS',
    }),
    'include-prerelease': Flags.boolean({description: 'Select pre-release tags (1.2.3-rc.1) too.', helpGroup: 'TAGS'}),
    'max-images': Flags.integer({
      description: 'For a repository without a tag: refuse a selection of more than N images (default 2000).',
      helpValue: 'N',
      min: 1,
      helpGroup: 'TAGS',
    }),
    require: Flags.string({
      description: "Also run verify's checks with these platforms required (os/arch[/variant]; repeatable or comma-separated).",
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'PLATFORM',
    }),
    deep: Flags.boolean({
      description:
        "With --require: also read the layers of each required platform's image (entrypoint-arch, entrypoint-missing, loader-missing).",
    }),
    'supply-chain': Flags.boolean({
      description:
        'Also show which releases carry provenance, an SBOM and a signature (a SUPPLY column and a history line per repository). 5 requests more per platform image and per index; tags naming one image share them.',
    }),
    // DEFAULT_AUDIT_CONCURRENCY, written out: importing it would load the audit engine for --help.
    concurrency: Flags.integer({description: 'Images read at once per registry.', helpValue: 'N', default: 64, min: 1, max: 64}),
    'cache-dir': Flags.string({
      description: 'Where manifests and configs are cached by digest (default $XDG_CACHE_HOME/archcheck, else ~/.cache/archcheck).',
      helpValue: 'DIR',
      exclusive: ['no-cache'],
    }),
    'no-cache': Flags.boolean({description: 'Neither read nor write the cache.'}),
    'max-retry-after': Flags.integer({
      description:
        'Longest Retry-After of a rate-limited registry (429) to wait for; longer, and the audit stops starting work there, reports what it has and exits 3.',
      helpValue: 'SECONDS',
      default: 60,
      min: 0,
      max: 86_400,
      helpGroup: 'REGISTRY',
    }),
    format: Flags.string({
      description: 'Report format on stdout (html: one self-contained page that opens offline).',
      options: ['text', 'markdown', 'csv', 'html'],
      default: 'text',
      exclusive: ['json'],
    }),
    json: jsonFlag('the result', 'docs/audit.md'),
    ...layerFlags,
    ...registryFlags,
  }

  async run(): Promise<void> {
    const {argv, flags, raw} = await this.parse(Audit)
    noteClientAliases(flags.client)
    await checkStepSummary()

    const [{audit, auditExitCode, defaultCacheDir}, {auditProgress}] = await Promise.all([
      import('../api/audit.js'),
      import('../render/audit.js'),
    ])
    // Unnamed, node groups pull with their container runtime's client (docker for images alone).
    const clientNamed = raw.some((token) => token.type === 'flag' && token.flag === 'client')
    const progress = auditProgress(process.stderr)
    // Ctrl-C or SIGTERM stops the audit, and what finished is still reported (a second one exits at once).
    const interrupt = interruptSignal()
    try {
      let result
      try {
        result = await audit(argv as string[], {
          registry: this.registryOptions(flags),
          from: flags.from,
          hostsFrom: flags['hosts-from'],
          mirrors: flags.mirror,
          hosts: flags.host,
          allowUnknownPlatform: flags['allow-unknown-platform'],
          clients: clientNamed ? flags.client : undefined,
          allowFallback: flags['allow-fallback'],
          tags: flags.tags,
          tagPattern: flags['tag-pattern'],
          latest: flags.latest,
          includePrerelease: flags['include-prerelease'],
          maxImages: flags['max-images'],
          concurrency: flags.concurrency,
          require: flags.require,
          deep: flags.deep ? layerReadOptionsFromFlags(flags) : false,
          supplyChain: flags['supply-chain'],
          // The default place only when caching is on: --cache-dir with --no-cache stays a usage error.
          cacheDir: flags['cache-dir'] ?? (flags['no-cache'] ? undefined : defaultCacheDir(processEnvironment(), homeDir())),
          noCache: flags['no-cache'],
          maxRetryAfterMs: flags['max-retry-after'] * 1000,
          onProgress: (done, total) => progress.update(done, total),
          onInterrupt,
          signal: interrupt.signal,
        })
      } catch (error) {
        // A signal while input files were still being read: nothing was audited, nothing to report.
        const signalled = interrupt.exitCode()
        if (signalled !== undefined) process.exit(signalled)
        throw error
      } finally {
        progress.finish()
      }
      await report(result, {json: flags.json, format: flags.format, noTrunc: flags['no-trunc']})
      process.exitCode = auditExitCode(result)
    } finally {
      interrupt.dispose()
    }
    const signalled = interrupt.exitCode()
    if (signalled !== undefined) {
      // The partial report is out: exit now with the signal's code, not when the given-up requests time out.
      await drainStdout()
      process.exit(signalled)
    }
  }
}
