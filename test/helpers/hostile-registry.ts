/**
 * A registry that misbehaves on purpose: a plain node:http server on 127.0.0.1 whose every answer
 * the test writes (401s with odd realms, tokens that are not tokens, blobs that stall or trickle).
 * `imageRoutes` serves an image bundle the usual way for whatever the test does not override.
 * `runCliTimed` runs the built CLI and notes when its first line of stderr came and when it exited,
 * so a test can tell "failed at once and exited" from "failed at once, then waited out a timer".
 */
import {spawn} from 'node:child_process'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {ContentObject, ImageBundle} from '../../scripts/fixtures/image-builder.js'
import {CLI_PATH, cliEnv, PROJECT_ROOT} from './cli.js'

export type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>

export interface HostileRegistry {
  /** `127.0.0.1:PORT`. */
  host: string
  /** `http://127.0.0.1:PORT`. */
  origin: string
  /** Every request line seen, e.g. `GET /v2/repo/manifests/latest`, with its headers. */
  requests: Array<{line: string; headers: IncomingMessage['headers']}>
  close(): Promise<void>
}

export async function startHostileRegistry(handler: Handler): Promise<HostileRegistry> {
  const requests: HostileRegistry['requests'] = []
  const server = createServer((request, response) => {
    requests.push({line: `${request.method} ${request.url}`, headers: request.headers})
    Promise.resolve(handler(request, response)).catch(() => response.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Serves `bundle` under `repository` (tag `latest`): manifests by tag or digest, blobs by digest; false for anything else. */
export function imageRoutes(bundle: ImageBundle, repository = 'repo'): (request: IncomingMessage, response: ServerResponse) => boolean {
  const objects = new Map<string, ContentObject>([...bundle.manifests, ...bundle.blobs].map((object) => [object.digest, object]))
  return (request, response) => {
    const match = new RegExp(`^/v2/${repository}/(manifests|blobs)/([^/?]+)$`).exec(request.url ?? '')
    if (!match) return false
    const object = match[2] === 'latest' ? bundle.top : objects.get(match[2])
    if (!object) {
      response.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"NOT_FOUND","message":"not found"}]}')
      return true
    }
    const headers = {
      'content-type': match[1] === 'manifests' ? object.mediaType : 'application/octet-stream',
      'content-length': String(object.size),
      'docker-content-digest': object.digest,
    }
    response.writeHead(200, headers).end(request.method === 'HEAD' ? undefined : object.bytes)
    return true
  }
}

export interface TimedResult {
  code: number | null
  stdout: string
  stderr: string
  /** Milliseconds from start to the first byte on stderr (undefined: nothing written). */
  firstErrorMs?: number
  /** Milliseconds from start to exit. */
  exitMs: number
}

/** Runs `node bin/run.js ARGS` (the built CLI) with the hermetic test environment plus `env`; killed after `killAfterMs`. */
export function runCliTimed(
  args: string[],
  options: {env?: Record<string, string | undefined>; killAfterMs?: number} = {},
): Promise<TimedResult> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: PROJECT_ROOT,
      env: cliEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let firstErrorMs: number | undefined
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => {
      firstErrorMs ??= performance.now() - started
      stderr += chunk.toString('utf8')
    })
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 45_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({code, stdout, stderr, firstErrorMs, exitMs: performance.now() - started})
    })
  })
}
