// Test helpers for users of adk-redis: stateful reference servers of both backend APIs that also
// do what the real backends do on their own (summarise, extract, write back), so that sessions and
// memories can be exercised end to end without a real backend or network.
import { ServerWork, summarizeWorkingMemory } from './agent-memory-server/background.js';
import { amsLongTermHandler, LongTermStore } from './agent-memory-server/long-term.js';
import { memoryPromptHandler } from './agent-memory-server/prompt.js';
import { agentMemoryServerHandler, newAgentMemoryServerState } from './agent-memory-server/working-memory.js';
import { hashedEmbedding, type EmbedFunction } from './embedding.js';
import { createFaultController, type FaultController, type FaultRule } from './faults.js';
import { mcpEndpoint, restCaller } from './agent-memory-server/mcp.js';
import { serve } from './http.js';
import { StoreBackgroundWork } from './redis-agent-memory/background.js';
import { ramLongTermHandler, storeMemory, type RamMemory } from './redis-agent-memory/long-term.js';
import { redisAgentMemoryHandler, type RedisAgentMemoryState } from './redis-agent-memory/session-memory.js';
import { NamespaceTable } from './redis-agent-memory/namespaces.js';

export { hashedEmbedding, cosine, type EmbedFunction } from './embedding.js';
export type { FaultController, FaultKind, FaultRule } from './faults.js';
export {
  startRealAgentMemoryServer,
  ensureRealServerInstalled,
  RealServerUnavailableError,
  AMS_VERSIONS,
  type AmsVersion,
  type RealAgentMemoryServer,
  type RealAgentMemoryServerOptions,
  type RealServerVersions,
  type ServerPart,
  type SupervisorRestart,
  type TaskCounts,
  type UnavailableReason,
} from './real-agent-memory-server/index.js';
export { startStandInModel, type StandInModel } from './stand-in-model/server.js';

/** The backend a reference server serves. */
export type ReferenceBackend = 'redis-agent-memory' | 'opensource-agent-memory';

/** Options of startReferenceServer. */
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
  /**
   * The backend's own background work (extraction and write-back on Agent Memory Server;
   * summarisation, cleanup and extraction on Redis Agent Memory): `'auto'` (default) runs it a
   * short debounce after the last write, `'manual'` only when `runBackgroundTasks()` is called.
   */
  backgroundTasks?: 'auto' | 'manual';
  /**
   * Not a setting of either backend: Agent Memory Server's default window is 16 000 tokens and only
   * requests name another. Setting it throws (pass `contextWindowMax` to the session service).
   */
  contextWindowMax?: number;
  /** Redis Agent Memory: a session is summarised once it holds more than this many events (default 20). */
  summarizeAfterEvents?: number;
  /** Redis Agent Memory: the newest events a summarisation keeps (default 5). */
  keepEvents?: number;
  /** Delays every response by this many milliseconds, like a network round trip (default 0). */
  latencyMs?: number;
}

/** Options of ReferenceServer.runBackgroundTasks. */
export interface RunBackgroundTasksOptions {
  /**
   * Awaited after the work has read what it works on and before it writes back, like the real
   * backends' LLM calls: writes made here land in the window the real server overwrites.
   */
  during?: () => unknown;
  /** Redis Agent Memory: delete summarised events after summarising (default true). */
  cleanup?: boolean;
}

/** A running reference server (or the real Agent Memory Server): its URL, faults and background work. */
export interface ReferenceServer {
  backend: ReferenceBackend;
  /** Base URL to pass as `apiBaseUrl`. */
  url: string;
  /** Agent Memory Server: the base URL of its MCP server (`/mcp`, `/{namespace}/mcp`). */
  mcpUrl?: string;
  storeId?: string;
  apiKey?: string;
  /** Injects failures into chosen requests (see FaultRule). */
  faults: FaultController;
  /** Runs the backend's pending background work now and resolves when it is done. */
  runBackgroundTasks(options?: RunBackgroundTasksOptions): Promise<void>;
  /**
   * Resolves once the work the server does right after its responses is done, so that what was
   * written can be read and searched: the real Agent Memory Server indexes long-term memories and
   * promotes working memory after it has answered. The reference servers do that before answering.
   */
  settled(): Promise<void>;
  /** Stops the server, its background work and its connections; the data is gone with it. */
  close(): Promise<void>;
}

/** Starts an in-memory reference server of one backend's API on loopback. */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const faults = createFaultController(options.faults);
  const embed = options.embed ?? hashedEmbedding;
  const mode: unknown = options.backgroundTasks ?? 'auto';
  const latency = options.latencyMs ?? 0;
  if (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0)
    throw new TypeError(`startReferenceServer: latencyMs must be a number of milliseconds >= 0, got ${JSON.stringify(latency)}`);
  if (mode !== 'auto' && mode !== 'manual')
    throw new TypeError(`startReferenceServer: backgroundTasks must be "auto" or "manual", got ${JSON.stringify(mode)}`);
  if (options.backend === 'redis-agent-memory') {
    const storeId = options.storeId ?? 'reference-store';
    const apiKey = options.apiKey ?? 'reference-key';
    const memories = new Map<string, RamMemory>();
    const namespaces = new NamespaceTable();
    const state: RedisAgentMemoryState = { sessions: new Map(), namespaces };
    namespaces.inUse = (id) => [...state.sessions.values()].some((s) => s.namespaceId === id) || [...memories.values()].some((m) => m.namespaceId === id);
    const work = new StoreBackgroundWork(state, {
      mode,
      summarizeAfterEvents: options.summarizeAfterEvents ?? 20,
      keepEvents: options.keepEvents ?? 5,
      store: (m) => storeMemory(memories, embed, m),
    });
    state.appended = (s) => work.appended(s);
    const handler = redisAgentMemoryHandler({ storeId, apiKey }, state, [ramLongTermHandler(memories, embed, namespaces), namespaces.handler()]);
    const types: Record<number, string> = {
      400: 'invalid-data',
      401: 'authentication-failed',
      403: 'insufficient-permissions',
      404: 'resource-not-found',
      408: 'timeout',
      413: 'payload-too-large',
      409: 'conflict',
      423: 'resource-suspended',
      424: 'resource-unavailable',
      429: 'too-many-requests',
    };
    const errorBody = (status: number) => ({
      type: `/errors/${types[status] ?? 'unexpected-error'}`,
      title: 'Injected fault',
      status,
      detail: `injected HTTP ${status}`,
    });
    const running = await serve(handler, options.port, options.host, { take: (method, path, url) => faults.take(method, path, url), errorBody }, latency);
    return {
      backend: options.backend,
      url: running.url,
      storeId,
      apiKey,
      faults,
      runBackgroundTasks: (o) => work.run(o),
      settled: async () => {},
      close: async () => {
        work.stop();
        await running.close();
      },
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a JavaScript caller may name another backend (refused below)
  if (options.backend === 'opensource-agent-memory') {
    if (options.contextWindowMax !== undefined) {
      throw new TypeError(
        'startReferenceServer: contextWindowMax is not a setting of Agent Memory Server v0.15.2 (its default window is 16 000 tokens); pass contextWindowMax to RedisSessionMemoryService, which sends it with every request',
      );
    }
    const state = newAgentMemoryServerState();
    const store = new LongTermStore(embed);
    const work = new ServerWork(state, store, { mode });
    const handler = agentMemoryServerHandler({ apiKey: options.apiKey, summarize: summarizeWorkingMemory, afterPut: (doc) => work.afterPut(doc) }, state, [
      amsLongTermHandler(store, (list, deduplicate) => work.afterCreate(list, deduplicate)),
      memoryPromptHandler(state, store),
    ]);
    // MCP tools answer through this server's own REST API (its URL is known once it listens), so both share one state.
    let self = '';
    const mcp = mcpEndpoint(restCaller(() => self, options.apiKey));
    const running = await serve(
      handler,
      options.port,
      options.host,
      { take: (method, path, url) => faults.take(method, path, url), errorBody: (status) => ({ detail: `injected HTTP ${status}` }) },
      latency,
      mcp,
    );
    self = running.url;
    return {
      backend: options.backend,
      url: running.url,
      mcpUrl: running.url,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      faults,
      runBackgroundTasks: (o) => work.run(o, () => running.settled()),
      settled: () => running.settled(),
      close: async () => {
        work.stop();
        await running.close();
      },
    };
  }
  throw new TypeError(
    `startReferenceServer: backend must be "redis-agent-memory" or "opensource-agent-memory", got ${JSON.stringify((options as { backend?: unknown }).backend)}`,
  );
}
