/**
 * resolveForHost on real indexes pushed to the test registry (OCI index and Docker manifest list),
 * read back through archcheck's registry client and image tree: the choice and the verdict per
 * host and client.
 */
import {describe, expect, it} from 'vitest'

import type {ImageTree} from '../../src/oci/types.js'
import type {ClientName} from '../../src/engine/resolve/resolution.js'
import {resolveForHost} from '../../src/engine/resolve/resolve.js'
import {RESOLVE_CASES, caseName, expectedImage} from '../helpers/resolve-cases.js'
import {pushScenario} from '../helpers/scenarios.js'
import {readTree} from '../helpers/tree.js'

const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Each client's own refusal, as the real clients word it (exact texts are unit-tested). */
const REFUSALS: Record<ClientName, (tree: ImageTree) => RegExp | string> = {
  docker: () => /^no matching manifest for \S+ in the manifest list entries$/,
  'docker@20.10': () => /^no matching manifest for \S+ in the manifest list entries$/,
  containerd: (tree) => `no match for platform in manifest ${tree.root.descriptor.digest}: not found`,
  podman: () => /^no image found in (manifest list|image index) for architecture \w+, variant "\w*", OS \w+$/,
  exact: (tree) => new RegExp(`^no child with platform \\S+ in index ${literal(tree.reference)}$`),
}

for (const resolveCase of RESOLVE_CASES) {
  for (const format of resolveCase.formats) {
    describe(`${resolveCase.name} (${format})`, async () => {
      const name = caseName(resolveCase, format)
      const scenario = await pushScenario(name, resolveCase.spec(format, name))
      const tree = await readTree(scenario.reference)

      for (const expectation of resolveCase.expect) {
        const client = expectation.client ?? 'docker'
        const what = expectation.chosen === undefined ? 'nothing' : `${expectation.chosen}`
        it(`${expectation.host} (${client}): ${expectation.verdict}, takes ${what}`, () => {
          const resolution = resolveForHost(tree, expectation.host, client)
          expect(resolution.verdict).toBe(expectation.verdict)
          expect(resolution.message).toMatch(/\.$/)
          if (expectation.chosen === undefined) {
            expect(resolution.chosen).toBeUndefined()
            const refusal = REFUSALS[client](tree)
            if (typeof refusal === 'string') expect(resolution.clientMessage).toBe(refusal)
            else expect(resolution.clientMessage).toMatch(refusal)
          } else {
            const image = expectedImage(scenario, expectation.chosen)
            expect(resolution.chosen?.descriptor.digest).toBe(image.digest)
            expect(resolution.chosen?.config.digest).toBe(image.config.digest)
          }
        })
      }
    })
  }
}
