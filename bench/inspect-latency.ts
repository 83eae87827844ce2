/**
 * Latency of reading a multi-platform tag through a slow link: `archcheck inspect --json` against
 * skopeo and the docker CLI on the same images, behind a proxy that adds a delay to every request.
 *
 *   npx tsx bench/inspect-latency.ts [--runs 5] [--latency 0,20,50] [--only archcheck,skopeo-raw,skopeo,docker] [--baseline DIR]
 *       [--images bench-four,bench-two-attested,bench-eight,bench-eight-attested]
 *
 * Starts its own docker-registry on 127.0.0.1, pushes four indexes (4 platforms, 2 platforms + buildx
 * attestations, 8 platforms, 8 platforms + attestations) and puts the counting proxy in front of
 * it. For each latency and image, each tool runs --runs times in a fresh process (tools
 * interleaved, so changes in the machine's load hit all alike); the table shows median wall time,
 * CPU time (user + system) and peak RSS, the requests sent through the proxy (by kind: `tag` is
 * the manifest by tag, `manifest` by digest, `blob` a config), how many of them were made in turn
 * (each after the previous was answered: what a slow link multiplies; at 0 ms concurrent requests
 * may look sequential) and the time as a multiple of archcheck's. The peers do other work than archcheck, which reads every child manifest and
 * every config, concurrently:
 * - `skopeo inspect --raw` fetches the top manifest only (one manifest, nothing resolved);
 * - `skopeo inspect` resolves the tag to this machine's image, reads its config and lists tags;
 * - `docker manifest inspect --insecure` (docker 28 CLI, no daemon) prints the index as served but
 *   reads every child manifest and config first, one after the other.
 * --baseline DIR adds `archcheck-baseline`, DIR/bin/run.js (an older build, see bench/startup.ts),
 * for before/after figures. `node -e 0` runs in the same rounds: node's start-up, the floor.
 * After the 4-platform table, the speed targets are printed as met or missed (printTargets).
 * Build first (`npm run build`). Not part of the test suite.
 */
import {execFileSync} from 'node:child_process'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {sequentialRounds, startCountingProxy, type CountingProxy, type ProxiedRequest} from '../test/helpers/counting-proxy.js'
import {CLI_PATH, cliEnv, PROJECT_ROOT} from '../test/helpers/cli.js'
import {startRegistryServer} from '../test/helpers/registry-server.js'
import {pushScenario, type ScenarioSpec} from '../test/helpers/scenarios.js'
import {emptyDockerConfig, figure, machineLine, median, runMeasured, table} from './lib/measure.js'

const EIGHT_PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
]

const IMAGES: Array<{name: string; label: string; spec: ScenarioSpec}> = [
  // The targets are judged on this case.
  {
    name: 'bench-four',
    label: '4 platforms',
    spec: {index: {entries: ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/s390x'].map((platform) => ({platform}))}},
  },
  {
    name: 'bench-two-attested',
    label: '2 platforms + 2 attestations',
    spec: {
      index: {
        entries: [
          {platform: 'linux/amd64', attestation: true},
          {platform: 'linux/arm64', attestation: true},
        ],
      },
    },
  },
  {name: 'bench-eight', label: '8 platforms', spec: {index: {entries: EIGHT_PLATFORMS.map((platform) => ({platform}))}}},
  {
    name: 'bench-eight-attested',
    label: '8 platforms + 8 attestations',
    spec: {index: {entries: EIGHT_PLATFORMS.map((platform) => ({platform, attestation: true}))}},
  },
]

interface Tool {
  name: string
  what: string
  command: (reference: string) => [string, string[]]
  available: () => boolean
}

const onPath = (binary: string) => (): boolean => {
  try {
    execFileSync('which', [binary], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const TOOLS: Tool[] = [
  {
    name: 'node -e 0',
    what: "node's own start-up: the floor of any node CLI (no request)",
    command: () => [process.execPath, ['-e', '0']],
    available: () => true,
  },
  {
    name: 'archcheck',
    what: 'inspect --json: every child manifest and config',
    command: (ref) => [process.execPath, [CLI_PATH, 'inspect', ref, '--json']],
    available: () => true,
  },
  {
    name: 'skopeo-raw',
    what: 'skopeo inspect --raw: the top manifest only',
    command: (ref) => ['skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]],
    available: onPath('skopeo'),
  },
  {
    name: 'skopeo',
    what: "skopeo inspect: this host's image, its config and the tag list",
    command: (ref) => ['skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`]],
    available: onPath('skopeo'),
  },
  {
    name: 'docker',
    what: 'docker manifest inspect --insecure: the index as served (reads every child and config, in turn)',
    command: (ref) => ['docker', ['manifest', 'inspect', '--insecure', ref]],
    available: onPath('docker'),
  },
]

interface Figures {
  ms: number
  /** Requests made one after the other (see sequentialRounds): what each ms of latency multiplies. */
  rounds: number
  cpuMs: number
  rssKb: number
  requests: string
  total: number
}

/** `3 (1 manifest-tag, 1 ping, …)` from one run's requests. */
function describeRequests(requests: readonly ProxiedRequest[]): string {
  const counts = new Map<string, number>()
  for (const request of requests) {
    const kind = request.kind === 'manifest' ? (request.reference?.includes(':') ? 'manifest' : 'tag') : request.kind
    const key = `${request.method === 'GET' ? '' : `${request.method} `}${kind}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, n]) => `${n} ${key}`).join(', ')
}

/** Runs every tool `runs` times, interleaved (tool after tool, run after run) so load changes hit all alike. */
async function measureTools(
  tools: Tool[],
  reference: string,
  proxy: CountingProxy,
  runs: number,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, Figures>> {
  const samples = new Map(
    tools.map((tool) => [
      tool.name,
      {
        times: [] as number[],
        rounds: [] as number[],
        cpu: [] as number[],
        rss: [] as number[],
        requests: new Set<string>(),
        totals: [] as number[],
      },
    ]),
  )
  for (let run = 0; run < runs; run++) {
    for (const tool of tools) {
      const [command, args] = tool.command(reference)
      const sample = samples.get(tool.name)!
      proxy.reset()
      const result = await runMeasured(command, args, {env, cwd: PROJECT_ROOT})
      if (result.code !== 0)
        throw new Error(`${tool.name} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`)
      sample.times.push(result.ms)
      sample.cpu.push(result.cpuMs)
      sample.rounds.push(sequentialRounds(proxy.requests))
      sample.rss.push(result.rssKb)
      sample.requests.add(describeRequests(proxy.requests))
      sample.totals.push(proxy.requests.length)
    }
  }
  return new Map(
    [...samples].map(([name, s]) => [
      name,
      {
        ms: median(s.times),
        rounds: median(s.rounds),
        cpuMs: median(s.cpu),
        rssKb: median(s.rss),
        requests: [...s.requests].join(' or '),
        total: median(s.totals),
      },
    ]),
  )
}

/**
 * The targets for `inspect --json` of the 4-platform index, from this run's medians: at 0 ms,
 * within 120 ms of `node -e 0`; at 20 ms, at most 0.5x `docker manifest inspect` and 1.5x
 * `skopeo inspect --raw`; at every latency, peak RSS at most 80 MB.
 */
function printTargets(latency: number, figures: Map<string, Figures>): void {
  const archcheck = figures.get('archcheck')
  if (!archcheck) return
  const rows: string[][] = []
  const check = (what: string, measured: string, target: string, met: boolean): void => {
    rows.push([what, measured, target, met ? 'met' : 'MISSED'])
  }
  const floor = figures.get('node -e 0')
  if (latency === 0 && floor) {
    check('archcheck over node -e 0', `${(archcheck.ms - floor.ms).toFixed(0)} ms`, '<= 120 ms', archcheck.ms - floor.ms <= 120)
  }
  const docker = figures.get('docker')
  const skopeo = figures.get('skopeo-raw')
  if (latency === 20 && docker)
    check('archcheck / docker manifest inspect', `${(archcheck.ms / docker.ms).toFixed(2)}x`, '<= 0.5x', archcheck.ms / docker.ms <= 0.5)
  if (latency === 20 && skopeo)
    check('archcheck / skopeo inspect --raw', `${(archcheck.ms / skopeo.ms).toFixed(2)}x`, '<= 1.5x', archcheck.ms / skopeo.ms <= 1.5)
  if (Number.isFinite(archcheck.rssKb))
    check('archcheck peak RSS', `${(archcheck.rssKb / 1024).toFixed(0)} MB`, '<= 80 MB', archcheck.rssKb / 1024 <= 80)
  console.log(`targets at ${latency} ms:\n${table(['target', 'measured', 'limit', ''], rows)}`)
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      runs: {type: 'string', default: '5'},
      latency: {type: 'string', default: '0,20,50'},
      only: {type: 'string'},
      baseline: {type: 'string'},
      images: {type: 'string'},
    },
  })
  const images = values.images ? IMAGES.filter((image) => values.images!.split(',').includes(image.name)) : IMAGES
  if (values.baseline) {
    const cli = join(resolve(values.baseline), 'bin', 'run.js')
    TOOLS.splice(1, 0, {
      name: 'archcheck-baseline',
      what: `the same, from ${cli}`,
      command: (ref) => [process.execPath, [cli, 'inspect', ref, '--json']],
      available: () => true,
    })
  }
  const runs = Number(values.runs)
  const latencies = values.latency.split(',').map(Number)
  const only = values.only?.split(',')
  const tools = TOOLS.filter(
    (tool) => (!only || only.includes(tool.name) || tool.name === 'archcheck-baseline' || tool.name === 'node -e 0') && tool.available(),
  )
  const missing = TOOLS.filter((tool) => (!only || only.includes(tool.name)) && !tool.available()).map((tool) => tool.name)

  // Peers get an empty Docker config too: nobody's credentials, no credential helper.
  const env = cliEnv({DOCKER_CONFIG: emptyDockerConfig()})
  const server = await startRegistryServer()
  let proxy: CountingProxy | undefined
  try {
    const pushed = []
    for (const image of images) pushed.push({...image, scenario: await pushScenario(image.name, image.spec, {host: server.host})})
    proxy = await startCountingProxy(server.host)
    console.log(`inspect latency: ${machineLine()}; ${runs} runs per cell, medians; proxy latency is added to every request`)
    if (missing.length > 0) console.log(`not installed, skipped: ${missing.join(', ')}`)
    for (const tool of tools) console.log(`  ${tool.name.padEnd(18)} ${tool.what}`)
    for (const latency of latencies) {
      proxy.latencyMs = latency
      for (const image of pushed) {
        const reference = `${proxy.host}/${image.scenario.repository}:${image.scenario.tag}`
        const figures = await measureTools(tools, reference, proxy, runs, env)
        const base = figures.get('archcheck')
        console.log(
          `\n${latency} ms per request, ${image.label} (${image.scenario.fetches.manifests} manifests, ${image.scenario.fetches.configs} configs)`,
        )
        console.log(
          table(
            ['tool', 'median ms', 'vs archcheck', 'CPU ms', 'peak RSS MB', 'requests', 'in turn', 'by kind'],
            tools.map((tool) => {
              const f = figures.get(tool.name)!
              return [
                tool.name,
                f.ms.toFixed(0),
                base ? `${(f.ms / base.ms).toFixed(2)}x` : '-',
                figure(f.cpuMs),
                figure(f.rssKb / 1024),
                String(f.total),
                String(f.rounds),
                f.requests,
              ]
            }),
          ),
        )
        if (image.name === 'bench-four') printTargets(latency, figures)
      }
    }
  } finally {
    await proxy?.close()
    await server.stop()
  }
}

await main()
