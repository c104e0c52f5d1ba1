import { createEvent, createEventActions } from '@google/adk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, InvalidInputError } from '../../src/clients/errors.js';
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
