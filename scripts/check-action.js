#!/usr/bin/env node
// Fails when the committed action bundle (dist-action/index.js, what action.yml runs) differs from
// a fresh build of src/: a runner runs the committed file, never the sources.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const fresh = mkdtempSync(join(tmpdir(), 'archcheck-action-'))
try {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.js'), '--action', fresh], {stdio: 'inherit'})
  if (build.status !== 0) {
    console.error('check-action: the action bundle did not build')
    process.exit(2)
  }
  const committed = (() => {
    try {
      return readFileSync(join(root, 'dist-action', 'index.js'))
    } catch {
      return undefined
    }
  })()
  if (!committed?.equals(readFileSync(join(fresh, 'index.js')))) {
    console.error("dist-action/index.js is stale: run 'npm run build:action' and commit it")
    process.exit(1)
  }
} finally {
  rmSync(fresh, {recursive: true, force: true})
}
