import { createEventActions, type Event } from '@google/adk';
import { ConflictError } from '../clients/errors.js';
import type { RedisAgentMemoryClient, RedisAgentMemorySchemas } from '../clients/redis-agent-memory.js';
import { mapLimit, together } from '../codec/concurrency.js';
import { ENVELOPE_VERSION, dedupeEvents, eventFromJson, isUserAuthored, renderText, type EventJson } from '../codec/events.js';
import { namespaceKey, tupleId, type SessionScope } from '../codec/ids.js';
import { isRecord, toJson } from '../codec/json.js';
import { splitState, type StateMap } from '../codec/state.js';
import { unlessMissing } from './missing.js';
import type { CallOptions, SessionBackend, SessionListing, StoredSession } from './types.js';

type SessionEvent = RedisAgentMemorySchemas['SessionEvent'];

/** Backend ids derived from ADK scopes; every kind has its own prefix and hash domain. */
export const ramIds = {
  session: (s: SessionScope) => tupleId('s', 'session', [s.namespace, s.appName, s.userId, s.sessionId]),
  owner: (ns: string, app: string, user: string) => tupleId('u', 'owner', [ns, app, user]),
  appState: (ns: string, app: string) => tupleId('a', 'app-state', [ns, app]),
  appStateOwner: (ns: string, app: string) => tupleId('a', 'app-state-owner', [ns, app]),
  userState: (ns: string, app: string, user: string) => tupleId('v', 'user-state', [ns, app, user]),
  userStateOwner: (ns: string, app: string, user: string) => tupleId('v', 'user-state-owner', [ns, app, user]),
  registry: (ns: string, app: string) => tupleId('r', 'registry', [ns, app]),
  registryOwner: (ns: string, app: string) => tupleId('r', 'registry-owner', [ns, app]),
};

/** The `metadata.adk` envelope of each kind of record this adapter writes. */
type Envelope =
  | { v: number; kind: 'session'; appName: string; userId: string; sessionId: string; state: StateMap; createdAt: number }
  | { v: number; kind: 'event'; appName: string; userId: string; sessionId: string; event: unknown }
  | { v: number; kind: 'state'; delta: StateMap }
  | { v: number; kind: 'registry'; op: 'created' | 'deleted'; userId: string; sessionId: string };

function envelope(e: SessionEvent): Partial<Envelope> & { kind?: string } {
  const md = e.metadata;
  return isRecord(md) && isRecord(md.adk) ? (md.adk as Partial<Envelope>) : {};
}

const LIST_PAGE = 1000;
const READ_CONCURRENCY = 8;

/**
 * Sessions on Redis Agent Memory. Each ADK session is one RAM session whose first record (a
 * SYSTEM marker) carries the initial state; each ADK event is one atomic append carrying the whole
 * event in metadata. `app:` and `user:` state live in their own append-only state sessions, and a
 * per-app registry session makes "all users' sessions" listable without scanning the store.
 */
export class RedisAgentMemorySessionBackend implements SessionBackend {
  constructor(private readonly client: RedisAgentMemoryClient) {}

  async createSession(scope: SessionScope, state: StateMap, createdAt: number, o?: CallOptions): Promise<StoredSession> {
    const id = ramIds.session(scope);
    if (await this.fetchSession(id, o)) {
      throw new ConflictError(`Session with id ${scope.sessionId} already exists.`, { operation: 'createSession', status: 409, type: 'session-exists' });
    }
    const marker: Envelope = { v: ENVELOPE_VERSION, kind: 'session', appName: scope.appName, userId: scope.userId, sessionId: scope.sessionId, state, createdAt };
    // Independent appends to two sessions: written together; the call fails if either fails.
    await together(
      o?.signal,
      (signal) => this.append(id, this.ownerOf(scope), scope, 'SYSTEM', '[session created]', createdAt, marker, { signal }),
      (signal) =>
        this.append(
        ramIds.registry(scope.namespace, scope.appName),
        ramIds.registryOwner(scope.namespace, scope.appName),
        scope,
        'SYSTEM',
        `[session ${scope.sessionId} of ${scope.userId} created]`,
        createdAt,
          { v: ENVELOPE_VERSION, kind: 'registry', op: 'created', userId: scope.userId, sessionId: scope.sessionId },
          { signal },
        ),
    );
    return { state: { ...state }, events: [], lastUpdateTime: createdAt };
  }

  async loadSession(scope: SessionScope, o?: CallOptions): Promise<StoredSession | undefined> {
    const memory = await this.fetchSession(ramIds.session(scope), o);
    if (!memory) return undefined;
    let state: StateMap = {};
    let createdAt = 0;
    const events: Event[] = [];
    for (const record of memory.events) {
      const env = envelope(record);
      if (env.kind === 'session') {
        state = { ...(env.state ?? {}), ...state };
        createdAt = env.createdAt ?? 0;
      } else {
        const event = env.kind === 'event' ? eventFromJson(env.event, 'GetSessionMemory') : foreignEvent(record);
        events.push(event);
      }
    }
    const unique = dedupeEvents(events);
    for (const e of unique) Object.assign(state, splitState(e.actions?.stateDelta).session);
    // As in ADK: the time of the last appended event, or of creation for an empty session.
    const lastUpdateTime = unique.at(-1)?.timestamp ?? createdAt;
    return { state, events: unique, lastUpdateTime };
  }

  async listSessions(namespace: string, appName: string, userId: string | undefined, o?: CallOptions): Promise<SessionListing[]> {
    const candidates =
      userId === undefined
        ? await this.registeredSessions(namespace, appName, o)
        : (await this.ownedSessionIds(ramIds.owner(namespace, appName, userId), o)).map((id) => ({ id }));
    const listed = await mapLimit(candidates, READ_CONCURRENCY, async (c) => {
      const memory = await this.fetchSession(c.id, o);
      if (!memory) return undefined;
      const marker = memory.events.map(envelope).find((e) => e.kind === 'session') as Extract<Envelope, { kind: 'session' }> | undefined;
      if (!marker || marker.appName !== appName) return undefined;
      const last = [...memory.events].reverse().find((e) => envelope(e).kind === 'event');
      const lastEvent = last ? envelope(last) : undefined;
      const ts = lastEvent && lastEvent.kind === 'event' && isRecord(lastEvent.event) && typeof lastEvent.event.timestamp === 'number' ? lastEvent.event.timestamp : marker.createdAt;
      return { userId: marker.userId, sessionId: marker.sessionId, lastUpdateTime: ts };
    });
    return listed.filter((x): x is SessionListing => x !== undefined);
  }

  async deleteSession(scope: SessionScope, o?: CallOptions): Promise<void> {
    await unlessMissing(this.client.deleteSessionMemory(ramIds.session(scope), o));
    await this.append(
      ramIds.registry(scope.namespace, scope.appName),
      ramIds.registryOwner(scope.namespace, scope.appName),
      scope,
      'SYSTEM',
      `[session ${scope.sessionId} of ${scope.userId} deleted]`,
      Date.now(),
      { v: ENVELOPE_VERSION, kind: 'registry', op: 'deleted', userId: scope.userId, sessionId: scope.sessionId },
      o,
    );
  }

  async appendEvent(scope: SessionScope, event: Event, json: EventJson, o?: CallOptions): Promise<void> {
    // One atomic append; the session delta is inside the event and is folded on read.
    const env: Envelope = { v: ENVELOPE_VERSION, kind: 'event', appName: scope.appName, userId: scope.userId, sessionId: scope.sessionId, event: json };
    await this.append(ramIds.session(scope), this.ownerOf(scope), scope, isUserAuthored(event) ? 'USER' : 'ASSISTANT', renderText(event), event.timestamp, env, o);
  }

  readAppState(namespace: string, appName: string, o?: CallOptions): Promise<StateMap> {
    return this.readStateLog(ramIds.appState(namespace, appName), o);
  }

  readUserState(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<StateMap> {
    return this.readStateLog(ramIds.userState(namespace, appName, userId), o);
  }

  async updateAppState(namespace: string, appName: string, delta: StateMap, o?: CallOptions): Promise<void> {
    const scope = { namespace, appName, userId: '', sessionId: '' };
    await this.append(ramIds.appState(namespace, appName), ramIds.appStateOwner(namespace, appName), scope, 'SYSTEM', '[app state update]', Date.now(), { v: ENVELOPE_VERSION, kind: 'state', delta }, o);
  }

  async updateUserState(namespace: string, appName: string, userId: string, delta: StateMap, o?: CallOptions): Promise<void> {
    const scope = { namespace, appName, userId, sessionId: '' };
    await this.append(
      ramIds.userState(namespace, appName, userId),
      ramIds.userStateOwner(namespace, appName, userId),
      scope,
      'SYSTEM',
      '[user state update]',
      Date.now(),
      { v: ENVELOPE_VERSION, kind: 'state', delta },
      o,
    );
  }

  private ownerOf(scope: SessionScope): string {
    return ramIds.owner(scope.namespace, scope.appName, scope.userId);
  }

  private async append(
    sessionId: string,
    actorId: string,
    scope: Pick<SessionScope, 'namespace' | 'appName'>,
    role: SessionEvent['role'],
    text: string,
    createdAtMs: number,
    env: Envelope,
    o?: CallOptions,
  ): Promise<void> {
    await this.client.addSessionEvent(
      {
        sessionId,
        actorId,
        namespace: namespaceKey(scope.namespace, scope.appName),
        role,
        content: [{ text }],
        createdAt: new Date(createdAtMs).toISOString(),
        metadata: { adk: toJson(env, 'appendEvent', 'metadata') },
      },
      // Replays are harmless: readers de-duplicate by ADK event id and state writes are idempotent.
      { signal: o?.signal, allowReplay: true },
    );
  }

  private fetchSession(id: string, o?: CallOptions): Promise<RedisAgentMemorySchemas['GetSessionMemoryResponseContent'] | undefined> {
    // Summarised events are still ADK events the session must return, so ask for them too.
    return unlessMissing(this.client.getSessionMemory(id, { includeSummarisedEvents: true }, o));
  }

  private async readStateLog(id: string, o?: CallOptions): Promise<StateMap> {
    const memory = await this.fetchSession(id, o);
    const state: StateMap = {};
    for (const record of memory?.events ?? []) {
      const env = envelope(record);
      if (env.kind === 'state' && isRecord(env.delta)) Object.assign(state, env.delta);
    }
    return state;
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

  private async registeredSessions(namespace: string, appName: string, o?: CallOptions): Promise<{ id: string }[]> {
    const registry = await this.fetchSession(ramIds.registry(namespace, appName), o);
    const live = new Map<string, { id: string }>();
    for (const record of registry?.events ?? []) {
      const env = envelope(record);
      if (env.kind !== 'registry' || typeof env.userId !== 'string' || typeof env.sessionId !== 'string') continue;
      const scope = { namespace, appName, userId: env.userId, sessionId: env.sessionId };
      const key = ramIds.session(scope);
      if (env.op === 'created') live.set(key, { id: key });
      else live.delete(key);
    }
    return [...live.values()];
  }
}

/** An event some other writer put in the session: kept, as a text-only ADK event. */
function foreignEvent(record: SessionEvent): Event {
  const author = record.role === 'USER' ? 'user' : record.actorId;
  return {
    id: record.eventId,
    invocationId: '',
    author,
    timestamp: Date.parse(record.createdAt),
    content: { role: record.role === 'USER' ? 'user' : 'model', parts: record.content.map((c) => ({ text: c.text })) },
    actions: createEventActions(),
  };
}
