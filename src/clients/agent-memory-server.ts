import type { Client } from 'openapi-fetch';
import type { components, operations, paths } from '../../generated/agent-memory-server.js';
import { agentMemoryServerClientOptionsSchema, parseOptions, type AgentMemoryServerClientOptions } from './config.js';
import { createHttp, retryPolicy } from './http.js';
import { responses } from '../../generated/agent-memory-server.validators.js';
import { responseSpecOf } from './responses.js';
import { invoke, type OperationInfo, type RequestOptions } from './invoke.js';

export type AgentMemoryServerSchemas = components['schemas'];
export type { paths as AgentMemoryServerPaths } from '../../generated/agent-memory-server.js';

type Query<K extends keyof operations> = NonNullable<operations[K]['parameters']['query']>;

/**
 * Typed client for the Agent Memory Server REST API (v0.15.x). Every method applies the timeout
 * and retry policy and either resolves with the response body typed from the spec or throws an
 * AgentMemoryError subclass. Every operation of this API is idempotent, so all are retried.
 */
export interface AgentMemoryServerClient {
  readonly apiBaseUrl: string;
  /** The underlying openapi-fetch client, for calls this wrapper does not cover. */
  readonly http: Client<paths>;
  health(o?: RequestOptions): Promise<AgentMemoryServerSchemas['HealthCheckResponse']>;
  listSessions(query?: Query<'list_sessions'>, o?: RequestOptions): Promise<AgentMemoryServerSchemas['SessionListResponse']>;
  getWorkingMemory(sessionId: string, query?: Query<'get_working_memory'>, o?: RequestOptions): Promise<AgentMemoryServerSchemas['WorkingMemoryResponse']>;
  putWorkingMemory(
    sessionId: string,
    body: AgentMemoryServerSchemas['UpdateWorkingMemory'],
    query?: Query<'put_working_memory'>,
    o?: RequestOptions,
  ): Promise<AgentMemoryServerSchemas['WorkingMemoryResponse']>;
  deleteWorkingMemory(sessionId: string, query?: Query<'delete_working_memory'>, o?: RequestOptions): Promise<AgentMemoryServerSchemas['AckResponse']>;
  createLongTermMemories(body: AgentMemoryServerSchemas['CreateMemoryRecordRequest'], o?: RequestOptions): Promise<AgentMemoryServerSchemas['AckResponse']>;
  searchLongTermMemory(
    body: AgentMemoryServerSchemas['SearchRequest'],
    query?: Query<'search_long_term_memory'>,
    o?: RequestOptions,
  ): Promise<AgentMemoryServerSchemas['MemoryRecordResultsResponse']>;
  getLongTermMemory(memoryId: string, o?: RequestOptions): Promise<AgentMemoryServerSchemas['MemoryRecord']>;
  updateLongTermMemory(memoryId: string, body: AgentMemoryServerSchemas['EditMemoryRecordRequest'], o?: RequestOptions): Promise<AgentMemoryServerSchemas['MemoryRecord']>;
  deleteLongTermMemories(memoryIds: string[], o?: RequestOptions): Promise<AgentMemoryServerSchemas['AckResponse']>;
  memoryPrompt(
    body: AgentMemoryServerSchemas['MemoryPromptRequest'],
    query?: Query<'memory_prompt'>,
    o?: RequestOptions,
  ): Promise<AgentMemoryServerSchemas['MemoryPromptResponse']>;
  /** Administrative: selects records by policy and deletes them unless `dry_run` (the server's default is a dry run). */
  forgetLongTermMemories(body: AgentMemoryServerSchemas['ForgetRequest'], query?: Query<'forget_endpoint'>, o?: RequestOptions): Promise<AgentMemoryServerSchemas['ForgetResponse']>;
  compactLongTermMemories(query?: Query<'compact_long_term_memories_endpoint'>, o?: RequestOptions): Promise<AgentMemoryServerSchemas['AckResponse']>;
  createSummaryView(body: AgentMemoryServerSchemas['CreateSummaryViewRequest'], o?: RequestOptions): Promise<AgentMemoryServerSchemas['SummaryView']>;
  listSummaryViews(o?: RequestOptions): Promise<AgentMemoryServerSchemas['SummaryView'][]>;
  getSummaryView(viewId: string, o?: RequestOptions): Promise<AgentMemoryServerSchemas['SummaryView']>;
  deleteSummaryView(viewId: string, o?: RequestOptions): Promise<AgentMemoryServerSchemas['AckResponse']>;
  runSummaryViewPartition(viewId: string, body: AgentMemoryServerSchemas['RunSummaryViewPartitionRequest'], o?: RequestOptions): Promise<AgentMemoryServerSchemas['SummaryViewPartitionResult']>;
  listSummaryViewPartitions(viewId: string, query?: Query<'list_summary_view_partitions'>, o?: RequestOptions): Promise<AgentMemoryServerSchemas['SummaryViewPartitionResult'][]>;
  /** Starts a background recompute of every partition; poll `getTask` with the returned id. */
  runSummaryView(viewId: string, body?: AgentMemoryServerSchemas['RunSummaryViewRequest'], o?: RequestOptions): Promise<AgentMemoryServerSchemas['Task']>;
  getTask(taskId: string, o?: RequestOptions): Promise<AgentMemoryServerSchemas['Task']>;
}

/** Every operation is retried after an ambiguous failure except those that create something new each time. */
const op = (name: string, idempotent = true): OperationInfo => ({ name, idempotent, response: responseSpecOf(responses, name) });

/** Creates an Agent Memory Server client; options are validated and a bad one throws ConfigurationError. */
export function createAgentMemoryServerClient(options: AgentMemoryServerClientOptions): AgentMemoryServerClient {
  const cfg = parseOptions(agentMemoryServerClientOptionsSchema, options, 'createAgentMemoryServerClient');
  const { call: http, http: publicHttp, newAttempt } = createHttp<paths>(cfg.apiBaseUrl, cfg.apiKey, cfg.fetch);
  const policy = retryPolicy(cfg, newAttempt);
  const run = <T>(info: OperationInfo, o: RequestOptions | undefined, call: Parameters<typeof invoke<T>>[2]) => invoke<T>(info, policy, call, o);

  return {
    apiBaseUrl: cfg.apiBaseUrl,
    http: publicHttp,
    health: (o) => run(op('get_health'), o, (signal) => http.GET('/v1/health', { signal })),
    listSessions: (query, o) => run(op('list_sessions'), o, (signal) => http.GET('/v1/working-memory/', { params: { query }, signal })),
    getWorkingMemory: (session_id, query, o) =>
      run(op('get_working_memory'), o, (signal) => http.GET('/v1/working-memory/{session_id}', { params: { path: { session_id }, query }, signal })),
    putWorkingMemory: (session_id, body, query, o) =>
      run(op('put_working_memory'), o, (signal) => http.PUT('/v1/working-memory/{session_id}', { params: { path: { session_id }, query }, body, signal })),
    deleteWorkingMemory: (session_id, query, o) =>
      run(op('delete_working_memory'), o, (signal) => http.DELETE('/v1/working-memory/{session_id}', { params: { path: { session_id }, query }, signal })),
    createLongTermMemories: (body, o) => run(op('create_long_term_memory'), o, (signal) => http.POST('/v1/long-term-memory/', { body, signal })),
    searchLongTermMemory: (body, query, o) =>
      run(op('search_long_term_memory'), o, (signal) => http.POST('/v1/long-term-memory/search', { params: { query }, body, signal })),
    getLongTermMemory: (memory_id, o) =>
      run(op('get_long_term_memory'), o, (signal) => http.GET('/v1/long-term-memory/{memory_id}', { params: { path: { memory_id } }, signal })),
    updateLongTermMemory: (memory_id, body, o) =>
      run(op('update_long_term_memory'), o, (signal) => http.PATCH('/v1/long-term-memory/{memory_id}', { params: { path: { memory_id } }, body, signal })),
    deleteLongTermMemories: (memory_ids, o) =>
      run(op('delete_long_term_memory'), o, (signal) => http.DELETE('/v1/long-term-memory', { params: { query: { memory_ids } }, signal })),
    memoryPrompt: (body, query, o) => run(op('memory_prompt'), o, (signal) => http.POST('/v1/memory/prompt', { params: { query }, body, signal })),
    // A real (not dry-run) forgetting pass selects anew on a repeat: retried only when the server certainly did not act.
    forgetLongTermMemories: (body, query, o) =>
      run(op('forget_endpoint', query?.dry_run !== false), o, (signal) => http.POST('/v1/long-term-memory/forget', { params: { query }, body, signal })),
    compactLongTermMemories: (query, o) => run(op('compact_long_term_memories_endpoint'), o, (signal) => http.POST('/v1/long-term-memory/compact', { params: { query }, signal })),
    // The server assigns a new id on every call, so a repeat would register a second view.
    createSummaryView: (body, o) => run(op('create_summary_view', false), o, (signal) => http.POST('/v1/summary-views', { body, signal })),
    listSummaryViews: (o) => run(op('list_summary_views_endpoint'), o, (signal) => http.GET('/v1/summary-views', { signal })),
    getSummaryView: (view_id, o) => run(op('get_summary_view'), o, (signal) => http.GET('/v1/summary-views/{view_id}', { params: { path: { view_id } }, signal })),
    deleteSummaryView: (view_id, o) => run(op('delete_summary_view_endpoint'), o, (signal) => http.DELETE('/v1/summary-views/{view_id}', { params: { path: { view_id } }, signal })),
    runSummaryViewPartition: (view_id, body, o) =>
      run(op('run_summary_view_partition'), o, (signal) => http.POST('/v1/summary-views/{view_id}/partitions/run', { params: { path: { view_id } }, body, signal })),
    listSummaryViewPartitions: (view_id, query, o) =>
      run(op('list_summary_view_partitions'), o, (signal) => http.GET('/v1/summary-views/{view_id}/partitions', { params: { path: { view_id }, query }, signal })),
    // With a client task id a repeat names the same task; without one it would start a second run.
    runSummaryView: (view_id, body = {}, o) =>
      run(op('run_summary_view_full', typeof body.task_id === 'string'), o, (signal) => http.POST('/v1/summary-views/{view_id}/run', { params: { path: { view_id } }, body, signal })),
    getTask: (task_id, o) => run(op('get_task_status'), o, (signal) => http.GET('/v1/tasks/{task_id}', { params: { path: { task_id } }, signal })),
  };
}
