/**
 * Runs the built CLI (`node bin/run.js …`) as a user would and returns what they would see.
 * The environment is made hermetic by default: no colours, no proxies from the caller's
 * environment, and DOCKER_CONFIG pointing at an empty directory so the developer's own
 * credentials never leak into a test. Override any variable through `env` (undefined removes it).
 */
import {execFile} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {AuditResult} from '../../src/api/audit.js'
import {tempDirSync} from './temp-dir.js'

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI_PATH = join(PROJECT_ROOT, 'bin', 'run.js')

export interface CliResult {
  stdout: string
  /** stdout exactly as written (for `--raw` and other binary output). */
  stdoutBytes: Buffer
  stderr: string
  /** Exit code; -1 when the process was killed by a signal (see `signal`). */
  code: number
  signal?: NodeJS.Signals
  durationMs: number
}

export interface CliOptions {
  /** Variables set on top of the hermetic default; `undefined` removes one. */
  env?: Record<string, string | undefined>
  cwd?: string
  /** Kill the CLI after this long (default 30 s). */
  timeoutMs?: number
}

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy']

let emptyDockerConfig: string | undefined
let distChecked = false

/** The environment a CLI run gets: the caller's, minus colours, proxies and Docker credentials. */
export function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  emptyDockerConfig ??= tempDirSync('docker-config')
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', DOCKER_CONFIG: emptyDockerConfig}
  delete env.FORCE_COLOR
  for (const name of PROXY_VARIABLES) delete env[name]
  // A width from the caller's shell would shorten digests in output the tests compare whole.
  delete env.COLUMNS
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

/** Runs `archcheck ARGS…` from the build in dist/; never rejects on a non-zero exit. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  checkBuildIsFresh()
  const started = performance.now()
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI_PATH, ...args],
      {
        cwd: options.cwd ?? PROJECT_ROOT,
        env: cliEnv(options.env),
        timeout: options.timeoutMs ?? 30_000,
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & {code?: number | string; signal?: NodeJS.Signals}) | null
        if (failure && typeof failure.code === 'string') return reject(failure)
        resolve({
          stdout: stdout.toString('utf8'),
          stdoutBytes: stdout,
          stderr: stderr.toString('utf8'),
          code: failure ? (failure.signal ? -1 : Number(failure.code ?? 1)) : 0,
          ...(failure?.signal ? {signal: failure.signal} : {}),
          durationMs: performance.now() - started,
        })
      },
    )
  })
}

/** oclif runs dist/: a dist older than src would test stale code, so fail loudly instead. */
function checkBuildIsFresh(): void {
  if (distChecked) return
  const built = newestMtime(join(PROJECT_ROOT, 'dist'))
  if (built === 0) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  const source = newestMtime(join(PROJECT_ROOT, 'src'))
  if (source > built) throw new Error('dist/ is older than src/: run `npm run build` first (npm test does)')
  distChecked = true
}

function newestMtime(dir: string): number {
  let newest = 0
  let entries
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return 0
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Runs `archcheck audit ARGS… --json` and parses the document; the exit code is the test's to check. */
export async function runAuditJson(args: string[], options: CliOptions = {}): Promise<CliResult & {json: AuditResult}> {
  const result = await runCli(['audit', ...args, '--json'], {timeoutMs: 60_000, ...options})
  let json: AuditResult
  try {
    json = JSON.parse(result.stdout) as AuditResult
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout.slice(0, 300)}\nstderr: ${result.stderr}`)
  }
  return {...result, json}
}
