import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// `npm test` builds before running vitest, so these import the emitted package through its
// own exports map, exactly as a user's project would.
describe('the built package', () => {
  it('exports ".", "./clients" and "./testing" as ESM with declarations', async () => {
    const root = await import('adk-redis');
    const clients = await import('adk-redis/clients');
    const testing = await import('adk-redis/testing');
    expect(typeof testing.startReferenceServer).toBe('function');
    expect(typeof root.RedisSessionMemoryService).toBe('function');
    expect(typeof clients.createRedisAgentMemoryClient).toBe('function');
    expect(typeof clients.createAgentMemoryServerClient).toBe('function');
    expect(typeof root.AgentMemoryError).toBe('function');
    for (const dts of ['dist/src/index.d.ts', 'dist/src/clients/index.d.ts', 'dist/src/testing/index.d.ts']) {
      expect(existsSync(dts), dts).toBe(true);
    }
  });
});
