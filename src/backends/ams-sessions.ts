import type { Event } from '@google/adk';
import { ConflictError } from '../clients/errors.js';
import type { AgentMemoryServerClient, AgentMemoryServerSchemas } from '../clients/agent-memory-server.js';
import { mapLimit, together } from '../codec/concurrency.js';
import { ENVELOPE_VERSION, dedupeEvents, eventFromJson, isUserAuthored, renderText, type EventJson } from '../codec/events.js';
import { encodeIdPart, namespaceKey, tupleId, type SessionScope } from '../codec/ids.js';
import { isRecord, toJson, type JsonValue } from '../codec/json.js';
import { splitState, type StateMap } from '../codec/state.js';
import { JournalStore, listAllSessionIds, type JournalDoc, type JournalKey } from './ams-journal.js';
import { unlessMissing } from './missing.js';
import type { CallOptions, SessionBackend, SessionListing, StoredSession } from './types.js';

type WorkingMemory = AgentMemoryServerSchemas['WorkingMemoryResponse'];
type Message = AgentMemoryServerSchemas['MemoryMessage'];

/** The head document of a session: written once at creation, never replaced afterwards. */
interface Head {
  v: number;
  kind: 'session';
  appName: string;
  userId: string;
  sessionId: string;
  createdAt: number;
  state: StateMap;
}

/** One writer's events of one session. */
interface EventsPayload {
  v: number;
  kind: 'events';
  events: JsonValue[];
}

/** One writer's app or user state entries; readers keep the newest write of each key. */
interface StatePayload {
  v: number;
  kind: 'state';
  entries: Record<string, { value: JsonValue; at: number; seq: number }>;
}

/**
 * Working-memory keys. Encoded id parts never contain `.` or `_`, so `<user>.<session>` head ids
 * are unambiguous and the user part can be recovered for listing. Journals live in namespaces of
 * their own, so listing an app's sessions never sees them.
 */
export const amsKeys = {
  head: (s: SessionScope) => ({
    session_id: `${encodeIdPart(s.userId)}.${encodeIdPart(s.sessionId)}`,
    user_id: encodeIdPart(s.userId),
    namespace: namespaceKey(s.namespace, s.appName),
  }),
  events: (s: SessionScope): JournalKey => ({ namespace: tupleId('j', 'session-events', [s.namespace, s.appName, s.userId, s.sessionId]), userId: encodeIdPart(s.userId) }),
  appState: (ns: string, app: string): JournalKey => ({ namespace: tupleId('j', 'app-state', [ns, app]), userId: null }),
  userState: (ns: string, app: string, user: string): JournalKey => ({ namespace: tupleId('j', 'user-state', [ns, app, user]), userId: encodeIdPart(user) }),
};

const READ_CONCURRENCY = 8;

const isEvents = (v: unknown): v is EventsPayload => isRecord(v) && v.kind === 'events' && Array.isArray(v.events);
const isState = (v: unknown): v is StatePayload => isRecord(v) && v.kind === 'state' && isRecord(v.entries);

/**
 * Sessions on Agent Memory Server. The server only replaces whole documents, so a session is
 * stored as a head document (identity and initial state, written once) plus one events journal
 * per writing service instance (see JournalStore). Appending replaces only the appending
 * instance's own journal, so concurrent writers in any number of processes never overwrite each
 * other; reading merges the journals by event time, keeping each writer's own order.
 */
export class AgentMemoryServerSessionBackend implements SessionBackend {
  private readonly journals: JournalStore;
  private seq = 0;

  constructor(private readonly client: AgentMemoryServerClient) {
    this.journals = new JournalStore(client);
  }

  async createSession(scope: SessionScope, state: StateMap, createdAt: number, o?: CallOptions): Promise<StoredSession> {
    const key = amsKeys.head(scope);
    if (await this.fetchHead(scope, o)) {
      throw new ConflictError(`Session with id ${scope.sessionId} already exists.`, { operation: 'createSession', status: 409, type: 'session-exists' });
    }
    const head: Head = { v: ENVELOPE_VERSION, kind: 'session', appName: scope.appName, userId: scope.userId, sessionId: scope.sessionId, createdAt, state };
    await this.client.putWorkingMemory(key.session_id, { messages: [], data: { adk: toJson(head, 'createSession', 'data.adk') }, user_id: key.user_id, namespace: key.namespace }, undefined, o);
    return { state: { ...state }, events: [], lastUpdateTime: createdAt };
  }

  async loadSession(scope: SessionScope, o?: CallOptions): Promise<StoredSession | undefined> {
    const [head, journals] = await together(
      o?.signal,
      (signal) => this.fetchHead(scope, { signal }),
      (signal) => this.journals.readAll(amsKeys.events(scope), isEvents, { signal }),
    );
    if (!head) return undefined;
    const events = dedupeEvents(mergeJournals(journals.map((j) => j.payloads.flatMap((p) => p.events).map((e) => eventFromJson(e, 'get_working_memory')))));
    const state: StateMap = { ...head.state };
    for (const e of events) Object.assign(state, splitState(e.actions?.stateDelta).session);
    return { state, events, lastUpdateTime: events.at(-1)?.timestamp ?? head.createdAt };
  }

  async listSessions(namespace: string, appName: string, userId: string | undefined, o?: CallOptions): Promise<SessionListing[]> {
    const ns = namespaceKey(namespace, appName);
    const ids = await listAllSessionIds(this.client, ns, userId === undefined ? undefined : encodeIdPart(userId), o);
    const heads = ids.filter((id) => /^[^._]+\.[^._]+$/.test(id));
    const listed = await mapLimit(heads, READ_CONCURRENCY, async (id) => {
      const doc = await this.get(id, { user_id: id.slice(0, id.indexOf('.')), namespace: ns }, o);
      const head = doc && headOf(doc);
      if (!head || head.appName !== appName) return undefined;
      const scope = { namespace, appName, userId: head.userId, sessionId: head.sessionId };
      const journals = await this.journals.readAll(amsKeys.events(scope), isEvents, o);
      const last = Math.max(...journals.flatMap((j) => j.payloads.flatMap((p) => p.events).map((e) => (isRecord(e) && typeof e.timestamp === 'number' ? e.timestamp : 0))));
      return { userId: head.userId, sessionId: head.sessionId, lastUpdateTime: Number.isFinite(last) ? last : head.createdAt };
    });
    return listed.filter((x): x is SessionListing => x !== undefined);
  }

  async deleteSession(scope: SessionScope, o?: CallOptions): Promise<void> {
    await this.journals.removeAll(amsKeys.events(scope), o);
    const { session_id, ...query } = amsKeys.head(scope);
    await this.client.deleteWorkingMemory(session_id, query, o);
  }

  async appendEvent(scope: SessionScope, event: Event, json: EventJson, o?: CallOptions): Promise<void> {
    await this.journals.update<EventsPayload>(
      amsKeys.events(scope),
      () => ({ v: ENVELOPE_VERSION, kind: 'events', events: [] }),
      (doc) => ({
        messages: upsert(doc.messages, toMessage(event), (m) => m.id === event.id),
        payload: { ...doc.payload, events: upsert(doc.payload.events, json, (e) => isRecord(e) && e.id === event.id) },
      }),
      o,
    );
  }

  readAppState(namespace: string, appName: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.appState(namespace, appName), o);
  }

  readUserState(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.userState(namespace, appName, userId), o);
  }

  updateAppState(namespace: string, appName: string, delta: StateMap, o?: CallOptions): Promise<void> {
    return this.writeState(amsKeys.appState(namespace, appName), delta, o);
  }

  updateUserState(namespace: string, appName: string, userId: string, delta: StateMap, o?: CallOptions): Promise<void> {
    return this.writeState(amsKeys.userState(namespace, appName, userId), delta, o);
  }

  private async readState(key: JournalKey, o?: CallOptions): Promise<StateMap> {
    const newest = new Map<string, { value: JsonValue; rank: [number, string, number] }>();
    for (const { writer, payloads } of await this.journals.readAll(key, isState, o)) {
      for (const [k, entry] of payloads.flatMap((p) => Object.entries(p.entries))) {
        const rank: [number, string, number] = [entry.at, writer, entry.seq];
        const seen = newest.get(k);
        if (!seen || compareRank(rank, seen.rank) > 0) newest.set(k, { value: entry.value, rank });
      }
    }
    return Object.fromEntries([...newest].map(([k, v]) => [k, v.value]));
  }

  private writeState(key: JournalKey, delta: StateMap, o?: CallOptions): Promise<void> {
    const at = Date.now();
    const entries = Object.fromEntries(Object.entries(toJson(delta, 'appendEvent', 'stateDelta') as Record<string, JsonValue>).map(([k, value]) => [k, { value, at, seq: ++this.seq }]));
    return this.journals.update<StatePayload>(
      key,
      () => ({ v: ENVELOPE_VERSION, kind: 'state', entries: {} }),
      (doc): JournalDoc<StatePayload> => ({ messages: doc.messages, payload: { ...doc.payload, entries: { ...doc.payload.entries, ...entries } } }),
      o,
    );
  }

  private async fetchHead(scope: SessionScope, o?: CallOptions): Promise<Head | undefined> {
    const { session_id, ...query } = amsKeys.head(scope);
    const doc = await this.get(session_id, query, o);
    return doc && headOf(doc);
  }

  private get(sessionId: string, query: Parameters<AgentMemoryServerClient['getWorkingMemory']>[1], o?: CallOptions): Promise<WorkingMemory | undefined> {
    return unlessMissing(this.client.getWorkingMemory(sessionId, query, o));
  }
}

function headOf(doc: WorkingMemory): Head | undefined {
  const adk = isRecord(doc.data) ? doc.data.adk : undefined;
  if (isRecord(adk) && adk.kind === 'session' && typeof adk.sessionId === 'string') return adk as unknown as Head;
  return undefined;
}

function compareRank(a: [number, string, number], b: [number, string, number]): number {
  return a[0] - b[0] || a[1].localeCompare(b[1]) || a[2] - b[2];
}

/**
 * Merges writers' event lists into one timeline: repeatedly takes the earliest next event among
 * the writers, so events interleave by time while each writer's own order is never changed.
 */
export function mergeJournals(lists: Event[][]): Event[] {
  const heads = lists.map(() => 0);
  const out: Event[] = [];
  for (;;) {
    let pick = -1;
    for (let i = 0; i < lists.length; i++) {
      const e = lists[i]![heads[i]!];
      if (e && (pick < 0 || e.timestamp < lists[pick]![heads[pick]!]!.timestamp)) pick = i;
    }
    if (pick < 0) return out;
    out.push(lists[pick]![heads[pick]!++]!);
  }
}

function toMessage(event: Event): Message {
  return { role: isUserAuthored(event) ? 'user' : 'assistant', content: renderText(event), id: event.id, created_at: new Date(event.timestamp).toISOString() };
}

function upsert<T>(items: T[], item: T, same: (x: T) => boolean): T[] {
  const i = items.findIndex(same);
  if (i < 0) return [...items, item];
  const copy = [...items];
  copy[i] = item;
  return copy;
}
