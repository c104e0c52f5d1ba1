import type { Client } from 'openapi-fetch';
import type { components, operations, paths } from '../../generated/redis-agent-memory.js';
import { parseOptions, redisAgentMemoryClientOptionsSchema, type RedisAgentMemoryClientOptions } from './config.js';
import { createHttp, retryPolicy } from './http.js';
import { responses } from '../../generated/redis-agent-memory.validators.js';
import { responseSpecOf } from './responses.js';
import { invoke, type OperationInfo, type RequestOptions, type RetryPolicy } from './invoke.js';

/** Redis Agent Memory's schemas (`components.schemas` of its OpenAPI document), by name. */
export type RedisAgentMemorySchemas = components['schemas'];
/** Redis Agent Memory's paths as openapi-typescript types them (for the `http` client). */
export type RedisAgentMemoryPaths = paths;

type Query<K extends keyof operations> = NonNullable<operations[K]['parameters']['query']>;

/** Per-call options; `allowReplay` lets a non-idempotent write be retried after an ambiguous failure. */
export interface RedisAgentMemoryRequestOptions extends RequestOptions {
  /**
   * AddSessionEvent is not idempotent on the server. Set this when the caller de-duplicates
   * (as the session service does, by ADK event id) so a lost response may be retried.
   */
  allowReplay?: boolean;
}

/**
 * Typed client for the Redis Agent Memory REST API. Every method fills in the store id,
 * applies the timeout and retry policy, and either resolves with the response body typed from
 * the spec or throws an AgentMemoryError subclass.
 */
export interface RedisAgentMemoryClient {
  /** The store every call addresses. */
  readonly storeId: string;
  /** The service's base URL, as configured. */
  readonly apiBaseUrl: string;
  /** The underlying openapi-fetch client, for calls this wrapper does not cover. */
  readonly http: Client<paths>;
  /** `GET /health`: liveness of the service itself (no store, no credentials). */
  health(o?: RedisAgentMemoryRequestOptions): Promise<RedisAgentMemorySchemas['HealthResponseContent']>;
  /** `GET /v1/stores/{storeId}/health`: health of the store-scoped features. */
  storeHealth(o?: RedisAgentMemoryRequestOptions): Promise<RedisAgentMemorySchemas['StoreHealthResponseContent']>;
  /** `GET /v1/stores/{storeId}/session-memory`: a page of session ids, of one owner or of the whole store. */
  listSessions(query: Query<'ListSessions'>, o?: RedisAgentMemoryRequestOptions): Promise<RedisAgentMemorySchemas['ListSessionsResponseContent']>;
  /** `POST /v1/stores/{storeId}/session-memory/events`: appends one event, creating the session on its first. */
  addSessionEvent(
    body: RedisAgentMemorySchemas['AddSessionEventRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['AddSessionEventResponseContent']>;
  /** `GET /v1/stores/{storeId}/session-memory/{sessionId}`: the session's events, owner, namespace and summary. */
  getSessionMemory(
    sessionId: string,
    query?: Query<'GetSessionMemory'>,
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['GetSessionMemoryResponseContent']>;
  /** `DELETE /v1/stores/{storeId}/session-memory/{sessionId}`: removes a session and its events. */
  deleteSessionMemory(sessionId: string, o?: RedisAgentMemoryRequestOptions): Promise<void>;
  /** `GET /v1/stores/{storeId}/session-memory/{sessionId}/events/{eventId}`: one event of a session. */
  getSessionEvent(sessionId: string, eventId: string, o?: RedisAgentMemoryRequestOptions): Promise<RedisAgentMemorySchemas['GetSessionEventResponseContent']>;
  /** `DELETE /v1/stores/{storeId}/session-memory/{sessionId}/events/{eventId}`: removes one event. */
  deleteSessionEvent(sessionId: string, eventId: string, o?: RedisAgentMemoryRequestOptions): Promise<void>;
  /** `POST /v1/stores/{storeId}/long-term-memory`: creates up to 100 records (a repeated id is idempotent). */
  bulkCreateLongTermMemories(
    body: RedisAgentMemorySchemas['BulkCreateLongTermMemoriesRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['BulkCreateLongTermMemoriesResponseContent']>;
  /** `DELETE /v1/stores/{storeId}/long-term-memory`: deletes up to 100 records by id. */
  bulkDeleteLongTermMemories(
    body: RedisAgentMemorySchemas['BulkDeleteLongTermMemoriesRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['BulkDeleteLongTermMemoriesResponseContent']>;
  /** `POST /v1/stores/{storeId}/long-term-memory/search`: semantic search, narrowed by filters, best first. */
  searchLongTermMemory(
    body: RedisAgentMemorySchemas['SearchLongTermMemoryRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['SearchLongTermMemoryResponseContent']>;
  /** `GET /v1/stores/{storeId}/long-term-memory/{memoryId}`: one record. */
  getLongTermMemory(memoryId: string, o?: RedisAgentMemoryRequestOptions): Promise<RedisAgentMemorySchemas['GetLongTermMemoryResponseContent']>;
  /** `PATCH /v1/stores/{storeId}/long-term-memory/{memoryId}`: changes the given fields of a record. */
  updateLongTermMemory(
    memoryId: string,
    body: RedisAgentMemorySchemas['UpdateLongTermMemoryRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['UpdateLongTermMemoryResponseContent']>;
  /** `PATCH /v1/stores/{storeId}/long-term-memory/{memoryId}/fields`: compare-and-set update of a custom-typed record. */
  updateLongTermMemoryFields(
    memoryId: string,
    body: RedisAgentMemorySchemas['UpdateLongTermMemoryFieldsRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<void>;
  /** Moves records into a namespace object; 409 (ConflictError) when it is archived. Not in the official document: SDK 0.4.1. */
  moveLongTermMemories(
    body: RedisAgentMemorySchemas['MoveLongTermMemoriesRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['MoveLongTermMemoriesResponseContent']>;
  /** Namespace objects (SDK 0.4.1); filters by parent, scope and owner. */
  listNamespaces(query?: Query<'ListNamespaces'>, o?: RedisAgentMemoryRequestOptions): Promise<RedisAgentMemorySchemas['ListNamespacesResponseContent']>;
  /** Creates a namespace object; 409 (ConflictError) when its location is taken, archived ones included. */
  createNamespace(
    body: RedisAgentMemorySchemas['CreateNamespaceRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['CreateNamespaceResponseContent']>;
  /** `GET /v1/stores/{storeId}/namespaces/{namespaceId}`: one namespace of the store. */
  getNamespace(namespaceId: string, o?: RedisAgentMemoryRequestOptions): Promise<RedisAgentMemorySchemas['GetNamespaceResponseContent']>;
  /** Renames or archives a namespace object; 409 (ConflictError) on a conflicting change. */
  updateNamespace(
    namespaceId: string,
    body: RedisAgentMemorySchemas['UpdateNamespaceRequestContent'],
    o?: RedisAgentMemoryRequestOptions,
  ): Promise<RedisAgentMemorySchemas['UpdateNamespaceResponseContent']>;
  /** Deletes a namespace object; 409 (ConflictError) while it has children or memories. */
  deleteNamespace(namespaceId: string, o?: RedisAgentMemoryRequestOptions): Promise<void>;
}

const op = (name: string, idempotent = true): OperationInfo => ({ name, idempotent, response: responseSpecOf(responses, name) });

/** Creates a Redis Agent Memory client; options are validated and a bad one throws ConfigurationError. */
export function createRedisAgentMemoryClient(options: RedisAgentMemoryClientOptions): RedisAgentMemoryClient {
  const cfg = parseOptions(redisAgentMemoryClientOptionsSchema, options, 'createRedisAgentMemoryClient');
  const { call: http, http: publicHttp, newAttempt } = createHttp<paths>(cfg.apiBaseUrl, cfg.apiKey, cfg.fetch);
  const policy: RetryPolicy = retryPolicy(cfg, newAttempt);
  const storeId = cfg.storeId;
  const run = <T>(info: OperationInfo, o: RedisAgentMemoryRequestOptions | undefined, call: Parameters<typeof invoke<T>>[2]) =>
    invoke<T>(o?.allowReplay ? { ...info, idempotent: true } : info, policy, call, o);
  const store = { storeId };

  return {
    storeId,
    apiBaseUrl: cfg.apiBaseUrl,
    http: publicHttp,
    health: (o) => run(op('Health'), o, (signal) => http.GET('/health', { signal })),
    storeHealth: (o) => run(op('StoreHealth'), o, (signal) => http.GET('/v1/stores/{storeId}/health', { params: { path: store }, signal })),
    listSessions: (query, o) =>
      run(op('ListSessions'), o, (signal) => http.GET('/v1/stores/{storeId}/session-memory', { params: { path: store, query }, signal })),
    addSessionEvent: (body, o) =>
      run(op('AddSessionEvent', false), o, (signal) => http.POST('/v1/stores/{storeId}/session-memory/events', { params: { path: store }, body, signal })),
    getSessionMemory: (sessionId, query, o) =>
      run(op('GetSessionMemory'), o, (signal) =>
        http.GET('/v1/stores/{storeId}/session-memory/{sessionId}', { params: { path: { storeId, sessionId }, query }, signal }),
      ),
    deleteSessionMemory: (sessionId, o) =>
      run<void>(op('DeleteSessionMemory'), o, (signal) =>
        http.DELETE('/v1/stores/{storeId}/session-memory/{sessionId}', { params: { path: { storeId, sessionId } }, signal }),
      ),
    getSessionEvent: (sessionId, eventId, o) =>
      run(op('GetSessionEvent'), o, (signal) =>
        http.GET('/v1/stores/{storeId}/session-memory/{sessionId}/events/{eventId}', {
          params: { path: { storeId, sessionId, eventId } },
          signal,
        }),
      ),
    deleteSessionEvent: (sessionId, eventId, o) =>
      run<void>(op('DeleteSessionEvent'), o, (signal) =>
        http.DELETE('/v1/stores/{storeId}/session-memory/{sessionId}/events/{eventId}', {
          params: { path: { storeId, sessionId, eventId } },
          signal,
        }),
      ),
    bulkCreateLongTermMemories: (body, o) =>
      run(op('BulkCreateLongTermMemories'), o, (signal) => http.POST('/v1/stores/{storeId}/long-term-memory', { params: { path: store }, body, signal })),
    bulkDeleteLongTermMemories: (body, o) =>
      run(op('BulkDeleteLongTermMemories'), o, (signal) => http.DELETE('/v1/stores/{storeId}/long-term-memory', { params: { path: store }, body, signal })),
    searchLongTermMemory: (body, o) =>
      run(op('SearchLongTermMemory'), o, (signal) => http.POST('/v1/stores/{storeId}/long-term-memory/search', { params: { path: store }, body, signal })),
    getLongTermMemory: (memoryId, o) =>
      run(op('GetLongTermMemory'), o, (signal) =>
        http.GET('/v1/stores/{storeId}/long-term-memory/{memoryId}', { params: { path: { storeId, memoryId } }, signal }),
      ),
    updateLongTermMemory: (memoryId, body, o) =>
      run(op('UpdateLongTermMemory'), o, (signal) =>
        http.PATCH('/v1/stores/{storeId}/long-term-memory/{memoryId}', { params: { path: { storeId, memoryId } }, body, signal }),
      ),
    updateLongTermMemoryFields: (memoryId, body, o) =>
      run<void>(op('UpdateLongTermMemoryFields'), o, (signal) =>
        http.PATCH('/v1/stores/{storeId}/long-term-memory/{memoryId}/fields', { params: { path: { storeId, memoryId } }, body, signal }),
      ),
    moveLongTermMemories: (body, o) =>
      run(op('MoveLongTermMemories'), o, (signal) => http.POST('/v1/stores/{storeId}/long-term-memory/move', { params: { path: store }, body, signal })),
    listNamespaces: (query, o) =>
      run(op('ListNamespaces'), o, (signal) => http.GET('/v1/stores/{storeId}/namespaces', { params: { path: store, query }, signal })),
    // Creating is not idempotent: a replay after a lost response answers 409 for the namespace it made.
    createNamespace: (body, o) =>
      run(op('CreateNamespace', false), o, (signal) => http.POST('/v1/stores/{storeId}/namespaces', { params: { path: store }, body, signal })),
    getNamespace: (namespaceId, o) =>
      run(op('GetNamespace'), o, (signal) => http.GET('/v1/stores/{storeId}/namespaces/{namespaceId}', { params: { path: { storeId, namespaceId } }, signal })),
    updateNamespace: (namespaceId, body, o) =>
      run(op('UpdateNamespace'), o, (signal) =>
        http.PATCH('/v1/stores/{storeId}/namespaces/{namespaceId}', { params: { path: { storeId, namespaceId } }, body, signal }),
      ),
    deleteNamespace: (namespaceId, o) =>
      run<void>(op('DeleteNamespace'), o, (signal) =>
        http.DELETE('/v1/stores/{storeId}/namespaces/{namespaceId}', { params: { path: { storeId, namespaceId } }, signal }),
      ),
  };
}
