/**
 * `archcheck audit` judging workloads on the nodes they can be scheduled to, against the real test
 * registry: the clusters and workloads of test/fixtures/audit/cluster, written as kubectl and
 * helm print them (REGISTRY and digests filled in per run).
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import type {AuditResult, WorkloadEntry} from '../../src/api/audit.js'
import {PROJECT_ROOT, runCli, runAuditJson} from '../helpers/cli.js'
import {testRegistryHost} from '../helpers/registry.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

const FIXTURES = join(PROJECT_ROOT, 'test/fixtures/audit/cluster')
const GKE_NODES = join(FIXTURES, 'nodes-gke.json')
const MIXED_NODES = join(FIXTURES, 'nodes-mixed.json')

let amd64Only: PushedScenario
let arm64Only: PushedScenario
let multi: PushedScenario
let single: PushedScenario
let dir: string

beforeAll(async () => {
  const tagged = (repository: string) => ({repository: `cluster/${repository}`, tag: '1.0'})
  ;[amd64Only, arm64Only, multi, single] = await Promise.all([
    pushScenario('cluster-amd64-only', {...tagged('amd64-only'), index: {entries: [{platform: 'linux/amd64'}]}}),
    pushScenario('cluster-arm64-only', {...tagged('arm64-only'), index: {entries: [{platform: 'linux/arm64'}]}}),
    pushScenario('cluster-multi', {...tagged('multi'), index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}}),
    pushScenario('cluster-single-amd64', {
      ...tagged('single-amd64'),
      image: {platform: 'linux/amd64', config: {entrypoint: ['/usr/bin/hello']}},
    }),
  ])
  // The mirror holds what `docker.io/library/archcheck-mirrored:1.0` would be.
  await pushScenario('cluster-mirrored', {
    repository: 'mirror/library/archcheck-mirrored',
    tag: '1.0',
    index: {entries: [{platform: 'linux/amd64'}]},
  })
  dir = await tempDir('audit-cluster')
}, 120_000)

/** A fixture with the registry and the pushed digests filled in. */
function fixture(name: string): string {
  const text = readFileSync(join(FIXTURES, name), 'utf8')
    .replaceAll('REGISTRY', testRegistryHost())
    .replaceAll('ARM64_DIGEST', arm64Only.root.digest)
    .replaceAll('SINGLE_DIGEST', single.root.digest)
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

const auditJson = (args: string[], env?: Record<string, string | undefined>) => runAuditJson([...args, '--no-cache'], {env})

function entry(json: AuditResult, name: string, container?: string): WorkloadEntry {
  const found = json.workloads.find((e) => `${e.namespace}/${e.kind}/${e.name}` === name && (!container || e.container === container))
  if (!found) throw new Error(`no workload ${name} ${container ?? ''} in ${json.workloads.map((e) => `${e.kind}/${e.name}`).join(', ')}`)
  return found
}

/** The entry's verdict per group label. */
function verdicts(e: WorkloadEntry): Record<string, string> {
  return Object.fromEntries(e.cells.map((cell) => [cell.group, cell.verdict]))
}

const AMD = 'linux/amd64 · containerd · 2 nodes'
const ARM = 'linux/arm64 · containerd · 3 nodes'
const WIN = 'windows(10.0.20348)/amd64 · containerd · 1 node'

describe('archcheck audit --from workloads --hosts-from nodes: the GKE cluster', () => {
  it('judges each workload only on the node groups it can be scheduled to: the false failures are gone, the true ones kept with reasons', async () => {
    const {code, json, stderr} = await auditJson(['--from', fixture('app.yaml'), '--hosts-from', GKE_NODES])
    expect(stderr).toBe('')
    expect(json.nodeGroups.map((group) => group.label)).toEqual([AMD, ARM, WIN])
    const arm = json.nodeGroups.find((group) => group.label === ARM)!
    expect(arm).toMatchObject({
      platform: 'linux/arm64',
      client: 'containerd',
      taints: ['kubernetes.io/arch=arm64:NoSchedule'],
      cordoned: false,
    })
    expect(arm.nodes).toHaveLength(3)
    expect(json.nodeGroups.find((group) => group.label === WIN)!.taints).toEqual(['os=windows:NoSchedule'])

    // amd64-only image, nodeSelector amd64: not judged on arm64 nor on (linux-selected) Windows.
    const web = entry(json, 'shop/Deployment/web')
    expect(verdicts(web)).toEqual({[AMD]: 'ok', [ARM]: 'not-scheduled', [WIN]: 'not-scheduled'})
    expect(web.passed).toBe(true)
    expect(web.cells.find((cell) => cell.group === ARM)!.reason).toBe(
      'nodeSelector kubernetes.io/arch=amd64 (the node has kubernetes.io/arch=arm64)',
    )
    expect(web).toMatchObject({role: 'container', container: 'app', image: amd64Only.reference, origin: {line: 26}})

    // arm64-pinned CronJob tolerating the arch taint: ok on arm64, not on amd64.
    expect(verdicts(entry(json, 'shop/CronJob/report'))).toEqual({[AMD]: 'not-scheduled', [ARM]: 'ok', [WIN]: 'not-scheduled'})

    // No toleration: tainted arm64 and Windows nodes are out of reach; the init container is marked.
    const cart = entry(json, 'shop/Deployment/cart', 'cart')
    expect(verdicts(cart)).toEqual({[AMD]: 'ok', [ARM]: 'not-scheduled', [WIN]: 'not-scheduled'})
    expect(cart.cells.find((cell) => cell.group === ARM)!.reason).toBe('taint kubernetes.io/arch=arm64:NoSchedule is not tolerated')
    expect(entry(json, 'shop/Deployment/cart', 'migrate')).toMatchObject({role: 'init', passed: true})

    // Required affinity (preferred terms never exclude) with an Exists toleration of the key.
    const search = entry(json, 'shop/StatefulSet/search')
    expect(verdicts(search)).toEqual({[AMD]: 'not-scheduled', [ARM]: 'ok', [WIN]: 'not-scheduled'})
    expect(search.image).toBe(multi.reference)

    // The DaemonSet tolerates everything: it does reach the Windows node, and fails there.
    const agent = entry(json, 'kube-system/DaemonSet/node-agent')
    expect(verdicts(agent)).toEqual({[AMD]: 'ok', [ARM]: 'ok', [WIN]: 'no-match'})
    expect(agent.passed).toBe(false)
    expect(agent.reason).toContain(`${WIN}: `)
    expect(agent.reason).toContain(
      'nothing keeps it off the 1 windows(10.0.20348)/amd64 node: no nodeSelector kubernetes.io/os, it tolerates os=windows:NoSchedule',
    )

    // A node pool no node has: unschedulable, not passing.
    const gpu = entry(json, 'batch/Job/gpu-batch')
    expect(gpu).toMatchObject({unschedulable: true, passed: false})
    expect(gpu.cells.every((cell) => cell.verdict === 'not-scheduled')).toBe(true)
    expect(gpu.reason).toContain('nodeSelector cloud.google.com/gke-nodepool=gpu-pool')

    expect(json.summary.workloads).toEqual({total: 7, failing: 1, unschedulable: 1})
    expect(code).toBe(1)
    // The image matrix is unchanged underneath: the amd64-only image does lack arm64.
    expect(json.rows.find((row) => row.reference === amd64Only.reference)!.cells.find((c) => c.host === 'linux/arm64')!.verdict).toBe(
      'no-match',
    )
  })

  it('prints the workload view: groups as columns, — where not scheduled, a reason under the table, the workload summary', async () => {
    const {code, stdout, stderr} = await runCli(
      ['audit', '--from', fixture('app.yaml'), '--hosts-from', GKE_NODES, '--no-cache', '--no-trunc'],
      {
        timeoutMs: 60_000,
      },
    )
    expect(stderr).toBe('')
    expect(code).toBe(1)
    expect(stdout).toContain(AMD)
    const lines = stdout.split('\n')
    const webLine = lines.find((line) => line.includes('shop/Deployment/web'))!
    expect(webLine).toMatch(/ok .*ok .*— .*—/)
    const agentLine = lines.find((line) => line.includes('kube-system/DaemonSet/node-agent'))!
    expect(agentLine).toMatch(/FAIL .*✗ no-match/)
    const why = lines.findIndex((line) => line.startsWith('kube-system/DaemonSet/node-agent agent ('))
    expect(why).toBeGreaterThan(0)
    expect(lines[why + 1]).toContain('nothing keeps it off the 1 windows(10.0.20348)/amd64 node')
    expect(lines.some((line) => line.startsWith('batch/Job/gpu-batch train ('))).toBe(true)
    expect(stdout).toMatch(/7 workloads × 3 node groups, 1 failing, 1 unschedulable/)
  })

  it('fits the workload view into 80 and 120 columns without breaking a verdict', async () => {
    for (const width of [80, 120]) {
      const {code, stdout} = await runCli(['audit', '--from', fixture('app.yaml'), '--hosts-from', GKE_NODES, '--no-cache'], {
        env: {COLUMNS: String(width)},
        timeoutMs: 60_000,
      })
      expect(code).toBe(1)
      const table = stdout.split('\n').filter((line) => /^[│┌└├]/.test(line))
      expect(table.length).toBeGreaterThan(0)
      for (const line of table) expect([...line].length, line).toBeLessThanOrEqual(width)
      expect(stdout).toContain('✗ no-match')
      expect(stdout).not.toMatch(/no-\s*│/)
    }
  })

  it('writes the Markdown view to the step summary and one ::error annotation per failing workload under GitHub Actions', async () => {
    const summary = join(dir, 'step-summary.md')
    writeFileSync(summary, '')
    const app = fixture('app.yaml')
    const {stdout, code} = await runCli(['audit', '--from', app, '--hosts-from', GKE_NODES, '--no-cache', '--format', 'markdown'], {
      timeoutMs: 60_000,
      env: {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary},
    })
    expect(code).toBe(1)
    expect(stdout).toContain(`| | Workload | Container | ${AMD} | ${ARM} | ${WIN} |`)
    expect(stdout).toMatch(/\| ✅ \| `shop\/Deployment\/web` \| app \| ✅ ok \| — \| — \|/)
    const annotations = stdout.split('\n').filter((line) => line.startsWith('::error '))
    expect(annotations).toHaveLength(2)
    const escapedFile = app.replaceAll(':', '%3A').replaceAll(',', '%2C')
    expect(annotations[0]).toMatch(
      new RegExp(`^::error file=${escapedFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},line=\\d+,title=archcheck audit%3A `),
    )
    expect(annotations.some((line) => line.includes('DaemonSet/node-agent agent'))).toBe(true)
    expect(readFileSync(summary, 'utf8')).toContain('| ❌ | `kube-system/DaemonSet/node-agent` | agent |')
  })
})

describe('archcheck audit: running pods from kubectl get pods -A -o json', () => {
  it('judges each container on its own node, compares imageID with the tag, and explains an exec format error', async () => {
    const {code, json} = await auditJson(['--from', fixture('pods.json'), '--hosts-from', GKE_NODES])
    const web = entry(json, 'shop/Pod/web-7d4b9c8f6d-x2x9k')
    expect(verdicts(web)).toEqual({[AMD]: 'ok', [ARM]: 'not-scheduled', [WIN]: 'not-scheduled'})
    expect(web.cells.find((cell) => cell.group === ARM)!.reason).toBe('runs on node gke-shop-default-pool-1a2b3c4d-0001')
    expect(web).toMatchObject({node: 'gke-shop-default-pool-1a2b3c4d-0001', runningDigestCurrent: false, passed: true})
    expect(web.imageID).toContain('@sha256:ab12')
    expect(web.reason).toBe(`runs sha256:ab12ab12ab12…, the tag now points to ${amd64Only.root.digest.slice(0, 19)}…`)

    const report = entry(json, 'shop/Pod/report-28890340-abcde')
    expect(report).toMatchObject({runningDigestCurrent: true, passed: true, reason: null})

    const legacy = entry(json, 'shop/Pod/legacy-6c9f8d7b5-q8wzt')
    expect(legacy.passed).toBe(false)
    const cell = legacy.cells.find((c) => c.group === ARM)!
    expect(cell.schedulable).toBe(true)
    expect(cell.reason).toContain('exec format error on node gke-shop-arm-pool-5e6f7a8b-0001 (linux/arm64)')
    expect(cell.reason).toContain(`the containerd client picks ${single.root.digest.slice(0, 19)}… (linux/amd64)`)
    expect(cell.reason).toContain('runtime said: exec /usr/bin/hello: exec format error')
    expect(code).toBe(1)
  })

  it('with --deep, follows the failing container to the file that cannot run on its node', async () => {
    const {json} = await auditJson(['--from', fixture('pods.json'), '--hosts-from', GKE_NODES, '--require', 'linux/amd64', '--deep'])
    const legacy = entry(json, 'shop/Pod/legacy-6c9f8d7b5-q8wzt')
    const reason = legacy.cells.find((c) => c.group === ARM)!.reason!
    expect(reason).toContain('/usr/bin/hello is an ELF 64-bit LSB x86-64 executable')
    expect(reason).toContain('which a linux/arm64 host cannot run')
    expect(legacy.reason).toContain('/usr/bin/hello is an ELF 64-bit LSB x86-64 executable')
    expect(legacy.startError).toBe('exec /usr/bin/hello: exec format error')
  })
})

describe('archcheck audit: node runtimes, cordons and an untainted Windows node', () => {
  it('groups nodes by runtime client, keeps cordoned nodes apart, and fails Linux images nothing keeps off Windows', async () => {
    const {json} = await auditJson(['--from', fixture('app.yaml'), '--hosts-from', MIXED_NODES])
    const groups = Object.fromEntries(json.nodeGroups.map((group) => [group.label, group]))
    expect(Object.keys(groups).sort()).toEqual(
      [
        'linux/amd64 · containerd · 1 node',
        'linux/amd64 · containerd · 1 node · cordoned',
        'linux/arm64 · cri-o · 1 node',
        'linux/arm64 · docker · 1 node',
        'windows(10.0.20348)/amd64 · containerd · 1 node',
      ].sort(),
    )
    expect(groups['linux/arm64 · cri-o · 1 node'].client).toBe('podman')
    expect(groups['linux/arm64 · docker · 1 node'].client).toBe('docker@20.10')
    const cordoned = 'linux/amd64 · containerd · 1 node · cordoned'
    expect(groups[cordoned]).toMatchObject({cordoned: true, nodes: ['worker-cd-2']})
    // A cordoned node takes no new pods, but daemon pods tolerate the cordon.
    const cart = entry(json, 'shop/Deployment/cart', 'cart')
    expect(cart.cells.find((cell) => cell.group === cordoned)).toMatchObject({schedulable: false, reason: 'the node is cordoned'})
    expect(entry(json, 'kube-system/DaemonSet/node-agent').cells.find((cell) => cell.group === cordoned)!.schedulable).toBe(true)
    // Nothing keeps the cart (amd64-only) off the untainted Windows node.
    const win = cart.cells.find((cell) => cell.group.startsWith('windows'))!
    expect(win).toMatchObject({schedulable: true, verdict: 'no-match'})
    expect(win.reason).toContain('nothing keeps it off the 1 windows(10.0.20348)/amd64 node: no nodeSelector kubernetes.io/os, no taint')
    // …and nothing keeps it off the arm64 nodes either: a true failure on both runtimes.
    expect(cart.cells.find((cell) => cell.group === 'linux/arm64 · cri-o · 1 node')!.verdict).toBe('no-match')
  })

  it('uses --client for every group when it is named', async () => {
    const {json} = await auditJson(['--from', fixture('app.yaml'), '--hosts-from', MIXED_NODES, '--client', 'docker'])
    expect(new Set(json.nodeGroups.map((group) => group.client))).toEqual(new Set(['docker']))
    expect(json.clients).toEqual(['docker'])
    // cri-o and docker nodes on arm64 pull alike now: one group.
    expect(json.nodeGroups.map((group) => group.label)).toContain('linux/arm64 · docker · 2 nodes')
    const all = await auditJson(['--from', fixture('app.yaml'), '--hosts-from', MIXED_NODES, '--client', 'all'])
    const arm64 = all.json.nodeGroups.filter((group) => group.platform === 'linux/arm64').map((group) => group.label)
    expect(arm64).toEqual([
      'linux/arm64 · docker · 2 nodes',
      'linux/arm64 · docker@20.10 · 2 nodes',
      'linux/arm64 · containerd · 2 nodes',
      'linux/arm64 · podman · 2 nodes',
      'linux/arm64 · exact · 2 nodes',
    ])
  })

  it('refuses a node platform --host would refuse, naming FILE:LINE', async () => {
    const nodes = JSON.parse(readFileSync(MIXED_NODES, 'utf8')) as {items: Array<{status: {nodeInfo: {architecture: string}}}>}
    for (const [architecture, message] of [
      ['amd64/v9/extra', /nodes\.json:\d+: node worker-crio-1: .*amd64\/v9\/extra/],
      ['weirdarch', /nodes\.json:\d+: node worker-crio-1: platform "linux\/weirdarch": unknown architecture "weirdarch"/],
    ] as const) {
      nodes.items[1].status.nodeInfo.architecture = architecture
      const file = join(dir, 'nodes.json')
      writeFileSync(file, JSON.stringify(nodes, null, 4))
      const {code, stdout, stderr} = await runCli(['audit', '--from', fixture('app.yaml'), '--hosts-from', file, '--no-cache'])
      expect(code).toBe(2)
      expect(stdout).toBe('')
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toMatch(/^archcheck: /)
      expect(stderr).toMatch(message)
    }
  })
})

describe('archcheck audit: Compose platform and mirrors', () => {
  it('judges a service pinned with platform: on that platform, saying when the host needs emulation', async () => {
    const {code, json} = await auditJson(['--from', fixture('compose-platform.yaml')])
    expect(json.nodeGroups.map((group) => group.label)).toEqual(['linux/amd64', 'linux/arm64'])
    const web = entry(json, 'null/Compose/web')
    expect(verdicts(web)).toEqual({'linux/amd64': 'ok', 'linux/arm64': 'ok'})
    expect(web.platform).toBe('linux/arm64')
    expect(web.cells[0].reason).toBe(
      'platform: linux/arm64 pins the pull; a linux/amd64 host runs it only under emulation (QEMU binfmt_misc)',
    )
    expect(web.cells[0].emulated).toBe(true)
    expect(web.cells[1].reason).toBe('platform: linux/arm64 pins the pull')
    expect(web.cells[1].emulated).toBeUndefined()
    expect(web.reason).toBe(`linux/amd64: ${web.cells[0].reason}`)
    // amd64-only, pinned to arm64: fails everywhere, even on the amd64 host.
    expect(verdicts(entry(json, 'null/Compose/legacy'))).toEqual({'linux/amd64': 'no-match', 'linux/arm64': 'no-match'})
    expect(verdicts(entry(json, 'null/Compose/tools'))).toEqual({'linux/amd64': 'ok', 'linux/arm64': 'no-match'})
    expect(code).toBe(1)
  })

  it('reads an image through --mirror where the nodes would, naming both', async () => {
    const mirror = `${testRegistryHost()}/mirror`
    const {code, json} = await auditJson(['--from', fixture('mirror.yaml'), '--host', 'linux/amd64', '--mirror', `docker.io=${mirror}`])
    expect(code).toBe(0)
    const proxy = entry(json, 'edge/Deployment/proxy')
    expect(proxy).toMatchObject({
      image: 'docker.io/library/archcheck-mirrored:1.0',
      pulledFrom: `${mirror}/library/archcheck-mirrored:1.0`,
      passed: true,
    })
    const bad = await runCli(['audit', '--from', fixture('mirror.yaml'), '--mirror', 'docker.io'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^archcheck: --mirror docker.io: expected REGISTRY=MIRROR \(docker.io=registry.internal:5000\)[^\n]*\n$/)
  })
})
