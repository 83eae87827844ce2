/**
 * Errors that must end the process at once: each case makes the CLI fail against a registry (or
 * token server, or credential helper) that misbehaves, and asserts that the process exits within
 * two seconds of printing its error, rather than living on until a request timer (30 s) fires.
 * Runs the built CLI: `npm run build` first.
 */
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import type {IncomingMessage, ServerResponse} from 'node:http'
import path from 'node:path'
import {gzipSync} from 'node:zlib'

import {afterEach, describe, expect, it} from 'vitest'

import {buildImage, makeTar, rawLayer} from '../../scripts/fixtures/image-builder.js'
import {imageRoutes, runCliTimed, startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'
import {tempDir} from '../helpers/temp-dir.js'

/** How long after its error line the process may live: flushing output and closing pools, nothing more. */
const EXIT_WITHIN_MS = 2000

let registry: HostileRegistry | undefined
afterEach(async () => {
  await registry?.close()
  registry = undefined
})

/** A registry that asks for a bearer token from `realm(origin)` and serves the image to whoever brings `good-token`. */
async function bearerRegistry(
  realm: (origin: string) => string,
  tokenServer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<HostileRegistry> {
  const image = await buildImage({config: {architecture: 'amd64'}, files: [{path: 'app', content: 'x'}]})
  const serve = imageRoutes(image)
  let origin = ''
  const started = await startHostileRegistry((request, response) => {
    if (request.url?.startsWith('/token')) return tokenServer(request, response)
    if (request.headers.authorization === 'Bearer good-token' && serve(request, response)) return
    // A 401 with a body, as registries send: the client must release it when it gives up.
    response.writeHead(401, {'www-authenticate': `Bearer realm="${realm(origin)}",service="hostile"`, 'content-type': 'application/json'})
    response.end(JSON.stringify({errors: [{code: 'UNAUTHORIZED', message: 'authentication required', detail: 'x'.repeat(100_000)}]}))
  })
  origin = started.origin
  return started
}

function expectPromptExit(result: Awaited<ReturnType<typeof runCliTimed>>, code = 3): void {
  expect(result.stderr).not.toBe('')
  expect(result.code, result.stderr).toBe(code)
  expect(
    result.exitMs - result.firstErrorMs!,
    `exited ${Math.round(result.exitMs - result.firstErrorMs!)} ms after its error: ${result.stderr}`,
  ).toBeLessThan(EXIT_WITHIN_MS)
}

describe('a failed token request ends the process at once', () => {
  const cases: Array<[string, (origin: string) => string, (request: IncomingMessage, response: ServerResponse) => void, RegExp]> = [
    [
      'answers garbage',
      (o) => `${o}/token`,
      (_q, r) => void r.writeHead(200, {'content-type': 'text/html'}).end('<html>garbage</html>'),
      /not JSON/,
    ],
    [
      'answers a 10 MB token',
      (o) => `${o}/token`,
      (_q, r) => void r.writeHead(200).end(JSON.stringify({token: 'a'.repeat(10 * 1024 * 1024)})),
      /larger than/,
    ],
    ['answers JSON without a token', (o) => `${o}/token`, (_q, r) => void r.writeHead(200).end('{}'), /sent no token/],
    ['answers 500', (o) => `${o}/token`, (_q, r) => void r.writeHead(500).end('oops'), /answered 500/],
    ['hangs up', (o) => `${o}/token`, (q) => void q.socket.destroy(), /token|reset|closed|broke/],
    [
      'refuses a realm with %0d%0a',
      (o) => `${o}/token%0d%0aX-Injected:%20yes`,
      (_q, r) => void r.writeHead(403).end(),
      /refused an anonymous token/,
    ],
    [
      'is a file:// realm',
      () => 'file:///etc/passwd',
      () => {},
      /^archcheck: 127\.0\.0\.1:\d+ named a token server with an unsupported URL scheme \(file:\); only https: and http: realms are followed\n$/,
    ],
    [
      'is a cloud metadata address',
      () => 'http://169.254.169.254/latest/meta-data/iam',
      () => {},
      /named a token server at 169\.254\.169\.254, a link-local or cloud metadata address; not following it/,
    ],
  ]
  for (const [name, realm, tokenServer, message] of cases) {
    it(`when the token server ${name}`, async () => {
      registry = await bearerRegistry(realm, tokenServer)
      const result = await runCliTimed(['inspect', `${registry.host}/repo:latest`])
      expect(result.stderr).toMatch(message)
      expectPromptExit(result)
    })
  }
})

describe('a failed credential helper ends the process at once', () => {
  async function withHelper(script: string): Promise<Record<string, string>> {
    const dir = await tempDir()
    const bin = path.join(dir, 'bin')
    await mkdir(bin)
    await writeFile(path.join(bin, 'docker-credential-hostile'), `#!/bin/sh\n${script}\n`)
    await chmod(path.join(bin, 'docker-credential-hostile'), 0o755)
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({credHelpers: {[registry!.host]: 'hostile'}}))
    return {DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH}`}
  }

  it('when the helper floods 50 MB', async () => {
    registry = await bearerRegistry(
      (o) => `${o}/token`,
      (_q, r) => void r.writeHead(200).end('{"token":"good-token"}'),
    )
    const env = await withHelper('head -c 50000000 /dev/zero | tr "\\0" a')
    const result = await runCliTimed(['inspect', `${registry.host}/repo:latest`], {env})
    expect(result.stderr).toMatch(/printed more than/)
    expectPromptExit(result)
  })

  it('when the helper hangs (and so does a child it started)', async () => {
    registry = await bearerRegistry(
      (o) => `${o}/token`,
      (_q, r) => void r.writeHead(200).end('{"token":"good-token"}'),
    )
    const env = await withHelper('sleep 300 & sleep 300')
    const result = await runCliTimed(['inspect', `${registry.host}/repo:latest`], {env})
    expect(result.stderr).toMatch(/did not answer within/)
    expectPromptExit(result)
  }, 30_000)
})

describe('a layer stopped mid-stream ends the process at once', () => {
  it('when a gzip bomb from a registry hits --max-decompressed and the registry then stalls', async () => {
    const bomb = rawLayer(
      gzipSync(await makeTar([{path: 'zeros', content: Buffer.alloc(64 * 1024 * 1024)}])),
      'application/vnd.oci.image.layer.v1.tar+gzip',
      `sha256:${'0'.repeat(64)}`,
    )
    const image = await buildImage({config: {architecture: 'amd64', entrypoint: ['/app']}, layers: [bomb]})
    const serve = imageRoutes(image)
    registry = await startHostileRegistry((request, response) => {
      if (request.url?.endsWith(bomb.digest)) {
        // Everything but the last bytes, then nothing: the connection stays open.
        response.writeHead(200, {'content-length': String(bomb.size)})
        response.write(bomb.bytes.subarray(0, bomb.size - 16))
        return
      }
      serve(request, response)
    })
    const result = await runCliTimed(['diagnose', `${registry.host}/repo:latest`, '--host', 'linux/amd64', '--max-decompressed', '1'])
    expect(result.stderr).toMatch(/decompress|MiB|limit/)
    expectPromptExit(result)
  })
})
