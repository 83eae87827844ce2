import {mkdtemp, writeFile} from 'node:fs/promises'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'

import {
  ArchcheckError,
  audit,
  auditExitCode,
  createRegistryClient,
  defaultCacheDir,
  errorExitCode,
  formatReference,
  inspect,
  parseReference,
  registryOptionsFromEnvironment,
  readBuildMetadata,
  renderGithubAnnotations,
  renderGithubSummary,
  renderJunit,
  verify,
  verifyExitCode,
  type AuditResult,
  type ExitCodeValue,
  type RegistryClient,
  type VerifyResult,
} from '../index.js'
import {fileErrorText, UsageError} from '../oci/errors.js'
import {sanitizeDeep, sanitizeText} from '../oci/sanitize.js'
import {renderAuditMarkdown} from '../render/audit.js'
import {markdownCell} from '../render/markdown.js'
import {auditVerdictLine, verifyVerdictLine} from '../render/verdict.js'
import {renderVerifyText} from '../render/verify-text.js'
import {readInputs, type ActionInputs} from './inputs.js'
import {Runner} from './runner.js'

/**
 * The GitHub Action: reads its inputs, runs verify or audit through the library, and reports as
 * the runner expects (log, annotations, step summary, outputs). Returns the exit status: 0 passed,
 * 1 a check failed, 2 bad input, 3 an image could not be read, 4 a bug.
 */
export async function runAction(env: NodeJS.ProcessEnv, log: (text: string) => void): Promise<ExitCodeValue> {
  const runner = new Runner(env, log)
  try {
    runner.outputFile()
    const inputs = readInputs(env)
    return inputs.mode === 'verify' ? await runVerify(inputs, env, runner) : await runAudit(inputs, env, runner)
  } catch (error) {
    const known = error instanceof ArchcheckError
    // A bug: its message and a way to report it, never a stack trace in the log.
    const message = known
      ? error.message
      : `internal error (a bug in archcheck, please report it): ${(error as Error)?.message ?? String(error)}`
    runner.annotate('error', 'archcheck', `archcheck: ${sanitizeText(message)}`)
    return errorExitCode(error)
  }
}

/** The JSON document, where later steps can read it (`steps.ID.outputs.report`). */
async function writeReport(env: NodeJS.ProcessEnv, mode: string, document: unknown): Promise<string> {
  const base = env.RUNNER_TEMP || tmpdir()
  try {
    const file = join(await mkdtemp(join(base, 'archcheck-')), `${mode}.json`)
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`)
    return file
  } catch (error) {
    throw new UsageError(`cannot write the report under ${base}: ${fileErrorText(error)}`)
  }
}

async function writeJunit(file: string, xml: string): Promise<void> {
  try {
    await writeFile(file, xml)
  } catch (error) {
    throw new UsageError(`input junit: cannot write ${file}: ${fileErrorText(error)}`)
  }
}

/** The platforms the first image serves, as `os/arch[/variant]`, read by the digest verify saw (a tag may have moved since). */
async function platformsOf(result: VerifyResult, registryClient: RegistryClient, runner: Runner): Promise<string[]> {
  const first = result.references[0]
  if (!first?.digest || first.verdict === 'error') return []
  let spec = first.reference
  try {
    spec = formatReference({...parseReference(first.reference), tag: undefined, digest: first.digest})
  } catch {
    // A local source (oci-layout:, oci-archive:) is read as named: it cannot move under us.
  }
  try {
    const view = await inspect(spec, {registryClient})
    return view.platforms.flatMap((entry) => (entry.platform ? [entry.platform] : [entry.configPlatform]))
  } catch (error) {
    runner.annotate(
      'warning',
      'archcheck',
      `archcheck: the platforms of ${first.reference} could not be read: ${sanitizeText((error as Error).message)}`,
    )
    return []
  }
}

async function runVerify(inputs: ActionInputs, env: NodeJS.ProcessEnv, runner: Runner): Promise<ExitCodeValue> {
  const metadata = inputs.metadataFile === undefined ? undefined : await readBuildMetadata(inputs.metadataFile)
  // One client for the checks and the platforms read after them: one token per registry, one pool.
  const registryClient = createRegistryClient(registryOptionsFromEnvironment(env, homedir()))
  try {
    const result = await verify(inputs.images, {
      require: inputs.require,
      client: inputs.clients === 'all' ? undefined : inputs.clients[0],
      allowFallback: inputs.allowFallback,
      deep: inputs.deep,
      expectDigest: inputs.expectDigest,
      metadata,
      registryClient,
    })
    const texts = await Promise.all(result.references.map((report) => renderVerifyText(report, result.strict, undefined, {noTrunc: true})))
    runner.printInert(texts.join('\n'))
    // One line, control characters made visible, opening with ✅ or ❌: it cannot be a workflow command.
    runner.print(verifyVerdictLine(result))
    const annotations = renderGithubAnnotations(result)
    if (annotations) runner.print(annotations.trimEnd())
    await runner.summarize(renderGithubSummary(result))
    if (inputs.junit !== undefined) await writeJunit(inputs.junit, renderJunit(result))
    const first = result.references[0]
    await runner.setOutputs({
      passed: String(result.verdict === 'pass'),
      digest: first?.digest ?? '',
      platforms: JSON.stringify(await platformsOf(result, registryClient, runner)),
      report: await writeReport(env, 'verify', result),
    })
    return verifyExitCode(result)
  } finally {
    await registryClient.close()
  }
}

/** `::error` for each image that could not be read or failed a pull or check, naming what failed. */
function auditAnnotations(original: AuditResult, runner: Runner): void {
  const result = sanitizeDeep(original, {lines: true})
  for (const row of result.rows) {
    if (row.status === 'unreadable')
      runner.annotate('error', `archcheck audit: ${row.reference}`, `${row.reference}: ${row.error ?? 'could not be read'}`)
    if (row.status !== 'audited' || row.passed) continue
    const cells = row.cells.filter((cell) => cell.verdict !== 'ok' && !(result.allowFallback && cell.verdict === 'fallback'))
    const checks = (row.checks ?? []).filter((check) => check.status === 'fail')
    const reasons = [
      ...cells.map((cell) => `${cell.host} (${cell.client}): ${cell.verdict} — ${cell.message}`),
      ...checks.map((check) => `${check.id}${check.platform ? ` (${check.platform})` : ''}: ${check.message}`),
    ]
    runner.annotate('error', `archcheck audit: ${row.reference}`, `${row.reference}: ${reasons.join('; ') || 'failed'}`)
  }
}

async function runAudit(inputs: ActionInputs, env: NodeJS.ProcessEnv, runner: Runner): Promise<ExitCodeValue> {
  const result = await audit(inputs.images, {
    from: inputs.from,
    hostsFrom: inputs.hostsFrom,
    hosts: inputs.hosts,
    clients: inputs.clients,
    allowFallback: inputs.allowFallback,
    tags: inputs.tags,
    require: inputs.require,
    deep: inputs.deep,
    registry: registryOptionsFromEnvironment(env, homedir()),
    cacheDir: defaultCacheDir(env, homedir()),
  })
  const markdown = renderAuditMarkdown(result)
  runner.printInert(markdown)
  runner.print(auditVerdictLine(result))
  auditAnnotations(result, runner)
  await runner.summarize(`${markdownCell(auditVerdictLine(result))}\n\n${markdown}`)
  const only = result.rows.length === 1 ? result.rows[0] : undefined
  await runner.setOutputs({
    passed: String(result.passed),
    digest: only?.digest ?? '',
    platforms: '[]',
    report: await writeReport(env, 'audit', result),
  })
  return auditExitCode(result)
}
