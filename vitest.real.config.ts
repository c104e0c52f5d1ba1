import { defineConfig } from 'vitest/config';

/**
 * `npm run test:real`: the Agent Memory Server cases of these suites against the real server
 * v0.15.2 (scripts/test-real.ts sets ADK_REDIS_AMS=real; test/helpers/targets.ts switches on it).
 */
export const REAL_SUITES = [
  'test/conformance/sessions.test.ts',
  'test/conformance/memory.test.ts',
  'test/conformance/adk-semantics.test.ts',
  'test/integration/search-modes.test.ts',
  'test/integration/ams-native-layout.test.ts',
  'test/integration/runner-sessions.test.ts',
  'test/integration/runner-memory.test.ts',
  'test/integration/mcp-toolset.test.ts',
  'test/reliability/concurrency.test.ts',
  'test/reliability/create-race.test.ts',
  'test/reliability/replica-kill.test.ts',
  'test/integration/shared-sessions.test.ts',
  'test/integration/ams-options.test.ts',
  'test/integration/ams-read-cache.test.ts',
  'test/integration/ams-index-confirmation.test.ts',
  'test/real/differential.test.ts',
  'test/real/harness.test.ts',
  'test/real/demo.test.ts',
  'test/real/client.test.ts',
  'test/real/specs-pull.test.ts',
  'test/judge/adk-judge.test.ts',
  'test/integration/migration.test.ts',
  'test/integration/forget-user.test.ts',
  'test/integration/custom-metadata.test.ts',
  'test/integration/dev-commands.test.ts',
  'test/real/release.test.ts',
  'test/real/drills.test.ts',
  'test/real/local-embeddings.test.ts',
  'test/real/compaction.test.ts',
  'test/real/tag-ids.test.ts',
  'test/real/exact-numbers.test.ts',
  'test/properties/sessions.property.test.ts',
  'test/properties/isolation.property.test.ts',
];

/**
 * On an earlier supported release (ADK_REDIS_AMS_VERSION=0.14.0): the sessions and memory
 * conformance suites, the native layout and the Runner, which together cover what the services need.
 */
export const RELEASE_SUITES = [
  'test/conformance/sessions.test.ts',
  'test/conformance/memory.test.ts',
  'test/integration/ams-native-layout.test.ts',
  'test/integration/runner-sessions.test.ts',
  'test/integration/runner-memory.test.ts',
  'test/real/release.test.ts',
];

const release = process.env.ADK_REDIS_AMS_VERSION;

export default defineConfig({
  test: {
    include: release && release !== '0.15.2' ? RELEASE_SUITES : REAL_SUITES,
    testTimeout: 60_000,
    // Starting the server imports its Python packages in three processes (about 30 s of CPU).
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
