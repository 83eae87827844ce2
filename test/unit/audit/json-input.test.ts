import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'
import {parseAllDocuments, stringify} from 'yaml'

import {readJson} from '../../../src/engine/audit/json-input.js'
import {readClusterNodes} from '../../../src/engine/audit/nodes.js'
import {readWorkloadImages} from '../../../src/engine/audit/workloads.js'
import type {WorkloadFile} from '../../../src/engine/audit/workloads.js'
import {usageError} from '../../helpers/errors.js'

const FIXTURES = fileURLToPath(new URL('../../fixtures/audit/', import.meta.url))
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')

/** The same objects in the other form: YAML for a JSON fixture; JSON (a List of several documents) for a YAML one. */
function otherForm(name: string): string {
  const text = fixture(name)
  if (name.endsWith('.json')) return stringify(JSON.parse(text))
  const docs = parseAllDocuments(text, {merge: true})
    .map((doc) => doc.toJS() as unknown)
    .filter((doc) => doc !== null)
  return JSON.stringify(docs.length === 1 ? docs[0] : {apiVersion: 'v1', kind: 'List', items: docs}, null, 4)
}

/** Everything but the line, which differs between the forms. */
function withoutLines(file: WorkloadFile): WorkloadFile {
  return {...file, images: file.images.map((image) => ({...image, origins: image.origins.map((origin) => ({...origin, line: 0}))}))}
}

const WORKLOAD_FIXTURES = [
  'kubectl-list.json',
  'helm-template.yaml',
  'compose.yaml',
  'registry-workloads.yaml',
  'registry-compose.yaml',
  'cluster/pods.json',
  'cluster/app.yaml',
  'cluster/mirror.yaml',
  'cluster/compose-platform.yaml',
]

describe('JSON and YAML read to the same results', () => {
  it.each(WORKLOAD_FIXTURES)('workloads: %s', (name) => {
    const original = readWorkloadImages(fixture(name), 'w')
    const other = readWorkloadImages(otherForm(name), 'w')
    expect(original.images.length).toBeGreaterThan(0)
    expect(withoutLines(other)).toEqual(withoutLines(original))
  })

  it.each(['nodes.json', 'cluster/nodes-gke.json', 'cluster/nodes-mixed.json'])('nodes: %s', (name) => {
    const nodes = readClusterNodes(fixture(name), 'n')
    expect(nodes.length).toBeGreaterThan(0)
    expect(readClusterNodes(otherForm(name), 'n')).toEqual(nodes)
  })

  it('gives an image in JSON the line of its "image" key, in a List and in a single object', () => {
    for (const name of ['kubectl-list.json', 'cluster/pods.json']) {
      const lines = fixture(name).split('\n')
      const origins = readWorkloadImages(fixture(name), name).images.flatMap((image) =>
        image.origins.map((origin) => ({reference: image.reference, line: origin.line})),
      )
      for (const {reference, line} of origins) expect(lines[line - 1]).toContain(`"image": "${reference}"`)
    }
    const single =
      '{\n  "kind": "Pod",\n  "metadata": {"name": "p"},\n  "spec": {\n    "containers": [\n      {"name": "a",\n       "image": "nginx"}]}}'
    expect(readWorkloadImages(single, 'p.json').images[0].origins[0].line).toBe(7)
  })

  it('leaves YAML in flow style, which also opens with a bracket, to the YAML reader', () => {
    const flow = '{apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {containers: [{name: app, image: nginx:1.25}]}}\n'
    expect(readWorkloadImages(flow, 'pod.yaml').images.map((image) => image.reference)).toEqual(['nginx:1.25'])
    // A quoted key after the brace is JSON: its syntax errors are JSON's.
    expect(() => readWorkloadImages('{"kind": "Pod", oops}', 'x.json')).toThrow(/^x\.json:1: not valid JSON/)
  })

  it('reads a Compose file in JSON as in YAML, `docker compose config --format json` style', () => {
    const result = readWorkloadImages('{"services": {"web": {"image": "nginx", "platform": "linux/arm64"}}}', 'c.json')
    expect(result.kind).toBe('compose')
    expect(result.images[0].origins[0]).toMatchObject({from: 'service web', platform: 'linux/arm64', line: 1})
  })
})

describe('the JSON scanner', () => {
  it('is not misled by brackets, quotes and backslashes inside strings, and counts lines', () => {
    const text =
      '{"kind": "List",\n "items": [\n  {"kind": "Pod", "metadata": {"name": "a]}\\\\", "annotations": {"x": "\\"{["}},\n   "spec": {"containers": [{"name": "c", "image": "busybox"}]}},\n  {"kind": "Pod", "spec": {"containers": [\n{"image": "alpine"}]}}\n]}'
    const result = readWorkloadImages(text, 'l.json')
    expect(result.images.map((image) => [image.reference, image.origins[0].line, image.origins[0].name])).toEqual([
      ['busybox', 4, 'a]}\\'],
      ['alpine', 6, undefined],
    ])
  })

  it('refuses invalid JSON as FILE:LINE: not valid JSON, at the line where it goes wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"kind": "List", "items": [\n{"kind": "Pod"},\n{"kind": "Pod",}\n]}', /^x\.json:3: not valid JSON: /],
      ['{"kind": "List", "items": [\n{"kind": "Pod"}\n{"kind": "Pod"}]}', /^x\.json:3: not valid JSON: expected ',' or '\]'/],
      ['{"kind": "List", "items": [\n{"a": [1}\n]}', /^x\.json:2: not valid JSON: '}' does not close '\['/],
      ['{"kind": "List", "items": [\n{"a": "open\n]}', /^x\.json:2: not valid JSON: a string is not closed/],
      ['{"kind": "Pod"}\n{"kind": "Pod"}', /^x\.json:2: not valid JSON: unexpected text after the JSON value/],
      ['{"kind": "Pod", spec: {}}', /^x\.json:1: not valid JSON: expected a key in double quotes/],
      ['{"kind": "List", "items": [\n', /^x\.json:2: not valid JSON: ends inside 1 open bracket/],
      ['{"kind": "Pod", "spec": {"containers": [{"image": nginx}]}}', /^x\.json:1: not valid JSON: Unexpected token/],
      [
        '{"kind": "List", "items": [\n{"kind": "Pod",\n "x": "a\tb"}]}',
        /^x\.json:3: not valid JSON: Bad control character in string literal$/,
      ],
    ]
    for (const [text, message] of cases) expect(usageError(() => readWorkloadImages(text, 'x.json')).message).toMatch(message)
    // Items are read in file order: the first wrong one is named, whether its JSON or its content is wrong.
    const nodes =
      '{"kind": "List", "items": [\n{"kind": "Node", "status": {"nodeInfo": {"operatingSystem": "linux", "architecture": "amd64"}}},\n{"kind": "Node",}]}'
    expect(usageError(() => readClusterNodes(nodes, 'n.json')).message).toMatch(/^n\.json:3: not valid JSON: /)
  })

  it('never quotes the text of a broken item back raw', () => {
    const message = usageError(() => readWorkloadImages('{"kind": "Pod", "x": [\u001b]2;owned\u0007]}', 'x.json')).message
    expect(message).toMatch(/^x\.json:1: not valid JSON: /)
    expect(message).not.toMatch(/[\u0000-\u001f]/)
  })

  it('bounds nesting, the size of one item and the number of items, naming the line', () => {
    const bounds = {maxItemBytes: 100, maxItems: 3, maxDepth: 5}
    const deep = `{"kind": "List", "items": [\n${'['.repeat(4)}${']'.repeat(4)}]}`
    expect(() => readJson(deep, 'd.json', {bounds})).toThrow(/^d\.json:2: not valid JSON: nesting deeper than 5 levels$/)
    const list = (items: string[]) => readJson(`{"kind": "List", "items": [\n${items.join(',\n')}\n]}`, 'l.json', {bounds})
    expect(() => [...list(['{}', `{"a": "${'x'.repeat(100)}"}`]).items()]).toThrow(
      /^l\.json:3: an item of 109 characters is larger than 100, the most one item may hold$/,
    )
    expect(() => [...list(['{}', '{}', '{}', '{}']).items()]).toThrow(/^l\.json:5: more than 3 items$/)
    expect([...list(['{}', '{}', '{}']).items()]).toHaveLength(3)
    // The default depth bound is the YAML reader's: 100 levels.
    const tooDeep = `{"kind": "Pod", "spec": ${'['.repeat(100)}${']'.repeat(100)}}`
    expect(usageError(() => readWorkloadImages(tooDeep, 'p.json')).message).toBe('p.json:1: not valid JSON: nesting deeper than 100 levels')
  })

  it('refuses what is not a List of objects with the words of the YAML reader', () => {
    expect(usageError(() => readWorkloadImages('[{"kind": "Pod"}]', 'a.json')).message).toBe(
      'a.json:1: expected a Kubernetes object (a mapping with kind), found a list',
    )
    expect(usageError(() => readClusterNodes('[]', 'a.json')).message).toBe('a.json:1: expected kubectl get nodes -o json output')
    expect(usageError(() => readWorkloadImages('{"kind": "List",\n"items": {}}', 'a.json')).message).toBe(
      'a.json:2: List items must be a list',
    )
    expect(usageError(() => readWorkloadImages('{"kind": "List", "items": [\n"x"]}', 'a.json')).message).toBe(
      'a.json:2: a List item must be an object',
    )
    expect(usageError(() => readWorkloadImages('{"metadata": {}}', 'a.json')).message).toBe(
      'a.json:1: not a Kubernetes object or Compose file: no kind (nor services)',
    )
    expect(readWorkloadImages('{"kind": "List", "items": null}', 'a.json').images).toEqual([])
  })
})
