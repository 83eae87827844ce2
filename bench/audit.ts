/**
 * `archcheck audit` over many tags through a slow link, against what users do without it: a shell
 * loop of `skopeo inspect --raw` per tag (which reads only the index) and a loop of `archcheck
 * inspect --json` per tag.
 *
 *   npx tsx bench/audit.ts [--tags 200] [--platforms 4] [--images 20] [--latency 20] [--runs 3] [--only audit-cold,audit-warm,skopeo-loop,head-floor,inspect-loop] [--baseline DIR] [--concurrency N]
 *
 * Starts its own docker-registry on 127.0.0.1, pushes `--images` distinct indexes of `--platforms`
 * platforms each and puts their top manifests under `--tags` version tags (round robin), behind the
 * counting proxy with `--latency` ms added to every request. Contenders, interleaved run by run:
 * - audit-cold: `archcheck audit REPO --host …` (every platform a host) with an empty --cache-dir;
 * - audit-warm: the same with the cache the cold run of that round left (one HEAD per tag);
 * - skopeo-loop: `sh -c 'for t in …; do skopeo inspect --raw docker://REPO:$t; done'`;
 * - inspect-loop: `sh -c 'for t in …; do node bin/run.js inspect REPO:$t --json; done'`;
 * - head-floor: HEAD_FLOOR, the warm audit's requests (tag list, then every tag's and
 *   child's HEAD at once over the audit's 32 connections) from node with undici alone: the floor of
 *   any node program making them.
 * --baseline DIR adds audit-cold-baseline and audit-warm-baseline, the same from DIR/bin/run.js (an
 * older build, see bench/README.md), with a cache of their own, run next to the others.
 * --concurrency N is passed to every audit (its default otherwise).
 * Prints median wall time, ratio to the skopeo loop, CPU time, peak RSS (GNU time: the largest
 * process of a loop), the requests each sent and the TCP connections it opened (at most the
 * client's pool size for an audit). Build first (`npm run build`). Not part of the
 * test suite; on a shared 2-core machine use a reduced run (`--tags 40 --runs 1`).
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {MANIFEST_ACCEPT} from '../src/oci/media-types.js'
import {startCountingProxy, type CountingProxy} from '../test/helpers/counting-proxy.js'
import {CLI_PATH, cliEnv, PROJECT_ROOT} from '../test/helpers/cli.js'
import {TestRegistryClient} from '../test/helpers/registry.js'
import {startRegistryServer} from '../test/helpers/registry-server.js'
import {pushScenario} from '../test/helpers/scenarios.js'
import {emptyDockerConfig, figure, machineLine, median, runMeasured, table} from './lib/measure.js'

const PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/ppc64le',
  'linux/s390x',
  'linux/386',
  'linux/riscv64',
  'linux/arm/v6',
]

interface Contender {
  name: string
  what: string
  command(tags: string[]): [string, string[]]
  available(): boolean
  /** Before each of its runs. */
  prepare?(): void
}

function onPath(binary: string): boolean {
  try {
    execFileSync('which', [binary], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/**
 * The floor of a warm audit for any node program: node's start, undici's Agent and request API
 * alone (what archcheck's transport loads), and the requests a warm audit makes (the tag list,
 * then a HEAD per tag and per child manifest), all sent at once over CONNECTIONS connections. No
 * parsing, cache, verdicts or output: what is left of a warm audit's time and CPU when everything
 * archcheck does with the answers is taken away. Prints the wall and CPU time of the requests
 * alone (from the first request to the last answer). Arguments: ORIGIN REPOSITORY CONNECTIONS REFERENCE...
 */
const HEAD_FLOOR = `
import {createRequire} from 'node:module'
const require = createRequire(${JSON.stringify(join(PROJECT_ROOT, 'package.json'))})
const Agent = require('undici/lib/dispatcher/agent.js')
const request = require('undici/lib/api/api-request.js')
const [origin, repository, connections, ...references] = process.argv.slice(1)
const agent = new Agent({connections: Number(connections)})
const send = async (method, path) => {
  const response = await request.call(agent, {origin, path: '/v2/' + repository + '/' + path, method, reset: false, headers: {accept: ${JSON.stringify(MANIFEST_ACCEPT)}}})
  await response.body.dump()
  if (response.statusCode !== 200) throw new Error(method + ' ' + path + ': ' + response.statusCode)
}
const started = performance.now()
const cpu = process.cpuUsage()
await send('GET', 'tags/list')
await Promise.all(references.map((reference) => send('HEAD', 'manifests/' + reference)))
const used = process.cpuUsage(cpu)
console.log(JSON.stringify({ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000}))
await agent.close()
`

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      tags: {type: 'string', default: '200'},
      platforms: {type: 'string', default: '4'},
      images: {type: 'string', default: '20'},
      latency: {type: 'string', default: '20'},
      runs: {type: 'string', default: '3'},
      only: {type: 'string'},
      baseline: {type: 'string'},
      concurrency: {type: 'string'},
    },
  })
  const tagCount = Number(values.tags)
  const platforms = PLATFORMS.slice(0, Number(values.platforms))
  const imageCount = Math.min(Number(values.images), tagCount)
  const runs = Number(values.runs)
  const only = values.only?.split(',')
  const env = cliEnv({DOCKER_CONFIG: emptyDockerConfig()})
  const server = await startRegistryServer()
  let proxy: CountingProxy | undefined
  const dirs: string[] = []
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'archcheck-bench-audit-'))
    dirs.push(dir)
    return dir
  }
  try {
    const repository = 'bench/audit'
    const client = new TestRegistryClient(server.host)
    const tops = []
    const children: string[] = []
    for (let i = 0; i < imageCount; i++) {
      const pushed = await pushScenario(
        `bench-audit-${i}`,
        {
          repository,
          tag: `build-${i}`,
          index: {entries: platforms.map((platform) => ({platform, config: {env: [`BUILD=${i}`]}}))},
        },
        {host: server.host},
      )
      tops.push(pushed.bundle.top)
      for (const image of pushed.images) children.push(image.digest)
    }
    const tags = Array.from({length: tagCount}, (_, i) => `${1 + Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`)
    for (const [i, tag] of tags.entries()) await client.pushManifest(repository, tag, tops[i % tops.length])
    proxy = await startCountingProxy(server.host, {latencyMs: Number(values.latency)})
    const repo = `${proxy.host}/${repository}`
    const hosts = platforms.join(',')
    // Past the default of 2,000 images a repository, every tag is still audited.
    const auditFlags = [
      ...(values.concurrency ? ['--concurrency', values.concurrency] : []),
      '--max-images',
      String(Math.max(2000, tagCount)),
    ]
    /** A cold run (fresh cache) and a warm run (the cache that cold run left) of the CLI at `cli`. */
    const auditPair = (cli: string, suffix: string, from: string): Contender[] => {
      let warmCache = newDir()
      const command = (): [string, string[]] => [
        process.execPath,
        [cli, 'audit', repo, '--host', hosts, '--cache-dir', warmCache, '--json', ...auditFlags],
      ]
      return [
        {
          name: `audit-cold${suffix}`,
          what: `archcheck audit REPO --host ${hosts}, empty cache${from}`,
          prepare: () => {
            warmCache = newDir()
          },
          command,
          available: () => true,
        },
        {name: `audit-warm${suffix}`, what: `the same again, cache filled by the cold run${from}`, command, available: () => true},
      ]
    }
    const baselineCli = values.baseline ? join(resolve(values.baseline), 'bin', 'run.js') : undefined

    const all: Contender[] = [
      ...(baselineCli ? auditPair(baselineCli, '-baseline', `, from ${baselineCli}`) : []),
      ...auditPair(CLI_PATH, '', ''),
      {
        name: 'skopeo-loop',
        what: 'for each tag: skopeo inspect --raw (the index only)',
        command: (list) => [
          'sh',
          ['-c', `for t in ${list.join(' ')}; do skopeo inspect --raw --tls-verify=false docker://${repo}:$t >/dev/null || exit 1; done`],
        ],
        available: () => onPath('skopeo'),
      },
      {
        name: 'head-floor',
        what: 'node + undici alone: the tag list, then HEADs of every tag and child at once over 32 connections',
        command: (list) => [
          process.execPath,
          ['--input-type=module', '-e', HEAD_FLOOR, `http://${proxy!.host}`, repository, '32', ...list, ...children],
        ],
        available: () => true,
      },
      {
        name: 'inspect-loop',
        what: 'for each tag: archcheck inspect --json',
        command: (list) => [
          'sh',
          [
            '-c',
            `for t in ${list.join(' ')}; do ${shellQuote(process.execPath)} ${shellQuote(CLI_PATH)} inspect ${repo}:$t --json >/dev/null || exit 1; done`,
          ],
        ],
        available: () => true,
      },
    ]
    const contenders = all.filter((c) => (!only || only.includes(c.name.replace(/-baseline$/, ''))) && c.available())

    console.log(`audit bench: ${machineLine()}`)
    console.log(
      `${tagCount} tags × ${platforms.length} platforms (${imageCount} distinct indexes), ${values.latency} ms added per request, ${runs} run(s), medians`,
    )
    for (const c of contenders) console.log(`  ${c.name.padEnd(19)} ${c.what}`)
    const samples = new Map(
      contenders.map((c) => [
        c.name,
        {ms: [] as number[], cpu: [] as number[], rss: [] as number[], requests: [] as number[], connections: [] as number[], byKind: ''},
      ]),
    )
    /** head-floor's requests alone, without node's start and undici's load. */
    const requestsAlone: Array<{ms: number; cpuMs: number}> = []
    for (let run = 0; run < runs; run++) {
      for (const contender of contenders) {
        contender.prepare?.()
        const [command, args] = contender.command(tags)
        proxy.reset()
        const result = await runMeasured(command, args, {env, cwd: PROJECT_ROOT})
        if (result.code !== 0)
          throw new Error(`${contender.name} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`)
        const sample = samples.get(contender.name)!
        sample.ms.push(result.ms)
        sample.cpu.push(result.cpuMs)
        sample.rss.push(result.rssKb)
        sample.requests.push(proxy.requests.length)
        sample.connections.push(proxy.connections)
        sample.byKind = Object.entries(proxy.summary()).length > 0 ? describe(proxy) : ''
        if (contender.name === 'head-floor') requestsAlone.push(JSON.parse(result.stdout) as {ms: number; cpuMs: number})
      }
    }
    const skopeo = samples.get('skopeo-loop')
    const base = skopeo ? median(skopeo.ms) : undefined
    console.log(
      table(
        ['contender', 'median ms', 'vs skopeo loop', 'CPU ms', 'peak RSS MB', 'requests', 'connections', 'by kind'],
        contenders.map((c) => {
          const s = samples.get(c.name)!
          const ms = median(s.ms)
          return [
            c.name,
            ms.toFixed(0),
            base ? `${(ms / base).toFixed(3)}x` : '-',
            figure(median(s.cpu)),
            figure(median(s.rss) / 1024),
            String(median(s.requests)),
            String(median(s.connections)),
            s.byKind,
          ]
        }),
      ),
    )
    if (requestsAlone.length > 0) {
      const ms = median(requestsAlone.map((phase) => phase.ms))
      console.log(
        `head-floor, the requests alone (first request to last answer, without node's start and undici's load): ${ms.toFixed(0)} ms${base ? ` (${(ms / base).toFixed(3)}x the skopeo loop)` : ''}, CPU ${median(requestsAlone.map((phase) => phase.cpuMs)).toFixed(0)} ms`,
      )
    }
  } finally {
    await proxy?.close()
    await server.stop()
    for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
  }
}

/** `200 HEAD manifest, 1 tags, …` for the last run. */
function describe(proxy: CountingProxy): string {
  const counts = new Map<string, number>()
  for (const request of proxy.requests) {
    const key = `${request.method === 'GET' ? '' : `${request.method} `}${request.kind}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, n]) => `${n} ${key}`).join(', ')
}

await main()
