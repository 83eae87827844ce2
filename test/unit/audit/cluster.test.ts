import {describe, expect, it} from 'vitest'

import {judgeWorkloads, planCluster} from '../../../src/engine/audit/cluster.js'
import {readClusterNodes, runtimeClient} from '../../../src/engine/audit/nodes.js'
import type {PodPlacement} from '../../../src/engine/audit/scheduling.js'
import type {AuditRow} from '../../../src/engine/audit/run.js'
import {readWorkloadImages, type ImageOrigin} from '../../../src/engine/audit/workloads.js'
import {UsageError} from '../../../src/oci/errors.js'
import {toHostPlatform} from '../../../src/oci/platform/match.js'
import {formatPlatformSpec} from '../../../src/oci/platform/normalize.js'

interface NodeSpec {
  name: string
  arch?: string
  runtime?: string
  labels?: Record<string, string>
  taints?: Array<{key: string; value?: string; effect: string}>
  unschedulable?: boolean
}

/** `kubectl get nodes -o json` for these nodes. */
function nodesJson(nodes: NodeSpec[]): string {
  const items = nodes.map((n) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {name: n.name, labels: {'kubernetes.io/os': 'linux', 'kubernetes.io/arch': n.arch ?? 'amd64', ...n.labels}},
    spec: {...(n.taints ? {taints: n.taints} : {}), ...(n.unschedulable ? {unschedulable: true} : {})},
    status: {
      nodeInfo: {operatingSystem: 'linux', architecture: n.arch ?? 'amd64', containerRuntimeVersion: n.runtime ?? 'containerd://1.7.13'},
    },
  }))
  return JSON.stringify({apiVersion: 'v1', kind: 'List', items}, null, 2)
}

const workload = (placement: PodPlacement): ImageOrigin => ({
  file: 'app.yaml',
  line: 1,
  from: 'Deployment/x container x',
  kind: 'Deployment',
  name: 'x',
  role: 'container',
  container: 'x',
  placement,
})

function groupsOf(nodes: NodeSpec[], placements: PodPlacement[]) {
  return planCluster({
    nodes: readClusterNodes(nodesJson(nodes), 'nodes.json'),
    hosts: [],
    clients: undefined,
    origins: placements.map(workload),
  }).groups
}

describe('readClusterNodes', () => {
  it('keeps labels, taints, cordon and runtime of each node', () => {
    const [node] = readClusterNodes(
      nodesJson([
        {
          name: 'arm-1',
          arch: 'arm64',
          runtime: 'cri-o://1.29.1',
          labels: {pool: 'arm'},
          taints: [{key: 'kubernetes.io/arch', value: 'arm64', effect: 'NoSchedule'}],
          unschedulable: true,
        },
      ]),
      'nodes.json',
    )
    expect(node).toMatchObject({
      name: 'arm-1',
      spec: 'linux/arm64',
      labels: {pool: 'arm', 'kubernetes.io/arch': 'arm64'},
      taints: [{key: 'kubernetes.io/arch', value: 'arm64', effect: 'NoSchedule'}],
      unschedulable: true,
      runtime: 'cri-o://1.29.1',
      client: 'podman',
    })
  })

  it('refuses a platform --host would refuse, with FILE:LINE', () => {
    expect(() => readClusterNodes(nodesJson([{name: 'a'}, {name: 'b', arch: 'amd64/v9/extra'}]), 'nodes.json')).toThrow(
      /^nodes\.json:\d+: node b: /,
    )
    expect(() => readClusterNodes(nodesJson([{name: 'w', arch: 'weirdarch'}]), 'nodes.json')).toThrow(
      new UsageError(
        'nodes.json:5: node w: platform "linux/weirdarch": unknown architecture "weirdarch"; --allow-unknown-platform accepts it as written',
      ),
    )
  })
})

describe('runtimeClient', () => {
  it.each([
    ['containerd://1.7.13', 'containerd'],
    ['cri-o://1.29.1', 'podman'],
    ['docker://20.10.24', 'docker@20.10'],
    ['docker://24.0.7', 'docker'],
    ['docker://v19.3.15', 'docker@20.10'],
    [null, 'containerd'],
    ['remote://1.0', 'containerd'],
  ] as const)('%s → %s', (runtime, client) => {
    expect(runtimeClient(runtime)).toBe(client)
  })
})

describe('planCluster: node groups', () => {
  const pool = (name: string, poolName: string): NodeSpec => ({name, labels: {pool: poolName}})

  it('puts nodes that no workload can tell apart in one group, whatever labels they differ by', () => {
    const groups = groupsOf([pool('a', 'one'), pool('b', 'two')], [{nodeSelector: {'kubernetes.io/arch': 'amd64'}}])
    expect(groups.map((g) => [g.label, g.nodes])).toEqual([['linux/amd64 · containerd · 2 nodes', ['a', 'b']]])
  })

  it('splits nodes by a label a workload selects on, and says which', () => {
    const groups = groupsOf([pool('a', 'one'), pool('b', 'two')], [{nodeSelector: {pool: 'one'}}])
    expect(groups.map((g) => g.label)).toEqual([
      'linux/amd64 · containerd · 1 node · pool=one',
      'linux/amd64 · containerd · 1 node · pool=two',
    ])
    expect(groups[0].labels).toEqual({pool: 'one'})
  })

  it('splits nodes by a matchFields name', () => {
    const byName: PodPlacement = {requiredTerms: [{matchFields: [{key: 'metadata.name', operator: 'In', values: ['a']}]}]}
    const groups = groupsOf([{name: 'a'}, {name: 'b'}, {name: 'c'}], [byName])
    expect(groups.map((g) => g.nodes)).toEqual([['a'], ['b', 'c']])
  })

  it('splits nodes by taint, cordon and runtime', () => {
    const groups = groupsOf(
      [
        {name: 'plain'},
        {name: 'tainted', taints: [{key: 'dedicated', value: 'db', effect: 'NoSchedule'}]},
        {name: 'soft', taints: [{key: 'dedicated', value: 'db', effect: 'PreferNoSchedule'}]},
        {name: 'cordoned', unschedulable: true},
        {name: 'crio', runtime: 'cri-o://1.29.1'},
      ],
      [{}],
    )
    expect(groups.map((g) => [g.label, g.client])).toEqual([
      ['linux/amd64 · containerd · 2 nodes', 'containerd'],
      ['linux/amd64 · containerd · 1 node · tainted dedicated=db:NoSchedule', 'containerd'],
      ['linux/amd64 · containerd · 1 node · cordoned', 'containerd'],
      ['linux/amd64 · cri-o · 1 node', 'podman'],
    ])
    expect(groups[0].nodes).toEqual(['plain', 'soft'])
  })

  it('makes each --host a group per client, with the kubelet labels of its platform', () => {
    const plan = planCluster({
      nodes: null,
      hosts: [
        {spec: 'linux/amd64', platform: {os: 'linux', architecture: 'amd64'}},
        {spec: 'linux/arm64', platform: {os: 'linux', architecture: 'arm64'}},
      ],
      clients: ['docker', 'podman'],
      origins: [workload({nodeSelector: {'kubernetes.io/arch': 'arm64'}})],
    })
    expect(plan.groups.map((g) => g.label)).toEqual([
      'linux/amd64 · docker',
      'linux/arm64 · docker',
      'linux/amd64 · podman',
      'linux/arm64 · podman',
    ])
    expect(plan.clients).toEqual(['docker', 'podman'])
  })
})

describe('readWorkloadImages: what decides placement', () => {
  it('reads nodeSelector, required affinity, tolerations, os, nodeName and the DaemonSet kind from a pod template', () => {
    const yaml = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template:
    spec:
      hostNetwork: true
      os: {name: linux}
      nodeSelector: {kubernetes.io/os: linux}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions: [{key: cores, operator: Gt, values: ["4"]}]
                matchFields: [{key: metadata.name, operator: NotIn, values: [old-1]}]
      tolerations: [{operator: Exists}, {key: gpu, value: "true", effect: NoSchedule}]
      containers: [{name: agent, image: agent:1}]
`
    const [image] = readWorkloadImages(yaml, 'ds.yaml').images
    expect(image.origins[0].placement).toEqual({
      nodeSelector: {'kubernetes.io/os': 'linux'},
      requiredTerms: [
        {
          matchExpressions: [{key: 'cores', operator: 'Gt', values: ['4']}],
          matchFields: [{key: 'metadata.name', operator: 'NotIn', values: ['old-1']}],
        },
      ],
      tolerations: [{operator: 'Exists'}, {key: 'gpu', value: 'true', effect: 'NoSchedule'}],
      os: 'linux',
      daemonSet: true,
      hostNetwork: true,
    })
  })

  it('refuses a Compose platform --host would refuse, at its line', () => {
    const compose = 'services:\n  web:\n    image: web:1\n    platform: linux/arm46\n'
    expect(() => readWorkloadImages(compose, 'compose.yaml')).toThrow(
      /^compose\.yaml:4: platform "linux\/arm46": unknown architecture "arm46" \(did you mean arm64\?\)/,
    )
  })
})

describe('judgeWorkloads', () => {
  const row = (cells: Array<{host: string; verdict: AuditRow['cells'][number]['verdict']}>, origin: ImageOrigin): AuditRow => ({
    repository: 'r/app',
    reference: 'r/app:1',
    tag: '1',
    version: null,
    prerelease: false,
    variant: null,
    digest: 'sha256:' + 'cd'.repeat(32),
    status: 'audited',
    passed: false,
    error: null,
    errorKind: null,
    cells: cells.map((c) => ({
      ...c,
      client: 'docker',
      chosen: null,
      platform: null,
      message: `${c.verdict} on ${c.host}.`,
      failedChecks: [],
    })),
    checks: null,
    supplyChain: null,
    aliases: [],
    note: null,
    origins: [origin],
    durationMs: 1,
  })
  const hosts = [
    {spec: 'linux/amd64', platform: {os: 'linux', architecture: 'amd64'}},
    {spec: 'linux/arm64', platform: {os: 'linux', architecture: 'arm64'}},
  ]

  it('judges a bound pod on every --host host (they have no node names), and on its own node only among nodes', () => {
    const pod = {...workload({nodeName: 'n1', tolerations: []}), kind: 'Pod'}
    const rows = [
      row(
        [
          {host: 'linux/amd64', verdict: 'ok'},
          {host: 'linux/arm64', verdict: 'no-match'},
        ],
        pod,
      ),
    ]
    const onHosts = judgeWorkloads(rows, planCluster({nodes: null, hosts, clients: undefined, origins: [pod]}), false)
    expect(onHosts[0].cells.map((c) => c.verdict)).toEqual(['ok', 'no-match'])
    const nodes = readClusterNodes(nodesJson([{name: 'n1'}, {name: 'n2', arch: 'arm64'}]), 'nodes.json')
    const plan = planCluster({nodes, hosts: [], clients: ['docker'], origins: [pod]})
    const onNodes = judgeWorkloads(rows, plan, false)
    expect(onNodes[0].cells.map((c) => c.verdict)).toEqual(['ok', 'not-scheduled'])
    expect(onNodes[0].passed).toBe(true)
    const elsewhere = judgeWorkloads(
      rows.map((r) => ({...r, origins: [{...pod, placement: {nodeName: 'gone'}}]})),
      plan,
      false,
    )
    expect(elsewhere[0]).toMatchObject({
      unschedulable: true,
      reason: 'unschedulable here: it runs on node gone, which is not among the nodes read',
    })
  })

  it('says emulated only where the host cannot run the pinned platform natively', () => {
    const judgePinned = (platform: string, host: string, verdict: AuditRow['cells'][number]['verdict'] = 'ok') => {
      const origin: ImageOrigin = {file: 'compose.yaml', line: 3, from: 'service web', role: 'service', container: 'web', platform}
      const plan = planCluster({
        nodes: null,
        hosts: [{spec: host, platform: {os: 'linux', architecture: host.split('/')[1]}}],
        clients: ['docker'],
        origins: [origin],
      })
      const rows = [row([{host: formatPlatformSpec(toHostPlatform(platform)), verdict}], origin)]
      return judgeWorkloads(rows, plan, false)[0].cells[0]
    }
    expect(judgePinned('linux/arm64', 'linux/amd64')).toMatchObject({emulated: true, reason: expect.stringMatching(/only under emulation/)})
    for (const [platform, host] of [
      ['linux/386', 'linux/amd64'],
      ['linux/arm/v7', 'linux/arm64'],
      ['linux/amd64', 'linux/amd64'],
    ]) {
      const cell = judgePinned(platform, host)
      expect(cell.emulated, `${platform} on ${host}`).toBeUndefined()
      expect(cell.reason).toBe(`platform: ${platform} pins the pull`)
    }
    expect(judgePinned('linux/amd64/v3', 'linux/amd64')).toMatchObject({
      reason: expect.stringMatching(/only if its CPU has what linux\/amd64\/v3 needs/),
    })
    expect(judgePinned('linux/amd64/v3', 'linux/amd64').emulated).toBeUndefined()
    // A pull that fails anyway: its reason, not a note on emulation.
    const failing = judgePinned('linux/arm64', 'linux/amd64', 'no-match')
    expect(failing.reason).toBe('platform: linux/arm64 pins the pull; no-match on linux/arm64')
    expect(failing.emulated).toBeUndefined()
    // The same reason on several groups is said once, naming them all.
    const origin: ImageOrigin = {
      file: 'compose.yaml',
      line: 3,
      from: 'service web',
      role: 'service',
      container: 'web',
      platform: 'linux/arm64',
    }
    const hosts = ['linux/amd64', 'linux/arm64'].map((spec) => ({spec, platform: toHostPlatform(spec)}))
    const plan = planCluster({nodes: null, hosts, clients: ['docker'], origins: [origin]})
    const [entry] = judgeWorkloads([row([{host: 'linux/arm64', verdict: 'no-match'}], origin)], plan, false)
    expect(entry.reason).toBe('linux/amd64, linux/arm64: platform: linux/arm64 pins the pull; no-match on linux/arm64')
  })

  it('passes a DaemonSet that fits no node (it places no pod) and fails a Deployment that fits none (its pods stay Pending)', () => {
    const selecting = {nodeSelector: {pool: 'gpu'}, tolerations: []}
    const nodes = readClusterNodes(nodesJson([{name: 'amd-1'}, {name: 'arm-1', arch: 'arm64'}]), 'nodes.json')
    const judge = (kind: string) => {
      const origin = {...workload(selecting), kind}
      const rows = [
        row(
          [
            {host: 'linux/amd64', verdict: 'ok'},
            {host: 'linux/arm64', verdict: 'ok'},
          ],
          origin,
        ),
      ]
      return judgeWorkloads(rows, planCluster({nodes, hosts: [], clients: ['docker'], origins: [origin]}), false)[0]
    }
    const daemons = judge('DaemonSet')
    expect(daemons).toMatchObject({passed: true, unschedulable: true})
    expect(daemons.reason).toMatch(/^runs on no node: no node group fits \(.*pool.*\), so the DaemonSet places no pod$/)
    expect(judge('Deployment')).toMatchObject({passed: false, unschedulable: true})
    expect(judge('Deployment').reason).toMatch(/^unschedulable: no node group fits/)
  })

  it('runs a pod bound by nodeName on a cordoned node with a NoSchedule taint: only NoExecute taints stop it', () => {
    const pod = {...workload({nodeName: 'arm-1', tolerations: []}), kind: 'Pod'}
    const rows = [
      row(
        [
          {host: 'linux/amd64', verdict: 'ok'},
          {host: 'linux/arm64', verdict: 'no-match'},
        ],
        pod,
      ),
    ]
    const archTaint = {key: 'kubernetes.io/arch', value: 'arm64', effect: 'NoSchedule'}
    const tainted = readClusterNodes(
      nodesJson([{name: 'amd-1'}, {name: 'arm-1', arch: 'arm64', taints: [archTaint], unschedulable: true}]),
      'nodes.json',
    )
    const [entry] = judgeWorkloads(rows, planCluster({nodes: tainted, hosts: [], clients: ['docker'], origins: [pod]}), false)
    expect(entry.cells.map((c) => [c.schedulable, c.verdict])).toEqual([
      [false, 'not-scheduled'],
      [true, 'no-match'],
    ])
    expect(entry).toMatchObject({passed: false, unschedulable: false})
    const evicting = readClusterNodes(
      nodesJson([{name: 'arm-1', arch: 'arm64', taints: [{key: 'maintenance', effect: 'NoExecute'}]}]),
      'nodes.json',
    )
    const [evicted] = judgeWorkloads(rows, planCluster({nodes: evicting, hosts: [], clients: ['docker'], origins: [pod]}), false)
    expect(evicted.cells[0]).toMatchObject({schedulable: false, reason: expect.stringContaining('maintenance')})
  })
})
