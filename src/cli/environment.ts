import {homedir} from 'node:os'

import type {Environment} from '../api/environment.js'

/**
 * The CLI is where the process environment is read (the library takes everything as options):
 * commands ask here and hand the environment to renderers as an argument.
 */
export function processEnvironment(): Environment {
  return process.env
}

export function homeDir(): string {
  return homedir()
}
