// adk-redis: durable ADK sessions and long-term memory on Redis Agent Memory and Agent Memory Server.
export * from './clients/index.js';
export { RedisSessionMemoryService, type RedisSessionMemoryServiceConfig } from './services/session-service.js';
export type { BackendName } from './services/config.js';
