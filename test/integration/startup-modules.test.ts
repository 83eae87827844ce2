/**
 * Start-up cost: each command loads only what it uses. Timing is measured by bench/startup.ts
 * and bench/inspect-latency.ts; these tests keep the heavy imports they found from coming back.
 */
import {describe, expect, it} from 'vitest'

import {packageOf, traceModules} from '../helpers/module-trace.js'
import {pushScenario} from '../helpers/scenarios.js'

const ownModules = (modules: string[]): string[] =>
  modules.filter((file) => packageOf(file) === undefined && file.includes('/dist/')).map((file) => file.slice(file.indexOf('/dist/') + 1))
const packages = (modules: string[]): Set<string> => new Set(modules.map(packageOf).filter((name) => name !== undefined))

describe('modules loaded by each command', () => {
  it.each(['--version', '--help', 'inspect --help', 'verify --help'])(
    "`archcheck %s` loads no archcheck command or engine (only the entry), nor oclif's index (which loads semver for an engine check)",
    async (command) => {
      const run = await traceModules(command.split(' '))
      expect(run.code, run.stderr).toBe(0)
      // The entry (bin/run.js → dist/cli/main.js) and its pipe and Ctrl-C handling, nothing else.
      expect(ownModules(run.modules).sort()).toEqual(['dist/cli/interrupt.js', 'dist/cli/main.js', 'dist/cli/output.js'])
      expect(run.modules.filter((file) => file.endsWith('/@oclif/core/lib/index.js'))).toEqual([])
      for (const heavy of ['semver', 'undici', 'cli-table3', 'tar-stream', 'fzstd']) expect(packages(run.modules)).not.toContain(heavy)
    },
  )

  it("`inspect REGISTRY-REF --json` loads undici's Agent but not undici's index (its own fetch, WebSocket, caches), and no table, layer or build code", async () => {
    const scenario = await pushScenario('oci-index')
    const run = await traceModules(['inspect', scenario.reference, '--json'])
    expect(run.code, run.stderr).toBe(0)
    const undici = run.modules.filter((file) => packageOf(file) === 'undici')
    expect(undici.some((file) => file.endsWith('/undici/lib/dispatcher/agent.js'))).toBe(true)
    expect(undici.filter((file) => file.endsWith('/undici/index.js') || file.includes('/undici/lib/web/'))).toEqual([])
    for (const heavy of ['cli-table3', 'tar-stream', 'fzstd']) expect(packages(run.modules)).not.toContain(heavy)
    expect(ownModules(run.modules).filter((file) => /^dist\/(layers|build|verify)\//.test(file))).toEqual([])
  })

  it('`inspect oci-layout:…` loads no HTTP client', async () => {
    const run = await traceModules(['inspect', 'oci-layout:fixtures/demo', '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(packages(run.modules)).not.toContain('undici')
    expect(
      ownModules(run.modules).filter((file) => /^dist\/registry\/(transport|registry-source|auth|credentials)\.js$/.test(file)),
    ).toEqual([])
  })
})
