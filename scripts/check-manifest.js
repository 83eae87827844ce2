#!/usr/bin/env node
// Run after `npm run build` (which regenerates oclif.manifest.json): fails when the result differs
// from the committed file, i.e. a command or flag changed without committing the new manifest.
import {spawnSync} from 'node:child_process'

const diff = spawnSync('git', ['diff', '--exit-code', '--stat', '--', 'oclif.manifest.json'], {encoding: 'utf8'})
if (diff.error || diff.status === 128) {
  console.error(`check-manifest: cannot run git diff (${diff.error?.message ?? diff.stderr.trim()})`)
  process.exit(2)
}
if (diff.status !== 0) {
  console.error(`oclif.manifest.json is stale: run 'npm run build' and commit it\n${diff.stdout}`)
  process.exit(1)
}
