import {homedir} from 'node:os'

import type {Environment} from '../api/environment.js'

/**
 * The CLI is where the process environment is read (the library takes everything as options):
 * commands and renderers ask here.
 */
export function processEnvironment(): Environment {
  return process.env
}

export function homeDir(): string {
  return homedir()
}
