// archcheck verify against real images in the test registry: each check passing and failing, in
// every output format, with the exit codes of issue 4.
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {beforeAll, describe, expect, inject, it} from 'vitest'

import {buildAttestation, buildImage, buildIndex} from '../../scripts/fixtures/image-builder.js'
import {verify} from '../../src/api/verify.js'
import {runCli} from '../helpers/cli.js'
import {startCountingProxy} from '../helpers/counting-proxy.js'
import {TestRegistryClient} from '../helpers/registry.js'
import {pushScenario, type PushedScenario, type ScenarioSpec} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

let dir: string
const junitParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  htmlEntities: true,
  isArray: (name) => name === 'testsuite' || name === 'testcase',
})

beforeAll(async () => {
  dir = await tempDir('verify-it')
})

interface JsonCheck {
  id: string
  status: string
  platform: string | null
  message: string
}
interface JsonReport {
  verdict: string
  exitCode: number
  strict: boolean
  references: Array<{reference: string; digest: string | null; verdict: string; error: string | null; checks: JsonCheck[]}>
}

const notPassing = (checks: JsonCheck[]): string[] =>
  checks
    .filter((check) => check.status === 'fail' || check.status === 'warn')
    .map((check) => `${check.id} ${check.status} ${check.platform ?? '-'}`)

async function verifyJson(args: string[]): Promise<{code: number; json: JsonReport; stderr: string}> {
  const result = await runCli(['verify', ...args, '--json'])
  return {code: result.code, json: JSON.parse(result.stdout) as JsonReport, stderr: result.stderr}
}

/** Every output format at once: human text on stdout, GitHub annotations and summary, JUnit. */
async function verifyAllFormats(args: string[], name: string) {
  const junit = join(dir, `${name}.xml`)
  const summary = join(dir, `${name}.md`)
  const result = await runCli(['verify', ...args, '--junit', junit], {env: {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary}})
  const xml = await readFile(junit, 'utf8')
  expect(XMLValidator.validate(xml)).toBe(true)
  return {...result, junit: junitParser.parse(xml), summary: await readFile(summary, 'utf8')}
}

const uniqueScenario = (name: string, spec: ScenarioSpec) => pushScenario(`verify-${name}`, spec)

describe('a correct multi-platform release', () => {
  let good: PushedScenario

  beforeAll(async () => {
    good = await uniqueScenario('good', {
      index: {
        entries: [
          {platform: 'linux/amd64', attestation: true},
          {platform: 'linux/arm64/v8', attestation: true},
        ],
      },
    })
  })

  it('passes every check, optional ones included, with exit 0', async () => {
    const metadata = join(dir, 'good-metadata.json')
    await writeFile(metadata, JSON.stringify({'containerimage.digest': good.root.digest, 'image.name': good.reference}))
    const {code, json} = await verifyJson(['--metadata-file', metadata, '--blobs', '--forbid-extra', '--strict'])
    expect(notPassing(json.references[0].checks)).toEqual([])
    expect(json.references[0]).toMatchObject({reference: good.reference, digest: good.root.digest, verdict: 'pass'})
    expect(json.references[0].checks.filter((check) => check.status === 'skip')).toEqual([])
    expect(json).toMatchObject({verdict: 'pass', exitCode: 0, strict: true})
    expect(code).toBe(0)
  })

  it('says so in the human output, the JUnit file and the step summary, with no annotation', async () => {
    const result = await verifyAllFormats([good.reference], 'good')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`PASS ${good.reference}: every check passed`)
    // Every check passed: no table, the passes folded into one line.
    expect(result.stdout).toMatch(/^ {2}\d+ passed \(platform-missing, platform-fallback, config-mismatch, /m)
    expect(result.stdout).not.toContain('│')
    expect(result.stdout).not.toContain('::error')
    const suite = result.junit.testsuites.testsuite[0]
    expect(suite).toMatchObject({name: good.reference, failures: '0', errors: '0'})
    expect(suite.testcase.map((testcase: {name: string}) => testcase.name)).toContain(
      `${good.reference.split(':').at(-1)}: platform-missing [linux/arm64]`,
    )
    expect(result.summary).toContain(`### \`${good.reference}\` ✅ passed`)
  })
})

interface BrokenCase {
  name: string
  spec: ScenarioSpec | (() => Promise<PushedScenario>)
  args?: string[]
  /** `id platform` of the one check that must fail. */
  fails: string
  /** A phrase of the failure sentence. */
  says: RegExp
}

const BROKEN: BrokenCase[] = [
  {
    name: 'no-arm64',
    spec: {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/s390x'}]}},
    fails: 'platform-missing linux/arm64',
    says: /no matching manifest for linux\/arm64/,
  },
  {
    name: 'arm-only',
    spec: {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm/v7'}]}},
    fails: 'platform-fallback linux/arm64',
    says: /32-bit/,
  },
  {
    name: 'config-lies',
    spec: {
      index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64', configPlatform: 'linux/amd64', config: {entrypoint: ['/x']}}]},
    },
    fails: 'config-mismatch linux/arm64',
    says: /holds a linux\/amd64 image, so linux\/arm64 hosts pull it and get `exec format error`/,
  },
  {
    name: 'one-image',
    spec: {image: {platform: 'linux/amd64'}},
    args: ['--require', 'linux/amd64'],
    fails: 'single-platform linux/amd64',
    says: /single linux\/amd64 image, not an index/,
  },
  {
    name: 'twice-arm64',
    spec: {
      index: {
        entries: [
          {platform: 'linux/amd64'},
          {platform: 'linux/arm64'},
          {platform: 'linux/arm64', files: [{path: 'other', content: 'second build'}]},
        ],
      },
    },
    fails: 'duplicate-platform linux/arm64',
    says: /2 different images/,
  },
  {
    name: 'extra-s390x',
    spec: {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}, {platform: 'linux/s390x'}]}},
    args: ['--forbid-extra'],
    fails: 'unexpected-platform linux/s390x',
    says: /not required/,
  },
  {
    name: 'dangling',
    spec: {
      index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
      remove: (s) => ({manifests: [s.image('linux/arm64').digest]}),
    },
    fails: 'dangling-manifest linux/arm64',
    says: /manifest unknown/,
  },
  {
    name: 'collected-layer',
    spec: {
      index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
      remove: (s) => ({blobs: [s.image('linux/arm64').layers.digests[0]]}),
    },
    args: ['--blobs'],
    fails: 'missing-blob linux/arm64',
    says: /misses layer sha256:[0-9a-f]{12}, so pulls on linux\/arm64 hosts fail with `blob unknown`/,
  },
  {
    name: 'collected-config',
    spec: {
      index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
      remove: (s) => ({blobs: [s.image('linux/arm64').config.digest]}),
    },
    fails: 'missing-blob linux/arm64',
    says: /cannot be read/,
  },
  {
    name: 'collected-config-single',
    spec: {image: {platform: 'linux/amd64'}, remove: (s) => ({blobs: [s.images[0].config.digest]})},
    args: ['--require', 'linux/amd64', '--allow-single-platform'],
    fails: 'missing-blob -',
    says: /the tag's image sha256:[0-9a-f]{12} cannot be read \(blob sha256:[0-9a-f]+ not found.*every pull fails with `blob unknown`/,
  },
  {
    name: 'moved-tag',
    spec: {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}},
    args: ['--expect-digest', `sha256:${'0'.repeat(64)}`],
    fails: 'digest-mismatch -',
    says: /not the expected sha256:000000000000/,
  },
]

describe.each(BROKEN)('a broken image: $name', ({name, spec, args = [], fails, says}) => {
  let scenario: PushedScenario
  const [id, platform] = fails.split(' ')

  beforeAll(async () => {
    scenario = typeof spec === 'function' ? await spec() : await uniqueScenario(name, spec)
  })

  it(`fails ${fails} alone with exit 1 and one sentence (--json)`, async () => {
    const {code, json} = await verifyJson([scenario.reference, ...args])
    expect(notPassing(json.references[0].checks)).toEqual([`${fails.replace(' ', ' fail ')}`])
    const failure = json.references[0].checks.find((check) => check.status === 'fail')!
    expect(failure.message).toMatch(says)
    expect(failure.message).not.toContain('\n')
    expect(code).toBe(1)
  })

  it('names the check in the human output, the annotations, the step summary and the JUnit file', async () => {
    const result = await verifyAllFormats([scenario.reference, ...args], name)
    expect(result.code).toBe(1)
    const where = platform === '-' ? '' : ` (${platform})`
    expect(result.stdout).toContain(`FAIL ${id}${where}: `)
    expect(result.stdout).toContain(`FAIL ${scenario.reference}: 1 failed (${id})`)
    const annotation = result.stdout.split('\n').find((line) => line.startsWith('::error '))
    expect(annotation).toBe(
      `::error title=archcheck ${id}${where.replace(':', '%3A')}::${scenario.reference}: ${result.stdout.split(`FAIL ${id}${where}: `)[1].split('\n')[0]}`,
    )
    expect(result.summary).toMatch(
      new RegExp(`\\| \`${id}\` \\| ${platform === '-' ? '—' : platform.replace(/\//g, '\\/')} \\| ❌ fail \\|`),
    )
    const cases = result.junit.testsuites.testsuite[0].testcase as Array<{name: string; failure?: {type: string; message: string}}>
    const failed = cases.filter((testcase) => testcase.failure)
    const tag = scenario.reference.split(':').at(-1)
    expect(failed.map((testcase) => testcase.name)).toEqual([platform === '-' ? `${tag}: ${id}` : `${tag}: ${id} [${platform}]`])
    expect(failed[0].failure!.message).toMatch(says)
  })
})

describe('GitHub Actions with --json', () => {
  it('keeps stdout one JSON document and prints the annotations on stderr', async () => {
    const scenario = await pushScenario('single-platform')
    const result = await runCli(['verify', scenario.reference, '--json'], {
      env: {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 'json.md')},
    })
    expect(result.code).toBe(1)
    expect((JSON.parse(result.stdout) as JsonReport).verdict).toBe('fail')
    expect(result.stderr.split('\n').filter((line) => line.startsWith('::error title=archcheck '))).toHaveLength(2)
    expect(await readFile(join(dir, 'json.md'), 'utf8')).toContain('| `single-platform` | linux/amd64 | ❌ fail |')
  })
})

describe('warnings', () => {
  it('mixed-media-types warns, and fails only with --strict', async () => {
    const scenario = await pushScenario('mixed-media-types')
    const relaxed = await verifyJson([scenario.reference])
    expect(notPassing(relaxed.json.references[0].checks)).toEqual(['mixed-media-types warn -'])
    expect(relaxed.code).toBe(0)
    const strict = await verifyAllFormats([scenario.reference, '--strict'], 'mixed-strict')
    expect(strict.code).toBe(1)
    expect(strict.stdout).toContain('FAIL mixed-media-types: the OCI index points at Docker manifests (linux/arm64)')
    expect(strict.stdout).toMatch(/::error title=archcheck mixed-media-types::/)
    expect(strict.junit.testsuites.testsuite[0].failures).toBe('1')
  })

  it('attestation-orphan warns about an attestation of an image not in the index', async () => {
    const amd64 = await buildImage({config: {architecture: 'amd64'}, files: [{path: 'a', content: 'amd64'}]})
    const arm64 = await buildImage({config: {architecture: 'arm64'}, files: [{path: 'a', content: 'arm64'}]})
    const elsewhere = await buildImage({config: {architecture: 'arm64'}, files: [{path: 'a', content: 'an older arm64 build'}]})
    const bundle = buildIndex({entries: [{target: amd64}, {target: arm64}, {target: await buildAttestation(elsewhere.manifest)}]})
    const scenario = await uniqueScenario('orphan', {bundle})
    const result = await runCli(['verify', scenario.reference], {
      env: {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 'orphan.md')},
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`warn attestation-orphan: the attestation`)
    expect(result.stdout).toContain(`describes ${elsewhere.manifest.digest.slice(0, 19)}, which is not in the index`)
    expect(result.stdout).toMatch(/^::warning title=archcheck attestation-orphan::/m)
    expect((await runCli(['verify', scenario.reference, '--strict'])).code).toBe(1)
  })
})

describe('flags that relax a check', () => {
  it('--allow-fallback passes a platform served through a fallback, and --allow-single-platform a single image of the one platform required', async () => {
    const armOnly = await uniqueScenario('relaxed-arm', {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm/v7'}]}})
    const fallback = await verifyJson([armOnly.reference, '--allow-fallback'])
    expect(notPassing(fallback.json.references[0].checks)).toEqual([])
    expect(
      fallback.json.references[0].checks.find((check) => check.id === 'platform-fallback' && check.platform === 'linux/arm64')!.message,
    ).toContain('allowed by --allow-fallback')
    expect(fallback.code).toBe(0)
    const single = await uniqueScenario('relaxed-single', {image: {platform: 'linux/arm64'}})
    expect((await verifyJson([single.reference, '--require', 'linux/arm64', '--allow-single-platform'])).code).toBe(0)
    expect((await verifyJson([single.reference, '--allow-single-platform'])).code).toBe(1)
  })
})

describe('--metadata-file (buildx format)', () => {
  let scenario: PushedScenario

  beforeAll(async () => {
    scenario = await uniqueScenario('metadata', {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}, tag: 'v1'})
    // A second tag of the same build, as `-t app:v1 -t app:latest` pushes.
    await new TestRegistryClient().pushManifest(scenario.repository, 'latest', {
      bytes: scenario.topBytes,
      mediaType: scenario.root.mediaType,
    })
  })

  const metadataFor = async (name: string, digest: string): Promise<string> => {
    const file = join(dir, `${name}.json`)
    const latest = scenario.reference.replace(/:v1$/, ':latest')
    await writeFile(
      file,
      JSON.stringify({
        'buildx.build.ref': 'builder/builder0/abc',
        'containerimage.config.digest': scenario.image('linux/amd64').config.digest,
        'containerimage.descriptor': {mediaType: scenario.root.mediaType, digest, size: scenario.root.size},
        'containerimage.digest': digest,
        'image.name': `${scenario.reference},${latest}`,
      }),
    )
    return file
  }

  it('verifies every name against the pushed digest', async () => {
    const {code, json} = await verifyJson(['--metadata-file', await metadataFor('right', scenario.root.digest)])
    expect(json.references.map((report) => `${report.reference} ${report.verdict}`)).toEqual([
      `${scenario.reference} pass`,
      `${scenario.reference.replace(/:v1$/, ':latest')} pass`,
    ])
    expect(code).toBe(0)
  })

  it('fails digest-mismatch on every name when the tags moved since the build', async () => {
    const stale = `sha256:${'5'.repeat(64)}`
    const {code, json} = await verifyJson(['--metadata-file', await metadataFor('stale', stale)])
    expect(json.references.map((report) => notPassing(report.checks))).toEqual([['digest-mismatch fail -'], ['digest-mismatch fail -']])
    expect(json.references[0].checks.find((check) => check.id === 'digest-mismatch')!.message).toContain(
      `points to ${scenario.root.digest.slice(0, 19)}, not the expected sha256:555555555555`,
    )
    expect(code).toBe(1)
  })

  it('rejects a missing or malformed file with exit 2 and one line', async () => {
    for (const [file, message] of [
      [join(dir, 'absent.json'), /^archcheck: cannot read metadata file .*absent\.json: no such file \(see archcheck verify --help\)\n$/],
      [
        await metadataFor('not-json', '').then(async (path) => (await writeFile(path, '{"containerimage.digest": '), path)),
        /^archcheck: metadata file .* is not valid JSON: .* \(see archcheck verify --help\)\n$/,
      ],
    ] as const) {
      const result = await runCli(['verify', '--metadata-file', file])
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(message)
      expect(result.stdout).toBe('')
    }
  })
})

describe('several references at once', () => {
  it('checks them concurrently and reports each, failing if one fails', async () => {
    const good = await pushScenario('oci-index')
    const single = await pushScenario('single-platform')
    const proxy = await startCountingProxy(inject('registry').host, {latencyMs: 300})
    try {
      const via = (scenario: PushedScenario) => scenario.reference.replace(scenario.host, proxy.host)
      const one = await runCli(['verify', via(good)])
      const three = await verifyAllFormats([via(good), via(single), `${proxy.host}/${good.repository}@${good.root.digest}`], 'several')
      expect(three.code).toBe(1)
      expect(three.stdout).toContain(`PASS ${via(good)}`)
      expect(three.stdout).toContain(`FAIL ${via(single)}: 2 failed (platform-missing, single-platform)`)
      expect(three.stdout).toContain(`PASS ${proxy.host}/${good.repository}@${good.root.digest}`)
      expect(three.junit.testsuites.testsuite.map((suite: {name: string; failures: string}) => `${suite.name} ${suite.failures}`)).toEqual([
        `${via(good)} 0`,
        `${via(single)} 2`,
        `${proxy.host}/${good.repository}@${good.root.digest} 0`,
      ])
      // Sequentially, three references would take about three times as long as one.
      expect(three.durationMs).toBeLessThan(one.durationMs * 2)
    } finally {
      await proxy.close()
    }
  })

  it('returns one report per reference from the library, in order', async () => {
    const good = await pushScenario('oci-index')
    const result = await verify([good.reference, {reference: good.reference, expectDigest: `sha256:${'1'.repeat(64)}`}], {blobs: true})
    expect(result.references.map((report) => report.verdict)).toEqual(['pass', 'fail'])
    expect(result).toMatchObject({schemaVersion: 1, verdict: 'fail', exitCode: 1})
  })
})

describe('exit codes for what cannot be checked', () => {
  it('is 3 when a tag does not exist, with the reason on stderr and in every format', async () => {
    const host = inject('registry').host
    const missing = `${host}/verify/absent:1`
    const result = await verifyAllFormats([missing], 'absent')
    expect(result.code).toBe(3)
    // The reference named once: the registry's message already carries it in full.
    expect(result.stderr).toBe(
      `archcheck: tag not found: ${missing} (or no repository ${host}/verify/absent: the registry answers both alike)\n`,
    )
    expect(result.stdout).toMatch(/^::error title=archcheck verify%3A /m)
    expect(result.junit.testsuites.testsuite[0].testcase[0].error.message).toMatch(/not found/)
    const {json} = await verifyJson([missing])
    expect(json).toMatchObject({verdict: 'error', exitCode: 3})
    expect(json.references[0]).toMatchObject({verdict: 'error', digest: null, errorKind: 'not-found'})
  })

  it('is 2 for bad input, before anything is read', async () => {
    for (const args of [
      ['Bad/Ref'],
      ['x', '--require', 'linux/*'],
      ['x', '--expect-digest', 'sha256:nothex'],
      ['x', '--client', 'crane'],
      [],
    ]) {
      // Without NODE_ENV=test (which vitest sets) as in a user's CI: under it oclif adds a
      // development warning after a flag that fails to parse.
      const result = await runCli(['verify', ...args], {env: {NODE_ENV: undefined}})
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
    }
  })
})
