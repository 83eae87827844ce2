import {availableParallelism} from 'node:os'

import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    disableConsoleIntercept: true,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration tests mostly wait on child processes and the registry: on 2 cores the default
    // (cores - 1 = one worker) leaves a core idle; two workers cut the suite by about a third.
    maxWorkers: Math.max(2, availableParallelism()),
  },
})
