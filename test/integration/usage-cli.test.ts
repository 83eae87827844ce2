/**
 * What every command does with bad usage, a closed pipe and Ctrl-C, run as a user runs it (the
 * built CLI): one line `archcheck: …` on stderr, the documented exit code, never a stack.
 */
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {XMLParser} from 'fast-xml-parser'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {CLI_PATH, PROJECT_ROOT, cliEnv, runCli, type CliResult} from '../helpers/cli.js'
import {startCountingProxy, type CountingProxy} from '../helpers/counting-proxy.js'
import {pushScenario} from '../helpers/scenarios.js'
import {tempDirSync} from '../helpers/temp-dir.js'

const DEMO = 'oci-layout:fixtures/demo'

/** One line on stderr, `archcheck: …`, no stack, nothing on stdout, the given exit code. */
function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(/^archcheck: [^\n]+\n$/)
  expect(result.stderr).toMatch(pattern)
  expect(result.code).toBe(code)
}

describe('archcheck help', () => {
  it('shows what --help shows, for a command, a command under a topic and archcheck itself', async () => {
    for (const words of [['inspect'], ['builder', 'create'], []]) {
      const viaHelp = await runCli(['help', ...words])
      const viaFlag = await runCli([...words, '--help'])
      expect(viaHelp.code).toBe(0)
      expect(viaHelp.stdout).toBe(viaFlag.stdout)
      expect(viaHelp.stdout).toMatch(/^USAGE$/m)
    }
    // The command as one argument, as its description writes it.
    expect((await runCli(['help', 'builder create'])).stdout).toBe((await runCli(['builder', 'create', '--help'])).stdout)
  })

  it('names a value an argument does not take in the usual one line', async () => {
    expectOneLineError(
      await runCli(['autocomplete', 'script', 'tcsh']),
      2,
      /^archcheck: "tcsh": expected one of bash, zsh, fish, powershell \(see archcheck autocomplete script --help\)$/m,
    )
  })
})

describe('usage errors are one line and exit 2', () => {
  it('names an unknown command, also under a topic and after help', async () => {
    expectOneLineError(await runCli(['nosuch']), 2, /^archcheck: unknown command "nosuch" \(see archcheck --help\)$/m)
    expectOneLineError(await runCli(['builder', 'nosuch']), 2, /unknown command "builder nosuch"/)
    expectOneLineError(await runCli(['help', 'nosuch']), 2, /unknown command "nosuch"/)
    expectOneLineError(
      await runCli(['inpsect', DEMO]),
      2,
      /^archcheck: unknown command "inpsect"; did you mean inspect\? \(see archcheck --help\)$/m,
    )
    expectOneLineError(await runCli(['builder', 'creat']), 2, /unknown command "builder creat"; did you mean builder create\?/)
  })

  it('names the missing argument and the help to read, without oclif notes', async () => {
    const result = await runCli(['resolve', '--host', 'linux/arm64'])
    expectOneLineError(result, 2, /^archcheck: missing REF: image reference, .* \(see archcheck resolve --help\)$/m)
    expect(result.stderr).not.toMatch(/Note:|allow multiple values/)
  })

  it("ends every usage error with the help pointer, oclif's own wordings included", async () => {
    expectOneLineError(await runCli(['verify', '--require']), 2, /^archcheck: --require needs a value \(see archcheck verify --help\)$/m)
    expectOneLineError(await runCli(['verify']), 2, /^archcheck: no image to verify: .* \(see archcheck verify --help\)$/m)
  })

  it('refuses a platform Go does not know, with a did-you-mean, unless --allow-unknown-platform', async () => {
    expectOneLineError(
      await runCli(['verify', DEMO, '--require', 'linux/amd64,linux/arm46']),
      2,
      /^archcheck: --require: platform "linux\/arm46": unknown architecture "arm46" \(did you mean arm64\?\); --allow-unknown-platform accepts it as written \(see archcheck verify --help\)$/m,
    )
    expectOneLineError(
      await runCli(['resolve', DEMO, '--host', 'linux/arm65']),
      2,
      /--host: platform "linux\/arm65": unknown architecture "arm65" \(did you mean arm64\?\)/,
    )
    expectOneLineError(await runCli(['diagnose', DEMO, '--host', 'linxu/amd64']), 2, /unknown OS "linxu" \(did you mean linux\?\)/)
    expectOneLineError(
      await runCli(['inspect', DEMO, '--platform', 'linux/amd46']),
      2,
      /--platform: platform "linux\/amd46": unknown architecture/,
    )
    const allowed = await runCli(['resolve', DEMO, '--host', 'linux/arm65', '--allow-unknown-platform'])
    expect(allowed.code).toBe(1)
    expect(allowed.stdout).toMatch(/linux\/arm65 +│ +- +│/)
    expect((await runCli(['resolve', DEMO, '--host', 'linux/riscv64,linux/loong64,linux/mips64le,windows/amd64,freebsd/amd64'])).code).toBe(
      1,
    )
  })

  it('points a local directory or file to oci-layout: or oci-archive: instead of asking Docker Hub', async () => {
    expectOneLineError(
      await runCli(['inspect', 'fixtures/demo']),
      2,
      /^archcheck: "fixtures\/demo" is a local directory: did you mean oci-layout:fixtures\/demo\? \(docker:\/\/fixtures\/demo asks the registry\) \(see archcheck inspect --help\)$/m,
    )
    expectOneLineError(await runCli(['verify', 'fixtures/demo']), 2, /did you mean oci-layout:fixtures\/demo\?/)
    expectOneLineError(
      await runCli(['resolve', 'package.json']),
      2,
      /"package\.json" is a local file: did you mean oci-archive:package\.json\?/,
    )
  })

  it('verify --quiet prints only failures, nothing when everything passed', async () => {
    const passed = await runCli(['verify', DEMO, '--quiet'])
    expect([passed.code, passed.stdout]).toEqual([0, ''])
    const failed = await runCli(['verify', DEMO, '--quiet', '--require', 'linux/amd64,linux/s390x'])
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(
      /^FAIL oci-layout:fixtures\/demo:latest: platform-missing \(linux\/s390x\): docker refuses to pull the tag on linux\/s390x hosts[^\n]*\n$/,
    )
  })

  it("understands skopeo's oci:PATH as an OCI layout", async () => {
    const run = await runCli(['resolve', 'oci:fixtures/demo'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Reference: oci-layout:fixtures\/demo:latest$/m)
    const verified = await runCli(['verify', 'oci:fixtures/demo', '--json'])
    expect(JSON.parse(verified.stdout).references[0].reference).toBe('oci-layout:fixtures/demo:latest')
  })

  it('names an unexpected argument', async () => {
    expectOneLineError(
      await runCli(['inspect', DEMO, 'extra']),
      2,
      /^archcheck: unexpected argument "extra" \(see archcheck inspect --help\)$/m,
    )
  })

  it('suggests the closest flag for a mistyped one', async () => {
    expectOneLineError(
      await runCli(['inspect', DEMO, '--jsno']),
      2,
      /^archcheck: unknown flag --jsno; did you mean --json\? \(see archcheck inspect --help\)$/m,
    )
    expectOneLineError(
      await runCli(['builder', 'inspect', '--nonsense']),
      2,
      /^archcheck: unknown flag --nonsense \(see archcheck builder inspect --help\)$/m,
    )
  })

  it('says which flags conflict in one sentence', async () => {
    expectOneLineError(await runCli(['inspect', DEMO, '--json', '--raw']), 2, /^archcheck: --json and --raw cannot be used together/m)
  })

  it('lists the choices of an option flag and explains a bad number', async () => {
    const clients = 'docker, docker@20.10, containerd, podman, exact, kubernetes, cri, nerdctl, cri-o, buildah, skopeo, all'
    const badClient = new RegExp(`^archcheck: --client "moby": expected one of ${clients} \\(see archcheck resolve --help\\)$`, 'm')
    expectOneLineError(await runCli(['resolve', DEMO, '--client', 'moby']), 2, badClient)
    expectOneLineError(
      await runCli(['inspect', DEMO, '--timeout', '0']),
      2,
      /^archcheck: --timeout: expected an integer greater than or equal to 1/m,
    )
  })

  it("refuses a --timeout that Node's timers cannot hold (it used to time out at once)", async () => {
    expectOneLineError(
      await runCli(['inspect', DEMO, '--timeout', '3000000']),
      2,
      /^archcheck: --timeout: expected an integer less than or equal to 86400/m,
    )
  })

  it('refuses a builder name buildx would refuse, before running docker (an empty one used to pick the default builder)', async () => {
    const noDocker = {PATH: '/nonexistent'}
    expectOneLineError(
      await runCli(['builder', 'create', ''], {env: noDocker}),
      2,
      /^archcheck: invalid builder name "": it starts with a letter/m,
    )
    expectOneLineError(
      await runCli(['builder', 'inspect', 'my builder'], {env: noDocker}),
      2,
      /^archcheck: invalid builder name "my builder"/m,
    )
    expectOneLineError(
      await runCli(['build', '--builder', '', '--push', '-t', 'localhost:5000/app:1', PROJECT_ROOT], {env: noDocker}),
      2,
      /^archcheck: invalid builder name ""/m,
    )
  })

  it('names the flag whose value is wrong', async () => {
    expectOneLineError(await runCli(['resolve', DEMO, '--host', 'linux/arm64,']), 2, /^archcheck: --host: invalid platform "": empty part/m)
    expectOneLineError(await runCli(['verify', DEMO, '--require', 'linux/arm64,foo']), 2, /^archcheck: --require: invalid platform "foo"/m)
    expectOneLineError(await runCli(['diagnose', DEMO, '--host', 'linux/*']), 2, /^archcheck: --host: invalid platform "linux\/\*"/m)
    expectOneLineError(
      await runCli(['verify', DEMO, '--expect-digest', 'sha256:abc']),
      2,
      /^archcheck: --expect-digest: invalid sha256 digest "sha256:abc"/m,
    )
  })

  it('refuses an --insecure-registry value that could never match a host (it used to be ignored)', async () => {
    expectOneLineError(
      await runCli(['inspect', DEMO, '--insecure-registry', 'registry.test:5000/v2']),
      2,
      /^archcheck: --insecure-registry "registry\.test:5000\/v2": expected HOST\[:PORT\]/m,
    )
    expectOneLineError(
      await runCli(['resolve', DEMO, '--insecure-registry', '']),
      2,
      /^archcheck: --insecure-registry "": expected HOST\[:PORT\]/m,
    )
    const ok = await runCli([
      'inspect',
      DEMO,
      '--insecure-registry',
      'registry.test:5000',
      '--insecure-registry',
      '[::1]:5000',
      '--insecure-registry',
      'http://other.test',
    ])
    expect(ok.code).toBe(0)
  })

  it('refuses an empty --expect-digest (it used to check nothing and pass)', async () => {
    expectOneLineError(await runCli(['verify', DEMO, '--expect-digest', '']), 2, /^archcheck: --expect-digest: invalid digest ""/m)
  })

  it('says a flag given before the command belongs after it; --debug may come first', async () => {
    expectOneLineError(
      await runCli(['--json', 'inspect', DEMO]),
      2,
      /^archcheck: --json before a command: write archcheck COMMAND \[FLAGS\] \(see archcheck --help\)$/m,
    )
    const debug = await runCli(['--debug', 'inspect', 'oci-layout:/nonexistent-layout'])
    expect(debug.code).toBe(2)
    expect(debug.stderr).toMatch(
      /^archcheck: OCI layout directory "\/nonexistent-layout" does not exist \(see archcheck inspect --help\)\nUsageError: .*\n {4}at /,
    )
  })

  it('takes -h as --help', async () => {
    const result = await runCli(['verify', '-h'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^USAGE\n {2}\$ archcheck verify/m)
    expect(result.stdout).toMatch(/^EXAMPLES$/m)
  })
})

describe('flags given before the reference', () => {
  // A repeatable flag used to swallow every word after it, the reference included.
  it.each([
    [['inspect', '--insecure-registry', 'registry.test:5000', DEMO]],
    [['resolve', '--host', 'linux/arm64', DEMO]],
    [['diagnose', '--host', 'linux/amd64', DEMO]],
    [['verify', '--require', 'linux/arm64', DEMO]],
  ])('%j reads the reference', async (args) => {
    const result = await runCli(args)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('fixtures/demo:latest')
  })

  it('verify still reads repeated and comma-separated --require values and several references', async () => {
    const result = await runCli([
      'verify',
      '--require',
      'linux/arm64',
      '--require',
      'linux/amd64,linux/arm64',
      DEMO,
      `${DEMO}:latest`,
      '--json',
    ])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as {required: string[]; references: unknown[]}
    expect(json.required).toEqual(['linux/arm64', 'linux/amd64'])
    expect(json.references).toHaveLength(2)
  })
})

describe('report and input files', () => {
  it('verify --junit to a directory that does not exist fails at once, before reading the image', async () => {
    const result = await runCli(['verify', '127.0.0.1:9/never/read:1', '--junit', '/nonexistent-dir/report.xml'])
    expectOneLineError(
      result,
      2,
      /^archcheck: --junit \/nonexistent-dir\/report\.xml: directory \/nonexistent-dir does not exist \(see archcheck verify --help\)$/m,
    )
  })

  it('verify --junit to a directory says so', async () => {
    expectOneLineError(
      await runCli(['verify', DEMO, '--junit', tmpdir()]),
      2,
      /: is a directory, expected a file \(see archcheck verify --help\)$/m,
    )
  })

  it('verify --junit writes the report when the path is good', async () => {
    const file = join(tempDirSync('junit'), 'report.xml')
    const result = await runCli(['verify', DEMO, '--junit', file])
    expect(result.code).toBe(0)
    const xml = readFileSync(file, 'utf8')
    expect(xml).toMatch(/^<\?xml/)
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => name === 'testsuite' || name === 'testcase',
    })
    const suites = parser.parse(xml).testsuites.testsuite as Array<{name: string; failures: string; testcase: Array<{name: string}>}>
    expect(suites).toHaveLength(1)
    expect(suites[0]).toMatchObject({name: `${DEMO}:latest`, failures: '0'})
    expect(suites[0].testcase.map((testcase) => testcase.name)).toEqual(
      expect.arrayContaining([
        'latest: platform-missing [linux/amd64]',
        'latest: platform-missing [linux/arm64]',
        'latest: dangling-manifest',
      ]),
    )
  })

  it('build checks its tags and its --output directory before building', async () => {
    const noDocker = {PATH: '/nonexistent'}
    expectOneLineError(
      await runCli(['build', PROJECT_ROOT, '--push', '-t', 'Bad Ref'], {env: noDocker}),
      2,
      /^archcheck: --tag: invalid image reference "Bad Ref": it contains white space \(see archcheck build --help\)$/m,
    )
    expectOneLineError(
      await runCli(['build', PROJECT_ROOT, '--push', '-t', ''], {env: noDocker}),
      2,
      /^archcheck: --tag: empty image reference \(see archcheck build --help\)$/m,
    )
    expectOneLineError(
      await runCli(['build', PROJECT_ROOT, '--output', 'oci:/nonexistent-dir/out'], {env: noDocker}),
      2,
      /^archcheck: --output oci:\/nonexistent-dir\/out: directory \/nonexistent-dir does not exist \(see archcheck build --help\)$/m,
    )
    expectOneLineError(
      await runCli(['build', PROJECT_ROOT, '--output', 'oci:package.json'], {env: noDocker}),
      2,
      /is a file, expected a directory \(see archcheck build --help\)$/m,
    )
  })

  it('build says in words why a Dockerfile cannot be read', async () => {
    expectOneLineError(
      await runCli(['build', PROJECT_ROOT, '--push', '-t', 'localhost:5000/app:1', '-f', tmpdir()], {env: {PATH: '/nonexistent'}}),
      2,
      new RegExp(`^archcheck: cannot read Dockerfile ${tmpdir()}: is a directory \\(see archcheck build --help\\)$`, 'm'),
    )
  })

  it('build --insecure-registry pushes to that registry over plain HTTP (it was used for verification only)', async () => {
    const bin = tempDirSync('fake-buildah')
    const log = join(bin, 'calls.log')
    // A buildah that builds nothing and fails every push, recording its arguments.
    writeFileSync(
      join(bin, 'buildah'),
      `#!/bin/sh\necho "$@" >> "${log}"\ncase "$1 $2" in\n  --version*) echo "buildah version 1.28.2 (image-spec 1.0.2, runtime-spec 1.0.2-dev)" ;;\n  "manifest push") exit 1 ;;\nesac\nexit 0\n`,
      {mode: 0o755},
    )
    const context = tempDirSync('ctx')
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n')
    const result = await runCli(
      [
        'build',
        context,
        '--backend',
        'buildah',
        '--platform',
        'linux/amd64',
        '--push',
        '-t',
        'registry.test:5000/app:1',
        '--insecure-registry',
        'registry.test:5000',
      ],
      {env: {PATH: `${bin}:${process.env.PATH}`}},
    )
    expect(result.code, result.stderr).toBe(1)
    expect(readFileSync(log, 'utf8')).toMatch(/^manifest push --all --tls-verify=false .* docker:\/\/registry\.test:5000\/app:1$/m)
  })

  it('build names a context that does not exist or is a file', async () => {
    expectOneLineError(
      await runCli(['build', '/nonexistent-context', '--push', '-t', 'localhost:5000/app:1']),
      2,
      /^archcheck: build context "\/nonexistent-context" does not exist \(see archcheck build --help\)$/m,
    )
    const file = join(tempDirSync('ctx'), 'Dockerfile')
    writeFileSync(file, 'FROM scratch\n')
    expectOneLineError(
      await runCli(['build', file, '--push', '-t', 'localhost:5000/app:1']),
      2,
      /is not a directory \(see archcheck build --help\)$/m,
    )
  })
})

/** Starts the CLI with its stdout piped to us, for tests that close the pipe or send signals. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {cwd: PROJECT_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>((resolve) => {
    child.on('close', (code, signal) => resolve({code, signal, stderr}))
  })
  return {child, exited}
}

describe('a reader that goes away (archcheck … | head)', () => {
  it.each([
    [['inspect', DEMO]],
    [['inspect', DEMO, '--json']],
    [['resolve', DEMO, '--explain']],
    [['verify', DEMO]],
    [['diagnose', DEMO]],
    [['--help']],
    [['--version']],
  ])('%j exits quietly with its own exit code', async (args) => {
    const {child, exited} = startCli(args)
    child.stdout.destroy()
    const {code, stderr} = await exited
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it('keeps the exit code of a failed check', async () => {
    const {child, exited} = startCli(['resolve', DEMO, '--host', 'linux/s390x'])
    child.stdout.destroy()
    const {code, stderr} = await exited
    expect(stderr).toBe('')
    expect(code).toBe(1)
  })
})

describe('Ctrl-C mid-request', () => {
  let proxy: CountingProxy
  beforeAll(async () => {
    proxy = await startCountingProxy(inject('registry').host, {latencyMs: 10_000})
  })
  afterAll(async () => {
    await proxy.close()
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s exits quietly with %i', async (signalSent, exitCode) => {
    proxy.reset()
    const scenario = await pushScenario('oci-index')
    const {child, exited} = startCli(['inspect', `${proxy.host}/${scenario.repository}:latest`])
    const deadline = Date.now() + 10_000
    while (proxy.requests.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(proxy.requests.length).toBeGreaterThan(0)
    child.kill(signalSent)
    const {code, signal, stderr} = await exited
    expect({code, signal, stderr}).toEqual({code: exitCode, signal: null, stderr: ''})
  })
})

describe('human output', () => {
  it('diagnose --all-binaries counts in good English', async () => {
    const result = await runCli(['diagnose', DEMO, '--all-binaries', '--host', 'linux/arm64'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^binaries of sha256:\w{12} \(linux\/arm64\): 1 executable ELF file; other architectures: none$/m)
  })
})
