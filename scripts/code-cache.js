#!/usr/bin/env node
// Records V8's code cache for the bundle (part of `npm run build`, after `oclif manifest`): runs
// commands against the demo layout and a registry on loopback serving it, each in a fresh node,
// with bin/code-cache.js recording, so that the cache holds the functions those runs compiled,
// lazily compiled ones included (bin/code-cache.js says how it is read back).
//
//   node scripts/code-cache.js            records (replacing the cache of this node version)
//   node scripts/code-cache.js --run ARGS  one recording run of `archcheck ARGS` (used by the above)
import {execFile} from 'node:child_process'
import {Buffer} from 'node:buffer'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:http'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {codeCacheDir, useCodeCache} from '../bin/code-cache.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bundleDir = join(root, 'dist', 'bundle')

/**
 * What most runs do: help, a command's help, inspect's whole path (parse, read, render) from a
 * layout and from REGISTRY (a registry on loopback serving the demo layout), and audit of its
 * tags cold and warm (an empty CACHE, then the one the cold run filled), as a table and as JSON.
 * Without the audit runs, every audit compiled its engine and the cache's warm path from source.
 */
const REGISTRY = '<registry>'
const CACHE = '<cache>'
const RUNS = [
  ['--help'],
  ['inspect', '--help'],
  ['inspect', 'oci-layout:fixtures/demo'],
  ['inspect', 'oci-layout:fixtures/demo', '--json'],
  ['inspect', `${REGISTRY}/recording/image:latest`, '--json'],
  ['inspect', `${REGISTRY}/recording/image:latest`],
  ['audit', `${REGISTRY}/recording/image`, '--host', 'linux/amd64,linux/arm64', '--cache-dir', CACHE],
  ['audit', `${REGISTRY}/recording/image`, '--host', 'linux/amd64,linux/arm64', '--cache-dir', CACHE, '--json'],
]

/** Release tags the recording registry lists, all naming the demo layout's index (audit selects them). */
const RECORDING_TAGS = ['latest', '1.0.0', '1.0.1', '1.1.0']

/**
 * A registry with one repository, the demo layout's content under RECORDING_TAGS: manifests by
 * tag or digest (GET and HEAD), blobs by digest, the tag list. Enough for inspect and audit.
 */
function serveDemoLayout(request, response) {
  const layout = join(root, 'fixtures', 'demo')
  const top = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests[0]
  const path = new URL(request.url, 'http://recording').pathname
  const answer = (status, headers, body) => {
    response.writeHead(status, {'docker-distribution-api-version': 'registry/2.0', 'content-length': body.length, ...headers})
    response.end(request.method === 'HEAD' ? undefined : body)
  }
  const unknown = () =>
    answer(404, {'content-type': 'application/json'}, Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'))
  if (path === '/v2/') return answer(200, {'content-type': 'application/json'}, Buffer.from('{}'))
  if (path === '/v2/recording/image/tags/list')
    return answer(200, {'content-type': 'application/json'}, Buffer.from(JSON.stringify({name: 'recording/image', tags: RECORDING_TAGS})))
  const match = /^\/v2\/recording\/image\/(manifests|blobs)\/(.+)$/.exec(path)
  if (!match) return unknown()
  const digest = RECORDING_TAGS.includes(match[2]) ? top.digest : match[2]
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) return unknown()
  let bytes
  try {
    bytes = readFileSync(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)))
  } catch {
    return unknown()
  }
  const mediaType = match[1] === 'manifests' ? JSON.parse(bytes.toString('utf8')).mediaType : 'application/octet-stream'
  return answer(200, {'content-type': mediaType, 'docker-content-digest': digest}, bytes)
}

if (process.argv[2] === '--run') {
  useCodeCache(bundleDir, {record: true})
  const {main, settings} = createRequire(import.meta.url)('../dist/bundle/main.js')
  settings.enableAutoTranspile = false
  await main(process.argv.slice(3), pathToFileURL(join(root, 'bin', 'run.js')).href)
} else {
  rmSync(codeCacheDir(bundleDir), {recursive: true, force: true})
  const registry = createServer(serveDemoLayout)
  await new Promise((resolve) => registry.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${registry.address().port}`
  const cacheDir = mkdtempSync(join(tmpdir(), 'archcheck-code-cache-'))
  try {
    for (const args of RUNS) {
      const argv = args.map((arg) => arg.replace(REGISTRY, host).replace(CACHE, cacheDir))
      // Every run must succeed: one that fails stops early and leaves what users run uncompiled in the cache.
      await new Promise((resolve, reject) =>
        execFile(process.execPath, [fileURLToPath(import.meta.url), '--run', ...argv], {cwd: root}, (error, _stdout, stderr) =>
          error ? reject(new Error(`code cache: archcheck ${argv.join(' ')} failed (exit ${error.code}): ${stderr.trim()}`)) : resolve(),
        ),
      )
    }
  } finally {
    registry.close()
    rmSync(cacheDir, {recursive: true, force: true})
  }
}
