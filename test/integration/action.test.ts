/**
 * The GitHub Action as a runner runs it: the COMMITTED bundle (dist-action/index.js, what
 * action.yml's `runs.main` names) started with `node`, inputs as INPUT_<NAME> variables and the
 * runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP) in a temp dir, against the test
 * registry and a hostile one. `npm run check-action` keeps the bundle equal to a build of src/.
 */
import {execFile} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {XMLValidator} from 'fast-xml-parser'
import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {buildImage} from '../../scripts/fixtures/image-builder.js'
import {cliEnv, PROJECT_ROOT} from '../helpers/cli.js'
import {imageRoutes, startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

const BUNDLE = join(PROJECT_ROOT, 'dist-action', 'index.js')

interface ActionRun {
  code: number | null
  stdout: string
  outputs: Record<string, string>
  summary: string
  /** Lines of stdout the runner would take as workflow commands (outside ::stop-commands:: blocks). */
  commands: string[]
}

/** GITHUB_OUTPUT read as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1)
      expect(end, `unterminated output ${heredoc[1]}`).toBeGreaterThan(i)
      outputs[heredoc[1]] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (lines[i].includes('=')) {
      outputs[lines[i].slice(0, lines[i].indexOf('='))] = lines[i].slice(lines[i].indexOf('=') + 1)
    }
  }
  return outputs
}

/** The workflow commands the runner would obey: `::` lines, minus those between ::stop-commands::T and ::T::. */
function workflowCommands(stdout: string): string[] {
  const commands: string[] = []
  let stopToken: string | undefined
  for (const line of stdout.split(/\r?\n/)) {
    if (stopToken !== undefined) {
      if (line === `::${stopToken}::`) stopToken = undefined
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) stopToken = stop[1]
    else if (line.startsWith('::')) commands.push(line)
  }
  expect(stopToken, 'a ::stop-commands:: block left open').toBeUndefined()
  return commands
}

/** Runs the committed bundle with `inputs` (by input name, as written in `with:`). */
async function runAction(inputs: Record<string, string>): Promise<ActionRun> {
  const dir = await tempDir('action-run')
  const files = {GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md'), GITHUB_ENV: join(dir, 'env')}
  await Promise.all(Object.values(files).map((file) => writeFile(file, '')))
  const env = cliEnv({...files, RUNNER_TEMP: dir, XDG_CACHE_HOME: join(dir, 'cache')})
  for (const name of Object.keys(env)) if (name.startsWith('INPUT_')) delete env[name]
  // As the runner names them: upper-cased, spaces to _, dashes kept.
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  const {code, stdout} = await new Promise<{code: number | null; stdout: string}>((resolve, reject) => {
    execFile(process.execPath, [BUNDLE], {env, cwd: dir, timeout: 60_000}, (error, stdout) => {
      if (error && typeof error.code !== 'number') reject(new Error(`the action did not run: ${error.message}`))
      else resolve({code: error ? (error.code as number) : 0, stdout})
    })
  })
  return {
    code,
    stdout,
    outputs: parseOutputs(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    commands: workflowCommands(stdout),
  }
}

let release: PushedScenario
let amd64Only: PushedScenario
let armV7: PushedScenario

beforeAll(async () => {
  release = await pushScenario('action-release', {
    index: {
      entries: [
        {platform: 'linux/amd64', attestation: true},
        {platform: 'linux/arm64/v8', attestation: true},
      ],
    },
  })
  amd64Only = await pushScenario('action-amd64-only', {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/s390x'}]}})
  armV7 = await pushScenario('action-arm-v7', {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm/v7'}]}})
})

describe('mode verify', () => {
  it('passes a complete release: outputs, a ✅ summary line, the JSON report, exit 0', async () => {
    const run = await runAction({image: release.reference, require: 'linux/amd64,linux/arm64'})
    expect(run.code, run.stdout).toBe(0)
    expect(run.outputs.passed).toBe('true')
    expect(run.outputs.digest).toBe(release.root.digest)
    // arm64/v8 as the index declares it: attestations (unknown/unknown) are not platforms.
    expect(JSON.parse(run.outputs.platforms)).toEqual(['linux/amd64', 'linux/arm64/v8'])
    expect(run.summary.split('\n')[0]).toBe(`✅ ${release.reference} — 2 platforms, every check passed`)
    expect(run.commands).toEqual([])
    const report = JSON.parse(await readFile(run.outputs.report, 'utf8')) as {verdict: string; references: Array<{digest: string}>}
    expect(report.verdict).toBe('pass')
    expect(report.references[0].digest).toBe(release.root.digest)
  })

  it('fails the step when a required platform is missing: exit 1, ::error naming it, ❌ verdict first', async () => {
    const junit = join(await tempDir('action-junit'), 'archcheck.xml')
    const run = await runAction({image: amd64Only.reference, require: 'linux/amd64\nlinux/arm64', junit})
    expect(run.code, run.stdout).toBe(1)
    expect(run.outputs.passed).toBe('false')
    expect(JSON.parse(run.outputs.platforms)).toEqual(['linux/amd64', 'linux/s390x'])
    expect(run.summary.split('\n')[0]).toBe(`❌ ${amd64Only.reference} — linux/arm64 missing`)
    expect(run.commands.some((line) => /^::error title=archcheck platform-missing \(linux\/arm64\)::/.test(line))).toBe(true)
    const xml = await readFile(junit, 'utf8')
    expect(XMLValidator.validate(xml)).toBe(true)
    expect(xml).toContain('<failure')
  })

  it('passes an arm64 host served by arm/v7 only with allow-fallback', async () => {
    const strict = await runAction({image: armV7.reference, 'allow-fallback': 'false'})
    const lenient = await runAction({image: armV7.reference, 'allow-fallback': 'true'})
    expect([strict.code, lenient.code]).toEqual([1, 0])
    expect(strict.summary.split('\n')[0]).toBe(`❌ ${armV7.reference} — platform-fallback (linux/arm64)`)
  })

  it('fails a tag that moved away from the digest the build pushed (expect-digest, metadata-file)', async () => {
    const moved = await runAction({image: release.reference, 'expect-digest': amd64Only.root.digest})
    expect(moved.code).toBe(1)
    expect(moved.commands.some((line) => line.startsWith('::error title=archcheck digest-mismatch'))).toBe(true)

    const metadata = join(await tempDir('action-metadata'), 'metadata.json')
    await writeFile(metadata, JSON.stringify({'containerimage.digest': release.root.digest, 'image.name': release.reference}))
    const fromBuild = await runAction({'metadata-file': metadata})
    expect(fromBuild.code, fromBuild.stdout).toBe(0)
    expect(fromBuild.outputs.digest).toBe(release.root.digest)
  })

  it('checks each of several images, one a line, and lists the failing one in the verdict', async () => {
    const run = await runAction({image: `${release.reference}\n${amd64Only.reference}\n`})
    expect(run.code).toBe(1)
    expect(run.summary.split('\n')[0]).toBe(`❌ 1 of 2 images failed — ${amd64Only.reference}: linux/arm64 missing`)
    expect(run.outputs.digest).toBe(release.root.digest)
  })

  it('reads layers with deep: true', async () => {
    const run = await runAction({image: release.reference, deep: 'true'})
    const report = JSON.parse(await readFile(run.outputs.report, 'utf8')) as {references: Array<{checks: Array<{id: string}>}>}
    expect(report.references[0].checks.map((check) => check.id)).toContain('entrypoint-arch')
  })
})

describe('mode audit', () => {
  it('passes when every host pulls a native image, and writes the Markdown report to the summary', async () => {
    const run = await runAction({mode: 'audit', image: release.reference, hosts: 'linux/amd64,linux/arm64'})
    expect(run.code, run.stdout).toBe(0)
    expect(run.outputs).toMatchObject({passed: 'true', digest: release.root.digest, platforms: '[]'})
    expect(run.summary.split('\n')[0]).toBe('✅ 1 image on 2 hosts — every pull passed')
    expect(run.summary).toContain('## archcheck audit')
    const report = JSON.parse(await readFile(run.outputs.report, 'utf8')) as {passed: boolean; rows: unknown[]}
    expect(report).toMatchObject({passed: true, rows: [expect.anything()]})
  })

  it('fails with an ::error per image a host cannot pull, reading images from a file (from)', async () => {
    const list = join(await tempDir('action-from'), 'images.txt')
    await writeFile(list, `${release.reference}\n${amd64Only.reference}\n`)
    const run = await runAction({mode: 'audit', from: list, hosts: 'linux/arm64', client: 'all'})
    expect(run.code).toBe(1)
    expect(run.outputs.passed).toBe('false')
    expect(run.outputs.digest).toBe('')
    expect(run.summary.split('\n')[0]).toBe(`❌ 2 images on 1 host — 1 failed (${amd64Only.reference})`)
    const errors = run.commands.filter((line) => line.startsWith('::error'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(`linux/arm64 (docker)`)
  })
})

describe('bad input and unreadable registries', () => {
  let hostile: HostileRegistry | undefined
  afterEach(async () => {
    await hostile?.close()
    hostile = undefined
  })

  it.each([
    [{image: 'app:1', mode: 'check'}, /input mode: expected verify or audit/],
    [{image: 'app:1', deep: 'yes'}, /input deep: expected true or false/],
    [{image: 'app:1', client: 'rkt'}, /input client: unknown client/],
    [{image: 'app:1', tags: '>=1'}, /input tags is read in mode audit only/],
    [{mode: 'audit', image: 'app:1', junit: 'x.xml'}, /input junit is read in mode verify only/],
    [{}, /input image: name an image/],
    [{image: 'app@sha256:1234'}, /sha256:1234/],
    [{image: 'app:1', require: 'linux/amd64,linux//arm64'}, /invalid platform "linux\/\/arm64"/],
  ])('%j fails the step with exit 2 and one ::error line', async (inputs, reason) => {
    const run = await runAction(inputs)
    expect(run.code, run.stdout).toBe(2)
    expect(run.commands).toHaveLength(1)
    expect(run.commands[0]).toMatch(/^::error title=archcheck::archcheck: /)
    expect(run.commands[0]).toMatch(reason)
  })

  it("never lets a registry's error text start a workflow command", async () => {
    const image = await buildImage({config: {architecture: 'amd64'}, files: [{path: 'app', content: 'x'}]})
    const serve = imageRoutes(image)
    const evil = 'denied\n::add-mask::secret\r\n::set-output name=passed::true %0A::set-output name=passed::true'
    hostile = await startHostileRegistry((request, response) => {
      if (request.url?.includes('/manifests/')) {
        response.writeHead(403, {'content-type': 'application/json'})
        response.end(JSON.stringify({errors: [{code: 'DENIED', message: evil}]}))
        return
      }
      if (!serve(request, response)) response.writeHead(404).end()
    })
    const reference = `${hostile.host}/repo:latest`
    const runs: Array<Record<string, string>> = [{image: reference}, {mode: 'audit', image: reference}]
    for (const inputs of runs) {
      const run = await runAction(inputs)
      expect(run.code, run.stdout).toBe(3)
      expect(run.outputs.passed).toBe('false')
      // The only commands are archcheck's own ::error lines; the registry's %, CR and LF are escaped in them.
      expect(run.commands.length).toBeGreaterThan(0)
      for (const line of run.commands) {
        expect(line).toMatch(/^::error title=archcheck/)
        expect(line).toContain('%250A::set-output')
      }
      expect(run.stdout).not.toMatch(/^::(add-mask|set-output)/m)
      expect(run.summary.split('\n')[0]).toMatch(/^❌ /)
    }
  })
})
