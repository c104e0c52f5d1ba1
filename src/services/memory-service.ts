import type { BaseMemoryService, Event, MemoryEntry, SearchMemoryRequest, Session } from '@google/adk';
import type { Content } from '@google/genai';
import { z } from 'zod';
import { ServiceTelemetry, callIds, sessionCallIds, serverAttributes } from '../telemetry/telemetry.js';
import { AgentMemoryServerLongTermBackend, SEARCH_MODES, type AmsLongTermOptions, type RecencyOptions } from '../backends/ams-long-term.js';
import { RedisAgentMemoryLongTermBackend } from '../backends/ram-long-term.js';
import type { MemoryBackend, PromptMessage } from '../backends/types.js';
import { ConfigurationError, NotFoundError } from '../clients/errors.js';
import { invalidInput } from '../clients/invalid-input.js';
import { mapLimit } from '../codec/concurrency.js';
import { toJsonObject, type JsonValue } from '../codec/json.js';
import { plainText } from '../codec/events.js';
import {
  MEMORY_TYPES,
  memoryIds,
  messageText,
  scopeTopic,
  splitMessageText,
  validateRecord,
  type MemoryHit,
  type MemoryRecordInput,
  type MemoryScope,
  type MemoryType,
} from '../codec/memory.js';
import { connectionOptions, extractionOptions, extractionStrategyOf, rejectUnsupported, resolveConnection, type BackendClient } from './config.js';
import { requireId, untrusted } from './validate.js';

export const memoryServiceConfigSchema = z.strictObject({
  ...connectionOptions,
  searchTopK: z
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(100, { message: 'must be at most 100' })
    .default(10),
  similarityThreshold: z
    .number({ message: 'must be a number from 0 to 1' })
    .min(0, { message: 'must be from 0 to 1' })
    .max(1, { message: 'must be from 0 to 1' })
    .optional(),
  storeEventsAsMessages: z.boolean({ message: 'must be true or false' }).default(true),
  memoryScope: z.enum(['app', 'namespace'], { message: 'must be "app" or "namespace"' }).default('app'),
  defaultMemoryType: z.enum(MEMORY_TYPES, { message: `must be one of ${MEMORY_TYPES.map((t) => `"${t}"`).join(', ')}` }).default('semantic'),
  defaultTopics: z.array(z.string({ message: 'must be strings' }), { message: 'must be an array of strings' }).default([]),
  modelName: z.string({ message: 'must be a string' }).min(1, { message: 'must not be empty when given' }).optional(),
  contextWindowMax: z
    .number({ message: 'must be a whole number of tokens' })
    .int({ message: 'must be a whole number of tokens' })
    .min(1, { message: 'must be at least 1' })
    .optional(),
  searchMode: z.enum(SEARCH_MODES, { message: `must be one of ${SEARCH_MODES.map((m) => `"${m}"`).join(', ')}` }).optional(),
  hybridAlpha: weight(),
  confirmIndexed: z
    .union(
      [
        z.boolean(),
        z.strictObject({
          timeoutMs: z
            .number({ message: 'timeoutMs must be a whole number of milliseconds' })
            .int({ message: 'timeoutMs must be a whole number of milliseconds' })
            .min(1, { message: 'timeoutMs must be at least 1' }),
        }),
      ],
      { message: 'must be true, false or { timeoutMs } (a whole number of milliseconds of at least 1)' },
    )
    .optional(),
  recencyBoost: z.boolean({ message: 'must be true or false' }).optional(),
  recencySemanticWeight: weight(),
  recencyRecencyWeight: weight(),
  recencyFreshnessWeight: weight(),
  recencyNoveltyWeight: weight(),
  recencyHalfLifeLastAccessDays: halfLife(),
  recencyHalfLifeCreatedDays: halfLife(),
  ...extractionOptions,
});

/** The memory options only Agent Memory Server has. */
const AMS_MEMORY_OPTIONS = [
  'confirmIndexed',
  'searchMode',
  'hybridAlpha',
  'modelName',
  'contextWindowMax',
  'recencyBoost',
  'recencySemanticWeight',
  'recencyRecencyWeight',
  'recencyFreshnessWeight',
  'recencyNoveltyWeight',
  'recencyHalfLifeLastAccessDays',
  'recencyHalfLifeCreatedDays',
  'extractionStrategy',
  'extractionStrategyConfig',
] as const;

function weight() {
  return z.number({ message: 'must be a number from 0 to 1' }).min(0, { message: 'must be from 0 to 1' }).max(1, { message: 'must be from 0 to 1' }).optional();
}

function halfLife() {
  return z.number({ message: 'must be a number of days' }).positive({ message: 'must be more than 0 days' }).optional();
}

/** Options of RedisLongTermMemoryService; docs/memory.md has the table of them. */
export type RedisLongTermMemoryServiceConfig = z.input<typeof memoryServiceConfigSchema>;

/** A memory to write directly: an ADK MemoryEntry plus what the backends can store about it. */
export interface MemoryToAdd extends MemoryEntry {
  /** Your id for the memory; writing the same id again overwrites it. Derived from the text when omitted. */
  id?: string;
  /** Defaults to the service's `defaultMemoryType` (`'semantic'`). */
  memoryType?: MemoryType;
  topics?: string[];
  /** ISO date-time of the event an episodic memory describes (kept by Agent Memory Server). */
  eventDate?: string;
}

/** A search result: an ADK MemoryEntry with the record's id, type, topics and similarity. */
export interface RedisMemoryEntry extends MemoryEntry {
  id: string;
  memoryType: string;
  topics: string[];
  /** Similarity 0..1, higher is closer; undefined when the backend reports none (Redis Agent Memory). */
  score?: number;
  /** The `customMetadata` the memory was written with. */
  customMetadata?: Record<string, unknown>;
}

/** searchMemory's answer: the user's memories, best first. */
export interface SearchMemoryResult {
  memories: RedisMemoryEntry[];
}

export function memoryBackendFor(b: BackendClient, options: AmsLongTermOptions = {}): MemoryBackend {
  return b.kind === 'redis-agent-memory' ? new RedisAgentMemoryLongTermBackend(b.client) : new AgentMemoryServerLongTermBackend(b.client, options);
}

/**
 * ADK memory service on Redis Agent Memory or Agent Memory Server: session events become
 * `message` memories, facts can be written directly, and search returns only the calling user's
 * memories in the app's namespace, best first. Writes are idempotent (deterministic ids).
 */
export class RedisLongTermMemoryService implements BaseMemoryService {
  readonly backendName: BackendClient['kind'];
  private readonly telemetry: ServiceTelemetry;
  private readonly backend: MemoryBackend;
  private readonly cfg: z.output<typeof memoryServiceConfigSchema>;

  constructor(config: RedisLongTermMemoryServiceConfig = {}) {
    const context = 'RedisLongTermMemoryService';
    const { config: cfg, backend } = resolveConnection(memoryServiceConfigSchema, config, context);
    rejectUnsupported(cfg, backend.kind, AMS_MEMORY_OPTIONS, context);
    this.cfg = cfg;
    this.telemetry = new ServiceTelemetry(backend.kind, serverAttributes(cfg.apiBaseUrl), cfg.telemetry);
    this.backendName = backend.kind;
    const recency = Object.fromEntries(
      Object.entries({
        recency_boost: cfg.recencyBoost,
        recency_semantic_weight: cfg.recencySemanticWeight,
        recency_recency_weight: cfg.recencyRecencyWeight,
        recency_freshness_weight: cfg.recencyFreshnessWeight,
        recency_novelty_weight: cfg.recencyNoveltyWeight,
        recency_half_life_last_access_days: cfg.recencyHalfLifeLastAccessDays,
        recency_half_life_created_days: cfg.recencyHalfLifeCreatedDays,
      }).filter(([, v]) => v !== undefined),
    ) as RecencyOptions;
    // The server checks model_name against its own list of models (a 422 names them).
    const window = {
      ...(cfg.modelName ? { model_name: cfg.modelName as NonNullable<AmsLongTermOptions['window']>['model_name'] } : {}),
      ...(cfg.contextWindowMax ? { context_window_max: cfg.contextWindowMax } : {}),
    };
    if (cfg.hybridAlpha !== undefined && cfg.searchMode !== undefined && cfg.searchMode !== 'hybrid' && cfg.searchMode !== 'fused')
      throw new ConfigurationError('hybridAlpha', 'applies to searchMode "hybrid" and "fused" (the default) only', context);
    const search = {
      ...(cfg.searchMode ? { mode: cfg.searchMode } : {}),
      ...(cfg.hybridAlpha !== undefined ? { hybridAlpha: cfg.hybridAlpha } : {}),
    };
    const confirmIndexed = cfg.confirmIndexed === false ? false : typeof cfg.confirmIndexed === 'object' ? cfg.confirmIndexed : undefined;
    this.backend = memoryBackendFor(backend, { recency, window, search, confirmIndexed, extractionStrategy: extractionStrategyOf(cfg, context) });
  }

  /** Stores the session's events as `message` memories (when `storeEventsAsMessages`). */
  async addSessionToMemory(session: Session, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.telemetry.call('addSessionToMemory', sessionCallIds(session), async () => {
      const op = 'addSessionToMemory';
      await this.addEventsToMemory({
        appName: requireId(op, 'session.appName', untrusted(session)?.appName),
        userId: requireId(op, 'session.userId', session.userId),
        sessionId: requireId(op, 'session.id', session.id),
        events: untrusted(session)?.events ?? [],
        signal: options.signal,
      });
    });
  }

  /** Stores a chosen slice of events as `message` memories; events without text are skipped. */
  async addEventsToMemory(request: {
    appName: string;
    userId: string;
    events: Event[];
    sessionId?: string;
    /** Kept with every memory written (as ADK's VertexAiMemoryBankService takes it); returned on search. */
    customMetadata?: Record<string, unknown>;
    signal?: AbortSignal;
  }): Promise<{ ids: string[] }> {
    return this.telemetry.call('addEventsToMemory', callIds(request), async () => {
      const op = 'addEventsToMemory';
      const scope = this.scope(op, untrusted(request)?.appName, untrusted(request)?.userId);
      if (!Array.isArray(request.events)) throw invalidInput(op, 'events', 'must be an array of ADK events');
      if (!this.cfg.storeEventsAsMessages) return { ids: [] };
      const sessionId = request.sessionId === undefined ? undefined : requireId(op, 'sessionId', request.sessionId);
      const metadata = metadataOf(op, request.customMetadata);
      const records: MemoryRecordInput[] = [];
      request.events.forEach((event, i) => {
        const text = plainText(event);
        if (!text || event.partial) return;
        // When the event happened, which a search returns as the memory's timestamp (as ADK's memory services do).
        const eventDate = Number.isFinite(event.timestamp) ? new Date(event.timestamp).toISOString() : undefined;
        const record: MemoryRecordInput = {
          id: memoryIds.fromEvent(scope, sessionId ?? '', requireId(op, `events[${i}].id`, event.id)),
          text: messageText(event.author ?? 'unknown', text, eventDate),
          memoryType: 'message',
          ...(eventDate ? { eventDate } : {}),
          sessionId,
          metadata,
        };
        validateRecord(op, `events[${i}]`, record, this.backend.topicCommas, reservedTopics(scope));
        records.push(record);
      });
      await this.backend.write(scope, unique(records), { signal: request.signal });
      return { ids: records.map((r) => r.id) };
    });
  }

  /** Writes durable memories directly; returns their ids (the same for the same input). */
  async addMemory(request: {
    appName: string;
    userId: string;
    memories: MemoryToAdd[];
    /** Kept with every memory written (as ADK's VertexAiMemoryBankService takes it); returned on search. */
    customMetadata?: Record<string, unknown>;
    signal?: AbortSignal;
  }): Promise<{ ids: string[] }> {
    return this.telemetry.call('addMemory', callIds(request), async () => {
      const op = 'addMemory';
      const scope = this.scope(op, untrusted(request)?.appName, untrusted(request)?.userId);
      if (!Array.isArray(request.memories)) throw invalidInput(op, 'memories', 'must be an array');
      const metadata = metadataOf(op, request.customMetadata);
      const records = request.memories.map((m, i) => {
        const text = entryText(m.content);
        const memoryType = m.memoryType ?? this.cfg.defaultMemoryType;
        const record: MemoryRecordInput = {
          id: m.id !== undefined ? memoryIds.fromClientId(scope, requireId(op, `memories[${i}].id`, m.id)) : memoryIds.fromContent(scope, memoryType, text),
          text,
          memoryType,
          topics: m.topics ?? (this.cfg.defaultTopics.length ? this.cfg.defaultTopics : undefined),
          eventDate: m.eventDate,
          metadata,
        };
        validateRecord(op, `memories[${i}]`, record, this.backend.topicCommas, reservedTopics(scope));
        return record;
      });
      await this.backend.write(scope, unique(records), { signal: request.signal });
      return { ids: records.map((r) => r.id) };
    });
  }

  /** The user's memories closest to the query, best first, at most `searchTopK`; an empty query finds nothing. */
  async searchMemory(request: SearchMemoryRequest & { limit?: number; signal?: AbortSignal }): Promise<SearchMemoryResult> {
    return this.telemetry.call('searchMemory', callIds(request), async () => {
      const op = 'searchMemory';
      const scope = this.scope(op, untrusted(request)?.appName, untrusted(request)?.userId);
      if (typeof request.query !== 'string') throw invalidInput(op, 'query', 'must be a string');
      if (!request.query.trim()) return { memories: [] };
      const limit = this.limitOf(op, request.limit);
      const hits = await this.backend.search(scope, request.query, limit, this.cfg.similarityThreshold, { signal: request.signal });
      return { memories: hits.map(toEntry) };
    });
  }

  /** One of the user's memories by id, or undefined. */
  async getMemory(request: { appName: string; userId: string; id: string; signal?: AbortSignal }): Promise<RedisMemoryEntry | undefined> {
    return this.telemetry.call('getMemory', callIds(request), async () => {
      const op = 'getMemory';
      const scope = this.scope(op, untrusted(request)?.appName, untrusted(request)?.userId);
      const hit = await this.backend.get(scope, memoryIds.fromClientId(scope, requireId(op, 'id', request.id)), { signal: request.signal });
      return hit && toEntry(hit);
    });
  }

  /** Changes text, topics or type of one of the user's memories. */
  async updateMemory(request: {
    appName: string;
    userId: string;
    id: string;
    text?: string;
    topics?: string[];
    memoryType?: MemoryType;
    signal?: AbortSignal;
  }): Promise<RedisMemoryEntry> {
    return this.telemetry.call('updateMemory', callIds(request), async () => {
      const op = 'updateMemory';
      const scope = this.scope(op, untrusted(request)?.appName, untrusted(request)?.userId);
      const id = memoryIds.fromClientId(scope, requireId(op, 'id', request.id));
      const o = { signal: request.signal };
      const current = await this.backend.get(scope, id, o);
      if (!current) throw new NotFoundError(`${op}: no memory ${request.id} for this user`, { operation: op, status: 404 });
      const next: MemoryRecordInput = {
        id,
        text: request.text ?? current.text,
        memoryType: (request.memoryType ?? current.memoryType) as MemoryType,
        topics: request.topics ?? current.topics,
      };
      validateRecord(op, 'memory', next, this.backend.topicCommas, reservedTopics(scope));
      const patch = {
        ...(request.text !== undefined ? { text: request.text } : {}),
        ...(request.topics !== undefined ? { topics: request.topics } : {}),
        ...(request.memoryType !== undefined ? { memoryType: request.memoryType } : {}),
      };
      if (!Object.keys(patch).length) throw invalidInput(op, 'text', 'give at least one of text, topics, memoryType');
      return toEntry(await this.backend.update(scope, id, patch, o));
    });
  }

  /** Deletes the user's memories by id; ids that do not exist (or are not this user's) are ignored. */
  async deleteMemory(request: { appName: string; userId: string; ids: string[]; signal?: AbortSignal }): Promise<{ deleted: string[] }> {
    return this.telemetry.call('deleteMemory', callIds(request), async () => {
      const op = 'deleteMemory';
      const scope = this.scope(op, untrusted(request)?.appName, untrusted(request)?.userId);
      if (!Array.isArray(request.ids)) throw invalidInput(op, 'ids', 'must be an array of memory ids');
      const ids = [...new Set(request.ids.map((id, i) => memoryIds.fromClientId(scope, requireId(op, `ids[${i}]`, id))))];
      // Only this user's records may be deleted, whatever ids a caller (or a model) passes.
      const o = { signal: request.signal };
      const owned = (await mapLimit(ids, 8, async (id) => ((await this.backend.get(scope, id, o)) ? id : undefined))).filter((x): x is string => !!x);
      await this.backend.remove(scope, owned, o);
      return { deleted: owned };
    });
  }

  /** Deletes every long-term memory of the user in this scope, those the backend extracted included; returns how many. */
  async forgetUser(request: { appName: string; userId: string; signal?: AbortSignal }): Promise<{ memories: number }> {
    return this.telemetry.call('forgetUser', callIds(request), async () => {
      const scope = this.scope('forgetUser', untrusted(request)?.appName, untrusted(request)?.userId);
      return { memories: await this.backend.removeAll(scope, { signal: request.signal }) };
    });
  }

  /**
   * Messages ready for an LLM: the session's summary and recent conversation, the user's long-term
   * memories relevant to the query, then the query. On Agent Memory Server this is the server's
   * `/v1/memory/prompt`; on Redis Agent Memory the same answer is built from `session` (the ADK
   * session, with the store's summary as its CompactedEvent) and a search.
   */
  async memoryPrompt(request: {
    appName: string;
    userId: string;
    query: string;
    session?: Session;
    limit?: number;
    signal?: AbortSignal;
  }): Promise<{ messages: PromptMessage[] }> {
    return this.telemetry.call('memoryPrompt', callIds(request), async () => {
      const op = 'memoryPrompt';
      const scope = this.scope(op, untrusted(request)?.appName, untrusted(request)?.userId);
      if (typeof request.query !== 'string' || !request.query.trim()) throw invalidInput(op, 'query', 'must be a non-empty string');
      const limit = this.limitOf(op, request.limit);
      if (request.session && (request.session.appName !== scope.appName || request.session.userId !== scope.userId)) {
        throw invalidInput(op, 'session', 'must be a session of the same app and user');
      }
      return { messages: await this.backend.prompt(scope, { query: request.query, limit, session: request.session }, { signal: request.signal }) };
    });
  }

  /** How many memories a call may return: the caller's limit (1-100) or `searchTopK`. */
  private limitOf(op: string, limit: number | undefined): number {
    const n = limit ?? this.cfg.searchTopK;
    if (!Number.isInteger(n) || n < 1 || n > 100) throw invalidInput(op, 'limit', 'must be a whole number from 1 to 100');
    return n;
  }

  private scope(op: string, appName: unknown, userId: unknown): MemoryScope {
    const app = requireId(op, 'appName', appName);
    return {
      namespace: this.cfg.defaultNamespace ?? app,
      appName: app,
      userId: requireId(op, 'userId', userId),
      kind: this.cfg.memoryScope,
      ...(this.cfg.namespaceId !== undefined ? { namespaceId: this.cfg.namespaceId } : {}),
    };
  }
}

function entryText(content: Content | undefined): string {
  return (content?.parts ?? [])
    .map((p) => p.text ?? '')
    .join('\n')
    .trim();
}

/** Topics a record cannot have for the caller: the app's own topic, where the scope has one. */
function reservedTopics(scope: MemoryScope): number {
  return scopeTopic(scope) ? 1 : 0;
}

function unique(records: MemoryRecordInput[]): MemoryRecordInput[] {
  return [...new Map(records.map((r) => [r.id, r])).values()];
}

function toEntry(hit: MemoryHit): RedisMemoryEntry {
  const { author, text } = splitMessageText(hit.memoryType, hit.text);
  const timestamp = isoTime(hit.eventDate ?? hit.createdAt);
  return {
    content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] },
    ...(author ? { author } : {}),
    ...(timestamp ? { timestamp } : {}),
    id: hit.id,
    memoryType: hit.memoryType,
    topics: hit.topics,
    ...(hit.score !== undefined ? { score: hit.score } : {}),
    ...(hit.metadata ? { customMetadata: hit.metadata } : {}),
  };
}

/** A backend's time as ADK writes one (`Date.toISOString()`), whatever precision and form the backend answers in. */
function isoTime(time: string | undefined): string | undefined {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : time;
}

/** The largest customMetadata, as JSON, kept with a memory. */
export const CUSTOM_METADATA_MAX_BYTES = 16 * 1024;

/** customMetadata checked: a JSON object of at most 16 KiB, or undefined. */
function metadataOf(op: string, value: unknown): Record<string, JsonValue> | undefined {
  if (value === undefined) return undefined;
  const json = toJsonObject(value, op, 'customMetadata');
  const bytes = Buffer.byteLength(JSON.stringify(json));
  if (bytes > CUSTOM_METADATA_MAX_BYTES)
    throw invalidInput(op, 'customMetadata', `is ${bytes} bytes as JSON; the limit is ${CUSTOM_METADATA_MAX_BYTES}`, 'maxLength');
  return Object.keys(json).length ? json : undefined;
}

export { MEMORY_TYPES };
