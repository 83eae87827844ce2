import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {readNodeHosts} from '../../../src/engine/audit/nodes.js'
import {parsePlatform} from '../../../src/oci/platform/parse.js'

const NODES = readFileSync(fileURLToPath(new URL('../../fixtures/audit/nodes.json', import.meta.url)), 'utf8')

function windowsNode(name: string, nodeInfo: Record<string, string>, labels: Record<string, string> = {}) {
  return {kind: 'Node', metadata: {name, labels: {'kubernetes.io/os': 'windows', ...labels}}, status: {nodeInfo}}
}

const list = (...items: unknown[]) => JSON.stringify({apiVersion: 'v1', kind: 'List', items})

describe('readNodeHosts', () => {
  it('turns kubectl get nodes -o json into distinct platforms with their node names and counts', () => {
    expect(readNodeHosts(NODES, 'nodes.json')).toEqual([
      {
        os: 'linux',
        architecture: 'amd64',
        nodes: ['aks-sys-31415926-vmss000000'],
        spec: 'linux/amd64',
        label: 'linux/amd64 (1 node)',
      },
      {
        os: 'linux',
        architecture: 'arm64',
        nodes: ['aks-arm-27182818-vmss000000', 'aks-arm-27182818-vmss000001'],
        spec: 'linux/arm64',
        label: 'linux/arm64 (2 nodes)',
      },
      {
        os: 'windows',
        architecture: 'amd64',
        osVersion: '10.0.17763',
        nodes: ['akswin19000000'],
        spec: 'windows(10.0.17763)/amd64',
        label: 'windows(10.0.17763)/amd64 (1 node)',
      },
      {
        os: 'windows',
        architecture: 'amd64',
        osVersion: '10.0.20348',
        nodes: ['akswin22000000'],
        spec: 'windows(10.0.20348)/amd64',
        label: 'windows(10.0.20348)/amd64 (1 node)',
      },
    ])
  })

  it('gives specifiers the platform parser reads back to the same platform', () => {
    for (const host of readNodeHosts(NODES, 'nodes.json')) {
      const parsed = parsePlatform(host.spec)
      expect(parsed).toMatchObject({os: host.os, architecture: host.architecture})
      expect(parsed.osVersion).toBe(host.osVersion)
    }
  })

  it('groups Windows nodes by build, not by monthly update revision', () => {
    const text = list(
      windowsNode('w1', {operatingSystem: 'windows', architecture: 'amd64', kernelVersion: '10.0.20348.2113'}),
      windowsNode('w2', {operatingSystem: 'windows', architecture: 'amd64', kernelVersion: '10.0.20348.2402'}),
    )
    expect(readNodeHosts(text, 'n').map((h) => h.label)).toEqual(['windows(10.0.20348)/amd64 (2 nodes)'])
  })

  it('finds a Windows build in the label, then in osImage, when kernelVersion does not give one', () => {
    const text = list(
      windowsNode(
        'by-label',
        {operatingSystem: 'windows', architecture: 'amd64', kernelVersion: ''},
        {
          'node.kubernetes.io/windows-build': '10.0.17763',
        },
      ),
      windowsNode('old-kubelet', {operatingSystem: 'windows', architecture: 'amd64', osImage: 'Microsoft Windows [Version 10.0.14393]'}),
      windowsNode('by-name', {operatingSystem: 'windows', architecture: 'amd64', osImage: 'Windows Server 2025 Datacenter'}),
      windowsNode('unknown', {operatingSystem: 'windows', architecture: 'amd64'}),
    )
    expect(readNodeHosts(text, 'n').map((h) => `${h.spec} ${h.nodes.join(',')}`)).toEqual([
      'windows(10.0.14393)/amd64 old-kubelet',
      'windows(10.0.17763)/amd64 by-label',
      'windows(10.0.26100)/amd64 by-name',
      // No build anywhere: the host matches any Windows image version, which the matcher handles.
      'windows/amd64 unknown',
    ])
  })

  it('falls back to the kubernetes.io labels and reads an ARM variant label when a cluster sets one', () => {
    const text = list(
      {
        kind: 'Node',
        metadata: {name: 'pi', labels: {'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm', 'archcheck.io/arch-variant': 'v6'}},
      },
      {kind: 'Node', metadata: {name: 'pi2', labels: {'kubernetes.io/arch': 'arm'}}, status: {nodeInfo: {operatingSystem: 'linux'}}},
    )
    expect(readNodeHosts(text, 'n').map((h) => h.label)).toEqual(['linux/arm (1 node)', 'linux/arm/v6 (1 node)'])
  })

  it('reads -o yaml output and a single Node too', () => {
    const yaml = [
      'apiVersion: v1',
      'kind: Node',
      'metadata:',
      '  name: solo',
      'status:',
      '  nodeInfo:',
      '    architecture: s390x',
      '    operatingSystem: linux',
    ].join('\n')
    expect(readNodeHosts(yaml, 'n').map((h) => h.label)).toEqual(['linux/s390x (1 node)'])
  })

  it('refuses what is not a node list, naming FILE:LINE', () => {
    const pods = '{\n  "kind": "List",\n  "items": [\n    {"kind": "Pod", "metadata": {"name": "p"}}\n  ]\n}\n'
    expect(() => readNodeHosts(pods, 'pods.json')).toThrow(new UsageError('pods.json:4: expected a Node, found Pod'))
    expect(() => readNodeHosts(list(), 'empty.json')).toThrow(/empty\.json: no nodes found/)
    const blind = list({kind: 'Node', metadata: {name: 'x'}, status: {nodeInfo: {}}})
    expect(() => readNodeHosts(blind, 'n.json')).toThrow(/node x reports no operating system or architecture/)
    expect(() => readNodeHosts('{"kind": "List", "items": [', 'cut.json')).toThrow(/^cut\.json:1: not valid JSON: ends inside/)
  })
})
