import { InMemorySessionService, type BaseSessionService } from '@google/adk';
import { RedisSessionMemoryService, type RedisSessionMemoryServiceConfig } from '../../src/services/session-service.js';
import { RedisLongTermMemoryService, type RedisLongTermMemoryServiceConfig } from '../../src/services/memory-service.js';
import {
  type RealAgentMemoryServer,
  startReferenceServer,
  startRealAgentMemoryServer,
  type ReferenceBackend,
  type ReferenceServer,
  type ReferenceServerOptions,
} from '../../src/testing/index.js';
import { startPrism, type PrismHandle } from './prism.js';

/**
 * The one switch: `npm run test:real` sets ADK_REDIS_AMS=real, and every Agent Memory Server case
 * of the suites it runs then meets the real server v0.15.2 instead of the reference server. No
 * test is written twice; a suite's other backends are left out in that run.
 */
export const REAL_AMS = process.env.ADK_REDIS_AMS === 'real';

/** The backends a suite runs on: all of them, or only Agent Memory Server against the real server. */
export function suiteBackends<B extends ReferenceBackend>(backends: readonly B[]): B[] {
  return REAL_AMS ? backends.filter((b) => b === 'opensource-agent-memory') : [...backends];
}

/** One backend as the conformance suites see it. */
export interface Target {
  name: string;
  /** Whether this target follows ADK's database semantics (split initial app:/user: state, duplicate ids rejected, persistence across instances). */
  durable: boolean;
  backend?: ReferenceBackend;
  /** Whether this is the real Agent Memory Server rather than a reference server. */
  real: boolean;
  /** A service; a durable target's services share the same backend (as separate processes would). */
  service(overrides?: Partial<RedisSessionMemoryServiceConfig>): BaseSessionService;
  config(overrides?: Partial<RedisSessionMemoryServiceConfig>): RedisSessionMemoryServiceConfig;
  memory?(overrides?: Partial<RedisLongTermMemoryServiceConfig>): RedisLongTermMemoryService;
  /** The server's own URL, bypassing Prism. */
  directUrl?: string;
  /** The server, for its background work. */
  server?: ReferenceServer;
  /** Waits until what was written is searchable (the real Agent Memory Server indexes after answering). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const SPEC_OF: Record<ReferenceBackend, 'redis-agent-memory' | 'agent-memory-server'> = {
  'redis-agent-memory': 'redis-agent-memory',
  'opensource-agent-memory': 'agent-memory-server',
};

export interface TargetOptions {
  /** Reference servers only: leave Prism out (the real server's responses are checked by the clients' validators). */
  viaPrism?: boolean;
  server?: Omit<ReferenceServerOptions, 'backend'>;
  /** The real server: also start its MCP server. */
  mcp?: boolean;
}

/**
 * A backend to test against. Reference servers run behind `prism proxy --errors`: every request
 * the SDK sends and every response the reference server gives is checked against the spec, and a
 * violation fails the call. In the real-server run, Agent Memory Server is the real server.
 */
export async function backendTarget(backend: ReferenceBackend, opts: TargetOptions = {}): Promise<Target> {
  const real = REAL_AMS && backend === 'opensource-agent-memory';
  let server: ReferenceServer;
  let prism: PrismHandle | undefined;
  if (real) {
    const { backgroundTasks, apiKey } = opts.server ?? {};
    server = await startRealAgentMemoryServer({ ...(backgroundTasks ? { backgroundTasks } : {}), ...(apiKey ? { apiKey } : {}), mcp: opts.mcp ?? false });
  } else {
    server = await startReferenceServer({ backend, ...opts.server });
    prism = opts.viaPrism === false ? undefined : await startPrism(SPEC_OF[backend], server.url);
  }
  // Agent Memory Server's own document requires a Bearer token on every operation but the health
  // check, which Prism enforces; a server with auth disabled (its default) ignores the token.
  const apiKey = server.apiKey ?? (prism && backend === 'opensource-agent-memory' ? 'no-auth-configured' : undefined);
  const config = (overrides: Partial<RedisSessionMemoryServiceConfig> = {}): RedisSessionMemoryServiceConfig => ({
    backend,
    apiBaseUrl: prism?.url ?? server.url,
    ...(apiKey ? { apiKey } : {}),
    ...(server.storeId ? { storeId: server.storeId } : {}),
    maxRetries: 0,
    ...overrides,
  });
  return {
    name: real
      ? `${backend} (real server v${(server as RealAgentMemoryServer).versions.agentMemoryServer})`
      : `${backend} (reference server${prism ? ' behind prism proxy --errors' : ''})`,
    durable: true,
    backend,
    real,
    config,
    service: (overrides) => new RedisSessionMemoryService(config(overrides)),
    memory: (overrides) => new RedisLongTermMemoryService({ ...config(), ...overrides }),
    directUrl: server.url,
    server,
    settle: () => server.settled(),
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
    real: false,
    config: () => ({}),
    service: () => shared,
    settle: async () => {},
    close: async () => {},
  };
}
