#!/usr/bin/env node
import {execute} from '@oclif/core/execute'
import {settings} from '@oclif/core/settings'

// The installed CLI always runs the compiled dist/: without this, NODE_ENV=development or test
// makes oclif look for TypeScript sources and print a warning on stderr.
settings.enableAutoTranspile = false

await execute({dir: import.meta.url})
