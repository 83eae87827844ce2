#!/usr/bin/env node
// Adds up vitest JSON reports (--reporter=json) into the plain closing line CI reads:
// "tests: N passed, N failed, N skipped". Exits 1 when any test failed or no test ran.
import {readFileSync} from 'node:fs'

let passed = 0
let failed = 0
let skipped = 0
for (const file of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + report.numTodoTests
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
