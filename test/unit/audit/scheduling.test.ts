import {describe, expect, it} from 'vitest'

import {
  daemonSetTolerations,
  placeOn,
  requirementMatches,
  termMatches,
  tolerates,
  type PodPlacement,
  type SchedulingNode,
  type Taint,
} from '../../../src/engine/audit/scheduling.js'

const node = (overrides: Partial<SchedulingNode> = {}): SchedulingNode => ({
  name: 'arm-1',
  os: 'linux',
  labels: {'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64', 'cloud.google.com/gke-nodepool': 'arm-pool', cores: '8'},
  taints: [],
  unschedulable: false,
  ...overrides,
})

const ARCH_TAINT: Taint = {key: 'kubernetes.io/arch', value: 'arm64', effect: 'NoSchedule'}

describe('requirementMatches: the operator table of node selector requirements', () => {
  const cases: Array<[string, string[] | undefined, string | undefined, boolean]> = [
    ['In', ['arm64', 'amd64'], 'arm64', true],
    ['In', ['amd64'], 'arm64', false],
    ['In', ['arm64'], undefined, false],
    ['NotIn', ['amd64'], 'arm64', true],
    ['NotIn', ['arm64'], 'arm64', false],
    // A node without the label satisfies NotIn and DoesNotExist.
    ['NotIn', ['arm64'], undefined, true],
    ['Exists', undefined, '', true],
    ['Exists', undefined, undefined, false],
    ['DoesNotExist', undefined, undefined, true],
    ['DoesNotExist', undefined, 'x', false],
    ['Gt', ['4'], '8', true],
    ['Gt', ['8'], '8', false],
    ['Lt', ['16'], '8', true],
    ['Lt', ['8'], '8', false],
    ['Gt', ['-1'], '0', true],
    // Gt and Lt compare integers only: a label or a bound that is not one fails.
    ['Gt', ['4'], '8.5', false],
    ['Lt', ['16'], 'eight', false],
    ['Gt', ['4'], undefined, false],
    ['Gt', ['four'], '8', false],
    ['Gt', ['1', '2'], '8', false],
    // Beyond int64, as strconv.ParseInt refuses it.
    ['Gt', ['1'], '9223372036854775808', false],
    ['Bogus', ['arm64'], 'arm64', false],
  ]
  it.each(cases)('%s %j on %j → %s', (operator, values, value, expected) => {
    expect(requirementMatches({key: 'k', operator, ...(values ? {values} : {})}, value)).toBe(expected)
  })
})

describe('termMatches', () => {
  it('ANDs the expressions of a term and knows metadata.name in matchFields (In, NotIn only)', () => {
    const arch = {key: 'kubernetes.io/arch', operator: 'In', values: ['arm64']}
    expect(termMatches({matchExpressions: [arch, {key: 'cores', operator: 'Gt', values: ['4']}]}, node())).toBe(true)
    expect(termMatches({matchExpressions: [arch, {key: 'cores', operator: 'Gt', values: ['8']}]}, node())).toBe(false)
    expect(termMatches({matchFields: [{key: 'metadata.name', operator: 'In', values: ['arm-1']}]}, node())).toBe(true)
    expect(termMatches({matchFields: [{key: 'metadata.name', operator: 'In', values: ['arm-2']}]}, node())).toBe(false)
    expect(termMatches({matchFields: [{key: 'metadata.name', operator: 'NotIn', values: ['arm-2']}]}, node())).toBe(true)
    expect(termMatches({matchFields: [{key: 'metadata.name', operator: 'Exists'}]}, node())).toBe(false)
    expect(termMatches({matchFields: [{key: 'metadata.uid', operator: 'In', values: ['arm-1']}]}, node())).toBe(false)
  })

  it('matches nothing with an empty term', () => {
    expect(termMatches({matchExpressions: [], matchFields: []}, node())).toBe(false)
  })
})

describe('tolerates', () => {
  it('compares the value with Equal (the default) and ignores it with Exists', () => {
    expect(tolerates({key: 'kubernetes.io/arch', value: 'arm64', effect: 'NoSchedule'}, ARCH_TAINT)).toBe(true)
    expect(tolerates({key: 'kubernetes.io/arch', operator: 'Equal', value: 'amd64'}, ARCH_TAINT)).toBe(false)
    expect(tolerates({key: 'kubernetes.io/arch', operator: 'Exists'}, ARCH_TAINT)).toBe(true)
    // An absent value is "": it equals a taint without value only.
    expect(tolerates({key: 'dedicated'}, {key: 'dedicated', effect: 'NoSchedule'})).toBe(true)
    expect(tolerates({key: 'kubernetes.io/arch'}, ARCH_TAINT)).toBe(false)
    expect(tolerates({key: 'kubernetes.io/arch', operator: 'Bogus', value: 'arm64'}, ARCH_TAINT)).toBe(false)
  })

  it('tolerates every taint with an empty key and Exists, but not with an empty key and Equal', () => {
    expect(tolerates({operator: 'Exists'}, ARCH_TAINT)).toBe(true)
    expect(tolerates({operator: 'Exists'}, {key: 'os', value: 'windows', effect: 'NoExecute'})).toBe(true)
    expect(tolerates({operator: 'Exists', effect: 'NoExecute'}, ARCH_TAINT)).toBe(false)
    expect(tolerates({value: 'arm64'}, ARCH_TAINT)).toBe(false)
  })

  it('matches every effect with an empty effect, only its own otherwise', () => {
    expect(tolerates({key: 'kubernetes.io/arch', operator: 'Exists', effect: ''}, ARCH_TAINT)).toBe(true)
    expect(tolerates({key: 'kubernetes.io/arch', operator: 'Exists', effect: 'NoExecute'}, ARCH_TAINT)).toBe(false)
    expect(tolerates({key: 'kubernetes.io/arch', operator: 'Exists', effect: 'NoSchedule'}, ARCH_TAINT)).toBe(true)
  })
})

describe('placeOn', () => {
  const tainted = node({taints: [ARCH_TAINT]})

  it('requires every nodeSelector label', () => {
    expect(placeOn({nodeSelector: {'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux'}}, node())).toEqual({fits: true})
    expect(placeOn({nodeSelector: {'kubernetes.io/arch': 'arm64', disk: 'ssd'}}, node())).toEqual({
      fits: false,
      reason: 'nodeSelector disk=ssd (the node has no such label)',
    })
  })

  it('ORs required terms; preferred terms are not read at all', () => {
    const amd = {matchExpressions: [{key: 'kubernetes.io/arch', operator: 'In', values: ['amd64']}]}
    const arm = {matchExpressions: [{key: 'kubernetes.io/arch', operator: 'In', values: ['arm64']}]}
    expect(placeOn({requiredTerms: [amd, arm]}, node())).toEqual({fits: true})
    expect(placeOn({requiredTerms: [amd]}, node())).toEqual({
      fits: false,
      reason: 'required node affinity kubernetes.io/arch In amd64 does not match',
    })
    expect(placeOn({requiredTerms: []}, node()).fits).toBe(false)
  })

  it('keeps pods off NoSchedule and NoExecute taints they do not tolerate, never off PreferNoSchedule', () => {
    expect(placeOn({}, tainted)).toEqual({fits: false, reason: 'taint kubernetes.io/arch=arm64:NoSchedule is not tolerated'})
    expect(placeOn({}, node({taints: [{key: 'k', effect: 'NoExecute'}]})).fits).toBe(false)
    expect(placeOn({}, node({taints: [{key: 'k', effect: 'PreferNoSchedule'}]}))).toEqual({fits: true})
    expect(placeOn({tolerations: [{key: 'kubernetes.io/arch', operator: 'Exists'}]}, tainted)).toEqual({fits: true})
  })

  it('keeps new pods off a cordoned node, except those tolerating the cordon (daemon pods)', () => {
    const cordoned = node({unschedulable: true})
    expect(placeOn({}, cordoned)).toEqual({fits: false, reason: 'the node is cordoned'})
    expect(placeOn({daemonSet: true}, cordoned)).toEqual({fits: true})
    expect(
      placeOn({tolerations: [{key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule'}]}, cordoned).fits,
    ).toBe(true)
  })

  it('gives daemon pods the DaemonSet controller tolerations, network-unavailable only with host network', () => {
    const keys = (hostNetwork: boolean) => daemonSetTolerations(hostNetwork).map((t) => `${t.key}:${t.effect}`)
    expect(keys(false)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ])
    expect(keys(true)).toContain('node.kubernetes.io/network-unavailable:NoSchedule')
    const networkDown = node({taints: [{key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule'}]})
    expect(placeOn({daemonSet: true}, networkDown).fits).toBe(false)
    expect(placeOn({daemonSet: true, hostNetwork: true}, networkDown).fits).toBe(true)
    // The arch taint is not one of them.
    expect(placeOn({daemonSet: true}, tainted).fits).toBe(false)
  })

  it('binds a pod with nodeName to that node, past cordons and NoSchedule taints but not NoExecute ones', () => {
    const pod: PodPlacement = {nodeName: 'arm-1'}
    expect(placeOn(pod, node({name: 'arm-2'}))).toEqual({fits: false, reason: 'spec.nodeName pins it to node arm-1'})
    expect(placeOn(pod, node({unschedulable: true, taints: [ARCH_TAINT]}))).toEqual({fits: true})
    expect(placeOn(pod, node({taints: [{key: 'evict', effect: 'NoExecute'}]})).fits).toBe(false)
    expect(placeOn({...pod, nodeSelector: {'kubernetes.io/arch': 'amd64'}}, node()).fits).toBe(false)
  })

  it('refuses a pod whose spec.os.name is not the node OS', () => {
    expect(placeOn({os: 'windows'}, node())).toEqual({fits: false, reason: 'spec.os.name windows (the kubelet of a linux node refuses it)'})
    expect(placeOn({os: 'linux'}, node())).toEqual({fits: true})
  })
})
