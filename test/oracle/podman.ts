/**
 * Podman (Debian's podman 4.3, containers/image 5.23) as an oracle: `podman pull --platform` as
 * root with vfs storage of its own under a temp dir (CONTAINERS_STORAGE_CONF, and a
 * containers.conf that keeps its events and temp files there too), so it never touches the
 * system's images. Each host gets a storage of its own: pulls for different hosts can run at
 * once without one moving the tag another is about to inspect. Needs root and the podman
 * package (scripts/install-system-deps.sh installs it).
 */
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {RunResult} from './docker-engine.js'

export interface Podman {
  /** `podman ARGS…` against the private storage named `storage` (created on first use). */
  run(storage: string, args: string[]): Promise<RunResult>
  /** Removes every storage and the temp dir. */
  stop(): Promise<void>
}

export function startPodman(): Podman {
  if (process.getuid?.() !== 0) throw new Error('the podman oracle uses root storage of its own: run it as root')
  if (!existsSync('/usr/bin/podman')) throw new Error('podman is missing: apt-get install -y podman')
  const base = mkdtempSync('/tmp/acpm-')
  const envs = new Map<string, NodeJS.ProcessEnv>()
  const envFor = (storage: string): NodeJS.ProcessEnv => {
    let env = envs.get(storage)
    if (!env) {
      const dir = join(base, `s${envs.size}`)
      for (const sub of ['run', 'graph', 'tmp']) mkdirSync(join(dir, sub), {recursive: true})
      writeFileSync(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\nrunroot = "${dir}/run"\ngraphroot = "${dir}/graph"\n`)
      const engine = `[engine]\nevents_logger = "file"\nevents_logfile_path = "${dir}/events.log"\ntmp_dir = "${dir}/tmp"\n`
      writeFileSync(join(dir, 'containers.conf'), engine)
      env = {
        ...process.env,
        CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
        CONTAINERS_CONF: join(dir, 'containers.conf'),
        TMPDIR: join(dir, 'tmp'),
      }
      envs.set(storage, env)
    }
    return env
  }
  return {
    run: (storage, args) =>
      new Promise((resolve) => {
        execFile('podman', args, {env: envFor(storage), timeout: 120_000, maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
          const code = error ? (typeof (error as {code?: unknown}).code === 'number' ? (error as {code: number}).code : 1) : 0
          resolve({code, stdout: stdout.toString(), stderr: stderr.toString()})
        })
      }),
    stop: async () => rmSync(base, {recursive: true, force: true, maxRetries: 3}),
  }
}
