import { readFileSync } from 'node:fs';
import { createEvent, createEventActions } from '@google/adk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, InvalidInputError } from '../../src/clients/errors.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';

describe('RedisSessionMemoryService configuration', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('says clearly when Redis Agent Memory credentials are missing', () => {
    vi.stubEnv('AGENT_MEMORY_API_KEY', '');
    vi.stubEnv('AGENT_MEMORY_STORE_ID', '');
    expect(() => new RedisSessionMemoryService()).toThrow(/"apiKey": is required for backend "redis-agent-memory": pass apiKey or set AGENT_MEMORY_API_KEY/);
    expect(() => new RedisSessionMemoryService({ apiKey: 'k' })).toThrow(/"storeId".*AGENT_MEMORY_STORE_ID/);
  });

  it('takes credentials from the environment', () => {
    vi.stubEnv('AGENT_MEMORY_API_KEY', 'env-key');
    vi.stubEnv('AGENT_MEMORY_STORE_ID', 'env-store');
    expect(new RedisSessionMemoryService().backendName).toBe('redis-agent-memory');
  });

  it('rejects an unknown backend and unknown options by name', () => {
    const err = (() => {
      try {
        new RedisSessionMemoryService({ backend: 'postgres' as never });
      } catch (e) {
        return e as ConfigurationError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err!.option).toBe('backend');
    expect(err!.message).toContain('"redis-agent-memory", "opensource-agent-memory"');
    expect(() => new RedisSessionMemoryService({ backend: 'opensource-agent-memory', namespace: 'x' } as never)).toThrow(/unknown option/);
  });

  it('needs no credentials for Agent Memory Server and defaults to localhost:8000', () => {
    expect(new RedisSessionMemoryService({ backend: 'opensource-agent-memory' }).backendName).toBe('opensource-agent-memory');
  });

  it('rejects bad requests before sending anything', async () => {
    const fetch = vi.fn();
    const svc = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', fetch });
    await expect(svc.createSession({ appName: '', userId: 'u' })).rejects.toThrow(/appName must be a non-empty string/);
    await expect(svc.getSession({ appName: 'a', userId: 'u', sessionId: 's', config: { numRecentEvents: -1 } })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(svc.createSession({ appName: 'a', userId: 'u', state: { when: new Date() } })).rejects.toThrow(/state.when is a Date/);
    const session = { id: 's', appName: 'a', userId: 'u', state: {}, events: [], lastUpdateTime: 0 };
    const bad = createEvent({ id: 'e', timestamp: 1, actions: createEventActions({ stateDelta: { n: Number.POSITIVE_INFINITY } }) });
    await expect(svc.appendEvent({ session, event: bad })).rejects.toThrow(/event.actions.stateDelta.n is Infinity/);
    await expect(svc.listSessions({ appName: 'a', limit: 1.5 })).rejects.toThrow(/limit must be a whole number/);
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe("Agent Memory Server options (the Python adk-redis's) on either backend", () => {
  const ram = { backend: 'redis-agent-memory' as const, apiKey: 'k', storeId: 's' };
  const configError = (build: () => unknown) => {
    try {
      build();
    } catch (e) {
      return e as ConfigurationError;
    }
    throw new Error('no error');
  };

  it.each([
    ['sessionTtlSeconds', 60],
    ['extractionStrategy', 'summary'],
    ['modelName', 'gpt-4o'],
    ['contextWindowMax', 8000],
    ['conversationWrites', 'per-invocation'],
    ['serverExtraction', false],
  ])('RedisSessionMemoryService: %s on Redis Agent Memory is a ConfigurationError naming it and the backend', (option, value) => {
    const err = configError(() => new RedisSessionMemoryService({ ...ram, [option]: value }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.option).toBe(option);
    expect(err.message).toContain('backend "redis-agent-memory"');
  });

  it.each([
    ['recencyBoost', false],
    ['recencySemanticWeight', 0.5],
    ['recencyRecencyWeight', 0.5],
    ['recencyFreshnessWeight', 0.5],
    ['recencyNoveltyWeight', 0.5],
    ['recencyHalfLifeLastAccessDays', 3],
    ['recencyHalfLifeCreatedDays', 10],
    ['extractionStrategy', 'preferences'],
    ['searchMode', 'semantic'],
    ['searchMode', 'keyword'],
    ['hybridAlpha', 0.5],
    ['searchMode', 'fused'],
    ['confirmIndexed', false],
  ])('RedisLongTermMemoryService: %s on Redis Agent Memory is a ConfigurationError naming it and the backend', (option, value) => {
    const err = configError(() => new RedisLongTermMemoryService({ ...ram, [option]: value }));
    expect(err.option).toBe(option);
    expect(err.message).toContain('backend "redis-agent-memory"');
  });

  it('validates the options as the server would, naming the field and the rule', () => {
    const ams = { backend: 'opensource-agent-memory' as const };
    expect(configError(() => new RedisSessionMemoryService({ ...ams, sessionTtlSeconds: 0 })).message).toContain('"sessionTtlSeconds": must be at least 1');
    expect(configError(() => new RedisSessionMemoryService({ ...ams, sessionTtlSeconds: 1.5 })).message).toContain(
      '"sessionTtlSeconds": must be a whole number of seconds',
    );
    expect(configError(() => new RedisSessionMemoryService({ ...ams, extractionStrategy: 'facts' as never })).option).toBe('extractionStrategy');
    expect(configError(() => new RedisSessionMemoryService({ ...ams, conversationWrites: 'per-turn' as never })).message).toContain(
      '"conversationWrites": must be one of "per-event", "per-invocation"',
    );
    expect(configError(() => new RedisSessionMemoryService({ ...ams, extractionStrategyConfig: { a: 1 } })).message).toContain('needs extractionStrategy');
    expect(configError(() => new RedisSessionMemoryService({ ...ams, serverExtraction: 'no' as never })).message).toContain(
      '"serverExtraction": must be true or false',
    );
    const both = configError(() => new RedisSessionMemoryService({ ...ams, serverExtraction: false, extractionStrategy: 'summary' }));
    expect(both.option).toBe('serverExtraction');
    expect(both.message).toContain('extractionStrategy');
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, extractionStrategy: 'custom' })).message).toContain('custom_prompt');
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, recencySemanticWeight: 1.5 })).message).toContain(
      '"recencySemanticWeight": must be from 0 to 1',
    );
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, recencyHalfLifeCreatedDays: 0 })).message).toContain('must be more than 0 days');
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, searchMode: 'fuzzy' as never })).message).toContain(
      '"searchMode": must be one of "fused", "semantic", "keyword", "hybrid"',
    );
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, searchMode: 'hybrid', hybridAlpha: 2 })).message).toContain(
      '"hybridAlpha": must be from 0 to 1',
    );
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, searchMode: 'keyword', hybridAlpha: 0.5 })).message).toContain(
      'applies to searchMode "hybrid" and "fused" (the default) only',
    );
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, confirmIndexed: 'yes' as never })).message).toContain(
      '"confirmIndexed": must be true, false or { timeoutMs }',
    );
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, confirmIndexed: { timeoutMs: 0 } })).message).toMatch(
      /confirmIndexed.*timeoutMs must be at least 1/,
    );
    expect(configError(() => new RedisLongTermMemoryService({ ...ams, confirmIndexed: { timeoutMs: 5, wait: 1 } as never })).option).toMatch(/^confirmIndexed/);
    expect(
      new RedisLongTermMemoryService({ ...ams, extractionStrategy: 'custom', extractionStrategyConfig: { custom_prompt: 'Extract facts: {message}' } })
        .backendName,
    ).toBe('opensource-agent-memory');
  });
});

describe('telemetry option and version', () => {
  it("reports the package's version on its tracer and meter", async () => {
    const { PACKAGE_VERSION } = await import('../../src/telemetry/version.js');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });

  it('refuses a telemetry option that is not { includeIds: boolean }, naming it', () => {
    expect(() => new RedisSessionMemoryService({ backend: 'opensource-agent-memory', telemetry: { includeIds: 'yes' } as never })).toThrow(
      /telemetry\.includeIds.*true or false/,
    );
    expect(() => new RedisLongTermMemoryService({ backend: 'opensource-agent-memory', telemetry: { ids: true } as never })).toThrow(
      /"telemetry\.ids": unknown option/,
    );
  });
});
