/**
 * resolveForHost on real indexes pushed to the test registry (OCI index and Docker manifest list),
 * read back through archcheck's registry client and image tree: the choice and the verdict per
 * host and client.
 */
import {describe, expect, it} from 'vitest'

import {resolveForHost} from '../../src/platform/resolve.js'
import {RESOLVE_CASES, caseName, expectedImage} from '../helpers/resolve-cases.js'
import {pushScenario} from '../helpers/scenarios.js'
import {readTree} from '../helpers/tree.js'

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
            expect(resolution.clientMessage).toBeTruthy()
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
