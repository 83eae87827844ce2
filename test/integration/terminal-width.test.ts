/**
 * The text output as a terminal shows it: each command runs under a pseudo-terminal (`script`
 * from util-linux) of 80 and 120 columns, and no table line may be wider than the terminal, nor
 * any digest cut below `sha256:` + 12 hex digits.
 */
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'

import {beforeAll, describe, expect, it} from 'vitest'

import {makeElf} from '../../scripts/fixtures/elf.js'
import {buildAttestation, buildImage, buildIndex, contentObject} from '../../scripts/fixtures/image-builder.js'
import {CLI_PATH, PROJECT_ROOT, cliEnv, runCli} from '../helpers/cli.js'
import {layoutWith} from '../helpers/layouts.js'

const SCRIPT = '/usr/bin/script'

const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g
const TABLE_LINE = /^[┌│├└]/

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`

/** Runs `archcheck ARGS…` with stdout on a pseudo-terminal `columns` wide (stderr dropped: progress lines). */
function onTerminal(columns: number, args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  // COLUMNS goes on the command line: the shell `script` starts would reset it to the terminal's.
  const variables = env.COLUMNS ? `env COLUMNS=${quote(env.COLUMNS)} ` : ''
  const command = `stty cols ${columns} rows 200; exec ${variables}${quote(process.execPath)} ${quote(CLI_PATH)} ${args.map(quote).join(' ')} 2>/dev/null`
  return new Promise((resolve, reject) => {
    execFile(
      SCRIPT,
      ['-qec', command, '/dev/null'],
      {cwd: PROJECT_ROOT, env: cliEnv({COLUMNS: undefined, ...env}), timeout: 60_000},
      (error, stdout) => {
        if (error && typeof error.code !== 'number') return reject(new Error(error.message))
        resolve(stdout.replace(/\r/g, '').replace(ANSI, ''))
      },
    )
  })
}

const width = (line: string): number => Array.from(line).length

function expectFits(output: string, columns: number): void {
  const tables = output.split('\n').filter((line) => TABLE_LINE.test(line))
  expect(tables.length).toBeGreaterThan(0)
  for (const line of tables) expect(width(line), line).toBeLessThanOrEqual(columns)
  for (const [, hex] of output.matchAll(/sha256:([0-9a-f]*)/g)) expect(hex.length).toBeGreaterThanOrEqual(12)
}

let layout: string

beforeAll(async () => {
  await runCli(['--version'])
  const amd64 = await buildImage({
    config: {architecture: 'amd64', entrypoint: ['/app'], created: '2024-05-01T12:34:56.123456789Z'},
    files: [{path: 'app', content: makeElf('amd64')}],
  })
  // Declared arm64, but an amd64 image: what resolve cannot see without reading layers.
  const liar = await buildImage({
    config: {architecture: 'amd64', entrypoint: ['/app'], cmd: ['x']},
    files: [{path: 'app', content: makeElf('amd64')}],
  })
  const armv7 = await buildImage({
    config: {architecture: 'arm', variant: 'v7', entrypoint: ['/app']},
    files: [{path: 'app', content: makeElf('arm')}],
  })
  const s390x = await buildImage({config: {architecture: 's390x', entrypoint: ['/app']}, files: [{path: 'app', content: makeElf('s390x')}]})
  const nested = buildIndex({entries: [{target: s390x}]})
  layout = await layoutWith(
    buildIndex({
      entries: [
        {target: amd64},
        {target: liar, platform: {os: 'linux', architecture: 'arm64'}},
        {target: armv7},
        {target: nested, platform: null},
        {target: await buildAttestation(amd64.top)},
        {target: await buildAttestation(liar.top, {predicateType: 'https://spdx.dev/Document'})},
        {target: contentObject('{}', 'application/vnd.example.thing.v1+json')},
      ],
    }),
  )
}, 60_000)

const REF = (): string => `oci-layout:${layout}`
const HOSTS = 'linux/amd64,linux/arm64,linux/arm/v7,linux/s390x,linux/ppc64le'

describe.skipIf(!existsSync(SCRIPT))('text output on a terminal', () => {
  const commands: Array<[string, () => string[]]> = [
    ['inspect', () => ['inspect', REF()]],
    ['resolve', () => ['resolve', REF(), '--host', HOSTS]],
    ['resolve --client all', () => ['resolve', REF(), '--client', 'all']],
    ['resolve --client all with five hosts', () => ['resolve', REF(), '--client', 'all', '--host', HOSTS]],
    ['resolve --explain --client all', () => ['resolve', REF(), '--client', 'all', '--explain']],
    ['resolve --deep', () => ['resolve', REF(), '--deep']],
    ['verify', () => ['verify', REF(), '--require', HOSTS, '--forbid-extra', '--deep']],
    ['audit --client all', () => ['audit', REF(), '--client', 'all', '--no-cache']],
    ['audit --client all with five hosts', () => ['audit', REF(), '--client', 'all', '--host', HOSTS, '--no-cache']],
  ]
  for (const columns of [80, 120]) {
    it.each(commands)(`%s fits ${columns} columns`, async (_name, args) => {
      expectFits(await onTerminal(columns, args()), columns)
    })
  }

  it.each([80, 120])('audit --client all at %i columns: no verdict broken over two lines, the left-out note once', async (columns) => {
    const output = await onTerminal(columns, ['audit', REF(), '--client', 'all', '--host', HOSTS, '--no-cache'])
    expect(output).toMatch(/no-match/)
    expect(output).not.toMatch(/│ *(no-|match|wrong-|arch|fall-|back) *│/)
    expect(output.match(/Not shown to fit/g)?.length ?? 0).toBeLessThanOrEqual(1)
  })

  it('keeps diagnose within its digests', async () => {
    const output = await onTerminal(80, ['diagnose', REF(), '--host', HOSTS, '--all-binaries'])
    expect(output).toMatch(/FAIL/)
    for (const [, hex] of output.matchAll(/sha256:([0-9a-f]*)/g)) expect(hex.length).toBeGreaterThanOrEqual(12)
  })

  it('shortens digests only when the table would not fit, and never with --no-trunc', async () => {
    const narrow = await onTerminal(80, ['inspect', REF()])
    expect(narrow).toMatch(/│ sha256:[0-9a-f]{12} │/)
    expect(narrow).toMatch(/Not shown to fit 80 columns: .*SIZE/)
    // Timestamps to the second: buildah's nanoseconds only widen the table.
    expect(narrow).not.toContain('.123456789')
    const wide = await onTerminal(300, ['inspect', REF()])
    expect(wide).toMatch(/│ sha256:[0-9a-f]{64} │/)
    const full = await onTerminal(80, ['inspect', REF(), '--no-trunc'])
    expect(full).toMatch(/│ sha256:[0-9a-f]{64} │/)
    expect(full).toMatch(/│ LAYERS │/)
  })

  it('reads COLUMNS before the terminal, and keeps colours out of the width', async () => {
    expectFits(await onTerminal(200, ['inspect', REF()], {COLUMNS: '80'}), 80)
    expectFits(await onTerminal(80, ['resolve', REF(), '--client', 'all'], {NO_COLOR: undefined, FORCE_COLOR: undefined}), 80)
  })

  it('writes full digests to a pipe when COLUMNS is unset, and to --json', async () => {
    const piped = await runCli(['inspect', REF()])
    expect(piped.stdout).toMatch(/│ sha256:[0-9a-f]{64} │/)
    for (const [, hex] of piped.stdout.matchAll(/sha256:([0-9a-f]*)/g)) expect(hex.length).toBe(64)
    const narrow = await runCli(['inspect', REF()], {env: {COLUMNS: '80'}})
    expect(narrow.stdout).toMatch(/│ sha256:[0-9a-f]{12} │/)
  })
})

describe('what resolve did not look at', () => {
  it('says the layers were not read, and --deep reads them: the arm64 entry holding amd64 binaries fails', async () => {
    const plain = await runCli(['resolve', REF(), '--host', 'linux/amd64,linux/arm64'])
    expect(plain.stdout).toMatch(
      /^layers not read: `archcheck diagnose oci-layout:.* --host linux\/amd64,linux\/arm64` checks the binaries/m,
    )
    const deep = await runCli(['resolve', REF(), '--host', 'linux/amd64,linux/arm64', '--deep'])
    expect(deep.code).toBe(1)
    expect(deep.stdout).not.toContain('layers not read')
    expect(deep.stdout).toMatch(
      /^ {2}FAIL entrypoint-arch \(linux\/arm64\): the linux\/arm64 image \(sha256:[0-9a-f]{12}\): .*`exec format error`/m,
    )
    const json = JSON.parse((await runCli(['resolve', REF(), '--deep', '--json'])).stdout)
    expect(json.passed).toBe(false)
    expect(
      json.layers
        .filter((check: {status: string}) => check.status === 'fail')
        .map((check: {id: string; host: string}) => `${check.id} ${check.host}`),
    ).toEqual(['entrypoint-arch linux/arm64'])
    expect(JSON.parse((await runCli(['resolve', REF(), '--json'])).stdout).layers).toBeNull()
  })

  it('names the platform of the image actually pulled in the client matrix', async () => {
    const run = await runCli(['resolve', REF(), '--client', 'all', '--host', 'linux/arm64'])
    expect(run.stdout).toMatch(/wrong-arch linux\/amd64/)
    expect(run.stdout).not.toMatch(/wrong-arch linux\/arm64/)
  })
})
