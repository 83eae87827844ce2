/**
 * The bundle's stand-in for ejs (scripts/oclif-ejs.ts): oclif renders help texts with it, so
 * every text must come out exactly as ejs renders it, whether the stand-in fills it in itself or
 * hands it to ejs.
 */
import {createRequire} from 'node:module'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {type Ejs, fillValueTags, templateRenderer} from '../../../scripts/oclif-ejs.js'

/** The ejs oclif itself would load. */
const ejs = createRequire(createRequire(import.meta.url).resolve('@oclif/core/package.json'))('ejs') as Ejs

const context = {config: {bin: 'archcheck', name: 'a&b <c> "d" \'e\'', version: 1.5, pjson: {oclif: {}}}, command: {id: 'inspect'}}

/** What ejs renders, or the error's message when it throws. */
const outcome = (render: () => string): {text?: string; error?: string} => {
  try {
    return {text: render()}
  } catch (error) {
    return {error: (error as Error).message}
  }
}

describe('the ejs stand-in for oclif', () => {
  it.each([
    'plain text, no tags',
    '<%= config.bin %> inspect oci-layout:fixtures/demo',
    '$ <%=config.bin%> <%= command.id %> --json',
    'escaped: <%= config.name %>, a number: <%= config.version %>',
    'multi\nline <%= config.bin %>\n',
  ])('fills value tags in itself, as ejs renders them: %j', (text) => {
    expect(fillValueTags(text, context)).toBe(ejs.render(text, context))
  })

  it.each([
    '<%- config.bin %> unescaped',
    '<% if (true) { %>code<% } %>',
    'a stray %> that ejs drops',
    '<%= config.missing %>',
    '<%= config.pjson.oclif %>',
    '<%= process.platform %>',
    '<%= config.bin -%>',
  ])('hands anything else to ejs, with the same result: %j', (text) => {
    expect(fillValueTags(text, context)).toBeUndefined()
    let loaded = 0
    const render = templateRenderer(() => {
      loaded++
      return ejs
    })
    expect(outcome(() => render(text, context))).toEqual(outcome(() => ejs.render(text, context)))
    expect(loaded).toBe(1)
  })

  it('renders any text as ejs does (texts built of tags, names, quotes and markup)', () => {
    const piece = fc.constantFrom(
      '<%=',
      '<%',
      '%>',
      '-%>',
      '<%-',
      ' ',
      'config',
      '.',
      'bin',
      'command.id',
      'name',
      '&',
      '"',
      "'",
      '<',
      '>',
      '\n',
      'x',
    )
    const render = templateRenderer(() => ejs)
    fc.assert(
      fc.property(fc.array(piece, {maxLength: 12}), (pieces) => {
        const text = pieces.join('')
        expect(outcome(() => render(text, context))).toEqual(outcome(() => ejs.render(text, context)))
      }),
      {numRuns: 2000},
    )
  })
})
