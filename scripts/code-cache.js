#!/usr/bin/env node
// Records V8's code cache for the bundle (part of `npm run build`, after `oclif manifest`): runs
// commands that do no network I/O, each in a fresh node, with bin/code-cache.js recording, so that
// the cache holds the functions those runs compiled, lazily compiled ones included
// (bin/code-cache.js says how it is read back).
//
//   node scripts/code-cache.js            records (replacing the cache of this node version)
//   node scripts/code-cache.js --run ARGS  one recording run of `archcheck ARGS` (used by the above)
import {execFile} from 'node:child_process'
import {rmSync} from 'node:fs'
import {createServer} from 'node:http'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {codeCacheDir, useCodeCache} from '../bin/code-cache.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bundleDir = join(root, 'dist', 'bundle')

/**
 * What most runs do: help, a command's help, inspect's whole path (parse, read, render) from a
 * layout, and the HTTP stack against REGISTRY (a registry on loopback that knows no manifest).
 */
const REGISTRY = '<registry>'
const RUNS = [
  ['--help'],
  ['inspect', '--help'],
  ['inspect', 'oci-layout:fixtures/demo'],
  ['inspect', 'oci-layout:fixtures/demo', '--json'],
  ['inspect', `${REGISTRY}/recording/image:latest`, '--json'],
]

if (process.argv[2] === '--run') {
  useCodeCache(bundleDir, {record: true})
  const {main, settings} = createRequire(import.meta.url)('../dist/bundle/main.js')
  settings.enableAutoTranspile = false
  await main(process.argv.slice(3), pathToFileURL(join(root, 'bin', 'run.js')).href)
} else {
  rmSync(codeCacheDir(bundleDir), {recursive: true, force: true})
  // The API version check answers, every manifest is unknown: the run ends in a registry error.
  const registry = createServer((request, response) => {
    const known = request.url === '/v2/'
    response.writeHead(known ? 200 : 404, {'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0'})
    response.end(known ? '{}' : JSON.stringify({errors: [{code: 'MANIFEST_UNKNOWN', message: 'manifest unknown'}]}))
  })
  await new Promise((resolve) => registry.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${registry.address().port}`
  try {
    for (const args of RUNS) {
      const argv = args.map((arg) => arg.replace(REGISTRY, host))
      // Exit codes are not checked: the registry run fails on purpose, and a failing run records as well.
      await new Promise((resolve) => execFile(process.execPath, [fileURLToPath(import.meta.url), '--run', ...argv], {cwd: root}, resolve))
    }
  } finally {
    registry.close()
  }
}
