import {readFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/oci/errors.js'
import {readInput, STDIN_NAME} from '../../../src/engine/audit/input.js'
import {mergeWorkloadImages, readWorkloadImages} from '../../../src/engine/audit/workloads.js'
import type {WorkloadImage} from '../../../src/engine/audit/workloads.js'
import {tempDir} from '../../helpers/temp-dir.js'
import {usageError} from '../../helpers/errors.js'

const FIXTURES = fileURLToPath(new URL('../../fixtures/audit/', import.meta.url))
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')

/** Where each reference was found, as `line from` strings, to compare with what a user reads in the file. */
function table(images: WorkloadImage[]): Record<string, string[]> {
  return Object.fromEntries(images.map((image) => [image.reference, image.origins.map((o) => `${o.line} ${o.from}`)]))
}

describe('readWorkloadImages: Kubernetes', () => {
  it('reads every container kind of every workload in helm template output, with lines and origins', () => {
    const result = readWorkloadImages(fixture('helm-template.yaml'), 'chart.yaml')
    expect(result.kind).toBe('kubernetes')
    expect(table(result.images)).toEqual({
      'registry.example.com/shop/migrate:2.1.0': ['39 Deployment/shop-web initContainer migrate', '121 Job/shop-seed container seed'],
      'registry.example.com/shop/web:2.1.0': ['43 Deployment/shop-web container app'],
      nginx: ['47 Deployment/shop-web container proxy'],
      'postgres@sha256:4a2f1b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081': ['67 StatefulSet/shop-db container postgres'],
      'ghcr.io/example/log-agent:v0.9.1@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0': [
        '85 DaemonSet/log-agent container agent',
      ],
      'busybox:1.36': ['103 CronJob/shop-report initContainer fetch', '134 Pod/shop-debug ephemeralContainer debugger'],
      'registry.example.com/shop/report:2.1.0': ['106 CronJob/shop-report container report'],
      'localhost:5000/tools/shell': ['131 Pod/shop-debug container main'],
    })
    const lines = fixture('helm-template.yaml').split('\n')
    for (const image of result.images) {
      for (const origin of image.origins) {
        expect(origin.file).toBe('chart.yaml')
        // The line given is the one a user would open the file at: it holds the reference.
        expect(lines[origin.line - 1]).toContain(image.reference)
      }
    }
  })

  it('keeps the namespace and role of an origin', () => {
    const {images} = readWorkloadImages(fixture('helm-template.yaml'), 'chart.yaml')
    const db = images.find((image) => image.reference.startsWith('postgres@'))!
    expect(db.origins[0]).toMatchObject({kind: 'StatefulSet', name: 'shop-db', namespace: 'data', role: 'container', container: 'postgres'})
  })

  it('reads kubectl -o json output: a List whose items are objects, JSON being YAML', () => {
    const result = readWorkloadImages(fixture('kubectl-list.json'), 'pods.json')
    expect(result.kind).toBe('kubernetes')
    expect(table(result.images)).toEqual({
      'quay.io/example/api:3.4.5': ['18 ReplicaSet/api-7d9f8b6c5 container api', '36 Pod/api-7d9f8b6c5-x2x9z container api'],
    })
  })

  it('reads a kind: List printed as YAML and API list kinds such as DeploymentList', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: apps/v1',
      '  kind: DeploymentList',
      '  items:',
      '  - kind: Deployment',
      '    metadata: {name: a}',
      '    spec: {template: {spec: {containers: [{name: c, image: "alpine:3.19"}]}}}',
    ].join('\n')
    expect(table(readWorkloadImages(text, 'f').images)).toEqual({'alpine:3.19': ['9 Deployment/a container c']})
  })

  it('reads a pod template of a custom workload kind at the conventional place, ignores objects without one', () => {
    const text = [
      'kind: Rollout',
      'apiVersion: argoproj.io/v1alpha1',
      'metadata: {name: r}',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      - {name: c, image: "app:1"}',
      '---',
      'kind: ConfigMap',
      'apiVersion: v1',
      'data: {image: "not-an-image:1"}',
    ].join('\n')
    expect(table(readWorkloadImages(text, 'f').images)).toEqual({'app:1': ['8 Rollout/r container c']})
  })

  it('names FILE:LINE when an image is not a string', () => {
    const text = ['kind: Pod', 'metadata: {name: p}', 'spec:', '  containers:', '  - name: c', '    image: 1.25', ''].join('\n')
    expect(usageError(() => readWorkloadImages(text, 'pod.yaml')).message).toBe('pod.yaml:6: image must be a string, found number 1.25')
    const mapping = text.replace('image: 1.25', 'image: {repo: nginx}')
    expect(usageError(() => readWorkloadImages(mapping, 'pod.yaml')).message).toBe('pod.yaml:6: image must be a string, found a mapping')
    const empty = text.replace('image: 1.25', 'image:')
    expect(usageError(() => readWorkloadImages(empty, 'pod.yaml')).message).toMatch(/^pod\.yaml:6: image must be a string, found empty/)
  })

  it('names FILE:LINE of a syntax error in a later document', () => {
    const text = ['kind: Pod', 'metadata: {name: p}', '---', 'kind: Pod', 'spec:', '  containers: [', '    {image: a', ''].join('\n')
    expect(usageError(() => readWorkloadImages(text, 'bad.yaml')).message).toMatch(/^bad\.yaml:[6-8]: not valid YAML: /)
  })

  it('refuses an unrendered Helm template with the command that renders it', () => {
    const text = ['kind: Pod', 'spec:', '  containers:', '  - name: c', '    image: "{{ .Values.image }}"'].join('\n')
    expect(usageError(() => readWorkloadImages(text, 't.yaml')).message).toMatch(/^t\.yaml:5: .*unexpanded variable.*helm template/)
  })

  it('refuses a document that is neither a Kubernetes object nor a Compose file', () => {
    expect(usageError(() => readWorkloadImages('name: x\nimage: nginx\n', 'x.yaml')).message).toMatch(/^x\.yaml:1: .*no kind/)
  })

  it('skips empty documents (helm prints them for disabled templates)', () => {
    const text = '---\n# Source: c/templates/off.yaml\n---\nkind: Pod\nspec: {containers: [{name: c, image: a}]}\n---\n'
    expect(table(readWorkloadImages(text, 'f').images)).toEqual({a: ['5 Pod/? container c']})
  })
})

describe('readWorkloadImages: Compose', () => {
  it('reads services.*.image, following merge keys, skipping build-only services', () => {
    const result = readWorkloadImages(fixture('compose.yaml'), 'compose.yaml')
    expect(result.kind).toBe('compose')
    expect(table(result.images)).toEqual({
      // Both services take the image from the shared fragment: the line is where a user would change it.
      'registry.example.com/shop/web:2.1.0': ['4 service web', '4 service worker'],
      'redis:7-alpine': ['15 service cache'],
      'postgres@sha256:4a2f1b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081': ['17 service db'],
    })
  })

  it('accepts a Compose file with no services yet', () => {
    expect(readWorkloadImages('name: app\nservices:\n', 'c.yaml')).toEqual({kind: 'compose', images: []})
  })

  it('refuses a Compose variable with the command that expands it', () => {
    const text = 'services:\n  web:\n    image: "registry/app:${TAG:-latest}"\n'
    expect(usageError(() => readWorkloadImages(text, 'c.yaml')).message).toMatch(/^c\.yaml:3: .*docker compose config/)
  })

  it('names FILE:LINE of a non-string image', () => {
    expect(usageError(() => readWorkloadImages('services:\n  web:\n    image: [a, b]\n', 'c.yaml')).message).toBe(
      'c.yaml:3: image must be a string, found a list',
    )
  })
})

describe('readWorkloadImages: plain lists', () => {
  it('reads one reference per line, skipping comments and blank lines, deduplicating with both lines kept', () => {
    const result = readWorkloadImages(fixture('images.txt'), 'images.txt')
    expect(result.kind).toBe('list')
    expect(table(result.images)).toEqual({
      'nginx:1.25': ['2 line 2', '6 line 6'],
      'registry.example.com/shop/web:2.1.0': ['4 line 4'],
      'localhost:5000/tools/shell': ['5 line 5'],
    })
  })

  it('accepts CRLF line ends and an empty input', () => {
    expect(table(readWorkloadImages('a:1\r\nb@sha256:00\r\n', 'f').images)).toEqual({'a:1': ['1 line 1'], 'b@sha256:00': ['2 line 2']})
    expect(readWorkloadImages('# nothing yet\n\n', 'f')).toEqual({kind: 'list', images: []})
  })

  it('refuses a line with two words, naming FILE:LINE', () => {
    expect(usageError(() => readWorkloadImages('nginx:1.25\nredis 7\n', 'l.txt')).message).toBe(
      'l.txt:2: expected one image reference per line, found "redis 7"',
    )
  })
})

describe('mergeWorkloadImages', () => {
  it('merges inputs under a caller key, keeping the first spelling and all origins in order', () => {
    const a = readWorkloadImages('nginx\nredis\n', 'a.txt').images
    const b = readWorkloadImages('docker.io/library/nginx:latest\n', 'b.txt').images
    const key = (ref: string) => (ref === 'nginx' ? 'docker.io/library/nginx:latest' : ref)
    expect(mergeWorkloadImages([a, b], key)).toEqual([
      {
        reference: 'nginx',
        origins: [
          {file: 'a.txt', line: 1, from: 'line 1'},
          {file: 'b.txt', line: 1, from: 'line 1'},
        ],
      },
      {reference: 'redis', origins: [{file: 'a.txt', line: 2, from: 'line 2'}]},
    ])
  })
})

describe('readInput', () => {
  let dir: string

  it('reads stdin for - under a name that is not a path', async () => {
    const stdin = Readable.from([Buffer.from('\uFEFFnginx\n'), Buffer.from('redis\n')])
    const input = await readInput('-', {stdin})
    expect(input).toEqual({name: STDIN_NAME, text: 'nginx\nredis\n'})
    expect(readWorkloadImages(input.text, input.name).images[1].origins[0]).toEqual({file: '<stdin>', line: 2, from: 'line 2'})
  })

  it('reads a file under its path, and a missing file is a UsageError naming it', async () => {
    dir = await tempDir('input')
    const path = join(dir, 'list.txt')
    await writeFile(path, 'nginx\n')
    expect(await readInput(path)).toEqual({name: path, text: 'nginx\n'})
    await expect(readInput(join(dir, 'nope.txt'))).rejects.toThrow(`cannot read ${join(dir, 'nope.txt')}: no such file`)
    await expect(readInput(path, {maxBytes: 3})).rejects.toBeInstanceOf(UsageError)
  })
})
