#!/usr/bin/env node
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {arch, platform, release} from 'node:os'
import {fileURLToPath} from 'node:url'

const argv = process.argv.slice(2)

// `archcheck --version` prints oclif's user agent line and nothing else: printed here, it costs node's
// start-up alone instead of loading oclif and its config (about 70 ms, bench/README.md). Where
// oclif would name the platform differently (WSL, detected by oclif from /proc) oclif prints it.
if (argv.length === 1 && argv[0] === '--version' && !(platform() === 'linux' && /microsoft/i.test(release()))) {
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  // A reader that has gone (`| head -c1`) is not an error, as in main's output handling.
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error
  })
  process.stdout.write(`${name}/${version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`)
} else {
  // The bundle (scripts/bundle.js): one file for the entry and oclif instead of about a hundred,
  // CommonJS so that V8's code cache for it can be used (bin/code-cache.js).
  const {useCodeCache} = await import('./code-cache.js')
  const bundleDir = fileURLToPath(new URL('../dist/bundle', import.meta.url))
  useCodeCache(bundleDir)
  const {main, settings} = createRequire(import.meta.url)('../dist/bundle/main.js')
  // The installed CLI always runs the compiled dist/: without this, NODE_ENV=development or test
  // makes oclif look for TypeScript sources and print a warning on stderr.
  settings.enableAutoTranspile = false
  await main(argv, import.meta.url)
}
