/**
 * vitest globalSetup: makes sure the Debian packages the suite uses are installed, starts one
 * real registry (docker-registry on 127.0.0.1, storage in a temp dir) for the whole run, hands
 * its address to tests (`inject('registry')`, env ARCHCHECK_TEST_REGISTRY), pushes the standard
 * scenarios (test/helpers/scenarios.ts) and stops the registry at the end.
 */
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import type {TestProject} from 'vitest/node'

import {startRegistryServer, sweepStaleRegistryDirs} from '../helpers/registry-server.js'
import {pushStandardScenarios} from '../helpers/scenarios.js'

export interface ProvidedRegistry {
  /** `127.0.0.1:PORT`. */
  host: string
  configPath: string
  accessLogPath: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    registry: ProvidedRegistry
  }
}

function installSystemDeps(): void {
  const script = fileURLToPath(new URL('../../scripts/install-system-deps.sh', import.meta.url))
  try {
    execFileSync('bash', [script], {stdio: ['ignore', 'inherit', 'pipe']})
  } catch (error) {
    const stderr = (error as {stderr?: Buffer}).stderr?.toString().trim()
    throw new Error(stderr || `scripts/install-system-deps.sh failed: ${String(error)}`)
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  installSystemDeps()
  sweepStaleRegistryDirs()
  const server = await startRegistryServer()
  process.env.ARCHCHECK_TEST_REGISTRY = server.host
  project.provide('registry', {host: server.host, configPath: server.configPath, accessLogPath: server.accessLogPath})
  try {
    await pushStandardScenarios(server.host)
  } catch (error) {
    await server.stop()
    throw error
  }
  return async () => {
    await server.stop()
  }
}
