/**
 * Runs Debian's docker-registry (distribution 2.8) on 127.0.0.1 with storage in a temp dir.
 * The global setup starts one for the whole run; a test may start its own (e.g. with htpasswd
 * auth) through `startRegistryServer({extraConfig})`. The process runs in its own process group and
 * dies with the test process: on stop(), on exit, on SIGINT/SIGTERM/SIGHUP, and through the
 * kernel's parent-death signal (setpriv) even when the test process is killed outright.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const REGISTRY_BINARY = '/usr/bin/docker-registry'
const DIR_PREFIX = 'archcheck-registry-'
/** In each registry's temp dir: the pid of the test process that owns it. */
const OWNER_FILE = 'owner.pid'

export interface RegistryServer {
  /** `127.0.0.1:PORT`, as it appears in references. */
  host: string
  /** The config file (for `docker-registry garbage-collect CONFIG`). */
  configPath: string
  /** The registry's HTTP access log (combined log format, one line per request). */
  accessLogPath: string
  /** Everything else the registry logs (warnings, errors). */
  logPath: string
  /** Temp dir holding config, logs and storage; removed by stop(). */
  dir: string
  pid: number
  stop(): Promise<void>
}

export interface RegistryServerOptions {
  /** Extra top-level config sections in YAML, appended verbatim (e.g. an `auth:` block). */
  extraConfig?: string
  /** How long to wait for `/v2/` to answer (default 10 s). */
  readyTimeoutMs?: number
}

/** A free TCP port on 127.0.0.1 (the registry binds it right after; a clash is retried). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function registryConfig(storageDir: string, port: number, extraConfig = ''): string {
  // No blob descriptor cache: deletes must show at once for garbage-collection tests.
  return `version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${storageDir}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: archcheck-test-bed
${extraConfig}`
}

/** Registries still running, with their temp dirs. */
const live = new Map<ChildProcess, string>()
let exitHooksInstalled = false

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}

/** Kills every registry still running and removes its files: the process is going away. */
function killAllNow(): void {
  for (const [child, dir] of live) {
    killGroup(child, 'SIGKILL')
    rmSync(dir, {recursive: true, force: true})
  }
  live.clear()
}

/** No registry outlives this process: on exit and on the signals that end it. */
function installExitHooks(): void {
  if (exitHooksInstalled) return
  exitHooksInstalled = true
  process.once('exit', killAllNow)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow()
      // Without other listeners Node would have died of this signal: keep that behaviour.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    })
  }
}

async function waitForPing(host: string, child: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `docker-registry exited (${child.exitCode ?? child.signalCode}): ${readFileSync(logPath, 'utf8').trim().split('\n').slice(-3).join(' | ')}`,
      )
    }
    try {
      const response = await fetch(`http://${host}/v2/`, {signal: AbortSignal.timeout(1000)})
      await response.arrayBuffer()
      if (response.status === 200 || response.status === 401) return
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`docker-registry on ${host} did not answer /v2/ within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function startOnce(options: RegistryServerOptions): Promise<RegistryServer> {
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX))
  writeFileSync(join(dir, OWNER_FILE), String(process.pid))
  const port = await freePort()
  const host = `127.0.0.1:${port}`
  const configPath = join(dir, 'config.yml')
  const accessLogPath = join(dir, 'access.log')
  const logPath = join(dir, 'registry.log')
  writeFileSync(configPath, registryConfig(join(dir, 'storage'), port, options.extraConfig))
  const out = openSync(accessLogPath, 'a')
  const err = openSync(logPath, 'a')
  // setpriv --pdeathsig: the kernel kills the registry when its parent dies, even by SIGKILL.
  const [command, args] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', REGISTRY_BINARY, 'serve', configPath]]
    : [REGISTRY_BINARY, ['serve', configPath]]
  const child = spawn(command, args, {detached: true, stdio: ['ignore', out, err]})
  closeSync(out)
  closeSync(err)
  installExitHooks()
  live.set(child, dir)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => live.delete(child))
  const stop = async (): Promise<void> => {
    // Its storage is thrown away: no need for a graceful shutdown (SIGTERM takes up to 0.5 s).
    killGroup(child, 'SIGKILL')
    await exited
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    await waitForPing(host, child, logPath, options.readyTimeoutMs ?? 10_000)
  } catch (error) {
    await stop()
    throw error
  }
  return {host, configPath, accessLogPath, logPath, dir, pid: child.pid!, stop}
}

/**
 * Removes temp dirs left by test processes that were killed outright (SIGKILL leaves no chance
 * to clean up; the kernel still kills their registries). Dirs of live owners are kept.
 */
export function sweepStaleRegistryDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = join(tmpdir(), name)
    let owner: number
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'))
    } catch {
      continue
    }
    if (!processExists(owner)) rmSync(dir, {recursive: true, force: true})
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Starts a registry and waits until `/v2/` answers; retries with a new port if the first was taken. */
export async function startRegistryServer(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  if (!existsSync(REGISTRY_BINARY)) throw new Error(`${REGISTRY_BINARY} is missing: run scripts/install-system-deps.sh`)
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options)
    } catch (error) {
      lastError = error
      if (!String(error).includes('address already in use')) break
    }
  }
  throw lastError
}
