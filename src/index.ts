// adk-redis: durable ADK sessions and long-term memory on Redis Agent Memory and Agent Memory Server.
export * from './clients/index.js';
export { RedisSessionMemoryService, type RedisSessionMemoryServiceConfig } from './services/session-service.js';
export type { BackendName } from './services/config.js';
export {
  RedisLongTermMemoryService,
  type RedisLongTermMemoryServiceConfig,
  type MemoryToAdd,
  type RedisMemoryEntry,
  type SearchMemoryResult,
} from './services/memory-service.js';
export { MemoryWriteError } from './backends/memory-write-error.js';
export { createMemoryTools, type MemoryToolsOptions, type MemoryToolName } from './tools/memory-tools.js';
export type { MemoryType, MemoryScopeKind } from './codec/memory.js';
export type { PromptMessage } from './codec/prompt.js';
export type { TelemetryOptions } from './telemetry/telemetry.js';
export {
  copySessions,
  sessionServiceSource,
  type CopySessionsOptions,
  type CopyReport,
  type CopyProblem,
  type CopyProgress,
  type SessionSource,
} from './migration/copy.js';
export { forgetUser, type ForgetUserReport } from './migration/forget.js';
export { exportSessions, exportedSource, exportLine, parseExportLine, EXPORT_VERSION, type ExportedSession } from './migration/jsonl.js';
export {
  createAgentMemoryMcpToolset,
  AgentMemoryMcpToolset,
  DEFAULT_MCP_TOOLS,
  type AgentMemoryMcpToolsetOptions,
  type AgentMemoryMcpToolName,
} from './mcp/toolset.js';
export { createMemoryMcpServer, type MemoryMcpServerOptions } from './mcp/server.js';
