import {describe, expect, it} from 'vitest'

import {renderHtmlReport, type HtmlReport} from '../../src/render/html.js'

const report = (overrides: Partial<HtmlReport> = {}): HtmlReport => ({
  title: 'archcheck verify',
  passed: false,
  verdict: '❌ app:1 — linux/arm64 missing',
  summary: [['References', '1']],
  grids: [
    {
      title: 'Checks',
      columns: ['linux/amd64', 'linux/arm64'],
      rows: [
        {
          label: 'ok:1',
          cells: [
            {status: 'pass', text: 'ok'},
            {status: 'skip', text: 'not checked'},
          ],
        },
        {
          label: 'bad:1',
          cells: [
            {status: 'pass', text: 'ok'},
            {status: 'fail', text: 'platform-missing', detail: 'no "arm64" <here>'},
          ],
        },
        {
          label: 'meh:1',
          cells: [
            {status: 'warn', text: 'fallback'},
            {status: 'pass', text: 'ok'},
          ],
        },
      ],
    },
  ],
  timelines: [],
  notes: [],
  ...overrides,
})

describe('renderHtmlReport', () => {
  it('puts rows with a failure first, then warnings, each cell with a text marker as well as its colour', () => {
    const html = renderHtmlReport(report())
    expect([...html.matchAll(/<th scope="row" class="row">([^<]*)<\/th>/g)].map((match) => match[1])).toEqual(['bad:1', 'meh:1', 'ok:1'])
    expect(html).toContain('<td class="fail" title="no &quot;arm64&quot; &lt;here&gt;">✗ platform-missing</td>')
    expect(html).toContain('<td class="warn">! fallback</td>')
    expect(html).toContain('<td class="skip">– not checked</td>')
  })

  it('escapes every text and makes control characters visible', () => {
    const html = renderHtmlReport(report({title: '<script>x</script>', summary: [['a"b', "'\u001b[31m"]]}))
    expect(html).not.toContain('<script>')
    expect(html).toContain('<title>&lt;script&gt;x&lt;/script&gt;</title>')
    expect(html).toContain('<dt>a&quot;b</dt>')
    expect(html).not.toContain('\u001b')
  })

  it('forbids every fetch in its own policy and leaves out sections with nothing in them', () => {
    const html = renderHtmlReport(report({notes: [{title: 'Could not be read', items: []}]}))
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`)
    expect(html).not.toContain('Could not be read')
    expect(html).not.toContain('<h2>History</h2>')
  })
})
