import { InMemorySessionService, type BaseSessionService } from '@google/adk';
import { RedisSessionMemoryService, type RedisSessionMemoryServiceConfig } from '../../src/services/session-service.js';
import { RedisLongTermMemoryService, type RedisLongTermMemoryServiceConfig } from '../../src/services/memory-service.js';
import { startReferenceServer, type ReferenceBackend, type ReferenceServer, type ReferenceServerOptions } from '../../src/testing/index.js';
import { startPrism, type PrismHandle } from './prism.js';

/** One backend as the conformance suites see it. */
export interface Target {
  name: string;
  /** Whether this target follows ADK's database semantics (split initial app:/user: state, duplicate ids rejected, persistence across instances). */
  durable: boolean;
  backend?: ReferenceBackend;
  /** A service; a durable target's services share the same backend (as separate processes would). */
  service(overrides?: Partial<RedisSessionMemoryServiceConfig>): BaseSessionService;
  config(overrides?: Partial<RedisSessionMemoryServiceConfig>): RedisSessionMemoryServiceConfig;
  memory?(overrides?: Partial<RedisLongTermMemoryServiceConfig>): RedisLongTermMemoryService;
  /** The reference server's own URL, bypassing Prism. */
  directUrl?: string;
  /** The reference server, for its background work. */
  server?: ReferenceServer;
  close(): Promise<void>;
}

const SPEC_OF: Record<ReferenceBackend, 'redis-agent-memory' | 'agent-memory-server'> = {
  'redis-agent-memory': 'redis-agent-memory',
  'opensource-agent-memory': 'agent-memory-server',
};

/**
 * A reference server behind `prism proxy --errors`: every request the SDK sends and every
 * response the reference server gives is checked against the spec, and a violation fails the call.
 */
export async function referenceTarget(backend: ReferenceBackend, opts: { viaPrism?: boolean; server?: Omit<ReferenceServerOptions, 'backend'> } = {}): Promise<Target> {
  const server: ReferenceServer = await startReferenceServer({ backend, ...opts.server });
  const prism: PrismHandle | undefined = opts.viaPrism === false ? undefined : await startPrism(SPEC_OF[backend], server.url);
  const config = (overrides: Partial<RedisSessionMemoryServiceConfig> = {}): RedisSessionMemoryServiceConfig => ({
    backend,
    apiBaseUrl: prism?.url ?? server.url,
    ...(server.apiKey ? { apiKey: server.apiKey } : {}),
    ...(server.storeId ? { storeId: server.storeId } : {}),
    maxRetries: 0,
    ...overrides,
  });
  return {
    name: `${backend} (reference server${prism ? ' behind prism proxy --errors' : ''})`,
    durable: true,
    backend,
    config,
    service: (overrides) => new RedisSessionMemoryService(config(overrides)),
    memory: (overrides) => new RedisLongTermMemoryService({ ...config(), ...overrides }),
    directUrl: server.url,
    server,
    close: async () => {
      await prism?.close();
      await server.close();
    },
  };
}

/** ADK's own in-memory service: proves the suite encodes ADK's semantics, not ours. */
export function inMemoryTarget(): Target {
  const shared = new InMemorySessionService();
  return {
    name: 'ADK InMemorySessionService',
    durable: false,
    config: () => ({}),
    service: () => shared,
    close: async () => {},
  };
}
