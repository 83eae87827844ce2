/**
 * audit's inputs as a user gives them to the built CLI: options checked once, with resolve's words,
 * before any request; workload and node files read through one bounded reader, a YAML budget and
 * an item-by-item JSON reader, so hostile files end as documented (exit 2, one line) within 5 s and
 * 300 MB, and signals act.
 */
import {execFile, spawn} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {readInput} from '../../src/engine/audit/input.js'
import {UsageError} from '../../src/oci/errors.js'
import {CLI_PATH, PROJECT_ROOT, cliEnv, runCli} from '../helpers/cli.js'
import {kubectlNodes, kubectlPods, type ClusterSpec} from '../helpers/kubectl-cluster.js'
import {pushScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

const DEMO = 'oci-layout:fixtures/demo'
/** Nothing listens there: a request would end as exit 3, so exit 2 means none was made. */
const UNREACHABLE = '127.0.0.1:9/app:1'
/** CPU a refusal may spend: what the reader does, whatever else the machine runs. */
const LIMIT_SECONDS = 5
/** Wall time a refusal may take on a loaded CI machine: far below the minutes of a runaway parse. */
const LIMIT_WALL_SECONDS = 30
const LIMIT_RSS_KB = 300 * 1024

interface Measured {
  code: number | null
  stdout: string
  signal: NodeJS.Signals | null
  stderr: string
  elapsedMs: number
  /** User + system CPU of the command (GNU time). */
  cpuMs: number
  maxRssKb: number
}

/** Runs the CLI under GNU time for its peak RSS and CPU; `shell` lets a test pipe or redirect its input. */
function measure(args: string[], options: {shell?: string; signalAfterMs?: {signal: NodeJS.Signals; ms: number}} = {}): Promise<Measured> {
  const command = options.shell ?? `exec "$NODE" "$CLI" ${args.map((arg) => `'${arg}'`).join(' ')}`
  const child = spawn('/usr/bin/time', ['-f', 'MAXRSS %M\nCPU %U %S', 'sh', '-c', command], {
    cwd: PROJECT_ROOT,
    env: cliEnv({NODE: process.execPath, CLI: CLI_PATH}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const started = performance.now()
  let signalledAt = 0
  if (options.signalAfterMs) {
    const {signal, ms} = options.signalAfterMs
    setTimeout(() => {
      signalledAt = performance.now()
      // The CLI is the grandchild (time → sh → node): signal it by its command line's process group.
      execFile('pkill', [`-${signal.replace('SIG', '')}`, '-P', String(child.pid), '-f', CLI_PATH])
    }, ms)
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(killer)
      const rss = /MAXRSS (\d+)/.exec(stderr)
      const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(stderr)
      resolve({
        code: /Command terminated by signal|Command exited with non-zero status (\d+)/.test(stderr)
          ? Number(/non-zero status (\d+)/.exec(stderr)?.[1] ?? -1)
          : code,
        signal,
        stdout,
        stderr: stderr.replace(/^(Command exited with non-zero status \d+|MAXRSS \d+|CPU [\d.]+ [\d.]+)\n/gm, ''),
        elapsedMs: performance.now() - (signalledAt || started),
        cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN,
        maxRssKb: rss ? Number(rss[1]) : Number.NaN,
      })
    })
  })
}

function expectBoundedRefusal(result: Measured, pattern: RegExp): void {
  expect(result.stderr).toMatch(/^archcheck: [^\n]+\n$/)
  expect(result.stderr).toMatch(pattern)
  expect(result.code).toBe(2)
  expect(result.cpuMs).toBeLessThan(LIMIT_SECONDS * 1000)
  expect(result.elapsedMs).toBeLessThan(LIMIT_WALL_SECONDS * 1000)
  expect(result.maxRssKb).toBeLessThan(LIMIT_RSS_KB)
}

function mergeBomb(depth: number, indent: string): string {
  const lines = [`${indent}b0: &b0 {foo: 1}`]
  for (let level = 1; level <= depth; level++) {
    lines.push(`${indent}b${level}: &b${level} {<<: [${Array.from({length: 9}, () => `*b${level - 1}`).join(', ')}]}`)
  }
  return `${lines.join('\n')}\n`
}

describe('audit options, checked as resolve checks them', () => {
  it('refuses a mistyped host or required platform with the did-you-mean resolve prints, before any request', async () => {
    const resolve = await runCli(['resolve', DEMO, '--host', 'linux/arm46'])
    const audit = await runCli(['audit', UNREACHABLE, '--host', 'linux/arm46'])
    expect(resolve.code).toBe(2)
    expect(audit.code).toBe(2)
    expect(audit.stdout).toBe('')
    expect(audit.stderr).toBe(resolve.stderr.replace('archcheck resolve --help', 'archcheck audit --help'))
    expect(audit.stderr).toMatch(/^archcheck: --host: platform "linux\/arm46": unknown architecture "arm46" \(did you mean arm64\?\)/)
    const os = await runCli(['audit', UNREACHABLE, '--host', 'linx/arm64'])
    expect(os.stderr).toMatch(/unknown OS "linx" \(did you mean linux\?\)/)
    const required = await runCli(['audit', UNREACHABLE, '--require', 'linux/arm46'])
    expect(required.stderr).toMatch(/^archcheck: --require: platform "linux\/arm46": .*--allow-unknown-platform accepts it as written/)
  })

  it('accepts an exotic platform with --allow-unknown-platform, and repeated --client values', async () => {
    const exotic = await runCli(['audit', DEMO, '--host', 'linux/arm46', '--allow-unknown-platform', '--json'])
    expect(JSON.parse(exotic.stdout).hosts.map((host: {host: string}) => host.host)).toEqual(['linux/arm46'])
    const result = await runCli(['audit', DEMO, '--client', 'docker', '--client', 'containerd,kubernetes', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).clients).toEqual(['docker', 'containerd'])
    expect(result.stderr).toBe("archcheck: note: kubernetes = containerd's rules\n")
  })

  it('refuses tag selection when no repository is named without a tag (a file never names one)', async () => {
    const dir = await tempDir('audit-inputs')
    await writeFile(join(dir, 'images.txt'), 'ghcr.io/owner/app\n')
    const result = await runCli(['audit', '--from', join(dir, 'images.txt'), '--latest', '3'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^archcheck: --latest selects tags of a repository named without a tag among IMAGE…, and none is/)
  })

  it('rejects a wrong argument from the library with a UsageError in a library caller’s words', async () => {
    const code = `import {audit, errorExitCode, UsageError} from 'archcheck'
try { await audit({images: 'x'}) } catch (error) { console.log(error instanceof UsageError, error.kind, errorExitCode(error), error.message) }`
    const {stdout} = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], {cwd: PROJECT_ROOT, env: cliEnv()})
    expect(stdout).toBe('true usage 2 images (the first argument): expected an array of image references, found an object\n')
  })
})

describe('audit input bounds', () => {
  it('gives up on a FIFO nobody writes to after the idle time, and bounds one that never ends', async () => {
    const dir = await tempDir('input-fifo')
    const fifo = join(dir, 'fifo')
    // mkfifo is a system tool: this reader test lives with the integration tests.
    await promisify(execFile)('mkfifo', [fifo])
    const started = Date.now()
    await expect(readInput(fifo, {idleTimeoutMs: 300})).rejects.toThrow(new UsageError(`${fifo}: no data for 0.3 s`))
    expect(Date.now() - started).toBeLessThan(5000)
    const writer = spawn('sh', ['-c', `yes '{' > '${fifo}'`], {stdio: 'ignore'})
    try {
      await expect(readInput(fifo, {maxBytes: 1 << 20})).rejects.toThrow(/input is larger than 1048576 bytes/)
    } finally {
      writer.kill()
    }
    await writeFile(join(dir, 'ok.txt'), 'nginx\n')
    expect((await readInput(join(dir, 'ok.txt'))).text).toBe('nginx\n')
  })
  it('refuses exponential merge keys in a Compose file and in a node file at once', async () => {
    const dir = await tempDir('audit-inputs')
    await writeFile(join(dir, 'compose.yaml'), `services:\n${mergeBomb(11, '  ')}`)
    await writeFile(join(dir, 'nodes.yaml'), `apiVersion: v1\nkind: List\nitems: []\nx:\n${mergeBomb(11, '  ')}`)
    expectBoundedRefusal(
      await measure(['audit', '--from', join(dir, 'compose.yaml')]),
      /compose\.yaml:\d+: aliases and merge keys expand to more than 100000 nodes/,
    )
    expectBoundedRefusal(
      await measure(['audit', DEMO, '--hosts-from', join(dir, 'nodes.yaml')]),
      /nodes\.yaml:\d+: aliases and merge keys expand/,
    )
  })

  it('stops reading a device, an endless pipe and an endless stdin at the limit', async () => {
    expectBoundedRefusal(await measure(['audit', '--from', '/dev/zero']), /^archcheck: \/dev\/zero: input is larger than 67108864 bytes/)
    expectBoundedRefusal(
      await measure([], {shell: `yes '{' | exec "$NODE" "$CLI" audit ${DEMO} --hosts-from /dev/stdin`}),
      /input is larger than 67108864 bytes/,
    )
    expectBoundedRefusal(
      await measure([], {shell: `yes 'a:1' | exec "$NODE" "$CLI" audit --from -`}),
      /^archcheck: <stdin>: input is larger/,
    )
  })

  it('refuses YAML over the budget before it exhausts the heap: one huge flow sequence, many documents', async () => {
    const dir = await tempDir('audit-inputs')
    await writeFile(join(dir, 'flow.yaml'), `x: [${'1,'.repeat(31_000_000)}1]\n`)
    await writeFile(join(dir, 'docs.yaml'), 'a\n---\n'.repeat(10_000_000))
    expectBoundedRefusal(await measure(['audit', '--from', join(dir, 'flow.yaml')]), /flow\.yaml:1: more than 750000 YAML tokens/)
    expectBoundedRefusal(await measure(['audit', '--from', join(dir, 'docs.yaml')]), /docs\.yaml:20000: more than 10000 YAML documents/)
  })

  it('reads JSON without the YAML budget, but refuses hostile JSON within the same bounds', async () => {
    const dir = await tempDir('audit-inputs')
    const items = (item: string, count: number) => `{"kind": "List", "items": [\n${`${item},\n`.repeat(count)}${item}]}`
    await writeFile(join(dir, 'array.json'), `[${'1,'.repeat(31_000_000)}1]\n`)
    await writeFile(join(dir, 'deep.json'), items(`${'['.repeat(30_000_000)}${']'.repeat(30_000_000)}`, 0))
    await writeFile(join(dir, 'big-item.json'), items(`{"kind": "Pod", "x": "${'x'.repeat(60_000_000)}"}`, 0))
    await writeFile(join(dir, 'many.json'), items('{"kind": "Service"}', 2_900_000))
    const containers = Array.from({length: 60_000}, () => '{"image": "a"}').join(',\n')
    const pods = items(`{"kind": "Pod", "spec": {"containers": [\n${containers}]}}`, 1)
    await writeFile(join(dir, 'references.json'), pods)
    await writeFile(join(dir, 'broken.json'), `${items('{"kind": "Pod"}', 2)}\n]`)
    const refuse = async (file: string, pattern: RegExp) =>
      expectBoundedRefusal(await measure(['audit', '--from', join(dir, file)]), pattern)
    await refuse('array.json', /array\.json:1: expected a Kubernetes object \(a mapping with kind\), found a list/)
    await refuse('deep.json', /deep\.json:2: not valid JSON: nesting deeper than 100 levels/)
    await refuse('big-item.json', /big-item\.json:2: an item of 60000024 characters is larger than 4194304, the most one item may hold/)
    await refuse('many.json', /many\.json:100002: more than 100000 items/)
    await refuse('references.json', /references\.json:\d+: more than 100000 image references/)
    await refuse('broken.json', /broken\.json:5: not valid JSON: unexpected text after the JSON value/)
  })

  it('audits a 6,000-pod cluster of 500 nodes as kubectl prints it in JSON, in seconds and bounded memory', async () => {
    const dir = await tempDir('audit-inputs')
    const [multi, amd64Only] = await Promise.all([
      pushScenario('big-cluster-multi', {
        repository: 'big-cluster/multi',
        tag: '1.0',
        index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
      }),
      pushScenario('big-cluster-amd64', {repository: 'big-cluster/amd64-only', tag: '1.0', index: {entries: [{platform: 'linux/amd64'}]}}),
    ])
    // Every other pod runs the amd64-only image and is pinned to amd64 nodes by affinity: all pass.
    const cluster: ClusterSpec = {
      pods: 6000,
      nodes: 500,
      images: [multi.reference, amd64Only.reference],
      archOf: (pod: number) => (pod % 2 === 1 ? 'amd64' : undefined),
    }
    const pods = kubectlPods(cluster)
    expect(pods.length).toBeGreaterThan(40_000_000)
    await writeFile(join(dir, 'pods.json'), pods)
    await writeFile(join(dir, 'nodes.json'), kubectlNodes(cluster))
    const result = await measure(['audit', '--from', join(dir, 'pods.json'), '--hosts-from', join(dir, 'nodes.json'), '--no-cache'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/6000 workloads × 2 node groups/)
    // About 3 s of CPU and 265 MB on a shared 2-core machine (a 54 MB pods file); wall time allows for load.
    expect(result.cpuMs).toBeLessThan(10_000)
    expect(result.elapsedMs).toBeLessThan(45_000)
    expect(result.maxRssKb).toBeLessThan(LIMIT_RSS_KB)
  }, 120_000)

  it('gives up a FIFO nobody writes to after --timeout, and obeys SIGINT and SIGTERM while waiting', async () => {
    const dir = await tempDir('audit-inputs')
    const fifo = join(dir, 'fifo')
    await promisify(execFile)('mkfifo', [fifo])
    expectBoundedRefusal(await measure(['audit', '--from', fifo, '--timeout', '1']), /fifo: no data for 1 s/)
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const result = await measure(['audit', '--from', fifo], {signalAfterMs: {signal, ms: 1500}})
      expect(result.code).toBe(code)
      // Milliseconds when the machine is idle; the bound allows for a loaded CI machine.
      expect(result.elapsedMs).toBeLessThan(3000)
    }
  })
})
