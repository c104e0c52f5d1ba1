import { describe, expect, it } from 'vitest';
import { backendConfigOf, uriOfBackend } from '../../src/cli/uris.js';

describe("this package's backend URIs", () => {
  it('read back what uriOfBackend writes, with the API key and a missing store from the environment only', () => {
    const ams = { backend: 'opensource-agent-memory' as const, apiBaseUrl: 'http://127.0.0.1:8000', defaultNamespace: 'team a' };
    expect(uriOfBackend(ams)).toBe('agent-memory-server+http://127.0.0.1:8000?namespace=team+a');
    expect(backendConfigOf(uriOfBackend(ams), {})).toEqual(ams);
    const ram = { backend: 'redis-agent-memory' as const, apiBaseUrl: 'https://api.example.com/memory', storeId: 's-1', namespaceId: 'ns-1', apiKey: 'secret' };
    const uri = uriOfBackend(ram);
    expect(uri).toBe('redis-agent-memory+https://api.example.com/memory?store=s-1&namespaceId=ns-1');
    expect(uri).not.toContain('secret');
    expect(backendConfigOf(uri, { AGENT_MEMORY_API_KEY: 'secret' })).toEqual(ram);
    expect(backendConfigOf('redis-agent-memory+https://h', { AGENT_MEMORY_STORE_ID: 'from-env' })).toEqual({
      backend: 'redis-agent-memory',
      apiBaseUrl: 'https://h',
      storeId: 'from-env',
    });
    expect(backendConfigOf('sqlite:///tmp/x.db', {})).toBeUndefined();
  });
});
