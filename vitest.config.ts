import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    disableConsoleIntercept: true,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
