/**
 * A private Docker engine for the oracle tests: Debian's dockerd 20.10 (with its containerd 1.6)
 * in a temp dir of its own — data root, exec root, socket, daemon.json — without networking
 * (--bridge=none, no iptables). It never touches a system daemon. Needs root and the docker.io
 * package (scripts/install-system-deps.sh installs it).
 */
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface DockerEngine {
  /** `docker -H unix://SOCK ARGS…` with an empty client config. */
  docker(args: string[]): Promise<RunResult>
  /** `ctr -a CONTAINERD_SOCK -n NAMESPACE ARGS…` against the engine's containerd. */
  ctr(namespace: string, args: string[]): Promise<RunResult>
  stop(): Promise<void>
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, {env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
      const code = error ? (typeof (error as {code?: unknown}).code === 'number' ? (error as {code: number}).code : 1) : 0
      resolve({code, stdout: stdout.toString(), stderr: stderr.toString()})
    })
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts dockerd trusting `insecureRegistries` (plain HTTP) and waits until it answers. */
export async function startDockerEngine(insecureRegistries: string[]): Promise<DockerEngine> {
  if (process.getuid?.() !== 0) throw new Error('the oracle tests start their own dockerd: run them as root')
  if (!existsSync('/usr/sbin/dockerd')) throw new Error('dockerd is missing: apt-get install -y --no-install-recommends docker.io')
  // A short path: the exec root holds unix sockets (108-byte limit).
  const dir = mkdtempSync('/tmp/acdk-')
  const socket = join(dir, 'docker.sock')
  const execRoot = join(dir, 'x')
  const clientConfig = join(dir, 'client')
  const logPath = join(dir, 'dockerd.log')
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({'insecure-registries': insecureRegistries}))
  const log = openSync(logPath, 'a')
  const daemon: ChildProcess = spawn(
    '/usr/sbin/dockerd',
    [
      '--config-file',
      join(dir, 'daemon.json'),
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      execRoot,
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '-H',
      `unix://${socket}`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
    ],
    {detached: true, stdio: ['ignore', log, log]},
  )
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()))
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    // Its own process group: dockerd and the containerd it started, nothing else.
    try {
      process.kill(-(daemon.pid as number), 'SIGTERM')
    } catch {}
    const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])
    if (!killed) {
      try {
        process.kill(-(daemon.pid as number), 'SIGKILL')
      } catch {}
      await exited
    }
    rmSync(dir, {recursive: true, force: true, maxRetries: 3})
  }
  process.once('exit', () => {
    if (!stopped) {
      try {
        process.kill(-(daemon.pid as number), 'SIGKILL')
      } catch {}
    }
  })

  const env: NodeJS.ProcessEnv = {...process.env, DOCKER_CONFIG: clientConfig}
  delete env.DOCKER_HOST
  const engine: DockerEngine = {
    docker: (args) => run('docker', ['-H', `unix://${socket}`, ...args], env),
    ctr: (namespace, args) => run('ctr', ['-a', join(execRoot, 'containerd', 'containerd.sock'), '-n', namespace, ...args]),
    stop,
  }
  for (let waited = 0; ; waited += 200) {
    if (existsSync(socket) && (await engine.docker(['version', '--format', '{{.Server.Version}}'])).code === 0) return engine
    if (daemon.exitCode !== null || waited > 30_000) {
      const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n')
      await stop()
      throw new Error(`dockerd did not start (exit ${daemon.exitCode}):\n${tail}`)
    }
    await sleep(200)
  }
}
