// Chooses where the example keeps its data: a real backend from the environment, or an
// embedded reference server when nothing is configured.
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import type { RedisSessionMemoryServiceConfig } from '../../src/services/session-service.js';

export interface ExampleBackend {
  config: RedisSessionMemoryServiceConfig;
  description: string;
  close(): Promise<void>;
}

export async function exampleBackend(log: (line: string) => void = () => {}, prefer?: 'redis-agent-memory' | 'opensource-agent-memory'): Promise<ExampleBackend> {
  const url = process.env.AGENT_MEMORY_URL;
  // An embedded server can be the backend the caller needs; a configured one is what it is.
  const backend = ((url ? process.env.AGENT_MEMORY_BACKEND : (prefer ?? process.env.AGENT_MEMORY_BACKEND)) || 'redis-agent-memory') as 'redis-agent-memory' | 'opensource-agent-memory';
  if (url) {
    return {
      config: {
        backend,
        apiBaseUrl: url,
        ...(process.env.AGENT_MEMORY_API_KEY ? { apiKey: process.env.AGENT_MEMORY_API_KEY } : {}),
        ...(process.env.AGENT_MEMORY_STORE_ID ? { storeId: process.env.AGENT_MEMORY_STORE_ID } : {}),
      },
      description: `${backend} at ${url}`,
      close: async () => {},
    };
  }
  log(`starting the embedded ${backend} reference server...`);
  const server: ReferenceServer = await startReferenceServer({ backend });
  return {
    config: { backend, apiBaseUrl: server.url, ...(server.apiKey ? { apiKey: server.apiKey } : {}), ...(server.storeId ? { storeId: server.storeId } : {}) },
    description: `embedded ${backend} reference server at ${server.url}`,
    close: () => server.close(),
  };
}
