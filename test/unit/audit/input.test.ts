import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {DEFAULT_YAML_BUDGET, parseYaml, readInput} from '../../../src/engine/audit/input.js'
import {readNodeHosts} from '../../../src/engine/audit/nodes.js'
import {readWorkloadImages} from '../../../src/engine/audit/workloads.js'
import {UsageError} from '../../../src/oci/errors.js'
import {tempDir} from '../../helpers/temp-dir.js'

/** `b0: &b0 {foo: 1}` then `bN: &bN {<<: [*b(N-1) ×9]}`: 9^depth maps from a few hundred bytes. */
function mergeBomb(depth: number, indent = '  '): string {
  const lines = [`${indent}b0: &b0 {foo: 1}`]
  for (let level = 1; level <= depth; level++) {
    lines.push(`${indent}b${level}: &b${level} {<<: [${Array.from({length: 9}, () => `*b${level - 1}`).join(', ')}]}`)
  }
  return `${lines.join('\n')}\n`
}

function refusal(action: () => unknown): string {
  const started = performance.now()
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    expect(performance.now() - started).toBeLessThan(2000)
    return (error as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('parseYaml budget', () => {
  it('refuses exponential merge keys at once, naming FILE:LINE and the bound, in Compose and in a Pod', () => {
    const compose = `services:\n${mergeBomb(11)}`
    expect(refusal(() => readWorkloadImages(compose, 'c.yaml'))).toMatch(
      /^c\.yaml:\d+: aliases and merge keys expand to more than 100000 nodes$/,
    )
    const pod = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    env:\n${mergeBomb(11, '      ')}`
    expect(refusal(() => readWorkloadImages(pod, 'pod.yaml'))).toMatch(/^pod\.yaml:\d+: aliases and merge keys expand/)
    expect(refusal(() => readNodeHosts(`apiVersion: v1\nkind: List\nitems: []\nx:\n${mergeBomb(8)}`, 'n.yaml'))).toMatch(
      /expand to more than/,
    )
  })

  it('resolves legal aliases and merges: a node file sharing its architecture by alias', () => {
    const nodes = `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Node, metadata: {name: n1}, status: {nodeInfo: &info {operatingSystem: linux, architecture: &arch arm64}}}
- apiVersion: v1
  kind: Node
  metadata: {name: n2}
  status:
    nodeInfo: {<<: *info, architecture: *arch}
`
    expect(readNodeHosts(nodes, 'n.yaml').map((host) => host.label)).toEqual(['linux/arm64 (2 nodes)'])
    const compose = `x-base: &base {image: 'nginx:1'}\nservices:\n  a: {<<: *base}\n  b:\n    <<: [*base]\n`
    expect(readWorkloadImages(compose, 'c.yaml').images.map((image) => image.reference)).toEqual(['nginx:1'])
  })

  it('refuses what the YAML library would throw on later: bad merge sources, unknown and self aliases', () => {
    expect(refusal(() => parseYaml('a: 1\nb:\n  <<: 5\n', 'f.yaml'))).toMatch(/^f\.yaml:3: a merge key \(<<\) takes a mapping/)
    expect(refusal(() => parseYaml('a: &x 1\nb: {<<: *x}\n', 'f.yaml'))).toMatch(/^f\.yaml:2: a merge key/)
    expect(refusal(() => parseYaml('a: &x [1, *x]\n', 'f.yaml'))).toMatch(/^f\.yaml:1: alias \*x is inside the node it names$/)
    expect(refusal(() => parseYaml('a: *nowhere\n', 'f.yaml'))).toMatch(/^f\.yaml:1: /)
  })

  it('bounds nesting, documents and tokens', () => {
    expect(refusal(() => parseYaml(`${'['.repeat(100_000)}\n`, 'deep.yaml'))).toMatch(/^deep\.yaml:1: nesting deeper than 100 levels$/)
    expect(refusal(() => parseYaml(`${'- '.repeat(5000)}x\n`, 'deep.yaml'))).toMatch(/nesting deeper than 100 levels/)
    expect(refusal(() => parseYaml('a\n---\n'.repeat(20_000), 'docs.yaml'))).toMatch(/^docs\.yaml:20000: more than 10000 YAML documents$/)
    const small = {...DEFAULT_YAML_BUDGET, maxTokens: 1000}
    expect(refusal(() => parseYaml(`[${'1,'.repeat(5000)}1]\n`, 'flow.yaml', small))).toMatch(/^flow\.yaml:1: more than 1000 YAML tokens/)
    expect(parseYaml(`[${'1,'.repeat(100)}1]\n`, 'flow.yaml', small).docs).toHaveLength(1)
  })
})

describe('list bounds', () => {
  it('refuses a list of more references than a cluster runs, without splitting the whole text', () => {
    const text = 'a:1\n'.repeat(1_000_000)
    expect(refusal(() => readWorkloadImages(text, 'l.txt'))).toBe('l.txt:100001: more than 100000 image references')
    expect(readWorkloadImages('# c\na:1\n  b:2 # note\n', 'l.txt').images.map((image) => image.reference)).toEqual(['a:1', 'b:2'])
  })
})

describe('readInput bounds', () => {
  it('stops at the limit on a device that never ends, without reading it whole', async () => {
    await expect(readInput('/dev/zero', {maxBytes: 1 << 20})).rejects.toThrow(
      new UsageError('/dev/zero: input is larger than 1048576 bytes'),
    )
  })

  it('stops at the limit of a sparse file whatever its size, and of stdin', async () => {
    const dir = await tempDir('input-bounds')
    const sparse = join(dir, 'sparse.img')
    const handle = await open(sparse, 'w')
    await handle.truncate(1 << 30)
    await handle.close()
    await expect(readInput(sparse, {maxBytes: 1 << 20})).rejects.toThrow(/sparse\.img: input is larger than 1048576 bytes$/)
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(65_536, 0x7b)
      })(),
    )
    await expect(readInput('-', {stdin: endless, maxBytes: 1 << 20})).rejects.toThrow('<stdin>: input is larger than 1048576 bytes')
    await expect(readInput(dir)).rejects.toThrow(`cannot read ${dir}: is a directory`)
  })
})
