/**
 * The GitLab CI job of docs/ci.md, run as a runner runs it: its `script` lines in one bash with
 * `set -eo pipefail`, then its `after_script` lines in another, with the job's variables, against
 * the test registry. The package is installed from `npm pack` output into a temp npm prefix, as the
 * job installs the release tarball. Needs `npm run build` (the tarball holds dist/).
 */
import {execFile} from 'node:child_process'
import {mkdir, readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {XMLValidator} from 'fast-xml-parser'
import {beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {cliEnv, PROJECT_ROOT} from '../helpers/cli.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

interface GitlabJob {
  variables: Record<string, string>
  script: string[]
  after_script: string[]
  artifacts: {when: string; reports: {junit: string}}
}

/** The job as docs/ci.md shows it: the YAML block under "## GitLab CI". */
async function documentedJob(): Promise<GitlabJob> {
  const doc = await readFile(join(PROJECT_ROOT, 'docs', 'ci.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## GitLab CI'))
  const block = /```yaml\n([\s\S]*?)```/.exec(section)
  expect(block, 'docs/ci.md has no yaml block under "## GitLab CI"').not.toBeNull()
  const jobs = parse(block![1]) as Record<string, GitlabJob>
  return jobs.archcheck
}

let job: GitlabJob
let tarball: string
let prefix: string

beforeAll(async () => {
  job = await documentedJob()
  const dir = await tempDir('gitlab-pack')
  // Scripts skipped: `prepare` would rebuild dist/, which the integration run has just built.
  const {stdout} = await promisify(execFile)('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {cwd: PROJECT_ROOT})
  tarball = join(dir, (JSON.parse(stdout) as Array<{filename: string}>)[0].filename)
  prefix = await tempDir('gitlab-prefix')
}, 120_000)

interface JobRun {
  code: number
  log: string
  afterLog: string
  buildDir: string
}

/** Runs bash as GitLab's shell executor does: the lines in one script, stopping at the first failure. */
function bash(lines: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{code: number; log: string}> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', ['set -eo pipefail', ...lines].join('\n')], {env, cwd, timeout: 170_000}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, log: `${stdout}${stderr}`})
    })
  })
}

async function runJob(image: string): Promise<JobRun> {
  const buildDir = await tempDir('gitlab-build')
  const home = join(buildDir, '.home')
  await mkdir(home)
  const env = cliEnv({
    ...job.variables,
    ARCHCHECK_PACKAGE: tarball,
    IMAGE: image,
    CI_REGISTRY: image.split('/')[0],
    CI_REGISTRY_USER: 'gitlab-ci-token',
    CI_REGISTRY_PASSWORD: 'job-token',
    HOME: home,
    DOCKER_CONFIG: undefined,
    // `npm install --global` into a prefix of the test's own; dependencies from npm's cache when there.
    npm_config_prefix: prefix,
    // The job's HOME is a temp dir; npm's cache stays the machine's.
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
    npm_config_prefer_offline: 'true',
    PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
  })
  const script = await bash(job.script, env, buildDir)
  const after = await bash(job.after_script, env, buildDir)
  expect(after.code, after.log).toBeLessThanOrEqual(1)
  return {code: script.code, log: script.log, afterLog: after.log, buildDir}
}

describe('the GitLab job of docs/ci.md', () => {
  let release: PushedScenario
  let amd64Only: PushedScenario

  beforeAll(async () => {
    release = await pushScenario('gitlab-release', {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}})
    amd64Only = await pushScenario('gitlab-amd64-only', {index: {entries: [{platform: 'linux/amd64'}]}})
  })

  it('keeps the JUnit report whatever the outcome', () => {
    expect(job.artifacts).toEqual({when: 'always', reports: {junit: 'archcheck.xml'}})
  })

  it('passes a complete release: JUnit written, the Markdown matrix in the log', async () => {
    const run = await runJob(release.reference)
    expect(run.code, run.log).toBe(0)
    const xml = await readFile(join(run.buildDir, job.artifacts.reports.junit), 'utf8')
    expect(XMLValidator.validate(xml)).toBe(true)
    expect(xml).not.toContain('<failure')
    expect(run.afterLog).toContain('## archcheck audit')
    expect(run.afterLog).toContain('scenarios/gitlab-release')
    expect(run.afterLog).toContain('✅ ok')
    expect(run.afterLog).not.toContain('❌')
  }, 180_000)

  it('fails the job with exit 1 when linux/arm64 is missing, and still prints the matrix', async () => {
    const run = await runJob(amd64Only.reference)
    expect(run.code, run.log).toBe(1)
    expect(run.log).toContain('platform-missing')
    const xml = await readFile(join(run.buildDir, job.artifacts.reports.junit), 'utf8')
    expect(xml).toContain('<failure type="platform-missing"')
    expect(run.afterLog).toContain('scenarios/gitlab-amd64-only')
    // The arm64 columns fail (the cell's word is the client's verdict: no-match).
    expect(run.afterLog).toMatch(/\| ❌ [a-z-]+ \|/)
  }, 180_000)
})
