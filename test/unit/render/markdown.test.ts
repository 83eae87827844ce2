// Registry and file text in a GitHub step summary or Markdown report shows as written and does
// nothing: no link, image, mention, autolink or broken table.
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {appendStepSummary, markdownCell, markdownCode} from '../../../src/render/markdown.js'
import {xmlAttribute, xmlText} from '../../../src/render/xml.js'
import {tempDir} from '../../helpers/temp-dir.js'

describe('markdownCell', () => {
  it('escapes what would make a link, an image, code, emphasis or HTML', () => {
    expect(markdownCell('![x](http://evil.example/p.png) `code` *em* <b>')).toBe(
      '\\!\\[x\\](http\\://evil.example/p.png) \\`code\\` \\*em\\* &lt;b&gt;',
    )
  })

  it('keeps one table cell: no line break, no pipe', () => {
    expect(markdownCell('a|b\r\nc')).toBe('a\\|b c')
  })

  it('breaks @mentions and autolinks while reading the same', () => {
    expect(markdownCell('@team see www.evil.example')).toBe('@\u2060team see www\\.evil.example')
  })

  it('shows control characters as escapes', () => {
    expect(markdownCell('a\u001b[2Jb')).not.toContain('\u001b')
  })
})

describe('markdownCode', () => {
  it('fences with one backtick more than the longest run inside, padded when the text starts or ends with one', () => {
    expect(markdownCode('app:1')).toBe('`app:1`')
    expect(markdownCode('a``b')).toBe('```a``b```')
    expect(markdownCode('`x')).toBe('`` `x ``')
  })

  it('escapes pipes only in a table', () => {
    expect(markdownCode('a|b', true)).toBe('`a\\|b`')
    expect(markdownCode('a|b')).toBe('`a|b`')
  })
})

describe('appendStepSummary', () => {
  it('appends to $GITHUB_STEP_SUMMARY, and does nothing without it', async () => {
    const file = join(await tempDir('summary'), 'summary.md')
    await writeFile(file, '# before\n')
    let rendered = 0
    const markdown = (): string => {
      rendered++
      return '| a |\n'
    }
    await appendStepSummary({}, markdown)
    expect(rendered).toBe(0)
    await appendStepSummary({GITHUB_STEP_SUMMARY: file}, markdown)
    expect(await readFile(file, 'utf8')).toBe('# before\n| a |\n')
  })

  it('names the file it cannot append to', async () => {
    const dir = await tempDir('summary')
    await expect(appendStepSummary({GITHUB_STEP_SUMMARY: dir}, () => 'x')).rejects.toThrow(
      new RegExp(`^cannot append to \\$GITHUB_STEP_SUMMARY ${dir}: .+`),
    )
  })
})

describe('xml', () => {
  it('escapes markup in text, and quotes and line breaks in attributes', () => {
    expect(xmlText('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d')
    expect(xmlAttribute(`"it's"\n\tx\r`)).toBe('&quot;it&apos;s&quot;&#10;&#9;x&#13;')
  })

  it('shows characters XML cannot carry as \\uXXXX instead of writing an invalid document', () => {
    expect(xmlText('a\u0000b\u001bc\uFFFEd\uD800e')).toBe('a\\u0000b\\u001bc\\ufffed\\ud800e')
    expect(xmlText('emoji \uD83D\uDE00 stays')).toBe('emoji \uD83D\uDE00 stays')
  })
})
