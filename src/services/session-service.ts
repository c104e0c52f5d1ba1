import { randomUUID } from 'node:crypto';
import {
  BaseSessionService,
  createSession,
  type AppendEventRequest,
  type CreateSessionRequest,
  type DeleteSessionRequest,
  type Event,
  type GetSessionRequest,
  type ListSessionsRequest,
  type ListSessionsResponse,
  type Session,
} from '@google/adk';
import { z } from 'zod';
import { ServiceTelemetry, callIds, sessionCallIds, serverAttributes } from '../telemetry/telemetry.js';
import { AgentMemoryServerSessionBackend, CONVERSATION_WRITES, type AmsSessionOptions } from '../backends/ams-sessions.js';
import { RedisAgentMemorySessionBackend } from '../backends/ram-sessions.js';
import type { SessionBackend } from '../backends/types.js';
import { isSessionNotFound } from '../backends/missing.js';
import { retryingWhile } from '../clients/invoke.js';
import { ConfigurationError, ConflictError, InvalidInputError } from '../clients/errors.js';
import { invalidInput } from '../clients/invalid-input.js';
import { allToCompletion, mapLimit, together } from '../codec/concurrency.js';
import { eventToJson, selectEvents } from '../codec/events.js';
import { noteWorkingMemoryId } from '../codec/placement.js';
import type { SessionScope } from '../codec/ids.js';
import { assignOwn, toJson } from '../codec/json.js';
import { isEmpty, mergeScopes, splitState, type SplitState, type StateMap } from '../codec/state.js';
import { connectionOptions, extractionOptions, extractionStrategyOf, rejectUnsupported, resolveConnection, type BackendClient } from './config.js';
import { optionalCount, requireId, untrusted } from './validate.js';

export const sessionServiceConfigSchema = z.strictObject({
  ...connectionOptions,
  maxEventBytes: z
    .number({ message: 'must be a whole number of bytes' })
    .int({ message: 'must be a whole number of bytes' })
    .min(1024, { message: 'must be at least 1024 bytes' })
    .default(1024 * 1024),
  modelName: z.string({ message: 'must be a string' }).min(1, { message: 'must not be empty when given' }).optional(),
  contextWindowMax: z
    .number({ message: 'must be a whole number of tokens' })
    .int({ message: 'must be a whole number of tokens' })
    .min(1, { message: 'must be at least 1' })
    .optional(),
  sessionTtlSeconds: z
    .number({ message: 'must be a whole number of seconds' })
    .int({ message: 'must be a whole number of seconds' })
    .min(1, { message: 'must be at least 1' })
    .optional(),
  readCacheBytes: z
    .number({ message: 'must be a whole number of bytes' })
    .int({ message: 'must be a whole number of bytes' })
    .min(0, { message: 'must be at least 0 (0 keeps nothing)' })
    .optional(),
  conversationWrites: z.enum(CONVERSATION_WRITES, { message: `must be one of ${CONVERSATION_WRITES.map((m) => `"${m}"`).join(', ')}` }).optional(),
  serverExtraction: z.boolean({ message: 'must be true or false' }).optional(),
  ...extractionOptions,
});

/** The session options only Agent Memory Server has. */
const AMS_SESSION_OPTIONS = [
  'modelName',
  'contextWindowMax',
  'sessionTtlSeconds',
  'readCacheBytes',
  'conversationWrites',
  'serverExtraction',
  'extractionStrategy',
  'extractionStrategyConfig',
] as const;

/** Lets a caller cancel a service call: in-flight requests and retry waits are aborted. */
export interface Cancellable {
  signal?: AbortSignal;
}

/** Options of RedisSessionMemoryService; docs/sessions.md has the table of them. */
export type RedisSessionMemoryServiceConfig = z.input<typeof sessionServiceConfigSchema>;

/** How often getOrCreateSession reads and creates before a conflict it cannot resolve is thrown. */
const GET_OR_CREATE_ATTEMPTS = 3;

export function sessionBackendFor(b: BackendClient, view: AmsSessionOptions = {}, namespaceId?: string): SessionBackend {
  return b.kind === 'redis-agent-memory' ? new RedisAgentMemorySessionBackend(b.client, namespaceId) : new AgentMemoryServerSessionBackend(b.client, view);
}

/**
 * ADK session service persisting sessions, events and state in Redis Agent Memory or Agent Memory
 * Server. Semantics follow ADK's DatabaseSessionService: `app:` and `user:` state are shared across
 * an app's and a user's sessions, `temp:` state is never stored, and every call resolves only
 * once the backend has stored what it reports (failures reject with typed errors).
 */
export class RedisSessionMemoryService extends BaseSessionService {
  readonly backendName: BackendClient['kind'];
  private readonly telemetry: ServiceTelemetry;
  private readonly backend: SessionBackend;
  private readonly defaultNamespace: string | undefined;
  private readonly maxEventBytes: number;
  /** How often, and after what wait, an append looks again for a session reported missing (the client's retry schedule). */
  private readonly missingRetries: { maxRetries: number; baseDelayMs: number };
  private closed = false;

  constructor(config: RedisSessionMemoryServiceConfig = {}) {
    super();
    const context = 'RedisSessionMemoryService';
    const { config: cfg, backend } = resolveConnection(sessionServiceConfigSchema, config, context);
    rejectUnsupported(cfg, backend.kind, AMS_SESSION_OPTIONS, context);
    if (cfg.serverExtraction === false && cfg.extractionStrategy !== undefined)
      throw new ConfigurationError(
        'serverExtraction',
        "false turns off the server's extraction of this session's messages, which extractionStrategy configures: set one of them",
        context,
      );
    this.backendName = backend.kind;
    this.telemetry = new ServiceTelemetry(backend.kind, serverAttributes(cfg.apiBaseUrl), cfg.telemetry);
    this.backend = sessionBackendFor(
      backend,
      {
        modelName: cfg.modelName,
        contextWindowMax: cfg.contextWindowMax,
        sessionTtlSeconds: cfg.sessionTtlSeconds,
        readCacheBytes: cfg.readCacheBytes,
        conversationWrites: cfg.conversationWrites,
        serverExtraction: cfg.serverExtraction,
        extractionStrategy: extractionStrategyOf(cfg, context),
      },
      cfg.namespaceId,
    );
    this.defaultNamespace = cfg.defaultNamespace;
    this.maxEventBytes = cfg.maxEventBytes;
    this.missingRetries = { maxRetries: cfg.maxRetries, baseDelayMs: cfg.retryBaseDelay * 1000 };
  }

  override async createSession(request: CreateSessionRequest & Cancellable): Promise<Session> {
    return this.telemetry.call('createSession', callIds(request), async () => {
      const op = 'createSession';
      this.ensureOpen(op);
      const appName = requireId(op, 'appName', untrusted(request)?.appName);
      const userId = requireId(op, 'userId', untrusted(request)?.userId);
      const sessionId = request.sessionId === undefined ? randomUUID() : requireId(op, 'sessionId', request.sessionId);
      const initial = splitState(request.state ? (toJson(request.state, op, 'state') as StateMap) : {});
      const scope = this.scope(appName, userId, sessionId);
      // The shared state is read while the session is created: independent requests, one round trip.
      // A failed read does not cut the creation off mid-write: its outcome is known before this rejects.
      const [stored, app, user] = await allToCompletion(
        request.signal,
        (signal) => this.backend.createSession(scope, initial.session, Date.now(), { signal }),
        (signal) => this.backend.readAppState(scope.namespace, appName, { signal }),
        (signal) => this.backend.readUserState(scope.namespace, appName, userId, { signal }),
      );
      const shared = this.sharedStateWrites(scope, initial, { app, user });
      if (shared.length) await allToCompletion(request.signal, ...shared);
      const state = mergeScopes({ ...app, ...initial.app }, { ...user, ...initial.user }, stored.state);
      return noteWorkingMemoryId(
        createSession({ id: sessionId, appName, userId, state, events: [], lastUpdateTime: stored.lastUpdateTime }),
        stored.workingMemoryId,
      );
    });
  }

  /**
   * The session of this id, created when there is none. Replicas that call this for one id at the
   * same moment all get the same session: a create that loses to a concurrent one (ConflictError)
   * reads the winner's session instead. It tries a few times in case the winner is deleted in
   * between; a session id held by another app stays a ConflictError.
   */
  override async getOrCreateSession(request: CreateSessionRequest & Cancellable): Promise<Session> {
    return this.telemetry.call('getOrCreateSession', callIds(request), async () => {
      const sessionId = untrusted(request)?.sessionId;
      if (sessionId === undefined) return this.createSession(request);
      const key = { appName: request.appName, userId: request.userId, sessionId, signal: request.signal };
      for (let attempt = 1; ; attempt++) {
        const found = await this.getSession(key);
        if (found) return found;
        try {
          return await this.createSession(request);
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= GET_OR_CREATE_ATTEMPTS) throw error;
        }
      }
    });
  }

  override async getSession(request: GetSessionRequest & Cancellable): Promise<Session | undefined> {
    return this.telemetry.call('getSession', callIds(request), async () => {
      const op = 'getSession';
      this.ensureOpen(op);
      const scope = this.scope(
        requireId(op, 'appName', untrusted(request)?.appName),
        requireId(op, 'userId', request.userId),
        requireId(op, 'sessionId', request.sessionId),
      );
      optionalCount(op, 'config.numRecentEvents', request.config?.numRecentEvents, 0);
      const [stored, app, user] = await together(
        request.signal,
        // The window as selectEvents applies it: an afterTimestamp of 0 filters nothing.
        (signal) =>
          this.backend.loadSession(
            scope,
            { signal },
            { numRecentEvents: request.config?.numRecentEvents, afterTimestamp: request.config?.afterTimestamp || undefined },
          ),
        (signal) => this.backend.readAppState(scope.namespace, scope.appName, { signal }),
        (signal) => this.backend.readUserState(scope.namespace, scope.appName, scope.userId, { signal }),
      );
      if (!stored) return undefined;
      return noteWorkingMemoryId(
        createSession({
          id: scope.sessionId,
          appName: scope.appName,
          userId: scope.userId,
          state: mergeScopes(app, user, stored.state),
          events: selectEvents(stored.events, request.config),
          lastUpdateTime: stored.lastUpdateTime,
        }),
        stored.workingMemoryId,
      );
    });
  }

  override async listSessions(request: ListSessionsRequest & Cancellable): Promise<ListSessionsResponse> {
    return this.telemetry.call('listSessions', callIds(request), async () => {
      const op = 'listSessions';
      this.ensureOpen(op);
      const appName = requireId(op, 'appName', untrusted(request)?.appName);
      const userId = request.userId === undefined ? undefined : requireId(op, 'userId', request.userId);
      const limit = optionalCount(op, 'limit', request.limit, 0);
      const offset = optionalCount(op, 'offset', request.offset, 0);
      const page = optionalCount(op, 'page', request.page, 1);
      const order: unknown = request.order;
      if (order !== undefined && order !== 'asc' && order !== 'desc') {
        throw invalidInput(op, 'order', 'must be "asc" or "desc"', 'enum');
      }
      // As ADK's DatabaseSessionService: each session with its merged state (app, user, session), no events.
      const namespace = this.namespaceOf(appName);
      // The app's state, and the user's when one is asked for, are read beside the listing.
      const [listings, app, given] = await together(
        request.signal,
        (signal) => this.backend.listSessions(namespace, appName, userId, { signal }),
        (signal) => this.backend.readAppState(namespace, appName, { signal }),
        (signal) => (userId === undefined ? Promise.resolve(undefined) : this.backend.readUserState(namespace, appName, userId, { signal })),
      );
      const byUser = new Map<string, StateMap>();
      if (userId !== undefined && given) byUser.set(userId, given);
      else {
        // Every user listed: their states once the listing has named them.
        const users = [...new Set(listings.map((l) => l.userId))];
        const states = await mapLimit(users, 16, (user) => this.backend.readUserState(namespace, appName, user, { signal: request.signal }));
        users.forEach((user, i) => byUser.set(user, states[i]!));
      }
      const sessions = listings.map((l) =>
        createSession({
          id: l.sessionId,
          appName,
          userId: l.userId,
          state: mergeScopes(app, byUser.get(l.userId) ?? {}, l.state),
          events: [],
          lastUpdateTime: l.lastUpdateTime,
        }),
      );
      return paginate(sessions, { limit, offset, page, order: request.order });
    });
  }

  override async deleteSession(request: DeleteSessionRequest & Cancellable): Promise<void> {
    return this.telemetry.call('deleteSession', callIds(request), async () => {
      const op = 'deleteSession';
      this.ensureOpen(op);
      const scope = this.scope(
        requireId(op, 'appName', untrusted(request)?.appName),
        requireId(op, 'userId', request.userId),
        requireId(op, 'sessionId', request.sessionId),
      );
      await this.backend.deleteSession(scope, { signal: request.signal });
    });
  }

  /**
   * Erases a user's sessions in the app: every session with everything kept beside it (journals,
   * creation records), the user's `user:` state and their entry in the users registry. Other
   * users' data is untouched. Returns the ids of the sessions deleted.
   */
  async forgetUser(request: { appName: string; userId: string; signal?: AbortSignal }): Promise<{ sessions: string[] }> {
    return this.telemetry.call('forgetUser', callIds(request), async () => {
      const op = 'forgetUser';
      this.ensureOpen(op);
      const appName = requireId(op, 'appName', untrusted(request)?.appName);
      const userId = requireId(op, 'userId', untrusted(request)?.userId);
      const namespace = this.namespaceOf(appName);
      const o = { signal: request.signal };
      const listed = await this.backend.listSessions(namespace, appName, userId, o);
      await mapLimit(listed, 8, (l) => this.backend.deleteSession(this.scope(appName, userId, l.sessionId), o));
      await this.backend.forgetUser(namespace, appName, userId, o);
      return { sessions: listed.map((l) => l.sessionId) };
    });
  }

  override async appendEvent({ session, event, signal }: AppendEventRequest & Cancellable): Promise<Event> {
    return this.telemetry.call('appendEvent', sessionCallIds(session), async () => {
      const op = 'appendEvent';
      this.ensureOpen(op);
      const given: unknown = event;
      if (!given || typeof given !== 'object') throw new InvalidInputError(`${op}: event must be an ADK event`, { operation: op, type: 'invalid-input' });
      if (event.partial) return event;
      requireId(op, 'event.id', event.id);
      const timestamp: unknown = event.timestamp;
      if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
        throw invalidInput(op, 'event.timestamp', 'must be a finite number of milliseconds', 'number');
      }
      const scope = this.scope(
        requireId(op, 'session.appName', untrusted(session)?.appName),
        requireId(op, 'session.userId', session.userId),
        requireId(op, 'session.id', session.id),
      );
      const stateDelta = untrusted(event.actions)?.stateDelta;
      const delta = splitState(stateDelta ? (toJson(stateDelta, op, 'event.actions.stateDelta') as StateMap) : {});
      const json = eventToJson(event, op);
      const bytes = Buffer.byteLength(JSON.stringify(json));
      if (bytes > this.maxEventBytes) {
        throw invalidInput(op, 'event', `is ${bytes} bytes as JSON; the limit (maxEventBytes) is ${this.maxEventBytes}`, 'maxEventBytes');
      }
      // ADK keeps the Session's state current, so it is this writer's view of the state before the
      // event. The shared state the event changes is written beside the event's own write, once the
      // backend knows the session exists: an append to a missing session stores nothing.
      const before = splitState(session.state);
      const sessionState = assignOwn({ ...before.session }, delta.session);
      // A session reported missing is looked for again on the retry schedule before the append
      // rejects: Agent Memory Server answers 404 for a working memory it could not read (it takes
      // any Redis error for absence, as while Redis restarts). Nothing was written by a rejected try.
      await retryingWhile(
        this.missingRetries,
        op,
        isSessionNotFound,
        () => this.backend.appendEvent(scope, event, json, sessionState, this.sharedStateWrites(scope, delta, before), { signal }),
        signal,
      );
      const appended = await super.appendEvent({ session, event });
      session.lastUpdateTime = event.timestamp;
      return appended;
    });
  }

  /** Marks the service closed; later calls throw. Holds no sockets of its own (fetch pools them). */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /**
   * The writes of the `app:` and `user:` keys a change sets, as independent steps; `known` is the
   * state before the change (the stores restate the whole state after it).
   */
  private sharedStateWrites(scope: SessionScope, change: SplitState, known: { app: StateMap; user: StateMap }): ((signal: AbortSignal) => Promise<void>)[] {
    const writes: ((signal: AbortSignal) => Promise<void>)[] = [];
    if (!isEmpty(change.app))
      writes.push((signal) => this.backend.updateAppState(scope.namespace, scope.appName, change.app, { ...known.app, ...change.app }, { signal }));
    if (!isEmpty(change.user))
      writes.push((signal) =>
        this.backend.updateUserState(scope.namespace, scope.appName, scope.userId, change.user, { ...known.user, ...change.user }, { signal }),
      );
    return writes;
  }

  private namespaceOf(appName: string): string {
    return this.defaultNamespace ?? appName;
  }

  private scope(appName: string, userId: string, sessionId: string): SessionScope {
    return { namespace: this.namespaceOf(appName), appName, userId, sessionId };
  }

  private ensureOpen(operation: string): void {
    if (this.closed) throw new InvalidInputError(`${operation}: the service was closed`, { operation, type: 'closed' });
  }
}

/** ADK 2.x paging: the same fields and arithmetic as ADK's own session services. */
export function paginate(
  all: Session[],
  q: { limit?: number | undefined; offset?: number | undefined; page?: number | undefined; order?: 'asc' | 'desc' | undefined },
): ListSessionsResponse {
  const sorted = [...all];
  if (q.order === 'asc') sorted.sort((a, b) => a.lastUpdateTime - b.lastUpdateTime || a.id.localeCompare(b.id));
  if (q.order === 'desc') sorted.sort((a, b) => b.lastUpdateTime - a.lastUpdateTime || a.id.localeCompare(b.id));
  const totalItems = sorted.length;
  if (q.limit === undefined) {
    return { sessions: q.offset ? sorted.slice(q.offset) : sorted, page: 1, limit: totalItems, totalItems, totalPages: totalItems === 0 ? 0 : 1 };
  }
  const offset = q.page !== undefined ? (q.page - 1) * q.limit : (q.offset ?? 0);
  const page = q.page ?? (q.limit === 0 ? 1 : Math.floor(offset / q.limit) + 1);
  return {
    sessions: sorted.slice(offset, offset + q.limit),
    page,
    limit: q.limit,
    totalItems,
    totalPages: q.limit === 0 ? 0 : Math.ceil(totalItems / q.limit),
  };
}
