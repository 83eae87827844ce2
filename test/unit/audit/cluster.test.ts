import {describe, expect, it} from 'vitest'

import {planCluster} from '../../../src/engine/audit/cluster.js'
import {readClusterNodes, runtimeClient} from '../../../src/engine/audit/nodes.js'
import type {PodPlacement} from '../../../src/engine/audit/scheduling.js'
import type {ImageOrigin} from '../../../src/engine/audit/workloads.js'
import {UsageError} from '../../../src/oci/errors.js'

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
      where: 'nodes.json:5',
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
