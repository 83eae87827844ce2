/**
 * Every command run in process (@oclif/test's runCommand through test/helpers/in-process.ts) as a
 * user meets it: what lands on stdout, the one `archcheck: …` line on stderr, and the exit code,
 * against the test registry where the command reads one. The same behaviour through a real process
 * is covered per command in the other integration files; these keep the oclif wiring (flags,
 * arguments, error reporting, exit codes) of each command under a fast test.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runInProcess, type InProcessResult} from '../helpers/in-process.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'
import {tempDirSync} from '../helpers/temp-dir.js'

/** One line on stderr, nothing on stdout, the exit code. */
function expectErrorLine(result: InProcessResult, code: number, line: string): void {
  expect({stdout: result.stdout, stderr: result.stderr, code: result.code}).toEqual({stdout: '', stderr: `archcheck: ${line}\n`, code})
}

let index: PushedScenario
const savedDockerConfig = process.env.DOCKER_CONFIG

beforeAll(async () => {
  // The developer's own credentials must not reach the registry, as in runCli's environment.
  process.env.DOCKER_CONFIG = tempDirSync('docker-config')
  index = await pushScenario('oci-index')
})

afterAll(() => {
  if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG
  else process.env.DOCKER_CONFIG = savedDockerConfig
})

describe('inspect in process', () => {
  it('prints the index and one row per platform, exit 0', async () => {
    const result = await runInProcess(['inspect', index.reference])
    expect([result.code, result.stderr]).toEqual([0, ''])
    expect(result.stdout).toContain(`Digest:     ${index.root.digest}\n`)
    for (const platform of ['linux/amd64', 'linux/arm64'])
      expect(result.stdout).toMatch(new RegExp(`│ ${platform} +│ ${index.image(platform).digest} │`))
  })

  it('prints JSON with --json', async () => {
    const result = await runInProcess(['inspect', index.reference, '--json'])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as {digest: string}
    expect(json.digest).toBe(index.root.digest)
  })

  it('refuses an unknown flag with one line and exit 2', async () => {
    expectErrorLine(
      await runInProcess(['inspect', index.reference, '--jsno']),
      2,
      'unknown flag --jsno; did you mean --json? (see archcheck inspect --help)',
    )
  })

  it('exits 3 when the tag does not exist', async () => {
    const result = await runInProcess(['inspect', `${index.host}/${index.repository}:nosuch`])
    expect([result.code, result.stdout]).toEqual([3, ''])
    expect(result.stderr).toMatch(/^archcheck: [^\n]*not found[^\n]*\n$/)
  })
})

describe('resolve in process', () => {
  it('names the image a host pulls', async () => {
    const result = await runInProcess(['resolve', index.reference, '--host', 'linux/arm64', '--json'])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as {passed: boolean; results: Array<{host: string; verdict: string; chosen: {digest: string}}>}
    expect(json.passed).toBe(true)
    expect(json.results.map((r) => [r.host, r.verdict, r.chosen.digest])).toEqual([
      ['linux/arm64', 'ok', index.image('linux/arm64').digest],
    ])
  })

  it('refuses a platform Go does not know: exit 2, one line', async () => {
    const result = await runInProcess(['resolve', index.reference, '--host', 'linux/arm46'])
    expect([result.code, result.stdout]).toEqual([2, ''])
    expect(result.stderr).toMatch(
      /^archcheck: --host: platform "linux\/arm46": unknown architecture "arm46" \(did you mean arm64\?\)[^\n]*\n$/,
    )
  })
})

describe('verify in process', () => {
  it('passes when every required platform is there: exit 0', async () => {
    const result = await runInProcess(['verify', index.reference, '--require', 'linux/amd64,linux/arm64'])
    expect([result.code, result.stderr]).toEqual([0, ''])
    expect(result.stdout).toContain(`PASS ${index.reference}: every check passed`)
  })

  it('fails a missing platform: exit 1 and the check named', async () => {
    const result = await runInProcess(['verify', index.reference, '--require', 'linux/s390x'])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('FAIL platform-missing (linux/s390x)')
    expect(result.stdout).toContain(`FAIL ${index.reference}: 1 failed (platform-missing)`)
  })

  it('names a flag given without its value', async () => {
    expectErrorLine(await runInProcess(['verify', '--require']), 2, '--require needs a value (see archcheck verify --help)')
  })
})

describe('audit in process', () => {
  it('audits a tag for a host: one row, exit 0', async () => {
    const result = await runInProcess(['audit', index.reference, '--host', 'linux/arm64', '--no-cache', '--json'])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as {
      passed: boolean
      rows: Array<{digest: string; cells: Array<{host: string; verdict: string}>}>
    }
    expect(json.passed).toBe(true)
    expect(json.rows.map((row) => [row.digest, row.cells.map((cell) => `${cell.host} ${cell.verdict}`)])).toEqual([
      [index.root.digest, ['linux/arm64 ok']],
    ])
  })

  it('says there is nothing to audit: exit 2', async () => {
    expectErrorLine(await runInProcess(['audit']), 2, 'nothing to audit: name IMAGE… or --from (see archcheck audit --help)')
  })
})

describe('diagnose in process', () => {
  it('reads the layers and fails an image with no command: exit 1', async () => {
    const result = await runInProcess(['diagnose', index.reference, '--host', 'linux/arm64'])
    expect([result.code, result.stderr]).toEqual([1, ''])
    expect(result.stdout).toContain(`FAIL linux/arm64 hosts pull ${index.image('linux/arm64').digest.slice(0, 19)}`)
    expect(result.stdout).toContain('sets neither Entrypoint nor Cmd')
  })

  it('refuses a wildcard host', async () => {
    const result = await runInProcess(['diagnose', index.reference, '--host', 'linux/*'])
    expect([result.code, result.stdout]).toEqual([2, ''])
    expect(result.stderr).toMatch(/^archcheck: --host: invalid platform "linux\/\*"[^\n]*\n$/)
  })
})

describe('attestations in process', () => {
  it('shows the provenance of each platform, read from the index', async () => {
    const attested = await pushScenario('attestations')
    const result = await runInProcess(['attestations', attested.reference])
    expect([result.code, result.stderr]).toEqual([0, ''])
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      expect(result.stdout).toContain(`${platform} ${attested.image(platform).digest.slice(0, 19)}`)
    }
    expect(result.stdout.match(/^ {2}provenance +in index +SLSA v0\.2/gm)).toHaveLength(2)
  })
})

describe('build in process', () => {
  it('checks its context before building: exit 2, one line', async () => {
    expectErrorLine(
      await runInProcess(['build', '/nonexistent-context', '--tag', `${index.host}/in-process/build:1`]),
      2,
      'build context "/nonexistent-context" does not exist (see archcheck build --help)',
    )
  })
})

describe('builder inspect in process', () => {
  it('refuses an unknown flag', async () => {
    expectErrorLine(
      await runInProcess(['builder', 'inspect', '--nonsense']),
      2,
      'unknown flag --nonsense (see archcheck builder inspect --help)',
    )
  })
})

describe('builder create in process', () => {
  it('refuses a name buildx would refuse, before running docker; a name with a space passes through whole', async () => {
    const result = await runInProcess(['builder', 'create', 'my builder'])
    expect([result.code, result.stdout]).toEqual([2, ''])
    expect(result.stderr).toMatch(/^archcheck: invalid builder name "my builder"[^\n]*\(see archcheck builder create --help\)\n$/)
  })
})
