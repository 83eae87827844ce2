import {describe, expect, it} from 'vitest'

import {buildIndex} from '../../../scripts/fixtures/image-builder.js'
import {runAudit, type AuditHost, type AuditRunOptions} from '../../../src/engine/audit/run.js'
import {CLIENT_NAMES} from '../../../src/engine/resolve/clients.js'
import {RegistryError} from '../../../src/oci/errors.js'
import {toHostPlatform} from '../../../src/oci/platform/match.js'
import {formatSourceSpec, parseSourceSpec, type SourceSpec} from '../../../src/oci/reference.js'
import {openSource} from '../../../src/source/open.js'
import type {ImageSource} from '../../../src/source/source.js'
import {elfImage, layoutWith} from '../../helpers/layouts.js'

const hosts: AuditHost[] = ['linux/amd64', 'linux/arm64'].map((spec) => ({platform: toHostPlatform(spec), spec, label: spec}))

/** A layout whose tags 1.0 and 1.1 name one index (amd64, arm64) and 2.0 and 2.1 one arm64 image. */
async function layout(): Promise<string> {
  const [amd, arm] = [await elfImage('amd64'), await elfImage('arm64')]
  const index = buildIndex({entries: [{target: amd}, {target: arm}]})
  return layoutWith([
    {bundle: index, tag: '1.0'},
    {bundle: index, tag: '1.1'},
    {bundle: arm, tag: '2.0'},
    {bundle: arm, tag: '2.1'},
  ])
}

const options = (open: AuditRunOptions['open'], concurrency = 1): AuditRunOptions => ({hosts, clients: CLIENT_NAMES, open, concurrency})

describe('runAudit over tags that share images', () => {
  it('gives each tag the cells a run of that tag alone gives, in cells of its own', async () => {
    const dir = await layout()
    const specs = ['1.0', '1.1', '2.0', '2.1'].map((tag) => `oci-layout:${dir}:${tag}`)
    const together = await runAudit(
      specs.map((spec) => ({spec: parseSourceSpec(spec)})),
      options((spec) => openSource(spec), 4),
    )
    for (const spec of specs) {
      const alone = await runAudit(
        [{spec: parseSourceSpec(spec)}],
        options((s) => openSource(s)),
      )
      const row = together.rows.find((r) => r.reference === spec)!
      expect(row.status).toBe('audited')
      expect(row.cells).toEqual(alone.rows[0].cells)
    }
    const [a, b] = together.rows.filter((row) => row.digest === together.rows[0].digest)
    expect(a.cells[0]).not.toBe(b.cells[0])
    // A single arm64 image on amd64: the message names the tag it was reached by.
    for (const tag of ['2.0', '2.1']) {
      const row = together.rows.find((r) => r.tag === tag)!
      expect(row.cells.find((cell) => cell.host === 'linux/amd64' && cell.client === 'docker')!.message).toContain(
        `${dir}:${tag} is a single`,
      )
    }
  })

  it('reads an image again for a tag whose earlier read failed, and does not lose the tag to it', async () => {
    const dir = await layout()
    let failures = 1
    // The first config read fails as a dropped connection would.
    const open = async (spec: SourceSpec): Promise<ImageSource> => {
      const source = await openSource(spec)
      const fetchBlob = source.fetchBlob.bind(source)
      source.fetchBlob = (digest, maxBytes) =>
        failures-- > 0 ? Promise.reject(new RegistryError('connection reset', 'network')) : fetchBlob(digest, maxBytes)
      return source
    }
    const run = await runAudit(
      ['1.0', '1.1'].map((tag) => ({spec: parseSourceSpec(`oci-layout:${dir}:${tag}`)})),
      options(open, 2),
    )
    // Both tags were in flight on one image: whichever read it met the failure; the other read again.
    expect(run.rows.map((row) => [row.status, row.error]).sort()).toEqual([
      ['audited', null],
      ['unreadable', 'connection reset'],
    ])
  })

  it("names the kind of each unreadable row's error: a source's, or usage for input it cannot use", async () => {
    const dir = await layout()
    const run = await runAudit(
      [{spec: parseSourceSpec(`oci-layout:${dir}:9.9`)}, {spec: parseSourceSpec(`oci-layout:${dir}/absent:1.0`)}],
      options((spec) => openSource(spec)),
    )
    expect(run.rows.map((row) => [row.status, row.errorKind])).toEqual([
      ['unreadable', 'not-found'],
      ['unreadable', 'usage'],
    ])
  })
})

describe('runAudit interrupted', () => {
  it('keeps the rows that finished and gives up those in flight, all waiting on one listener', async () => {
    const dir = await layout()
    const finishing = ['1.0', '2.0'].map((tag) => `oci-layout:${dir}:${tag}`)
    // More images in flight at once than Node's ten listeners per signal, were each to add its own.
    const stalled = Array.from({length: 20}, (_x, i) => `oci-layout:${dir}:stalled-${i}`)
    const controller = new AbortController()
    const warnings: Error[] = []
    const onWarning = (warning: Error): number => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const run = await runAudit(
        [...finishing, ...stalled].map((spec) => ({spec: parseSourceSpec(spec)})),
        {
          ...options((spec) => (finishing.includes(formatSourceSpec(spec)) ? openSource(spec) : new Promise(() => {})), 32),
          signal: controller.signal,
          onProgress: (done) => {
            if (done === finishing.length) controller.abort()
          },
        },
      )
      await new Promise((resolve) => setImmediate(resolve))
      const byReference = new Map(run.rows.map((row) => [row.reference, row]))
      for (const spec of finishing) expect(byReference.get(spec)?.status).toBe('audited')
      for (const spec of stalled) expect(byReference.get(spec)).toMatchObject({status: 'not-audited', error: 'interrupted', cells: []})
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('starts nothing once aborted', async () => {
    const opened: SourceSpec[] = []
    const run = await runAudit([{spec: parseSourceSpec('oci-layout:/nowhere:1')}], {
      ...options(async (spec) => {
        opened.push(spec)
        return openSource(spec)
      }),
      signal: AbortSignal.abort(),
    })
    expect(opened).toEqual([])
    expect(run.rows[0]).toMatchObject({status: 'not-audited', error: 'interrupted'})
  })
})
