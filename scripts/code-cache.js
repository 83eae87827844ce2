#!/usr/bin/env node
// Records V8's code cache for the bundle (part of `npm run build`, after `oclif manifest`): runs
// commands that do no network I/O, each in a fresh node, with bin/code-cache.js recording, so that
// the cache holds the functions those runs compiled, lazily compiled ones included
// (bin/code-cache.js says how it is read back).
//
//   node scripts/code-cache.js            records (replacing the cache of this node version)
//   node scripts/code-cache.js --run ARGS  one recording run of `archcheck ARGS` (used by the above)
import {execFileSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {codeCacheDir, useCodeCache} from '../bin/code-cache.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bundleDir = join(root, 'dist', 'bundle')

/** What most runs do: help, a command's help, and inspect's whole path (parse, read, render) without a registry. */
const RUNS = [['--help'], ['inspect', '--help'], ['inspect', 'oci-layout:fixtures/demo'], ['inspect', 'oci-layout:fixtures/demo', '--json']]

if (process.argv[2] === '--run') {
  useCodeCache(bundleDir, {record: true})
  const {main, settings} = createRequire(import.meta.url)('../dist/bundle/main.js')
  settings.enableAutoTranspile = false
  await main(process.argv.slice(3), pathToFileURL(join(root, 'bin', 'run.js')).href)
} else {
  rmSync(codeCacheDir(bundleDir), {recursive: true, force: true})
  for (const args of RUNS) {
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--run', ...args], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
  }
}
