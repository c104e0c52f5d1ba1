// adk-redis: durable ADK sessions and long-term memory on Redis Agent Memory and Agent Memory Server.
export * from './clients/index.js';
