import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-server suites need the real Agent Memory Server: `npm run test:real`.
    exclude: ['test/real/**', 'test/interop/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // Each file starts its own servers; two workers match the 2-core CI machine.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
