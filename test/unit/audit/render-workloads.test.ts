import {describe, expect, it} from 'vitest'

import type {AuditResult, AuditRow, WorkloadEntry} from '../../../src/api/audit.js'
import {renderAuditMarkdown, renderAuditText} from '../../../src/render/audit.js'
import {renderAuditHtml} from '../../../src/render/html.js'
import {styleFor} from '../../../src/render/style.js'
import {renderWorkloadAnnotations} from '../../../src/render/workloads.js'
import {auditResult, auditRow} from '../../helpers/audit-results.js'

const plain = styleFor({isTTY: false}, {NO_COLOR: '1'})
const AMD = 'linux/amd64 · containerd · 2 nodes'
const WIN = 'windows/amd64 · containerd · 1 node'

function workload(name: string, overrides: Partial<WorkloadEntry> = {}): WorkloadEntry {
  return {
    namespace: 'shop',
    kind: 'Deployment',
    name,
    container: 'app',
    role: 'container',
    image: `r.example/${name}:1`,
    pulledFrom: null,
    origin: {file: 'app.yaml', line: 12},
    passed: true,
    unschedulable: false,
    reason: null,
    cells: [
      {group: AMD, schedulable: true, reason: null, verdict: 'ok'},
      {group: WIN, schedulable: false, reason: 'taint os=windows:NoSchedule is not tolerated', verdict: 'not-scheduled'},
    ],
    platform: null,
    node: null,
    imageID: null,
    runningDigestCurrent: null,
    startError: null,
    ...overrides,
  }
}

function imageRow(reference: string, origins: AuditRow['origins']): AuditRow {
  const cell = {host: 'linux/amd64', client: 'containerd' as const, verdict: 'ok' as const, chosen: null, platform: null, message: 'fine'}
  return auditRow({repository: 'r.example/tool', reference, cells: [{...cell, failedChecks: []}], origins})
}

function result(workloads: WorkloadEntry[], rows: AuditRow[] = []): AuditResult {
  return auditResult(rows, {
    hosts: [{host: 'linux/amd64', label: 'linux/amd64 (2 nodes)', nodes: ['a', 'b']}],
    clients: ['containerd'],
    workloads,
    nodeGroups: [AMD, WIN].map((label) => ({
      label,
      platform: label.split(' ')[0],
      client: 'containerd' as const,
      runtime: 'containerd://1.7.13',
      nodes: ['a'],
      labels: {},
      taints: [],
      cordoned: false,
    })),
    summary: {
      failures: 0,
      requests: 3,
      durationMs: 200,
      workloads: {total: workloads.length, failing: workloads.filter((w) => !w.passed).length, unschedulable: 0},
    },
  })
}

const hostile = workload('evil\u001b]0;owned\u0007', {
  passed: false,
  reason: 'no-match\u001b[2J on windows\n::error::forged 100%',
  origin: {file: 'a,b:c.yaml', line: 7},
  cells: [
    {group: AMD, schedulable: true, reason: null, verdict: 'ok'},
    {group: WIN, schedulable: true, reason: 'x', verdict: 'no-match'},
  ],
})

describe('the workload view', () => {
  it('prints workloads as rows and node groups as columns, — where not scheduled, failing first with a reason line', async () => {
    const text = await renderAuditText(result([workload('web'), hostile]), plain, {noTrunc: true})
    const lines = text.split('\n')
    const evil = lines.findIndex((line) => line.includes('shop/Deployment/evil'))
    const web = lines.findIndex((line) => line.includes('shop/Deployment/web'))
    expect(evil).toBeGreaterThan(0)
    expect(evil).toBeLessThan(web)
    expect(lines[web]).toMatch(/ok .*app .*ok .*—/)
    expect(lines[evil]).toMatch(/FAIL .*✗ no-match/)
    // Terminal control sequences from files are shown, never obeyed.
    expect(text).not.toMatch(/\u001b/)
    expect(text).toContain('2 workloads × 2 node groups, 1 failing, 0 unschedulable')
  })

  it('tells a DaemonSet that runs on no node (passing) from a Deployment that fits none (failing) in text', async () => {
    const nowhere = {
      unschedulable: true,
      cells: [
        {group: AMD, schedulable: false, reason: 'nodeSelector pool=gpu', verdict: 'not-scheduled' as const},
        {group: WIN, schedulable: false, reason: 'nodeSelector pool=gpu', verdict: 'not-scheduled' as const},
      ],
    }
    const daemons = workload('gpu-agent', {...nowhere, kind: 'DaemonSet', passed: true, reason: 'runs on no node: …'})
    const trainer = workload('trainer', {...nowhere, passed: false, reason: 'unschedulable: …'})
    const text = await renderAuditText(result([daemons, trainer]), plain, {noTrunc: true})
    const lines = text.split('\n')
    expect(lines.find((line) => line.includes('DaemonSet/gpu-agent'))).toMatch(/^│ ok /)
    expect(lines.find((line) => line.includes('Deployment/trainer'))).toMatch(/^│ NO NODE /)
  })

  it('shows a Compose service pinned to another architecture as emulated in text, Markdown and HTML, with its reason', async () => {
    const reason = 'platform: linux/arm64 pins the pull; a linux/amd64 host runs it only under emulation (QEMU binfmt_misc)'
    const pinned = workload('web', {
      kind: 'Compose',
      namespace: null,
      platform: 'linux/arm64',
      reason: `${AMD}: ${reason}`,
      cells: [{group: AMD, schedulable: true, reason, verdict: 'ok', emulated: true}],
    })
    const text = await renderAuditText(result([pinned]), plain, {noTrunc: true})
    expect(text.split('\n').find((line) => line.includes('Compose/web'))).toMatch(/ok .*app .*emulated/)
    expect(text).toContain(`  ${AMD}: ${reason}`)
    expect(renderAuditMarkdown(result([pinned]))).toContain('⚠️ emulated')
    expect(renderAuditHtml(result([pinned]))).toMatch(/class="warn"[^>]*>[^<]*emulated/)
  })

  it('draws the workload grid in the HTML report: failing first, — where not scheduled, no node where none fits, text escaped', () => {
    const nowhere = workload('trainer', {
      passed: false,
      unschedulable: true,
      reason: 'no node group fits (nodeSelector pool=gpu)',
      cells: [
        {group: AMD, schedulable: false, reason: 'nodeSelector pool=gpu', verdict: 'not-scheduled'},
        {group: WIN, schedulable: false, reason: 'nodeSelector pool=gpu', verdict: 'not-scheduled'},
      ],
    })
    const html = renderAuditHtml(result([workload('web'), hostile, nowhere]))
    const grid = html.slice(html.indexOf('<h2>Workloads</h2>'), html.indexOf('<h2>Pulls</h2>'))
    expect(grid).toContain(`<th scope="col">${AMD}</th>`)
    const rows = grid.split('\n').filter((line) => line.startsWith('<tr data-status'))
    expect(rows.map((row) => /shop\/Deployment\/(\w+)/.exec(row)?.[1])).toEqual(['evil', 'trainer', 'web'])
    expect(rows[0]).toMatch(/class="fail" title="x">✗ no-match/)
    expect(rows[1]).toContain('✗ no node')
    expect(rows[2]).toMatch(/class="pass"[^>]*>✓ ok<\/td><td class="skip" title="taint os=windows:NoSchedule is not tolerated">– —/)
    expect(html).not.toMatch(/\u001b/)
    expect(html).toContain('<dt>Unschedulable</dt><dd>0</dd>')
  })

  it('keeps the image matrix for images named on their own next to workload files', async () => {
    const alone = imageRow('r.example/tool:1', [])
    const fromWorkload = imageRow('r.example/web:1', [
      {file: 'app.yaml', line: 12, from: 'Deployment/web container app', kind: 'Deployment'},
    ])
    const text = await renderAuditText(result([workload('web')], [alone, fromWorkload]), plain, {noTrunc: true})
    expect(text).toContain('r.example/tool')
    expect(text.match(/r\.example\/web/g)).toBeNull()
    const markdown = renderAuditMarkdown(result([workload('web')], [alone, fromWorkload]))
    expect(markdown).toContain('### `r.example/tool`')
    expect(markdown.match(/^## /gm)).toHaveLength(1)
  })

  it('annotates each failing workload at its file and line, escaping what would end or forge a command', () => {
    const annotations = renderWorkloadAnnotations(result([workload('web'), hostile]))
    const lines = annotations.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^::error file=a%2Cb%3Ac\.yaml,line=7,title=archcheck audit%3A shop\/Deployment\/evil/)
    expect(lines[0]).toContain('%0A::error::forged 100%25')
    expect(lines[0]).not.toMatch(/\u001b|\u0007/)
  })
})
