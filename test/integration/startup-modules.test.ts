/**
 * Start-up cost: each command loads only what it uses. Timing is measured by bench/startup.ts
 * and bench/inspect-latency.ts; these tests keep the heavy imports they found from coming back.
 * The CLI runs a bundle (scripts/bundle.js); traceModules reports each bundle file as the sources
 * it holds, so these assertions name sources (src/…, node_modules/…) and hold whatever the chunking.
 */
import {describe, expect, it} from 'vitest'

import {packageOf, traceModules} from '../helpers/module-trace.js'
import {pushScenario} from '../helpers/scenarios.js'

const ownModules = (modules: string[]): string[] =>
  modules.filter((file) => packageOf(file) === undefined && file.includes('/src/')).map((file) => file.slice(file.indexOf('/src/') + 1))
/** Files node read from archcheck's own tree other than bin/ (the entry and its code cache reader): all of them from the bundle. */
const unbundled = (files: string[]): string[] =>
  files.filter((file) => packageOf(file) === undefined && !file.includes('/dist/bundle/') && !/\/bin\/(run|code-cache)\.js$/.test(file))
const packages = (modules: string[]): Set<string> => new Set(modules.map(packageOf).filter((name) => name !== undefined))

describe('modules loaded by each command', () => {
  it('`archcheck --version` loads nothing but bin/run.js (it prints what oclif would, without oclif)', async () => {
    const run = await traceModules(['--version'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.files.map((file) => file.slice(file.lastIndexOf('/bin/') + 1))).toEqual(['bin/run.js'])
  })

  it.each(['--help', 'inspect --help', 'verify --help'])(
    "`archcheck %s` loads no archcheck command or engine (only the entry), nor oclif's index (which loads semver for an engine check)",
    async (command) => {
      const run = await traceModules(command.split(' '))
      expect(run.code, run.stderr).toBe(0)
      // The entry (bin/run.js → the bundle's main: src/cli/main.ts) and its pipe and Ctrl-C handling, nothing else.
      expect(ownModules(run.modules).sort()).toEqual(['src/cli/interrupt.ts', 'src/cli/main.ts', 'src/cli/output.ts'])
      expect(unbundled(run.files)).toEqual([])
      expect(run.modules.filter((file) => file.endsWith('/@oclif/core/lib/index.js'))).toEqual([])
      for (const heavy of ['semver', 'undici', 'cli-table3', 'tar-stream', 'fzstd']) expect(packages(run.modules)).not.toContain(heavy)
      // Help texts are filled in without ejs (scripts/oclif-ejs.ts), and the platform is named
      // without wsl-utils' Windows helpers, which load node's child_process (with net and dgram).
      expect(packages(run.modules)).not.toContain('ejs')
      expect(packages(run.modules)).not.toContain('wsl-utils')
      expect(run.builtins).not.toContain('child_process')
    },
  )

  it("`inspect REGISTRY-REF --json` loads undici's Agent and request API but not undici's index (its own fetch, WebSocket, caches), nor node's fetch, and no table, layer or build code", async () => {
    const scenario = await pushScenario('oci-index')
    const run = await traceModules(['inspect', scenario.reference, '--json'])
    expect(run.code, run.stderr).toBe(0)
    const undici = run.modules.filter((file) => packageOf(file) === 'undici')
    expect(undici.some((file) => file.endsWith('/undici/lib/dispatcher/agent.js'))).toBe(true)
    expect(undici.some((file) => file.endsWith('/undici/lib/api/api-request.js'))).toBe(true)
    // node's global fetch and Headers run on a copy of undici inside node, loaded on first use,
    // and with it the WHATWG streams: one HTTP stack is enough.
    expect(run.builtins).toContain('http')
    // undici's HTTP/2 client needs node's http2 only for a server that negotiates HTTP/2 over TLS.
    expect(run.builtins).not.toContain('http2')
    // A credential helper (and node's child_process with it) only for a registry that asks for credentials.
    expect(run.builtins).not.toContain('child_process')
    expect(run.builtins.filter((name) => name === 'internal/deps/undici/undici' || name === 'internal/webstreams/readablestream')).toEqual(
      [],
    )
    // Of undici's web code, only what its HTTP/1.1 and HTTP/2 clients require lazily for a FormData
    // request body (lib/web/fetch/body.js and what that imports) is in the Agent's bundle file,
    // compiled lazily and never run by archcheck; fetch itself, WebSocket, caches, cookies are not.
    const lazyBodyHelpers =
      /\/undici\/lib\/web\/(fetch\/(body|constants|data-url|formdata|formdata-parser|global|util)|infra\/index|webidl\/index)\.js$/
    expect(
      undici.filter((file) => file.endsWith('/undici/index.js') || (file.includes('/undici/lib/web/') && !lazyBodyHelpers.test(file))),
    ).toEqual([])
    for (const heavy of ['cli-table3', 'tar-stream', 'fzstd']) expect(packages(run.modules)).not.toContain(heavy)
    expect(ownModules(run.modules).filter((file) => /^src\/(layers|build|verify)\//.test(file))).toEqual([])
    expect(unbundled(run.files)).toEqual([])
  })

  it('`inspect oci-layout:…` loads no HTTP client', async () => {
    const run = await traceModules(['inspect', 'oci-layout:fixtures/demo', '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(packages(run.modules)).not.toContain('undici')
    expect(
      ownModules(run.modules).filter((file) => /^src\/registry\/(transport|registry-source|auth|credentials)\.ts$/.test(file)),
    ).toEqual([])
  })
})
