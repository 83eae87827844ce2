import {describe, expect, it} from 'vitest'

import {errorLine} from '../../../src/cli/error-line.js'
import {RegistryError} from '../../../src/oci/errors.js'
import type {ImageTree} from '../../../src/oci/types.js'
import type {DiagnoseReport} from '../../../src/engine/layers/diagnose.js'
import {FOREIGN_TEXT_MAX, sanitizeDeep, sanitizeText} from '../../../src/oci/sanitize.js'
import {renderDiagnoseText} from '../../../src/render/diagnose.js'
import {renderGithubAnnotations, renderGithubSummary} from '../../../src/render/github.js'
import {inspectView} from '../../../src/engine/inspect-view.js'
import {renderInspect} from '../../../src/render/inspect-table.js'
import {renderJunit} from '../../../src/render/junit.js'
import {styleFor} from '../../../src/render/style.js'
import {renderVerifyText} from '../../../src/render/verify-text.js'
import {statusError} from '../../../src/source/registry/status-errors.js'
import type {HttpResponse} from '../../../src/source/registry/transport.js'
import type {VerifyReport} from '../../../src/engine/verify/types.js'
import {asReference, asResult} from '../verify/trees.js'

/** Sets the window title, erases the line and prints a fake verdict; then a C1 CSI, DEL and an RTL override. */
const ATTACK = '\u001b]0;pwned\u0007\r\u001b[2K\u001b[32mok everything passed\u001b[0m \u009b2J \u007f \u202egnp.exe'

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const PLAIN = styleFor({isTTY: false})

describe('sanitizeText', () => {
  it('shows control characters as visible \\u escapes and leaves other text alone', () => {
    expect(sanitizeText('a\u001b[2Kb')).toBe('a\\u001b[2Kb')
    expect(sanitizeText('\u0000\u0007\u007f\u0080\u009f\u202a\u202e\u2066\u2069')).toBe(
      '\\u0000\\u0007\\u007f\\u0080\\u009f\\u202a\\u202e\\u2066\\u2069',
    )
    expect(sanitizeText('tab\tkept, line\nescaped\r')).toBe('tab\tkept, line\\u000aescaped\\u000d')
    expect(sanitizeText('line\nkept\r\n', {lines: true})).toBe('line\nkept\\u000d\n')
    expect(sanitizeText('ü ✓ 日本 \u{1F600} \u200d a\\x')).toBe('ü ✓ 日本 \u{1F600} \u200d a\\x')
  })

  it('folds line breaks, so that no foreign text starts a line a CI runner would obey', () => {
    const shown = sanitizeText('denied\n::add-mask::secret\r\n::error::fake')
    expect(shown.split('\n')).toHaveLength(1)
    expect(shown).toBe('denied\\u000a::add-mask::secret\\u000d\\u000a::error::fake')
  })

  it('cuts a long value (an 8,000-character header) with an ellipsis, never inside a surrogate pair', () => {
    const shown = sanitizeText(`x\u009b31m${'y'.repeat(8000)}`)
    // FOREIGN_TEXT_MAX characters of the value are kept, and its one control character shown as a 6-character escape.
    expect(Array.from(shown)).toHaveLength(FOREIGN_TEXT_MAX - 1 + '\\u009b'.length)
    expect(shown.startsWith('x\\u009b31my')).toBe(true)
    expect(shown.endsWith('…')).toBe(true)
    expect(sanitizeText('😀😀😀', {max: 2})).toBe('😀…')
    expect(sanitizeText('short', {max: 5})).toBe('short')
  })

  it('copies plain data with every string (and key) sanitised, keeping the original and shared objects', () => {
    const shared = {name: 'x\u001b'}
    const data = {list: [shared, shared], map: new Map([['k\u009b', shared]]), bytes: new Uint8Array([27]), ['key\u202e']: 1}
    const copy = sanitizeDeep(data)
    expect(copy.list[0]).toEqual({name: 'x\\u001b'})
    expect(copy.list[0]).toBe(copy.list[1])
    expect(copy.map.get('k\\u009b')).toBe(copy.list[0])
    expect(copy.bytes).toBe(data.bytes)
    expect(Object.keys(copy)).toContain('key\\u202e')
    expect(shared.name).toBe('x\u001b')
  })
})

describe('remote text reaches no output raw', () => {
  it('the error line', () => {
    const {message} = errorLine(new RegistryError(`registry.example failed: ${ATTACK}`, 'server-error'))
    expect(message).not.toMatch(RAW_CONTROL)
    expect(message).toContain('\\u001b]0;pwned\\u0007')
  })

  it("a registry error document's message, through the error line", async () => {
    const body = JSON.stringify({errors: [{code: 'UNKNOWN', message: ATTACK}]})
    const response = {status: 500, headers: new Headers(), retries: 0, text: async () => body} as unknown as HttpResponse
    const error = await statusError(response, {
      repositoryName: 'r.example/app',
      registry: 'r.example',
      target: {type: 'manifest', reference: '1'},
      basicAuth: false,
      method: 'GET',
    })
    expect(errorLine(error).message).not.toMatch(RAW_CONTROL)
  })

  it('diagnose text: file names and messages from the image', () => {
    const report: DiagnoseReport = {
      reference: 'r.example/app:1',
      digest: 'sha256:d',
      failed: true,
      hosts: [
        {
          host: 'linux/arm64',
          client: 'docker',
          status: 'fail',
          message: `x is /app${ATTACK}`,
          resolution: {verdict: 'ok', message: 'ok'},
          execution: {
            plan: {argv: [`/app${ATTACK}`], workingDir: '/', path: '/bin', pathFromImage: true, user: 'root'},
            steps: [
              {role: 'entrypoint', requested: `/app${ATTACK}`, path: `/app\n${ATTACK}`, symlinks: [`/l -> ${ATTACK}`], description: ATTACK},
            ],
            warnings: [],
          },
        },
      ],
      binaries: [
        {
          digest: 'sha256:d',
          platform: 'linux/arm64',
          elfCount: 1,
          mismatched: [{architecture: 'amd64', machineName: 'x86-64', count: 1, files: [`/bin/${ATTACK}`]}],
        },
      ],
    }
    const text = renderDiagnoseText({schemaVersion: 1, ...report}, PLAIN)
    expect(text).not.toMatch(RAW_CONTROL)
    expect(text.split('\n')).toHaveLength(7)
    expect(report.hosts[0].message).toContain('\u001b')
  })

  const verifyReport = (): VerifyReport => ({
    reference: 'r.example/app:1',
    digest: 'sha256:d',
    verdict: 'fail',
    durationMs: 1,
    strict: false,
    checks: [
      {
        id: 'platform-missing',
        status: 'fail',
        message: `annotation says ${ATTACK}`,
        reference: 'r.example/app:1',
        platform: `linux/${ATTACK}`,
      },
    ],
  })

  it('verify text, JUnit and the GitHub annotations and step summary', async () => {
    expect(await renderVerifyText(asReference(verifyReport()), false, PLAIN)).not.toMatch(RAW_CONTROL)
    expect(await renderVerifyText(asReference({...verifyReport(), verdict: 'error', error: ATTACK}), false, PLAIN)).not.toMatch(RAW_CONTROL)
    expect(renderJunit(asResult([verifyReport()]))).not.toMatch(RAW_CONTROL)
    expect(renderJunit(asResult([verifyReport()]))).toContain('\\u000d\\u001b[2K')
    expect(renderGithubSummary(asResult([verifyReport()]))).not.toMatch(RAW_CONTROL)
    // Annotations are one line each: CR and LF are %-escaped as GitHub's format requires.
    expect(renderGithubAnnotations(asResult([verifyReport()]))).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
  })

  it('inspect text: strings from the index and the config', async () => {
    const digest = `sha256:${'a'.repeat(64)}`
    const tree: ImageTree = {
      reference: 'r.example/app:1',
      root: {
        kind: 'index',
        descriptor: {mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: 300},
        children: [
          {
            kind: 'other',
            descriptor: {mediaType: `application/x${ATTACK}`, digest: `sha256:${'b'.repeat(64)}`, size: 10},
            note: `unknown media type application/x${ATTACK}`,
          },
        ],
      },
    }
    expect(await renderInspect(inspectView(tree), PLAIN)).not.toMatch(RAW_CONTROL)
  })
})
