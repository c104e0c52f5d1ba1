import { randomUUID } from 'node:crypto';
import { createEventActions, type Event } from '@google/adk';
import { ConflictError, NotFoundError, StaleSessionError } from '../clients/errors.js';
import type { AgentMemoryServerClient, AgentMemoryServerSchemas } from '../clients/agent-memory-server.js';
import { mapLimit } from '../codec/concurrency.js';
import { ENVELOPE_VERSION, dedupeEvents, eventFromJson, eventToJson, isUserAuthored, renderText } from '../codec/events.js';
import { encodeIdPart, namespaceKey, type SessionScope } from '../codec/ids.js';
import { isRecord, toJson, type JsonValue } from '../codec/json.js';
import type { StateMap } from '../codec/state.js';
import type { CallOptions, SessionBackend, SessionListing, StoredSession } from './types.js';

type WorkingMemory = AgentMemoryServerSchemas['WorkingMemoryResponse'];
type Message = AgentMemoryServerSchemas['MemoryMessage'];

/** The `data.adk` envelope of a session document. */
interface SessionEnvelope {
  v: number;
  kind: 'session';
  appName: string;
  userId: string;
  sessionId: string;
  createdAt: number;
  lastUpdateTime: number;
  /** Changes on every write; a different value on the server means another writer wrote. */
  revision: string;
  state: StateMap;
  events: JsonValue[];
}

/** What an append needs to write the next version of a document it loaded. */
interface Handle {
  env: SessionEnvelope;
  messages: Message[];
}

/**
 * Working-memory keys. The server keys a document by namespace, user_id and session_id; encoded
 * parts never contain `.` or `_`, so `<user>.<session>` ids are unambiguous, the user part can be
 * recovered for listing, and `_`-suffixed ids are free for this adapter's state documents.
 */
export const amsKeys = {
  session: (s: SessionScope) => ({
    session_id: `${encodeIdPart(s.userId)}.${encodeIdPart(s.sessionId)}`,
    user_id: encodeIdPart(s.userId),
    namespace: namespaceKey(s.namespace, s.appName),
  }),
  appState: (ns: string, app: string) => ({ session_id: '_app', user_id: null, namespace: namespaceKey(ns, app) }),
  userState: (ns: string, app: string, user: string) => ({
    session_id: `${encodeIdPart(user)}._user`,
    user_id: encodeIdPart(user),
    namespace: namespaceKey(ns, app),
  }),
};

const LIST_PAGE = 100;
const READ_CONCURRENCY = 8;

/**
 * Sessions on Agent Memory Server. Each ADK session is one working-memory document: readable
 * messages (one per event, id = ADK event id) for the server's summarisation and extraction, and
 * `data.adk` holding the lossless events, the session state and a revision. The server only
 * replaces documents, so an append writes the whole document from the copy loaded with the
 * session, after a check that nobody else wrote since (StaleSessionError otherwise).
 */
export class AgentMemoryServerSessionBackend implements SessionBackend {
  constructor(private readonly client: AgentMemoryServerClient) {}

  async createSession(scope: SessionScope, state: StateMap, createdAt: number, o?: CallOptions): Promise<StoredSession> {
    if (await this.fetch(scope, undefined, o)) {
      throw new ConflictError(`Session with id ${scope.sessionId} already exists.`, { operation: 'createSession', status: 409, type: 'session-exists' });
    }
    const env: SessionEnvelope = {
      v: ENVELOPE_VERSION,
      kind: 'session',
      appName: scope.appName,
      userId: scope.userId,
      sessionId: scope.sessionId,
      createdAt,
      lastUpdateTime: createdAt,
      revision: randomUUID(),
      state,
      events: [],
    };
    const handle = { env, messages: [] };
    await this.write(scope, handle, o);
    return { state: { ...state }, events: [], lastUpdateTime: createdAt, handle };
  }

  async loadSession(scope: SessionScope, o?: CallOptions): Promise<StoredSession | undefined> {
    const doc = await this.fetch(scope, undefined, o);
    return doc ? toStored(doc, scope) : undefined;
  }

  async listSessions(namespace: string, appName: string, userId: string | undefined, o?: CallOptions): Promise<SessionListing[]> {
    const ns = namespaceKey(namespace, appName);
    const ids: string[] = [];
    for (let offset = 0; ; offset += LIST_PAGE) {
      const page = await this.client.listSessions({ namespace: ns, limit: LIST_PAGE, offset, ...(userId !== undefined ? { user_id: encodeIdPart(userId) } : {}) }, o);
      ids.push(...page.sessions);
      if (page.sessions.length < LIST_PAGE || offset + LIST_PAGE >= page.total) break;
    }
    const sessionIds = [...new Set(ids)].filter((id) => /^[^._]+\.[^._]/.test(id));
    const listed = await mapLimit(sessionIds, READ_CONCURRENCY, async (id) => {
      const user_id = id.slice(0, id.indexOf('.'));
      const doc = await this.getOrUndefined(id, { user_id, namespace: ns, recent_messages_limit: 1 }, o);
      const env = doc && sessionEnvelope(doc);
      if (!env || env.appName !== appName) return undefined;
      return { userId: env.userId, sessionId: env.sessionId, lastUpdateTime: env.lastUpdateTime };
    });
    return listed.filter((x): x is SessionListing => x !== undefined);
  }

  async deleteSession(scope: SessionScope, o?: CallOptions): Promise<void> {
    const { session_id, ...query } = amsKeys.session(scope);
    await this.client.deleteWorkingMemory(session_id, query, o);
  }

  async appendEvent(scope: SessionScope, event: Event, sessionDelta: StateMap, handle: unknown, o?: CallOptions): Promise<unknown> {
    const loaded = isHandle(handle) ? handle : await this.loadHandle(scope, o);
    const eventJson = eventToJson(event, 'appendEvent');
    const head = await this.fetch(scope, 1, o);
    const current = head && sessionEnvelope(head);
    if (!current) throw new NotFoundError(`Session ${scope.sessionId} not found for appendEvent`, { operation: 'appendEvent', status: 404 });
    if (current.revision !== loaded.env.revision) {
      // Our own earlier attempt may have landed with its response lost: then this is a replay.
      const latest = await this.loadHandle(scope, o);
      if (latest.env.events.some((e) => JSON.stringify(e) === JSON.stringify(eventJson))) return latest;
      throw new StaleSessionError(
        `Session ${scope.sessionId} was changed by another writer since it was loaded; the event was not written. Reload the session (getSession) and append again.`,
        { operation: 'appendEvent', type: 'stale-session' },
      );
    }
    const next: Handle = {
      env: {
        ...loaded.env,
        revision: randomUUID(),
        lastUpdateTime: event.timestamp,
        state: { ...loaded.env.state, ...sessionDelta },
        events: upsert(loaded.env.events, eventJson, (e) => isRecord(e) && e.id === event.id),
      },
      messages: upsert(loaded.messages, toMessage(event), (m) => m.id === event.id),
    };
    await this.write(scope, next, o);
    return next;
  }

  async readAppState(namespace: string, appName: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.appState(namespace, appName), o);
  }

  async readUserState(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.userState(namespace, appName, userId), o);
  }

  async updateAppState(namespace: string, appName: string, delta: StateMap, o?: CallOptions): Promise<void> {
    await this.mergeState(amsKeys.appState(namespace, appName), delta, o);
  }

  async updateUserState(namespace: string, appName: string, userId: string, delta: StateMap, o?: CallOptions): Promise<void> {
    await this.mergeState(amsKeys.userState(namespace, appName, userId), delta, o);
  }

  private async loadHandle(scope: SessionScope, o?: CallOptions): Promise<Handle> {
    const stored = await this.loadSession(scope, o);
    if (!stored || !isHandle(stored.handle)) throw new NotFoundError(`Session ${scope.sessionId} not found for appendEvent`, { operation: 'appendEvent', status: 404 });
    return stored.handle;
  }

  private async write(scope: SessionScope, handle: Handle, o?: CallOptions): Promise<void> {
    const { session_id, user_id, namespace } = amsKeys.session(scope);
    await this.client.putWorkingMemory(
      session_id,
      { messages: handle.messages, data: { adk: toJson(handle.env, 'appendEvent', 'data.adk') }, user_id, namespace },
      undefined,
      o,
    );
  }

  private fetch(scope: SessionScope, recent: number | undefined, o?: CallOptions): Promise<WorkingMemory | undefined> {
    const { session_id, ...query } = amsKeys.session(scope);
    return this.getOrUndefined(session_id, recent ? { ...query, recent_messages_limit: recent } : query, o);
  }

  private async getOrUndefined(
    sessionId: string,
    query: Parameters<AgentMemoryServerClient['getWorkingMemory']>[1],
    o?: CallOptions,
  ): Promise<WorkingMemory | undefined> {
    try {
      return await this.client.getWorkingMemory(sessionId, query, o);
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  private async readState(key: { session_id: string; user_id: string | null; namespace: string }, o?: CallOptions): Promise<StateMap> {
    const { session_id, ...query } = key;
    const doc = await this.getOrUndefined(session_id, query, o);
    const adk = isRecord(doc?.data) && isRecord(doc.data.adk) ? doc.data.adk : undefined;
    return isRecord(adk?.state) ? { ...adk.state } : {};
  }

  /** Read-modify-write: the server has no conditional write, so concurrent updates of one key race. */
  private async mergeState(key: { session_id: string; user_id: string | null; namespace: string }, delta: StateMap, o?: CallOptions): Promise<void> {
    const state = { ...(await this.readState(key, o)), ...delta };
    const { session_id, ...rest } = key;
    await this.client.putWorkingMemory(session_id, { ...rest, data: { adk: toJson({ v: ENVELOPE_VERSION, kind: 'state', state }, 'appendEvent', 'data.adk') } }, undefined, o);
  }
}

function isHandle(h: unknown): h is Handle {
  return isRecord(h) && isRecord(h.env) && Array.isArray(h.messages);
}

function sessionEnvelope(doc: WorkingMemory): SessionEnvelope | undefined {
  const adk = isRecord(doc.data) ? doc.data.adk : undefined;
  if (!isRecord(adk) || adk.kind !== 'session' || typeof adk.revision !== 'string' || !Array.isArray(adk.events)) return undefined;
  return adk as unknown as SessionEnvelope;
}

function toStored(doc: WorkingMemory, scope: SessionScope): StoredSession {
  const env = sessionEnvelope(doc);
  if (!env) {
    // A document some other client wrote: its messages become text-only events.
    const events = (doc.messages ?? []).map(foreignEvent);
    const adopted: SessionEnvelope = {
      v: ENVELOPE_VERSION,
      kind: 'session',
      appName: scope.appName,
      userId: scope.userId,
      sessionId: scope.sessionId,
      createdAt: Date.parse(doc.created_at ?? '') || 0,
      lastUpdateTime: events.at(-1)?.timestamp ?? 0,
      revision: '',
      state: {},
      events: events.map((e) => eventToJson(e, 'getSession')),
    };
    return { state: {}, events, lastUpdateTime: adopted.lastUpdateTime, handle: { env: adopted, messages: doc.messages ?? [] } };
  }
  const events = dedupeEvents(env.events.map((e) => eventFromJson(e, 'get_working_memory')));
  return { state: { ...env.state }, events, lastUpdateTime: env.lastUpdateTime, handle: { env, messages: doc.messages ?? [] } satisfies Handle };
}

function toMessage(event: Event): Message {
  return {
    role: isUserAuthored(event) ? 'user' : 'assistant',
    content: renderText(event),
    id: event.id,
    created_at: new Date(event.timestamp).toISOString(),
  };
}

function foreignEvent(m: Message): Event {
  return {
    id: m.id ?? randomUUID(),
    invocationId: '',
    author: m.role === 'user' ? 'user' : m.role,
    timestamp: Date.parse(m.created_at ?? '') || 0,
    content: { role: m.role === 'user' ? 'user' : 'model', parts: [{ text: m.content }] },
    actions: createEventActions(),
  };
}

function upsert<T>(items: T[], item: T, same: (x: T) => boolean): T[] {
  const i = items.findIndex(same);
  if (i < 0) return [...items, item];
  const copy = [...items];
  copy[i] = item;
  return copy;
}
