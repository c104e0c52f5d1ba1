import type { Client } from 'openapi-fetch';
import type { components, operations, paths } from '../../generated/agent-memory-server.js';
import { agentMemoryServerClientOptionsSchema, parseOptions, type AgentMemoryServerClientOptions } from './config.js';
import { createHttp, retryPolicy } from './http.js';
import { responses } from '../../generated/agent-memory-server.validators.js';
import { responseSpecOf } from './responses.js';
import { invoke, type OperationInfo, type RequestOptions } from './invoke.js';

/** The Agent Memory Server's schemas (`components.schemas` of its OpenAPI document), by name. */
export type AgentMemoryServerSchemas = components['schemas'];
/** The Agent Memory Server's paths as openapi-typescript types them (for the `http` client). */
export type AgentMemoryServerPaths = paths;

/** The server's own operation ids (FastAPI's: function name, path and method), by client method. */
export const AGENT_MEMORY_SERVER_OPERATIONS = {
  health: 'get_health_v1_health_get',
  listSessions: 'list_sessions_v1_working_memory__get',
  getWorkingMemory: 'get_working_memory_v1_working_memory__session_id__get',
  putWorkingMemory: 'put_working_memory_v1_working_memory__session_id__put',
  deleteWorkingMemory: 'delete_working_memory_v1_working_memory__session_id__delete',
  createLongTermMemories: 'create_long_term_memory_v1_long_term_memory__post',
  searchLongTermMemory: 'search_long_term_memory_v1_long_term_memory_search_post',
  getLongTermMemory: 'get_long_term_memory_v1_long_term_memory__memory_id__get',
  updateLongTermMemory: 'update_long_term_memory_v1_long_term_memory__memory_id__patch',
  deleteLongTermMemories: 'delete_long_term_memory_v1_long_term_memory_delete',
  memoryPrompt: 'memory_prompt_v1_memory_prompt_post',
  forgetLongTermMemories: 'forget_endpoint_v1_long_term_memory_forget_post',
  compactLongTermMemories: 'compact_long_term_memories_endpoint_v1_long_term_memory_compact_post',
  createSummaryView: 'create_summary_view_v1_summary_views_post',
  listSummaryViews: 'list_summary_views_endpoint_v1_summary_views_get',
  getSummaryView: 'get_summary_view_v1_summary_views__view_id__get',
  deleteSummaryView: 'delete_summary_view_endpoint_v1_summary_views__view_id__delete',
  runSummaryViewPartition: 'run_summary_view_partition_v1_summary_views__view_id__partitions_run_post',
  listSummaryViewPartitions: 'list_summary_view_partitions_v1_summary_views__view_id__partitions_get',
  runSummaryView: 'run_summary_view_full_v1_summary_views__view_id__run_post',
  getTask: 'get_task_status_v1_tasks__task_id__get',
} as const satisfies Record<string, keyof operations>;
const OPS = AGENT_MEMORY_SERVER_OPERATIONS;
type Ops = typeof OPS;

/** An operation's query parameters, JSON body and 200 body, as the server's document states them. */
type Query<M extends keyof Ops> = NonNullable<operations[Ops[M]]['parameters']['query']>;
type Body<M extends keyof Ops> = operations[Ops[M]] extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : operations[Ops[M]] extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B
    : never;
type Ok<M extends keyof Ops> = operations[Ops[M]]['responses'][200]['content']['application/json'];

/**
 * Typed client for the Agent Memory Server REST API (v0.15.x), typed from the server's own
 * OpenAPI document. Every method applies the timeout and retry policy and either resolves with
 * the response body typed from the spec or throws an AgentMemoryError subclass.
 */
export interface AgentMemoryServerClient {
  /** The server's base URL, as configured. */
  readonly apiBaseUrl: string;
  /** The underlying openapi-fetch client, for calls this wrapper does not cover. */
  readonly http: Client<paths>;
  /** `GET /v1/health`: whether the server answers. */
  health(o?: RequestOptions): Promise<Ok<'health'>>;
  /** `GET /v1/working-memory/`: a page of working-memory session ids, filtered by namespace and user. */
  listSessions(query?: Query<'listSessions'>, o?: RequestOptions): Promise<Ok<'listSessions'>>;
  /** `GET /v1/working-memory/{session_id}`: a session's working memory. */
  getWorkingMemory(sessionId: string, query?: Query<'getWorkingMemory'>, o?: RequestOptions): Promise<Ok<'getWorkingMemory'>>;
  /** `PUT /v1/working-memory/{session_id}`: replaces a session's working memory whole (no compare-and-set). */
  putWorkingMemory(sessionId: string, body: Body<'putWorkingMemory'>, query?: Query<'putWorkingMemory'>, o?: RequestOptions): Promise<Ok<'putWorkingMemory'>>;
  /** `DELETE /v1/working-memory/{session_id}`: deletes a session's working memory. */
  deleteWorkingMemory(sessionId: string, query?: Query<'deleteWorkingMemory'>, o?: RequestOptions): Promise<Ok<'deleteWorkingMemory'>>;
  /** `POST /v1/long-term-memory/`: creates long-term memories (indexed after the server answers). */
  createLongTermMemories(body: Body<'createLongTermMemories'>, o?: RequestOptions): Promise<Ok<'createLongTermMemories'>>;
  /** `POST /v1/long-term-memory/search`: searches long-term memories by text and filters. */
  searchLongTermMemory(body: Body<'searchLongTermMemory'>, query?: Query<'searchLongTermMemory'>, o?: RequestOptions): Promise<Ok<'searchLongTermMemory'>>;
  /** `GET /v1/long-term-memory/{memory_id}`: one long-term memory. */
  getLongTermMemory(memoryId: string, o?: RequestOptions): Promise<Ok<'getLongTermMemory'>>;
  /** `PATCH /v1/long-term-memory/{memory_id}`: changes fields of a long-term memory. */
  updateLongTermMemory(memoryId: string, body: Body<'updateLongTermMemory'>, o?: RequestOptions): Promise<Ok<'updateLongTermMemory'>>;
  /** `DELETE /v1/long-term-memory`: deletes long-term memories by id. */
  deleteLongTermMemories(memoryIds: string[], o?: RequestOptions): Promise<Ok<'deleteLongTermMemories'>>;
  /** `POST /v1/memory/prompt`: a prompt holding a session's working memory and relevant long-term memories. */
  memoryPrompt(body: Body<'memoryPrompt'>, query?: Query<'memoryPrompt'>, o?: RequestOptions): Promise<Ok<'memoryPrompt'>>;
  /** Administrative: selects records by policy and deletes them unless `dry_run` (the server's default is a dry run). */
  forgetLongTermMemories(
    body: Body<'forgetLongTermMemories'>,
    query?: Query<'forgetLongTermMemories'>,
    o?: RequestOptions,
  ): Promise<Ok<'forgetLongTermMemories'>>;
  /** `POST /v1/long-term-memory/compact`: schedules deduplication of long-term memories. */
  compactLongTermMemories(query?: Query<'compactLongTermMemories'>, o?: RequestOptions): Promise<Ok<'compactLongTermMemories'>>;
  /** `POST /v1/summary-views`: creates a summary view. */
  createSummaryView(body: Body<'createSummaryView'>, o?: RequestOptions): Promise<Ok<'createSummaryView'>>;
  /** `GET /v1/summary-views`: every summary view. */
  listSummaryViews(o?: RequestOptions): Promise<Ok<'listSummaryViews'>>;
  /** `GET /v1/summary-views/{view_id}`: one summary view. */
  getSummaryView(viewId: string, o?: RequestOptions): Promise<Ok<'getSummaryView'>>;
  /** `DELETE /v1/summary-views/{view_id}`: deletes a summary view. */
  deleteSummaryView(viewId: string, o?: RequestOptions): Promise<Ok<'deleteSummaryView'>>;
  /** `POST /v1/summary-views/{view_id}/partitions/run`: summarises one partition of a view now. */
  runSummaryViewPartition(viewId: string, body: Body<'runSummaryViewPartition'>, o?: RequestOptions): Promise<Ok<'runSummaryViewPartition'>>;
  /** `GET /v1/summary-views/{view_id}/partitions`: a view's stored partition summaries. */
  listSummaryViewPartitions(viewId: string, query?: Query<'listSummaryViewPartitions'>, o?: RequestOptions): Promise<Ok<'listSummaryViewPartitions'>>;
  /** Starts a background recompute of every partition; poll `getTask` with the returned id. */
  runSummaryView(viewId: string, body?: Body<'runSummaryView'>, o?: RequestOptions): Promise<Ok<'runSummaryView'>>;
  /** `GET /v1/tasks/{task_id}`: the status of a background task. */
  getTask(taskId: string, o?: RequestOptions): Promise<Ok<'getTask'>>;
}

/** Every operation is retried after an ambiguous failure except those that create something new each time. */
// Errors name the server's function (`put_working_memory`), not the whole operation id.
const op = (method: keyof Ops, idempotent = true): OperationInfo => ({
  name: OPS[method].replace(/_v1_.*$/, ''),
  idempotent,
  response: responseSpecOf(responses, OPS[method]),
});

/** Creates an Agent Memory Server client; options are validated and a bad one throws ConfigurationError. */
export function createAgentMemoryServerClient(options: AgentMemoryServerClientOptions): AgentMemoryServerClient {
  const cfg = parseOptions(agentMemoryServerClientOptionsSchema, options, 'createAgentMemoryServerClient');
  const { call: http, http: publicHttp, newAttempt } = createHttp<paths>(cfg.apiBaseUrl, cfg.apiKey, cfg.fetch);
  const policy = retryPolicy(cfg, newAttempt);
  const run = <T>(info: OperationInfo, o: RequestOptions | undefined, call: Parameters<typeof invoke<T>>[2]) => invoke<T>(info, policy, call, o);

  return {
    apiBaseUrl: cfg.apiBaseUrl,
    http: publicHttp,
    health: (o) => run(op('health'), o, (signal) => http.GET('/v1/health', { signal })),
    listSessions: (query, o) => run(op('listSessions'), o, (signal) => http.GET('/v1/working-memory/', { params: { query }, signal })),
    getWorkingMemory: (session_id, query, o) =>
      run(op('getWorkingMemory'), o, (signal) => http.GET('/v1/working-memory/{session_id}', { params: { path: { session_id }, query }, signal })),
    putWorkingMemory: (session_id, body, query, o) =>
      run(op('putWorkingMemory'), o, (signal) => http.PUT('/v1/working-memory/{session_id}', { params: { path: { session_id }, query }, body, signal })),
    deleteWorkingMemory: (session_id, query, o) =>
      run(op('deleteWorkingMemory'), o, (signal) => http.DELETE('/v1/working-memory/{session_id}', { params: { path: { session_id }, query }, signal })),
    createLongTermMemories: (body, o) => run(op('createLongTermMemories'), o, (signal) => http.POST('/v1/long-term-memory/', { body, signal })),
    searchLongTermMemory: (body, query, o) =>
      run(op('searchLongTermMemory'), o, (signal) => http.POST('/v1/long-term-memory/search', { params: { query }, body, signal })),
    getLongTermMemory: (memory_id, o) =>
      run(op('getLongTermMemory'), o, (signal) => http.GET('/v1/long-term-memory/{memory_id}', { params: { path: { memory_id } }, signal })),
    updateLongTermMemory: (memory_id, body, o) =>
      run(op('updateLongTermMemory'), o, (signal) => http.PATCH('/v1/long-term-memory/{memory_id}', { params: { path: { memory_id } }, body, signal })),
    deleteLongTermMemories: (memory_ids, o) =>
      run(op('deleteLongTermMemories'), o, (signal) => http.DELETE('/v1/long-term-memory', { params: { query: { memory_ids } }, signal })),
    memoryPrompt: (body, query, o) => run(op('memoryPrompt'), o, (signal) => http.POST('/v1/memory/prompt', { params: { query }, body, signal })),
    // A real (not dry-run) forgetting pass selects anew on a repeat: retried only when the server certainly did not act.
    forgetLongTermMemories: (body, query, o) =>
      run(op('forgetLongTermMemories', query?.dry_run !== false), o, (signal) => http.POST('/v1/long-term-memory/forget', { params: { query }, body, signal })),
    compactLongTermMemories: (query, o) =>
      run(op('compactLongTermMemories'), o, (signal) => http.POST('/v1/long-term-memory/compact', { params: { query }, signal })),
    // The server assigns a new id on every call, so a repeat would register a second view.
    createSummaryView: (body, o) => run(op('createSummaryView', false), o, (signal) => http.POST('/v1/summary-views', { body, signal })),
    listSummaryViews: (o) => run(op('listSummaryViews'), o, (signal) => http.GET('/v1/summary-views', { signal })),
    getSummaryView: (view_id, o) =>
      run(op('getSummaryView'), o, (signal) => http.GET('/v1/summary-views/{view_id}', { params: { path: { view_id } }, signal })),
    deleteSummaryView: (view_id, o) =>
      run(op('deleteSummaryView'), o, (signal) => http.DELETE('/v1/summary-views/{view_id}', { params: { path: { view_id } }, signal })),
    runSummaryViewPartition: (view_id, body, o) =>
      run(op('runSummaryViewPartition'), o, (signal) =>
        http.POST('/v1/summary-views/{view_id}/partitions/run', { params: { path: { view_id } }, body, signal }),
      ),
    listSummaryViewPartitions: (view_id, query, o) =>
      run(op('listSummaryViewPartitions'), o, (signal) => http.GET('/v1/summary-views/{view_id}/partitions', { params: { path: { view_id }, query }, signal })),
    // With a client task id a repeat names the same task; without one it would start a second run.
    runSummaryView: (view_id, body = {}, o) =>
      run(op('runSummaryView', typeof body.task_id === 'string'), o, (signal) =>
        http.POST('/v1/summary-views/{view_id}/run', { params: { path: { view_id } }, body, signal }),
      ),
    getTask: (task_id, o) => run(op('getTask'), o, (signal) => http.GET('/v1/tasks/{task_id}', { params: { path: { task_id } }, signal })),
  };
}
