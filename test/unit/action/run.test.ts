// The action's entry outside a runner: it says so at once instead of doing the work and losing the outputs.
import {describe, expect, it} from 'vitest'

import {runAction} from '../../../src/action/run.js'

describe('runAction', () => {
  it('fails with exit 2 and one ::error line when $GITHUB_OUTPUT is not set, before reading anything', async () => {
    let log = ''
    const code = await runAction({INPUT_IMAGE: 'oci-layout:fixtures/demo'}, (text) => (log += text))
    expect(code).toBe(2)
    expect(log).toBe(
      '::error title=archcheck::archcheck: $GITHUB_OUTPUT is not set: this is the GitHub Action; elsewhere run `archcheck verify` or `archcheck audit`\n',
    )
  })
})
