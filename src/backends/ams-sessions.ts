import type { Event } from '@google/adk';
import { ConflictError } from '../clients/errors.js';
import type { AgentMemoryServerClient } from '../clients/agent-memory-server.js';
import { withBackendSummary } from '../codec/compaction.js';
import { mapLimit, together } from '../codec/concurrency.js';
import { ENVELOPE_VERSION, dedupeEvents, eventFromJson, textEvent, type EventJson } from '../codec/events.js';
import { amsSessionId, amsTagValue, fromAmsSessionId, tupleId, type SessionScope } from '../codec/ids.js';
import { isRecord, toJson, type JsonValue } from '../codec/json.js';
import { splitState, type StateMap } from '../codec/state.js';
import { JournalStore, READ_CONCURRENCY, listAllSessionIds, type JournalKey } from './ams-journal.js';
import { NativeViews, nativeKey, toMessage, type Message, type ViewMarker, type ViewOptions, type WorkingMemory } from './ams-view.js';
import { unlessMissing } from './missing.js';
import type { CallOptions, SessionBackend, SessionListing, StoredSession } from './types.js';

/** The head document of a session: identity and initial state, written once at creation. */
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
 * Where each part of a session lives. The native document uses the ADK ids as they are; the
 * journals live in namespaces of their own (one per session, app or user), hashed from the scope,
 * so listing an app's sessions never sees them and they never collide.
 */
export const amsKeys = {
  native: nativeKey,
  journal: (s: SessionScope): JournalKey => ({ namespace: tupleId('adk-j', 'session-journal', [s.namespace, s.userId, s.sessionId]) }),
  appState: (ns: string, app: string): JournalKey => ({ namespace: tupleId('adk-a', 'app-state', [ns, app]) }),
  userState: (ns: string, app: string, user: string): JournalKey => ({ namespace: tupleId('adk-u', 'user-state', [ns, app, user]) }),
  /** One document per user who has a session in the namespace, for listing every user's sessions. */
  users: (ns: string): JournalKey => ({ namespace: tupleId('adk-r', 'users', [ns]) }),
};

const HEAD_ID = 'head';

const isEvents = (v: unknown): v is EventsPayload => isRecord(v) && v.kind === 'events' && Array.isArray(v.events);
const isState = (v: unknown): v is StatePayload => isRecord(v) && v.kind === 'state' && isRecord(v.entries);
const isHead = (v: unknown): v is Head => isRecord(v) && v.kind === 'session' && typeof v.appName === 'string' && isRecord(v.state);

function markerOf(doc: WorkingMemory | undefined): Partial<ViewMarker> {
  const adk = doc && isRecord(doc.data) ? doc.data.adk : undefined;
  return isRecord(adk) ? (adk as Partial<ViewMarker>) : {};
}

/**
 * Sessions on Agent Memory Server, in the server's own layout: the ADK session is the working
 * memory keyed by session id, namespace and user id, its messages the conversation, so other
 * clients, extraction, summarisation and the memory prompt all see it. That document is a view:
 * the server trims it and writes back stale copies of it, and any client may replace it. The ADK
 * events themselves live in journal documents (one per writing instance, no messages) that only
 * their writer ever replaces; reads merge the journals, the view's messages other clients wrote,
 * and the server's summary.
 */
export class AgentMemoryServerSessionBackend implements SessionBackend {
  private readonly journals: JournalStore;
  private readonly views: NativeViews;
  private seq = 0;
  /** Users this instance has registered in a namespace, so the registry is written once per user. */
  private readonly registered = new Set<string>();

  constructor(
    private readonly client: AgentMemoryServerClient,
    viewOptions: ViewOptions = {},
  ) {
    this.journals = new JournalStore(client);
    this.views = new NativeViews(client, viewOptions);
  }

  async createSession(scope: SessionScope, state: StateMap, createdAt: number, o?: CallOptions): Promise<StoredSession> {
    const [native, head] = await together(
      o?.signal,
      (signal) => this.views.read(scope, { signal }),
      (signal) => this.journals.fetch(amsKeys.journal(scope), HEAD_ID, { signal }),
    );
    if (native || head !== undefined) {
      throw new ConflictError(`Session with id ${scope.sessionId} already exists.`, { operation: 'createSession', status: 409, type: 'session-exists' });
    }
    const headDoc: Head = { v: ENVELOPE_VERSION, kind: 'session', appName: scope.appName, userId: scope.userId, sessionId: scope.sessionId, createdAt, state };
    await together(
      o?.signal,
      (signal) => this.journals.putShared(amsKeys.journal(scope), HEAD_ID, headDoc, { signal }),
      (signal) => this.views.create(scope, { v: ENVELOPE_VERSION, appName: scope.appName, lastUpdateTime: createdAt }, { signal }),
      (signal) => this.register(scope, { signal }),
    );
    return { state: { ...state }, events: [], lastUpdateTime: createdAt };
  }

  async loadSession(scope: SessionScope, o?: CallOptions): Promise<StoredSession | undefined> {
    const [native, head, journals] = await together(
      o?.signal,
      (signal) => this.views.read(scope, { signal }),
      (signal) => this.journals.fetch(amsKeys.journal(scope), HEAD_ID, { signal }),
      (signal) => this.journals.readAll(amsKeys.journal(scope), isEvents, { signal }),
    );
    const owner = isHead(head) ? head.appName : markerOf(native).appName;
    if ((!native && !isHead(head)) || (owner !== undefined && owner !== scope.appName)) return undefined;

    const own = dedupeEvents(mergeByTime(journals.map((j) => j.payloads.flatMap((p) => p.events).map((e) => eventFromJson(e, 'get_working_memory')))));
    const ownIds = new Set(own.map((e) => e.id));
    const nativeMessages = native?.messages ?? [];
    // Messages other clients put in the conversation become text events of their own.
    const foreign = nativeMessages.filter((m) => m.id === undefined || !ownIds.has(m.id)).map((m) => foreignEvent(m, scope.appName));
    const timeline = mergeByTime([own, foreign]);

    const retained = new Set(nativeMessages.map((m) => m.id));
    const summarised = native?.context?.trim() ? native.context : undefined;
    const firstRetained = summarised ? indexOrEnd(timeline.findIndex((e) => retained.has(e.id)), timeline.length) : 0;
    this.views.remember(scope, native, viewMessages(timeline.slice(firstRetained), nativeMessages));

    const state: StateMap = { ...(isHead(head) ? head.state : {}) };
    for (const e of own) Object.assign(state, splitState(e.actions?.stateDelta).session);
    const createdAt = isHead(head) ? head.createdAt : Date.parse(native?.created_at ?? '') || 0;
    const events = summarised ? withBackendSummary(timeline, { text: summarised, firstRetained, startHint: createdAt }) : timeline;
    return { state, events, lastUpdateTime: timeline.at(-1)?.timestamp ?? createdAt };
  }

  async listSessions(namespace: string, appName: string, userId: string | undefined, o?: CallOptions): Promise<SessionListing[]> {
    const users = userId !== undefined ? [userId] : await this.registeredUsers(namespace, o);
    // The server's TAG filter also yields other users' sessions (ASCII case): each read checks whose it is.
    const perUser = await mapLimit(users, READ_CONCURRENCY, async (user) =>
      [...new Set(await listAllSessionIds(this.client, amsTagValue(namespace), amsTagValue(user), o))].map((stored) => ({ user, sessionId: fromAmsSessionId(stored) })),
    );
    const listed = await mapLimit(perUser.flat(), READ_CONCURRENCY, async ({ user, sessionId }): Promise<SessionListing | undefined> => {
      const doc = await this.views.read({ namespace, appName, userId: user, sessionId }, o);
      const marker = markerOf(doc);
      if (!doc || (marker.appName !== undefined && marker.appName !== appName)) return undefined;
      const lastMessage = Date.parse(doc.messages?.at(-1)?.created_at ?? '');
      const lastUpdateTime = marker.lastUpdateTime ?? (Number.isFinite(lastMessage) ? lastMessage : Date.parse(doc.created_at ?? '') || 0);
      return { userId: user, sessionId, lastUpdateTime };
    });
    return listed.filter((x): x is SessionListing => x !== undefined);
  }

  async deleteSession(scope: SessionScope, o?: CallOptions): Promise<void> {
    const { session_id, ...query } = amsKeys.native(scope);
    await together(
      o?.signal,
      (signal) => this.journals.removeAll(amsKeys.journal(scope), { signal }),
      // A DELETE of a key that does not exist makes the server look it up by TAG, which can find
      // another user's document (ASCII case) and delete that: delete only what is this session.
      async (signal) => {
        if (await this.views.read(scope, { signal })) await this.client.deleteWorkingMemory(session_id, query, { signal });
      },
    );
    this.views.forget(scope);
  }

  async appendEvent(scope: SessionScope, event: Event, json: EventJson, _sessionState: StateMap, o?: CallOptions): Promise<void> {
    const marker: ViewMarker = { v: ENVELOPE_VERSION, appName: scope.appName, lastUpdateTime: event.timestamp };
    // The journal and the view are independent documents: written together. Session state travels in the events.
    await together(
      o?.signal,
      (signal) =>
        this.journals.update<EventsPayload>(
          amsKeys.journal(scope),
          () => ({ v: ENVELOPE_VERSION, kind: 'events', events: [] }),
          (p) => ({ ...p, events: upsert(p.events, json, (e) => isRecord(e) && e.id === event.id) }),
          (p) => p.events.length,
          { signal },
        ),
      (signal) => this.views.append(scope, event, marker, { signal }),
    );
  }

  readAppState(namespace: string, appName: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.appState(namespace, appName), o);
  }

  readUserState(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.userState(namespace, appName, userId), o);
  }

  updateAppState(namespace: string, appName: string, delta: StateMap, _after: StateMap, o?: CallOptions): Promise<void> {
    return this.writeState(amsKeys.appState(namespace, appName), delta, o);
  }

  updateUserState(namespace: string, appName: string, userId: string, delta: StateMap, _after: StateMap, o?: CallOptions): Promise<void> {
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
      (p) => ({ ...p, entries: { ...p.entries, ...entries } }),
      () => 0,
      o,
    );
  }

  /** Records that the user has sessions in the namespace: the same document from every writer. */
  private async register(scope: SessionScope, o: CallOptions): Promise<void> {
    const key = JSON.stringify([scope.namespace, scope.userId]);
    if (this.registered.has(key)) return;
    await this.journals.putShared(amsKeys.users(scope.namespace), amsSessionId(scope.userId), { v: ENVELOPE_VERSION, kind: 'user', userId: scope.userId }, o);
    this.registered.add(key);
  }

  private async registeredUsers(namespace: string, o?: CallOptions): Promise<string[]> {
    return (await listAllSessionIds(this.client, amsKeys.users(namespace).namespace, undefined, o)).map(fromAmsSessionId);
  }
}

function indexOrEnd(i: number, end: number): number {
  return i < 0 ? end : i;
}

function compareRank(a: [number, string, number], b: [number, string, number]): number {
  return a[0] - b[0] || a[1].localeCompare(b[1]) || a[2] - b[2];
}

/**
 * Merges event lists into one timeline: repeatedly takes the earliest next event among the lists,
 * so events interleave by time while each list's own order is never changed.
 */
export function mergeByTime(lists: Event[][]): Event[] {
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

/**
 * The messages the native document should hold for these (retained) events: the stored message
 * where there is one, so the server's extraction marks survive, else the event's own message.
 */
function viewMessages(events: Event[], stored: Message[]): Message[] {
  const byId = new Map(stored.map((m) => [m.id, m]));
  const out: Message[] = [];
  for (const e of events) {
    const message = byId.get(e.id) ?? toMessage(e);
    if (message) out.push(message);
  }
  return out;
}

/** A message another client wrote: author `user` for the user, otherwise the app's agent. */
function foreignEvent(m: Message, appName: string): Event {
  const at = Date.parse(m.created_at ?? '');
  return textEvent({ id: m.id ?? '', fromUser: m.role === 'user', author: appName, timestamp: Number.isFinite(at) ? at : 0, text: m.content });
}

function upsert<T>(items: T[], item: T, same: (x: T) => boolean): T[] {
  const i = items.findIndex(same);
  if (i < 0) return [...items, item];
  const copy = [...items];
  copy[i] = item;
  return copy;
}
