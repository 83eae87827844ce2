#!/usr/bin/env -S node --import tsx --no-warnings
// Development entry: runs the TypeScript sources. While oclif.manifest.json exists oclif still
// loads commands from dist/, so run `npm run build` after changing a command.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
