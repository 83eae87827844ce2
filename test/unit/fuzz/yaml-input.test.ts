/**
 * Hostile YAML for the workload and node readers: aliases, merge keys, flow collections, many
 * documents, huge arrays. Whatever the shape, the readers end with a result or a UsageError, within
 * the deadline, and the documents parseYaml returns expand to a bounded size (toJS is safe on them).
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {DEFAULT_YAML_BUDGET, parseYaml} from '../../../src/engine/audit/input.js'
import {readNodeHosts} from '../../../src/engine/audit/nodes.js'
import {readWorkloadImages} from '../../../src/engine/audit/workloads.js'
import {fuzz, fuzzTimeout, withinDeadline} from './settings.js'

const name = fc.constantFrom('a', 'b', 'c', 'x1')
const scalar = fc.constantFrom('1', 'nginx', '"q"', 'null', '~', "'s'", 'linux', 'arm64', '&a 1', '*a', '*b', '<<')
/** A YAML value, flow or block, with anchors, aliases and merge keys mixed in at any depth. */
const value: fc.Arbitrary<string> = fc.letrec<{value: string}>((tie) => ({
  value: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    scalar,
    fc.tuple(name, tie('value')).map(([anchor, inner]) => `&${anchor} ${inner}`),
    fc.array(tie('value'), {maxLength: 9}).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(fc.oneof(name, fc.constant('<<'), fc.constant('image')), tie('value')), {maxLength: 6})
      .map((pairs) => `{${pairs.map(([key, inner]) => `${key}: ${inner}`).join(', ')}}`),
    fc.array(name, {minLength: 1, maxLength: 9}).map((aliases) => `{<<: [${aliases.map((alias) => `*${alias}`).join(', ')}]}`),
  ),
})).value

/** Documents of hostile values under Kubernetes- and Compose-like keys, with markers, repeats and big flow arrays. */
const document = fc.oneof(
  value.map((inner) => `kind: Pod\nspec:\n  containers: ${inner}\n`),
  fc
    .array(fc.tuple(name, value), {maxLength: 8})
    .map((services) => `services:\n${services.map(([key, inner]) => `  ${key}: &${key} ${inner}`).join('\n')}\n`),
  value.map((inner) => `apiVersion: v1\nkind: List\nitems:\n- ${inner}\n`),
  fc.integer({min: 0, max: 20_000}).map((count) => `[${'1,'.repeat(count)}1]\n`),
  fc.tuple(name, fc.integer({min: 1, max: 14})).map(([anchor, depth]) => {
    const lines = [`${anchor}0: &${anchor}0 {k: 1}`]
    for (let level = 1; level <= depth; level++)
      lines.push(`${anchor}${level}: &${anchor}${level} {<<: [${`*${anchor}${level - 1}, `.repeat(8)}*${anchor}${level - 1}]}`)
    return `${lines.join('\n')}\n`
  }),
)
const stream = fc
  .tuple(fc.array(document, {minLength: 1, maxLength: 4}), fc.integer({min: 0, max: 12_000}))
  .map(([docs, empties]) => docs.join('---\n') + '---\n'.repeat(empties))

describe('YAML readers with hostile shapes', () => {
  it(
    'end with a result or a UsageError, within the deadline',
    () => {
      fc.assert(
        fc.property(stream, (text) => {
          withinDeadline(() => readWorkloadImages(text, 'f.yaml'))
          withinDeadline(() => readNodeHosts(text, 'n.yaml'))
        }),
        fuzz(40),
      )
    },
    fuzzTimeout,
  )

  it(
    'return only documents whose aliases and merges expand within the budget',
    () => {
      fc.assert(
        fc.property(stream, (text) => {
          const parsed = withinDeadline(() => parseYaml(text, 'f.yaml'))
          for (const doc of parsed?.docs ?? []) {
            const expanded = withinDeadline(() => JSON.stringify(doc.toJS({maxAliasCount: -1})) ?? '')
            if (expanded !== undefined) expect(expanded.length).toBeLessThan(DEFAULT_YAML_BUDGET.maxAliasNodes * 64 + text.length * 8)
          }
        }),
        fuzz(40),
      )
    },
    fuzzTimeout,
  )
})
