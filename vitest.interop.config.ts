import { defineConfig } from 'vitest/config';

/**
 * `npm run test:interop`: this package against the Python clients of both backends (the Python
 * adk-redis with google-adk, agent-memory-client, redis-agent-memory), on the real Agent Memory
 * Server and on the reference Redis Agent Memory behind the spec's Prism proxy.
 */
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
