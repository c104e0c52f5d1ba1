export * from './errors.js';
export {
  createRedisAgentMemoryClient,
  type RedisAgentMemoryClient,
  type RedisAgentMemoryRequestOptions,
  type RedisAgentMemorySchemas,
  type RedisAgentMemoryPaths,
} from './redis-agent-memory.js';
export {
  createAgentMemoryServerClient,
  type AgentMemoryServerClient,
  type AgentMemoryServerSchemas,
  type AgentMemoryServerPaths,
} from './agent-memory-server.js';
export type { RedisAgentMemoryClientOptions, AgentMemoryServerClientOptions, FetchLike } from './config.js';
export type { RequestOptions } from './invoke.js';
