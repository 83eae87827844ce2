/**
 * What `archcheck audit` writes and when it stops: registry text on stderr, the step summary
 * checked before any request, a local path answered as inspect answers it, and Ctrl-C or SIGTERM
 * in the middle of a run (a proxy in front of the test registry that starts stalling) printing
 * the rows that finished. Runs the built CLI: `npm run build` first.
 */
import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {CLI_PATH, cliEnv, PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'
import {testRegistryHost} from '../helpers/registry.js'
import {tempDir} from '../helpers/temp-dir.js'

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

let registry: HostileRegistry | undefined
let proxy: CountingProxy | undefined
afterEach(async () => {
  await registry?.close()
  await proxy?.close()
  registry = undefined
  proxy = undefined
})

describe('archcheck audit: registry text on stderr', () => {
  it('shows a hostile 403 message and Retry-After header as inert, bounded lines', async () => {
    const attack = 'denied\n::add-mask::secret\n::error::fake \u001b]0;pwned\u001b\\\u001b[2K\u001b[1Aok \u009b31m \u202e'
    registry = await startHostileRegistry((request, response) => {
      if (request.url?.includes('/forbidden/')) {
        response.writeHead(403, {'content-type': 'application/json'})
        response.end(JSON.stringify({errors: [{code: 'DENIED', message: attack}]}))
        return
      }
      // A C1 CSI as UTF-8 bytes (C2 9B) and 8,000 characters of header.
      const retryAfter = Buffer.from(`x\u009b31m${'y'.repeat(8000)}`, 'utf8').toString('latin1')
      response.writeHead(429, {'retry-after': retryAfter, 'content-type': 'application/json'})
      response.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')
    })
    const run = await runCli(['audit', `${registry.host}/forbidden/app:1.0`, `${registry.host}/limited/app:1.0`, '--no-cache'], {
      timeoutMs: 60_000,
    })
    expect(run.code, run.stderr).toBe(3)
    expect(run.stderr).toContain('forbidden/app:1.0')
    for (const output of [run.stderr, run.stdout]) {
      expect(output).not.toMatch(RAW_CONTROL)
      for (const line of output.split('\n')) {
        // The Actions runner obeys ::workflow-commands:: at the start of a line, on stderr too.
        expect(line).not.toMatch(/^::/)
        expect(line.length, line.slice(0, 100)).toBeLessThan(1200)
      }
    }
    expect(run.stderr).toContain('\\u000a::add-mask::secret')
    expect(run.stderr).toContain('…')
  })
})

describe('archcheck audit: checks before work', () => {
  it('refuses an unwritable $GITHUB_STEP_SUMMARY before any request: exit 2, stdout empty', async () => {
    registry = await startHostileRegistry((_request, response) => void response.writeHead(500).end())
    const summary = join(await tempDir('summary'), 'missing', 'summary.md')
    const run = await runCli(['audit', `${registry.host}/app:1.0`, '--no-cache', '--json'], {
      env: {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary},
    })
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^archcheck: \$GITHUB_STEP_SUMMARY .*summary\.md: directory .* does not exist/)
    expect(registry.requests).toHaveLength(0)
  })

  it('answers a local path that is not a reference as inspect does (exit 2)', async () => {
    const [audit, inspect] = await Promise.all([runCli(['audit', 'fixtures/demo']), runCli(['inspect', 'fixtures/demo'])])
    expect(inspect.code).toBe(2)
    expect(audit.code).toBe(2)
    expect(audit.stdout).toBe('')
    expect(audit.stderr.replace('archcheck audit', 'archcheck inspect')).toBe(inspect.stderr)
    expect(audit.stderr).toContain('did you mean oci-layout:fixtures/demo?')
  })
})

/** The standard scenarios the global setup pushed, in the order audit reads them with --concurrency 1. */
const SCENARIO_NAMES = ['oci-index', 'docker-list', 'mixed-media-types', 'single-platform', 'nested', 'config-mismatch']

/** Resolves once `check` holds, polling every 20 ms. */
async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('archcheck audit: interrupted', () => {
  it('takes the first signal to stop the work, and exits at once on the second', async () => {
    // What the audit command does with signals, alone: the first aborts its work (the process
    // lives on to print the partial report), a second one ends it even while that takes long.
    const script = `
      import {exitQuietlyOnInterrupt, interruptSignal} from ${JSON.stringify(join(PROJECT_ROOT, 'dist/cli/interrupt.js'))}
      exitQuietlyOnInterrupt()
      const {signal} = interruptSignal()
      signal.addEventListener('abort', () => {
        process.stdout.write('stopping\\n')
        setTimeout(() => process.kill(process.pid, 'SIGINT'), 50)
      })
      setTimeout(() => process.stdout.write('still running\\n'), 20000)
      process.kill(process.pid, 'SIGINT')
    `
    const started = performance.now()
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(stdout).toBe('stopping\n')
    expect(code).toBe(130)
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('prints the rows that finished on %s and exits %i at once', async (signal, code) => {
    proxy = await startCountingProxy(testRegistryHost())
    // Two images finish; from the third on the registry never answers. Decided by path before
    // the audit starts, so how fast the first images go cannot race the stall.
    const stalled = SCENARIO_NAMES.slice(2).map((name) => `/v2/scenarios/${name}/`)
    proxy.holds = (request) => stalled.some((prefix) => request.path.startsWith(prefix))
    const references = SCENARIO_NAMES.map((name) => `${proxy!.host}/scenarios/${name}:latest`)
    const child = spawn(process.execPath, [CLI_PATH, 'audit', ...references, '--concurrency', '1', '--no-cache', '--format', 'csv'], {
      cwd: PROJECT_ROOT,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      await until(() => proxy!.requests.some((request) => stalled.some((prefix) => request.path.startsWith(prefix))))
      const signalled = performance.now()
      child.kill(signal)
      const exitCode = await exited
      // Under a loaded machine: the stalled request alone would hold it until the test's end.
      expect(performance.now() - signalled).toBeLessThan(3000)
      expect(exitCode, stderr).toBe(code)
    } finally {
      child.kill('SIGKILL')
    }
    const lines = stdout.trim().split('\r\n').slice(1)
    const verdictsOf = (name: string) =>
      lines.filter((line) => line.includes(`/scenarios/${name}:latest`)).map((line) => line.split(',')[8])
    for (const name of SCENARIO_NAMES.slice(0, 2)) expect(verdictsOf(name)).toEqual(['ok', 'ok'])
    for (const name of SCENARIO_NAMES.slice(2)) {
      expect(verdictsOf(name)).toEqual(['not-audited', 'not-audited'])
      expect(lines.find((line) => line.includes(`/scenarios/${name}:latest`))).toMatch(/,interrupted$/)
    }
    expect(stderr).toContain(`archcheck: interrupted: ${SCENARIO_NAMES.length - 2} images not audited (listed in the report)`)
  })
})
