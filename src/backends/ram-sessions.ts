import { createHash, randomUUID } from 'node:crypto';
import type { Event } from '@google/adk';
import { ConflictError } from '../clients/errors.js';
import type { RedisAgentMemoryClient, RedisAgentMemorySchemas } from '../clients/redis-agent-memory.js';
import { remember } from '../codec/bounded.js';
import { withBackendSummary } from '../codec/compaction.js';
import { allToCompletion, mapLimit, together } from '../codec/concurrency.js';
import { ENVELOPE_VERSION, dedupeEvents, eventFromJson, isUserAuthored, renderText, textEvent, type EventJson } from '../codec/events.js';
import { readableId, scopeKey, tupleId, type SessionScope } from '../codec/ids.js';
import { assignOwn, isRecord, toJson, type JsonValue } from '../codec/json.js';
import { splitState, type StateMap } from '../codec/state.js';
import { stableByTime } from '../codec/timeline.js';
import { sessionNotFound, unlessMissing } from './missing.js';
import type { CallOptions, SessionBackend, SessionListing, SideWrite, StoredSession } from './types.js';

type SessionEvent = RedisAgentMemorySchemas['SessionEvent'];
type SessionMemory = RedisAgentMemorySchemas['GetSessionMemoryResponseContent'];

/**
 * Store ids of ADK scopes. Users, sessions and namespaces keep their ADK ids wherever they fit
 * the API's id rule, so `filterOwnerId=<user id>` and the store's own tools find them. Ids this
 * package derives for itself start with the reserved `x-` and a kind letter.
 */
export const ramIds = {
  owner: (userId: string) => readableId(userId),
  namespace: (namespace: string) => readableId(namespace),
  /** The session's id when no other scope holds it: the ADK session id itself where it fits. */
  session: (s: SessionScope) => readableId(s.sessionId),
  /** The session's id when its readable id belongs to another user or app of the same store. */
  scopedSession: (s: SessionScope) => tupleId('x-s', 'session', [s.namespace, s.appName, s.userId, s.sessionId]),
  appState: (ns: string, app: string) => tupleId('x-a', 'app-state', [ns, app]),
  userState: (ns: string, app: string, user: string) => tupleId('x-u', 'user-state', [ns, app, user]),
  users: (ns: string, app: string) => tupleId('x-r', 'users', [ns, app]),
  /**
   * Where the Python adk-redis (0.0.10) keeps the scope's session: the SHA-256 of its namespace
   * (sanitised: runs of other characters become `-`), user and session id. Read here so sessions
   * it wrote are found; undefined when the namespace sanitises to nothing.
   */
  pythonSession: (s: SessionScope) => {
    const ns = pythonIdentifier(s.namespace);
    return ns ? createHash('sha256').update(`${ns}\0${s.userId}\0${s.sessionId}`, 'utf8').digest('hex') : undefined;
  },
  /** Owner of the bookkeeping sessions, so that listing a user's sessions never shows them. */
  bookkeeper: 'x-adk',
};

/**
 * The `metadata.adk` envelope of each kind of record this adapter writes. Every record that can
 * change state restates the whole state it leaves behind (`state`), because the store summarises
 * and then deletes old records: whatever survives must be enough to rebuild the state.
 */
type Envelope =
  | {
      v: number;
      kind: 'session';
      namespace: string;
      namespaceId?: string;
      appName: string;
      userId: string;
      sessionId: string;
      createdAt: number;
      nonce: string;
      state: StateMap;
    }
  | { v: number; kind: 'event'; namespace: string; namespaceId?: string; appName: string; userId: string; sessionId: string; event: unknown; state: StateMap }
  | { v: number; kind: 'state'; delta: StateMap; state: StateMap }
  | { v: number; kind: 'users'; users: string[] };

type Owned = Extract<Envelope, { appName: string }>;

function envelope(e: SessionEvent): Partial<Envelope> & { kind?: string } {
  const md = e.metadata;
  return isRecord(md) && isRecord(md.adk) ? md.adk : {};
}

const isOwned = (env: Partial<Envelope>): env is Owned => (env.kind === 'session' || env.kind === 'event') && typeof (env as Owned).appName === 'string';

/** Where a scope's session is, and the id of a record of it this instance has seen. */
interface Resolved {
  id: string;
  probe?: string;
}

const LIST_PAGE = 1000;
const READ_CONCURRENCY = 100;
const RESOLVED_LIMIT = 10_000;

/**
 * Sessions on Redis Agent Memory. Each ADK session is one store session with the ADK ids: owner =
 * user, namespace = app (or `defaultNamespace`), session id = ADK session id; a SYSTEM marker opens
 * it, and each ADK event is one atomic append carrying the whole event and the session state after
 * it. `app:` and `user:` state live in bookkeeping sessions whose every record restates the state,
 * and a per-app users registry makes "all users' sessions" listable without scanning the store.
 * The store's summary comes back as an ADK CompactedEvent.
 */
export class RedisAgentMemorySessionBackend implements SessionBackend {
  /**
   * Which store session holds each scope this instance has seen (a session never changes owner),
   * with a record of it last seen there: what an append asks for to learn that the session exists.
   */
  private readonly resolved = new Map<string, Resolved>();
  private readonly place: Placement;

  /**
   * `namespaceId` places every session (and the bookkeeping beside them) in that namespace object
   * instead of the scope's `namespace` label; sessions of the label and of the object are never
   * taken for each other.
   */
  constructor(
    private readonly client: RedisAgentMemoryClient,
    namespaceId?: string,
  ) {
    this.place = placement(namespaceId);
  }

  /**
   * Opens the session with its marker, then reads it back: the store has no conditional create, so
   * the marker being the session's first record is what proves the session is new and this scope's.
   * Two round trips; a session id another scope holds costs two more (the marker moves to the
   * scope's own id), and an existing session rejects with ConflictError after its stray marker is removed.
   */
  async createSession(scope: SessionScope, state: StateMap, createdAt: number, o?: CallOptions): Promise<StoredSession> {
    scope = this.place.scope(scope);
    const marker: Envelope = {
      v: ENVELOPE_VERSION,
      kind: 'session',
      namespace: this.place.label(scope.namespace),
      ...this.place.envelope,
      appName: scope.appName,
      userId: scope.userId,
      sessionId: scope.sessionId,
      createdAt,
      nonce: randomUUID(),
      state,
    };
    const open = (id: string, signal?: AbortSignal) =>
      this.append(id, ramIds.owner(scope.userId), scope.namespace, 'SYSTEM', '[session created]', createdAt, marker, { signal });
    const exists = () =>
      new ConflictError(`Session with id ${scope.sessionId} already exists.`, { operation: 'createSession', status: 409, type: 'session-exists' });
    const readable = ramIds.session(scope);
    const python = this.pythonSession(scope);
    const [written, users, pythonSession] = await together(
      o?.signal,
      (signal) => open(readable, signal),
      (signal) => this.registeredUsers(scope.namespace, scope.appName, { signal }),
      // A session the Python adk-redis keeps for this scope is this scope's session too.
      (signal) => (python ? this.fetch(python, false, { signal }) : Promise.resolve(undefined)),
    );
    if (pythonSession && isPythonSessionOf(pythonSession, scope)) {
      await unlessMissing(this.client.deleteSessionEvent(readable, written.eventId, o));
      throw exists();
    }
    const register = (signal: AbortSignal) =>
      users.includes(scope.userId)
        ? Promise.resolve()
        : this.append(
            ramIds.users(this.place.key(scope.namespace), scope.appName),
            ramIds.bookkeeper,
            scope.namespace,
            'SYSTEM',
            `[user ${scope.userId}]`,
            createdAt,
            { v: ENVELOPE_VERSION, kind: 'users', users: [...users, scope.userId] },
            { signal },
          ).then(() => undefined);
    const [stored] = await together(o?.signal, (signal) => this.fetch(readable, false, { signal }), register);
    // Ours when the session's first record is this marker: compared by its nonce, since a replayed
    // append whose first response was lost stores the marker twice under two event ids.
    const first = stored?.events[0];
    if (first && isMarkerOf(first, marker.nonce)) {
      if (first.eventId !== written.eventId) await unlessMissing(this.client.deleteSessionEvent(readable, written.eventId, o));
      this.remember(scope, readable, first.eventId);
      return { state: { ...state }, events: [], lastUpdateTime: createdAt };
    }
    // The id was taken (by this scope, another client or another scope): take the marker back out.
    await unlessMissing(this.client.deleteSessionEvent(readable, written.eventId, o));
    if (stored && this.belongsTo(stored, scope)) throw exists();
    const scoped = ramIds.scopedSession(scope);
    if (await this.fetch(scoped, false, o)) throw exists();
    const opened = await open(scoped, o?.signal);
    this.remember(scope, scoped, opened.eventId);
    return { state: { ...state }, events: [], lastUpdateTime: createdAt };
  }

  async loadSession(scope: SessionScope, o?: CallOptions): Promise<StoredSession | undefined> {
    const memory = await this.resolve(this.place.scope(scope), true, o);
    return memory && storedSession(memory);
  }

  async listSessions(namespace: string, appName: string, userId: string | undefined, o?: CallOptions): Promise<SessionListing[]> {
    const users = userId !== undefined ? [userId] : await this.registeredUsers(namespace, appName, o);
    const perUser = await mapLimit(users, READ_CONCURRENCY, async (user) => (await this.ownedSessionIds(ramIds.owner(user), o)).map((id) => ({ user, id })));
    const listed = await mapLimit(perUser.flat(), READ_CONCURRENCY, async ({ user, id }): Promise<SessionListing | undefined> => {
      const memory = await this.fetch(id, false, o);
      if (!memory) return undefined;
      const owned = memory.events.map(envelope).find(isOwned);
      const pythonId = memory.events.map(pythonMetadata).find((md) => typeof md.adk_session_id === 'string')?.adk_session_id as string | undefined;
      const sessionId = owned?.sessionId ?? pythonId ?? memory.sessionId;
      const scope = this.place.scope({ namespace, appName, userId: user, sessionId });
      if (
        owned
          ? !this.place.owns(owned, scope)
          : pythonId !== undefined
            ? id !== this.pythonSession(scope) || !isPythonSessionOf(memory, scope)
            : !this.belongsTo(memory, scope) || id !== ramIds.session(scope)
      )
        return undefined;
      const last = memory.events.at(-1);
      const env = last ? envelope(last) : {};
      const ts =
        env.kind === 'event' && isRecord(env.event) && typeof env.event.timestamp === 'number' ? env.event.timestamp : last ? Date.parse(last.createdAt) : 0;
      return { userId: user, sessionId, lastUpdateTime: ts, state: storedSession(memory).state };
    });
    return listed.filter((x): x is SessionListing => x !== undefined);
  }

  async deleteSession(scope: SessionScope, o?: CallOptions): Promise<void> {
    scope = this.place.scope(scope);
    // A session never changes owner, so a known id needs no read first.
    const id = this.resolved.get(scopeKey(scope))?.id ?? (await this.resolve(scope, false, o))?.sessionId;
    if (id) await unlessMissing(this.client.deleteSessionMemory(id, o));
    this.resolved.delete(scopeKey(scope));
  }

  /**
   * Two round trips: the session is shown to exist, then the event is appended (with the app and
   * user state it changes). The store's AddSessionEvent creates a session that does not exist, and
   * has no conditional form, so an append without the first step would bring a deleted session
   * back. Where this instance knows a record of the session, the first step asks for that record
   * alone; otherwise it reads where the session may be.
   */
  async appendEvent(scope: SessionScope, event: Event, json: EventJson, sessionState: StateMap, alongside: SideWrite[], o?: CallOptions): Promise<void> {
    scope = this.place.scope(scope);
    const id = await this.existing(scope, o);
    // One atomic append, restating the session state so it survives the store's cleanup.
    const env: Envelope = {
      v: ENVELOPE_VERSION,
      kind: 'event',
      namespace: this.place.label(scope.namespace),
      ...this.place.envelope,
      appName: scope.appName,
      userId: scope.userId,
      sessionId: scope.sessionId,
      event: json,
      state: sessionState,
    };
    const actor = isUserAuthored(event) ? ramIds.owner(scope.userId) : readableId(event.author || 'agent');
    // In a session the Python adk-redis keeps, also what it reads of an event.
    const extra = id === this.pythonSession(scope) ? pythonMetadataFor(scope, event) : undefined;
    const [written] = await allToCompletion(
      o?.signal,
      (signal: AbortSignal) =>
        this.append(id, actor, scope.namespace, isUserAuthored(event) ? 'USER' : 'ASSISTANT', renderText(event), event.timestamp, env, { signal }, extra),
      ...alongside,
    );
    this.remember(scope, id, written.eventId);
  }

  /** The store session holding the scope, shown to exist right now; a missing one rejects with `sessionNotFound`. */
  private async existing(scope: SessionScope, o?: CallOptions): Promise<string> {
    const known = this.resolved.get(scopeKey(scope));
    // The record this instance last saw: gone when the session was deleted, or summarised and cleaned up.
    if (known?.probe !== undefined && (await unlessMissing(this.client.getSessionEvent(known.id, known.probe, o)))) return known.id;
    const memory = await this.resolve(scope, false, o);
    if (memory) return memory.sessionId;
    this.resolved.delete(scopeKey(scope));
    throw sessionNotFound(scope.sessionId);
  }

  readAppState(namespace: string, appName: string, o?: CallOptions): Promise<StateMap> {
    return this.readStateLog(ramIds.appState(this.place.key(namespace), appName), o);
  }

  readUserState(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<StateMap> {
    return this.readStateLog(ramIds.userState(this.place.key(namespace), appName, userId), o);
  }

  async updateAppState(namespace: string, appName: string, delta: StateMap, after: StateMap, o?: CallOptions): Promise<void> {
    await this.append(
      ramIds.appState(this.place.key(namespace), appName),
      ramIds.bookkeeper,
      namespace,
      'SYSTEM',
      '[app state update]',
      Date.now(),
      { v: ENVELOPE_VERSION, kind: 'state', delta, state: after },
      o,
    );
  }

  async updateUserState(namespace: string, appName: string, userId: string, delta: StateMap, after: StateMap, o?: CallOptions): Promise<void> {
    await this.append(
      ramIds.userState(this.place.key(namespace), appName, userId),
      ramIds.bookkeeper,
      namespace,
      'SYSTEM',
      '[user state update]',
      Date.now(),
      { v: ENVELOPE_VERSION, kind: 'state', delta, state: after },
      o,
    );
  }

  async forgetUser(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<void> {
    await unlessMissing(this.client.deleteSessionMemory(ramIds.userState(this.place.key(namespace), appName, userId), o));
    const id = ramIds.users(this.place.key(namespace), appName);
    const registry = await this.fetch(id, true, o);
    if (!registry) return;
    const naming = registry.events.filter((e) => usersIn({ events: [e] }).includes(userId));
    const summarised = registry.summary?.text.includes(userId) ?? false;
    if (!naming.length && !summarised) return;
    const remaining = usersIn(registry).filter((u) => u !== userId);
    // The store's summary may name the user and cannot be edited: the registry starts again without them.
    if (summarised) await unlessMissing(this.client.deleteSessionMemory(id, o));
    // The others are restated before the records naming the user go, so no reader misses them.
    if (remaining.length || summarised) {
      await this.append(id, ramIds.bookkeeper, namespace, 'SYSTEM', '[users]', Date.now(), { v: ENVELOPE_VERSION, kind: 'users', users: remaining }, o);
    }
    if (!summarised) for (const e of naming) await unlessMissing(this.client.deleteSessionEvent(id, e.eventId, o));
  }

  /** The store sessions the scope may live in, read together: its readable id, its scoped id, and where the Python adk-redis keeps it. */
  private candidates(scope: SessionScope, includeSummarised: boolean, o?: CallOptions) {
    const python = this.pythonSession(scope);
    return together(
      o?.signal,
      (signal) => this.fetch(ramIds.session(scope), includeSummarised, { signal }),
      (signal) => this.fetch(ramIds.scopedSession(scope), includeSummarised, { signal }),
      (signal) => (python ? this.fetch(python, includeSummarised, { signal }) : Promise.resolve(undefined)),
    );
  }

  /** The store session holding the scope: the readable id when it is this scope's, else the scoped one. */
  private async resolve(scope: SessionScope, includeSummarised: boolean, o?: CallOptions): Promise<SessionMemory | undefined> {
    const known = this.resolved.get(scopeKey(scope));
    let memory = known && (await this.fetch(known.id, includeSummarised, o));
    if (!memory) {
      const [readable, scoped, python] = await this.candidates(scope, includeSummarised, o);
      memory = scoped ?? (readable && this.belongsTo(readable, scope) ? readable : python && isPythonSessionOf(python, scope) ? python : undefined);
    }
    if (memory) this.remember(scope, memory.sessionId, memory.events.at(-1)?.eventId);
    return memory;
  }

  private remember(scope: SessionScope, id: string, probe: string | undefined): void {
    remember(this.resolved, scopeKey(scope), probe === undefined ? { id } : { id, probe }, RESOLVED_LIMIT);
  }

  private async append(
    sessionId: string,
    actorId: string,
    namespace: string,
    role: SessionEvent['role'],
    text: string,
    createdAtMs: number,
    env: Envelope,
    o?: CallOptions,
    extraMetadata?: Record<string, JsonValue>,
  ): Promise<SessionEvent> {
    const { event } = await this.client.addSessionEvent(
      {
        sessionId,
        actorId,
        ...this.place.wire(namespace),
        role,
        content: [{ text }],
        createdAt: new Date(createdAtMs).toISOString(),
        metadata: { ...extraMetadata, adk: toJson(env, 'appendEvent', 'metadata') },
      },
      // Replays are harmless: readers de-duplicate by ADK event id and state records restate the state.
      { signal: o?.signal, allowReplay: true },
    );
    return event;
  }

  private fetch(id: string, includeSummarisedEvents: boolean, o?: CallOptions): Promise<SessionMemory | undefined> {
    return unlessMissing(this.client.getSessionMemory(id, includeSummarisedEvents ? { includeSummarisedEvents } : undefined, o));
  }

  /** A state log folded: the first surviving record's whole state, then each later record's changes. */
  private async readStateLog(id: string, o?: CallOptions): Promise<StateMap> {
    const memory = await this.fetch(id, true, o);
    let state: StateMap | undefined;
    for (const record of memory?.events ?? []) {
      const env = envelope(record);
      if (env.kind !== 'state') continue;
      if (state === undefined) state = isRecord(env.state) ? { ...env.state } : {};
      else if (isRecord(env.delta)) assignOwn(state, env.delta);
    }
    return state ?? {};
  }

  /** Users with sessions in the app: the union of every surviving registry record. */
  private async registeredUsers(namespace: string, appName: string, o?: CallOptions): Promise<string[]> {
    return usersIn(await this.fetch(ramIds.users(this.place.key(namespace), appName), true, o));
  }

  /** Whether a store session is this scope's (see `belongsTo`), in this instance's placement. */
  private belongsTo(memory: SessionMemory, scope: SessionScope): boolean {
    return belongsTo(memory, scope, this.place);
  }

  /** Where the Python adk-redis keeps the scope's session; it has no namespace objects, so none there. */
  private pythonSession(scope: SessionScope): string | undefined {
    return this.place.namespaceId === undefined ? ramIds.pythonSession(scope) : undefined;
  }

  private async ownedSessionIds(ownerId: string, o?: CallOptions): Promise<string[]> {
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.listSessions({ filterOwnerId: ownerId, limit: LIST_PAGE, ...(pageToken ? { pageToken } : {}) }, o);
      ids.push(...page.items);
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    return ids;
  }
}

/** Users with sessions in the app, as a registry's surviving records list them (their union). */
function usersIn(registry: { events: SessionEvent[] } | undefined): string[] {
  const users = new Set<string>();
  for (const record of registry?.events ?? []) {
    const env = envelope(record);
    if (env.kind === 'users' && Array.isArray(env.users)) for (const u of env.users) if (typeof u === 'string') users.add(u);
  }
  return [...users];
}

/**
 * Whether a store session is this ADK scope's: its first ADK record names the scope, or, for a
 * session another client wrote, its owner and namespace are the scope's.
 */
function belongsTo(memory: SessionMemory, scope: SessionScope, place: Placement): boolean {
  const owned = memory.events.map(envelope).find(isOwned);
  if (owned) return place.owns(owned, scope);
  if (memory.ownerId === ramIds.bookkeeper) return false;
  return memory.ownerId === ramIds.owner(scope.userId) && place.holds(memory, scope.namespace);
}

/**
 * Where this instance puts what it writes: the scope's `namespace` label, or a namespace object
 * (`namespaceRef`, Redis Agent Memory SDK 0.4.1). The two never mix: the label is not sent with a
 * reference, a session placed by reference is not the label's (it comes back without `namespace`),
 * and every id this package derives for itself is derived apart for each namespace object.
 */
interface Placement {
  readonly namespaceId: string | undefined;
  /** The scope as this instance keys it: the label, joined to the namespace object when there is one. */
  scope(scope: SessionScope): SessionScope;
  /** The label's key for derived ids (app and user state, the users registry); a key is kept as it is. */
  key(namespace: string): string;
  /** The label a key stands for. */
  label(namespace: string): string;
  /** What an ADK record's envelope says of its placement. */
  readonly envelope: { namespaceId?: string };
  /** The placement fields of an append. */
  wire(namespace: string): { namespace: string } | { namespaceRef: { namespaceId: string } };
  /** Whether an ADK record names this scope, in this placement. */
  owns(owned: Owned, scope: SessionScope): boolean;
  /** Whether a session another client wrote is placed where this instance reads. */
  holds(memory: { namespace?: string | undefined; namespaceRef?: { namespaceId: string } | undefined }, namespace: string): boolean;
}

/** Joins the label and the namespace object in derived keys; no ADK id contains this separator pair. */
const PLACEMENT_SEPARATOR = '\u0000ref:';

export function placement(namespaceId: string | undefined): Placement {
  const suffix = `${PLACEMENT_SEPARATOR}${namespaceId}`;
  const key = (namespace: string) => (namespaceId === undefined || namespace.endsWith(suffix) ? namespace : `${namespace}${suffix}`);
  const label = (namespace: string) => (namespaceId !== undefined && namespace.endsWith(suffix) ? namespace.slice(0, -suffix.length) : namespace);
  return {
    namespaceId,
    scope: (s) => ({ ...s, namespace: key(s.namespace) }),
    key,
    label,
    envelope: namespaceId === undefined ? {} : { namespaceId },
    wire: (namespace) => (namespaceId === undefined ? { namespace: ramIds.namespace(namespace) } : { namespaceRef: { namespaceId } }),
    owns: (owned, s) => owned.namespaceId === namespaceId && sameScope(owned, { ...s, namespace: label(s.namespace) }),
    holds: (memory, namespace) =>
      namespaceId === undefined
        ? memory.namespaceRef === undefined && (memory.namespace === undefined || memory.namespace === ramIds.namespace(namespace))
        : memory.namespaceRef?.namespaceId === namespaceId && memory.namespace === undefined,
  };
}

function isMarkerOf(record: SessionEvent, nonce: string): boolean {
  const env = envelope(record);
  return env.kind === 'session' && env.nonce === nonce;
}

function sameScope(owned: Owned, scope: SessionScope): boolean {
  return owned.namespace === scope.namespace && owned.appName === scope.appName && owned.userId === scope.userId && owned.sessionId === scope.sessionId;
}

/**
 * An event some other client put in the session: kept, as a text-only ADK event, with the ADK id
 * and author the Python adk-redis records beside it when it wrote it.
 */
function foreignEvent(record: SessionEvent): Event {
  const md = pythonMetadata(record);
  const author = typeof md.adk_author === 'string' && md.adk_author ? md.adk_author : record.actorId;
  const id = typeof md.adk_event_id === 'string' && md.adk_event_id ? md.adk_event_id : record.eventId;
  return textEvent({
    id,
    fromUser: record.role === 'USER',
    author,
    timestamp: Date.parse(record.createdAt),
    text: record.content.map((c) => c.text).join('\n'),
  });
}

/** The Python adk-redis's `sanitize_managed_identifier`: runs of characters outside `[A-Za-z0-9-]` become `-`, then outer `-` go. */
export function pythonIdentifier(value: string): string {
  return value
    .trim()
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The metadata the Python adk-redis keeps on each event it writes (and reads back). */
interface PythonMetadata {
  namespace?: unknown;
  user_id?: unknown;
  adk_session_id?: unknown;
  adk_event_id?: unknown;
  adk_author?: unknown;
  state_delta?: unknown;
}

function pythonMetadata(record: SessionEvent): PythonMetadata {
  return isRecord(record.metadata) ? record.metadata : {};
}

/** Whether a store session is the scope's session as the Python adk-redis writes it (its events name the scope). */
function isPythonSessionOf(memory: SessionMemory, scope: SessionScope): boolean {
  return memory.events.some((e) => {
    const md = pythonMetadata(e);
    return md.adk_session_id === scope.sessionId && md.user_id === scope.userId && md.namespace === pythonIdentifier(scope.namespace);
  });
}

/** What the Python adk-redis writes beside each event, so it reads events this package adds to its sessions as its own. */
function pythonMetadataFor(scope: SessionScope, event: Event): Record<string, JsonValue> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an event from a JavaScript caller may come without actions
  const delta = event.actions?.stateDelta;
  return {
    source: 'adk-redis',
    namespace: pythonIdentifier(scope.namespace),
    app_name: scope.appName,
    user_id: scope.userId,
    adk_session_id: scope.sessionId,
    adk_event_id: event.id,
    ...(event.author !== undefined ? { adk_author: event.author } : {}),
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see above
    ...(delta && Object.keys(delta).length ? { state_delta: toJson(delta, 'appendEvent', 'stateDelta') } : {}),
  };
}

/** The ADK session a stored session memory holds: events, state, the store's summary as a CompactedEvent. */
function storedSession(memory: SessionMemory): StoredSession {
  const events: Event[] = [];
  let state: StateMap | undefined;
  let createdAt: number | undefined;
  let sawMarker = false;
  const boundary = memory.summary ? memory.events.findIndex((r) => r.eventId === memory.summary!.summarizedUpToEventId) : -1;
  let firstRetained = 0;
  memory.events.forEach((record, i) => {
    const env = envelope(record);
    if (env.kind === 'session' && !sawMarker) {
      sawMarker = true;
      createdAt = env.createdAt;
      state ??= { ...(env.state ?? {}) };
    } else if (env.kind === 'event') {
      const event = eventFromJson(env.event, 'GetSessionMemory');
      events.push(event);
      // The first surviving record restates the state; later ones add their own changes.
      if (state === undefined) state = isRecord(env.state) ? { ...env.state } : {};
      else assignOwn(state, splitState(event.actions.stateDelta).session);
    } else if (env.kind === undefined) {
      events.push(foreignEvent(record));
      // The Python adk-redis keeps each event's state changes beside it.
      const delta = pythonMetadata(record).state_delta;
      if (isRecord(delta)) state = { ...(state ?? {}), ...splitState(delta).session };
    }
    if (i === boundary) firstRetained = events.length;
  });
  const appended = dedupeEvents(events);
  firstRetained = Math.min(firstRetained, appended.length);
  // The store keeps records in the order they were appended; ADK's database service returns events
  // by time (ties in append order here). The summarised and the retained events are ordered apart,
  // so the summary stays where the store's boundary puts it.
  const unique = [...stableByTime(appended.slice(0, firstRetained)), ...stableByTime(appended.slice(firstRetained))];
  const summary = memory.summary?.text.trim() ? memory.summary : undefined;
  const timeline = summary ? withBackendSummary(unique, { text: summary.text, firstRetained, startHint: createdAt }) : unique;
  // As in ADK: the time of the last appended event, or of creation for an empty session.
  return { state: state ?? {}, events: timeline, lastUpdateTime: appended.at(-1)?.timestamp ?? createdAt ?? 0 };
}
