#!/usr/bin/env node
// oclif by subpath: its index also loads semver for an engine check (about 20 ms of every run).
import {settings} from '@oclif/core/settings'

import {main} from '../dist/cli/main.js'

// The installed CLI always runs the compiled dist/: without this, NODE_ENV=development or test
// makes oclif look for TypeScript sources and print a warning on stderr.
settings.enableAutoTranspile = false

await main(process.argv.slice(2), import.meta.url)
