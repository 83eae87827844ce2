import {readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {writeDemoFixture} from '../../scripts/make-demo-fixture.js'
import {tempDir} from './layout-helpers.js'

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}

describe('fixtures/demo', () => {
  it('is exactly what scripts/make-demo-fixture.ts generates', async () => {
    const fresh = path.join(await tempDir(), 'demo')
    await writeDemoFixture(fresh)
    const committed = path.resolve('fixtures/demo')
    const names = await filesUnder(fresh)
    expect(await filesUnder(committed)).toEqual(names)
    for (const name of names) {
      expect(
        (await readFile(path.join(committed, name))).equals(await readFile(path.join(fresh, name))),
        `${name} differs: rerun npx tsx scripts/make-demo-fixture.ts`,
      ).toBe(true)
    }
  })
})
