// Test helpers for users of adk-redis: stateful reference servers of both backend APIs, so that
// sessions and memories can be exercised end to end without a real backend or network.
import { amsLongTermHandler, type AmsMemory } from './agent-memory-server-ltm.js';
import { agentMemoryServerHandler, type AgentMemoryServerState } from './agent-memory-server.js';
import { hashedEmbedding, type EmbedFunction } from './embedding.js';
import { serve } from './http.js';
import { ramLongTermHandler, type RamMemory } from './redis-agent-memory-ltm.js';
import { redisAgentMemoryHandler, type RedisAgentMemoryState } from './redis-agent-memory-server.js';

export { hashedEmbedding, cosine, type EmbedFunction } from './embedding.js';
export type { FaultController, FaultKind, FaultRule } from './faults.js';
import { createFaultController, type FaultController, type FaultRule } from './faults.js';

export type ReferenceBackend = 'redis-agent-memory' | 'opensource-agent-memory';

export interface ReferenceServerOptions {
  backend: ReferenceBackend;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Host to bind; defaults to loopback. */
  host?: string;
  /** Redis Agent Memory: the store id served (default `reference-store`). */
  storeId?: string;
  /**
   * API key required as Bearer token. Redis Agent Memory always requires one (default
   * `reference-key`); Agent Memory Server requires one only when given.
   */
  apiKey?: string;
  /**
   * Text embedding used to rank long-term memory searches (cosine similarity). Defaults to a
   * deterministic hashed-word embedding; plug in a real model's embedding for realistic ranking.
   */
  embed?: EmbedFunction;
  /** Faults to inject from the start; more can be added through `faults` on the running server. */
  faults?: FaultRule[];
}

export interface ReferenceServer {
  backend: ReferenceBackend;
  /** Base URL to pass as `apiBaseUrl`. */
  url: string;
  storeId?: string;
  apiKey?: string;
  /** Injects failures into chosen requests (see FaultRule). */
  faults: FaultController;
  /** Stops the server and drops its connections; the data is gone with it. */
  close(): Promise<void>;
}

/** Starts an in-memory reference server of one backend's API on loopback. */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const faults = createFaultController(options.faults);
  if (options.backend === 'redis-agent-memory') {
    const storeId = options.storeId ?? 'reference-store';
    const apiKey = options.apiKey ?? 'reference-key';
    const state: RedisAgentMemoryState = { sessions: new Map() };
    const memories = new Map<string, RamMemory>();
    const handler = redisAgentMemoryHandler({ storeId, apiKey }, state, [ramLongTermHandler(memories, options.embed ?? hashedEmbedding)]);
    const types: Record<number, string> = { 400: 'invalid-data', 401: 'authentication-failed', 403: 'insufficient-permissions', 404: 'resource-not-found', 408: 'timeout', 413: 'payload-too-large', 424: 'resource-unavailable', 429: 'too-many-requests' };
    const errorBody = (status: number) => ({ type: `/errors/${types[status] ?? 'unexpected-error'}`, title: 'Injected fault', status, detail: `injected HTTP ${status}` });
    const running = await serve(handler, options.port, options.host, { take: faults.take, errorBody });
    return { backend: options.backend, url: running.url, storeId, apiKey, faults, close: running.close };
  }
  if (options.backend === 'opensource-agent-memory') {
    const state: AgentMemoryServerState = { workingMemory: new Map() };
    const memories = new Map<string, AmsMemory>();
    const handler = agentMemoryServerHandler({ apiKey: options.apiKey }, state, [amsLongTermHandler(memories, new Map(), options.embed ?? hashedEmbedding)]);
    const running = await serve(handler, options.port, options.host, { take: faults.take, errorBody: (status) => ({ detail: `injected HTTP ${status}` }) });
    return { backend: options.backend, url: running.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}), faults, close: running.close };
  }
  throw new TypeError(`startReferenceServer: backend must be "redis-agent-memory" or "opensource-agent-memory", got ${JSON.stringify((options as { backend?: unknown })?.backend)}`);
}
