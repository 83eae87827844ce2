import {defineConfig} from 'vitest/config'

/** `npm run test:oracle`: real dockerd/containerd pulls compared with resolve (needs root). */
export default defineConfig({
  test: {
    include: ['test/oracle/**/*.oracle.ts'],
    globalSetup: ['test/setup/global.ts'],
    disableConsoleIntercept: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One daemon, one pull at a time.
    fileParallelism: false,
  },
})
