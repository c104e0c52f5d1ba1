// Chooses where the example keeps its data: a real backend from the environment, the real Agent
// Memory Server started here (--real), or an embedded reference server when nothing is configured.
import { startRealAgentMemoryServer, startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import type { RedisSessionMemoryServiceConfig } from '../../src/services/session-service.js';

export interface ExampleBackend {
  config: RedisSessionMemoryServiceConfig;
  description: string;
  /** The MCP app's URL, when this backend serves one. */
  mcpUrl?: string;
  /** Resolves when what was written is searchable (an Agent Memory Server indexes after answering). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendChoice {
  prefer?: 'redis-agent-memory' | 'opensource-agent-memory' | undefined;
  /** Start the real Agent Memory Server v0.15.2 here (`npm run ams:real`'s harness) instead of the reference server. */
  real?: boolean;
  /** With `real`: also start its MCP server. */
  mcp?: boolean;
}

export async function exampleBackend(log: (line: string) => void = () => {}, choice: BackendChoice = {}): Promise<ExampleBackend> {
  const { prefer } = choice;
  const url = process.env.AGENT_MEMORY_URL;
  // An embedded server can be the backend the caller needs; a configured one is what it is.
  const backend = ((url ? process.env.AGENT_MEMORY_BACKEND : (prefer ?? process.env.AGENT_MEMORY_BACKEND)) || 'redis-agent-memory') as
    'redis-agent-memory' | 'opensource-agent-memory';
  if (url) {
    return {
      config: {
        backend,
        apiBaseUrl: url,
        ...(process.env.AGENT_MEMORY_API_KEY ? { apiKey: process.env.AGENT_MEMORY_API_KEY } : {}),
        ...(process.env.AGENT_MEMORY_STORE_ID ? { storeId: process.env.AGENT_MEMORY_STORE_ID } : {}),
      },
      description: `${backend} at ${url}`,
      ...(process.env.AGENT_MEMORY_MCP_URL ? { mcpUrl: process.env.AGENT_MEMORY_MCP_URL } : {}),
      settled: async () => {},
      close: async () => {},
    };
  }
  if (choice.real) {
    if (backend !== 'opensource-agent-memory') throw new Error('--real runs the real Agent Memory Server: use it with --backend opensource-agent-memory');
    log('starting the real Agent Memory Server v0.15.2 (installs once into .cache/)...');
    const real = await startRealAgentMemoryServer({ mcp: choice.mcp ?? false, log });
    return {
      config: { backend, apiBaseUrl: real.url },
      description: `the real Agent Memory Server ${real.versions.agentMemoryServer} at ${real.url} (Redis ${real.versions.redis}, stand-in model)`,
      ...(real.mcpUrl ? { mcpUrl: real.mcpUrl } : {}),
      // Later in life: after the server's background work (indexing, extraction, deduplication) has run.
      settled: () => real.runBackgroundTasks(),
      close: () => real.close(),
    };
  }
  log(`starting the embedded ${backend} reference server...`);
  const server: ReferenceServer = await startReferenceServer({ backend });
  return {
    config: { backend, apiBaseUrl: server.url, ...(server.apiKey ? { apiKey: server.apiKey } : {}), ...(server.storeId ? { storeId: server.storeId } : {}) },
    description: `embedded ${backend} reference server at ${server.url}`,
    ...(server.mcpUrl ? { mcpUrl: server.mcpUrl } : {}),
    settled: () => server.settled(),
    close: () => server.close(),
  };
}
