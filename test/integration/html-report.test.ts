/**
 * The HTML reports (`verify --html FILE`, `audit --format html`) opened in headless Chromium
 * (Debian's chromium): the DOM it builds, its console (no errors, no blocked fetches), its network
 * log (no request for the page), and screenshots at phone and 4K sizes kept in a temp dir. Runs
 * the built CLI against the test registry and a hostile one.
 */
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildImage} from '../../scripts/fixtures/image-builder.js'
import {runCli} from '../helpers/cli.js'
import {imageRoutes, startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'
import {tempDir} from '../helpers/temp-dir.js'

const CHROMIUM = '/usr/bin/chromium'
// This machine's flags for a headless Chromium with no network of its own (no sync, updates, QUIC).
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const EVIL = '<img src=x onerror=alert(1)><script>alert(2)</script>&amp;'

interface Opened {
  dom: string
  console: string[]
  /** URLs in Chromium's network log other than file: ones. */
  requests: string[]
}

/** Loads `file` in headless Chromium: the DOM after load, console lines, network requests; a screenshot per size into `shots`. */
async function open(file: string, shots: string): Promise<Opened> {
  const profile = await tempDir('chromium-profile')
  const run = (args: string[]) =>
    new Promise<{stdout: string; stderr: string}>((resolve, reject) => {
      execFile(
        CHROMIUM,
        [...FLAGS, `--user-data-dir=${profile}`, ...args, `file://${file}`],
        {timeout: 90_000, maxBuffer: 64 * 1024 * 1024},
        (error, stdout, stderr) => (error ? reject(new Error(`chromium failed: ${stderr}`)) : resolve({stdout, stderr})),
      )
    })
  const netLog = join(profile, 'net.json')
  const dumped = await run(['--dump-dom', '--enable-logging=stderr', '--v=0', `--log-net-log=${netLog}`])
  for (const [name, size] of [
    ['phone', '390,844'],
    ['4k', '3840,2160'],
  ]) {
    await run([`--screenshot=${join(shots, `${name}.png`)}`, `--window-size=${size}`])
    expect((await stat(join(shots, `${name}.png`))).size).toBeGreaterThan(1000)
  }
  const urls = [...(await readFile(netLog, 'utf8')).matchAll(/"url":"([^"]+)"/g)].map((match) => match[1])
  return {
    dom: dumped.stdout,
    console: dumped.stderr.split('\n').filter((line) => line.includes(':CONSOLE')),
    requests: urls.filter((url) => !url.startsWith('file:')),
  }
}

/** Chromium's own services (time, updates, accounts) that it calls at start whatever the page: not the page's. */
const pageRequests = (requests: string[]): string[] =>
  requests.filter((url) => !/^https?:\/\/[a-z0-9.]*(google|googleapis|gstatic)\.com\//.test(url))

const cells = (dom: string) => [...dom.matchAll(/<td class="(\w+)"[^>]*>([^<]*)<\/td>/g)].map((match) => [match[1], match[2]])
const rowStatuses = (dom: string) => [...dom.matchAll(/<tr data-status="(\w+)">/g)].map((match) => match[1])

let dir: string
let good: PushedScenario
let amd64Only: PushedScenario
let hostile: HostileRegistry

beforeAll(async () => {
  expect(existsSync(CHROMIUM), 'Debian chromium is needed: apt-get install chromium').toBe(true)
  dir = await tempDir('html-report')
  good = await pushScenario('html-good', {index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]}})
  amd64Only = await pushScenario('html-amd64-only', {index: {entries: [{platform: 'linux/amd64'}]}})
  const image = await buildImage({config: {architecture: 'amd64'}, files: [{path: 'app', content: 'x'}]})
  const serve = imageRoutes(image)
  hostile = await startHostileRegistry((request, response) => {
    if (request.url?.includes('/manifests/')) {
      response.writeHead(403, {'content-type': 'application/json'}).end(JSON.stringify({errors: [{code: 'DENIED', message: EVIL}]}))
      return
    }
    if (!serve(request, response)) response.writeHead(404).end()
  })
})

afterAll(async () => {
  await hostile?.close()
})

describe('verify --html', () => {
  it('draws failing references first, colour and text markers, the reason escaped; Chromium fetches nothing and logs nothing', async () => {
    const file = join(dir, 'verify.html')
    const evil = `${hostile.host}/repo:latest`
    const run = await runCli(['verify', good.reference, amd64Only.reference, evil, '--html', file])
    expect(run.code, run.stderr).toBe(3)
    const html = await readFile(file, 'utf8')
    // Nothing that could load anything: no element with a source, no stylesheet link, no CSS url().
    expect(html).not.toMatch(/<(img|script|link|iframe|object|embed|video|audio|source|a)\b|url\(/i)

    const shots = await tempDir('html-verify-shots')
    const page = await open(file, shots)
    expect(page.console).toEqual([])
    expect(pageRequests(page.requests)).toEqual([])
    expect(page.dom).toContain(`❌ 2 of 3 images failed`)
    // Rows: the two that failed (unreadable and platform-missing) before the one that passed.
    expect(rowStatuses(page.dom)).toEqual(['fail', 'fail', 'pass'])
    expect(cells(page.dom)).toContainEqual(['fail', '✗ platform-missing'])
    expect(cells(page.dom)).toContainEqual(['pass', '✓ ok'])
    // The registry's text is shown, never parsed: no element it names exists.
    expect(page.dom).not.toMatch(/<img|<script/i)
    expect(page.dom).toContain('&lt;script&gt;alert(2)&lt;/script&gt;')
  }, 120_000)
})

describe('audit --format html', () => {
  it('is one page with the pull matrix (failing first), the history per host as a timeline, and the summary', async () => {
    // A repository whose 1.0.0 missed linux/arm64 and whose 1.1.0 has it.
    const repository = 'html/history'
    await pushScenario('html-1.0.0', {repository, tag: '1.0.0', index: {entries: [{platform: 'linux/amd64'}]}})
    const fixed = await pushScenario('html-1.1.0', {
      repository,
      tag: '1.1.0',
      index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
    })
    const run = await runCli([
      'audit',
      `${fixed.host}/${repository}`,
      '--tags',
      '>=1',
      '--host',
      'linux/amd64,linux/arm64',
      '--format',
      'html',
      '--no-cache',
    ])
    expect(run.code, run.stderr).toBe(1)
    const file = join(dir, 'audit.html')
    await writeFile(file, run.stdout)

    const shots = await tempDir('html-audit-shots')
    const page = await open(file, shots)
    expect(page.console).toEqual([])
    expect(pageRequests(page.requests)).toEqual([])
    expect(page.dom).toContain('❌ 2 images on 2 hosts — 1 failed')
    expect(rowStatuses(page.dom)).toEqual(['fail', 'pass'])
    expect(cells(page.dom).filter(([status]) => status === 'fail')).toEqual([['fail', '✗ no-match']])
    expect(page.dom).toMatch(/<dt>Images<\/dt><dd>2<\/dd>/)
    // linux/arm64's history: no-match in 1.0.0, ok from 1.1.0 on.
    const timeline = /<h3>[^<]*html\/history · linux\/arm64<\/h3><div class="timeline">(.*?)<\/div>/.exec(page.dom)
    expect(timeline?.[1]).toBe('<span class="fail">✗ no-match: 1.0.0</span><span class="pass">✓ ok: 1.1.0</span>')
  }, 120_000)
})
