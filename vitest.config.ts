import {availableParallelism} from 'node:os'

import {defineConfig} from 'vitest/config'

/**
 * Two projects. `unit` (test/unit): pure tests that need Node and node_modules only: no global
 * setup, no Debian packages, no registry, no network, no root, no build (`npm run test:unit`
 * runs them on any machine with Node). `integration` (test/integration): everything else: the
 * global setup installs the Debian packages, starts a real registry and pushes the test images;
 * tests run the built CLI, buildah, skopeo, zstd, openssl… `npm test` builds and runs both.
 */
export default defineConfig({
  test: {
    disableConsoleIntercept: true,
    testTimeout: 30_000,
    pool: 'forks',
    // Integration tests mostly wait on child processes and the registry: on 2 cores the default
    // (cores - 1 = one worker) leaves a core idle; two workers cut the suite by about a third.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      {extends: true, test: {name: 'unit', include: ['test/unit/**/*.test.ts']}},
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global.ts'],
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
