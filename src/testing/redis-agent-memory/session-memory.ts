import { randomBytes } from 'node:crypto';
import { DATE_TIME, isObject, match, type Handler, type Incoming, type Outgoing } from '../http.js';
import type { NamespaceTable } from './namespaces.js';

/**
 * An in-memory, stateful implementation of the Redis Agent Memory REST API as
 * specs/redis-agent-memory.openapi.yaml describes it: Bearer auth, one store, problem-details
 * errors with field violations, atomic single-event appends, owner-filtered paging.
 */
const ID = /^[a-zA-Z0-9-]+$/;
const EVENT_ID = /^[a-zA-Z0-9]{32}$/;
const ROLES = ['USER', 'ASSISTANT', 'SYSTEM'];

export interface StoredEvent {
  eventId: string;
  actorId: string;
  sessionId: string;
  role: string;
  content: { text: string }[];
  createdAt: string;
  systemTimestamp: string;
  metadata?: unknown;
}

/** The store's compacted summary of older events (`SessionSummary`). */
export interface StoredSummary {
  text: string;
  summarizedUpToEventId: string;
  summarizedEvents: number;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, unknown>;
}

export interface StoredSession {
  sessionId: string;
  ownerId: string;
  namespace?: string;
  /** The namespace object the session was placed in (`namespaceRef`), instead of a label. */
  namespaceId?: string;
  /** Events not (yet) covered by the summary. */
  events: StoredEvent[];
  /** Events the summary covers that cleanup has not deleted yet. */
  summarised: StoredEvent[];
  summary?: StoredSummary;
}

export interface RedisAgentMemoryState {
  sessions: Map<string, StoredSession>;
  namespaces: NamespaceTable;
  /** Called after every appended event, to schedule the background work. */
  appended?(session: StoredSession): void;
}

interface Violation {
  field: string;
  rule: string;
  message: string;
}

const PROBLEMS = {
  400: { type: '/errors/invalid-data', title: 'Bad Request' },
  401: { type: '/errors/authentication-failed', title: 'Unauthorized' },
  404: { type: '/errors/resource-not-found', title: 'Not Found' },
  409: { type: '/errors/conflict', title: 'Conflict' },
} as const;

export function problem(status: keyof typeof PROBLEMS, detail: string, fields?: Violation[]): Outgoing {
  return { status, body: { ...PROBLEMS[status], status, detail, ...(fields?.length ? { fields } : {}) } };
}

/** Checks an id field against the shared rule, collecting violations. */
export function checkId(v: Violation[], field: string, value: unknown, required: boolean): void {
  if (value === undefined) {
    if (required) v.push({ field, rule: 'required', message: `${field} is required` });
    return;
  }
  if (typeof value !== 'string') v.push({ field, rule: 'type', message: `${field} must be a string` });
  else if (value.length < 1 || value.length > 64) v.push({ field, rule: 'length', message: `${field} must be 1-64 characters` });
  else if (!ID.test(value)) v.push({ field, rule: 'pattern', message: `${field} must match ^[a-zA-Z0-9-]+$` });
}

function newEventId(): string {
  return randomBytes(16).toString('hex');
}

/** The page tokens the store hands out: an offset, opaque to clients. */
export const encodeToken = (offset: number) => Buffer.from(`o:${offset}`).toString('base64url');
export function decodeToken(token: string): number | undefined {
  const m = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

export interface RedisAgentMemoryServerOptions {
  storeId: string;
  apiKey: string;
}

/** The session-memory half of the API; long-term memory handlers are composed in by the caller. */
export function sessionMemoryHandler(
  state: RedisAgentMemoryState,
  opts: RedisAgentMemoryServerOptions,
): (req: Incoming, storeId: string) => Outgoing | undefined {
  return (req, storeId) => {
    const base = `/v1/stores/${encodeURIComponent(storeId)}/session-memory`;
    if (req.method === 'GET' && req.path === base) return listSessions(state, req);
    if (req.method === 'POST' && req.path === `${base}/events`) return addEvent(state, req);
    const s = match('/v1/stores/{storeId}/session-memory/{sessionId}', req.path);
    if (s) {
      const v: Violation[] = [];
      checkId(v, 'sessionId', s.sessionId, true);
      if (v.length) return problem(400, 'invalid path parameter', v);
      const session = state.sessions.get(s.sessionId!);
      if (req.method === 'GET') {
        const include = req.query.get('includeSummarisedEvents');
        if (include !== null && include !== 'true' && include !== 'false')
          return problem(400, 'invalid query parameters', [
            { field: 'includeSummarisedEvents', rule: 'type', message: 'includeSummarisedEvents must be true or false' },
          ]);
        if (!session) return problem(404, `session ${s.sessionId} not found`);
        // Summarised events are left out unless asked for; cleanup may already have deleted them.
        const events = include === 'true' ? [...session.summarised, ...session.events] : session.events;
        return {
          status: 200,
          body: {
            sessionId: session.sessionId,
            ownerId: session.ownerId,
            ...(session.namespace ? { namespace: session.namespace } : {}),
            ...(session.namespaceId && state.namespaces.ref(session.namespaceId) ? { namespaceRef: state.namespaces.ref(session.namespaceId) } : {}),
            events,
            ...(session.summary ? { summary: session.summary } : {}),
          },
        };
      }
      if (req.method === 'DELETE') {
        if (!session) return problem(404, `session ${s.sessionId} not found`);
        state.sessions.delete(session.sessionId);
        return { status: 204 };
      }
    }
    const e = match('/v1/stores/{storeId}/session-memory/{sessionId}/events/{eventId}', req.path);
    if (e && (req.method === 'GET' || req.method === 'DELETE')) {
      const v: Violation[] = [];
      checkId(v, 'sessionId', e.sessionId, true);
      if (!EVENT_ID.test(e.eventId!)) v.push({ field: 'eventId', rule: 'pattern', message: 'eventId must be 32 letters or digits' });
      if (v.length) return problem(400, 'invalid path parameter', v);
      const session = state.sessions.get(e.sessionId!);
      const list = session?.events.some((x) => x.eventId === e.eventId) ? session.events : session?.summarised;
      const index = list?.findIndex((x) => x.eventId === e.eventId) ?? -1;
      if (!session || !list || index < 0) return problem(404, `event ${e.eventId} not found`);
      if (req.method === 'GET') return { status: 200, body: { event: list[index] } };
      list.splice(index, 1);
      return { status: 204 };
    }
    void opts;
    return undefined;
  };
}

function listSessions(state: RedisAgentMemoryState, req: Incoming): Outgoing {
  const v: Violation[] = [];
  const limitRaw = req.query.get('limit');
  const limit = limitRaw === null ? 100 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) v.push({ field: 'limit', rule: 'range', message: 'limit must be an integer from 1 to 1000' });
  const owner = req.query.get('filterOwnerId') ?? undefined;
  checkId(v, 'filterOwnerId', owner, false);
  const includeAllRaw = req.query.get('includeAll');
  if (includeAllRaw !== null && includeAllRaw !== 'true' && includeAllRaw !== 'false')
    v.push({ field: 'includeAll', rule: 'type', message: 'includeAll must be true or false' });
  const includeAll = includeAllRaw === 'true';
  if (owner !== undefined && includeAll) v.push({ field: 'includeAll', rule: 'exclusive', message: 'includeAll cannot be combined with filterOwnerId' });
  if (owner === undefined && !includeAll)
    v.push({ field: 'includeAll', rule: 'required', message: 'set includeAll=true to list every session, or give filterOwnerId' });
  const token = req.query.get('pageToken');
  const offset = token === null ? 0 : decodeToken(token);
  if (offset === undefined) v.push({ field: 'pageToken', rule: 'format', message: 'pageToken is not a token this service issued' });
  if (v.length) return problem(400, 'invalid query parameters', v);
  const all = [...state.sessions.values()].filter((s) => owner === undefined || s.ownerId === owner).map((s) => s.sessionId);
  const items = all.slice(offset, offset! + limit);
  const next = offset! + limit < all.length ? encodeToken(offset! + limit) : undefined;
  return { status: 200, body: { items, total: all.length, ...(next ? { nextPageToken: next } : {}) } };
}

function addEvent(state: RedisAgentMemoryState, req: Incoming): Outgoing {
  if (req.bodyError) return problem(400, req.bodyError);
  const b = req.body;
  if (!isObject(b)) return problem(400, 'request body must be a JSON object', [{ field: 'body', rule: 'type', message: 'body must be an object' }]);
  const v: Violation[] = [];
  checkId(v, 'sessionId', b.sessionId, false);
  checkId(v, 'actorId', b.actorId, true);
  checkId(v, 'namespace', b.namespace, false);
  const placed = state.namespaces.placement(b, '', v);
  if (b.role === undefined) v.push({ field: 'role', rule: 'required', message: 'role is required' });
  else if (typeof b.role !== 'string' || !ROLES.includes(b.role)) v.push({ field: 'role', rule: 'enum', message: `role must be one of ${ROLES.join(', ')}` });
  if (b.content === undefined) v.push({ field: 'content', rule: 'required', message: 'content is required' });
  else if (!Array.isArray(b.content)) v.push({ field: 'content', rule: 'type', message: 'content must be an array' });
  else
    b.content.forEach((c, i) => {
      if (!isObject(c) || typeof c.text !== 'string' || Object.keys(c).length !== 1)
        v.push({ field: `content[${i}]`, rule: 'oneOf', message: 'each content item must be {"text": string}' });
    });
  if (b.createdAt === undefined) v.push({ field: 'createdAt', rule: 'required', message: 'createdAt is required' });
  else if (typeof b.createdAt !== 'string' || !DATE_TIME.test(b.createdAt))
    v.push({ field: 'createdAt', rule: 'format', message: 'createdAt must be an RFC 3339 date-time' });
  if (v.length) return problem(400, 'request validation failed', v);
  if (placed.error) return placed.error;
  const sessionId = (b.sessionId as string | undefined) ?? newEventId();
  let session = state.sessions.get(sessionId);
  if (!session) {
    // The first event fixes the owner and placement; later values are ignored.
    session = {
      sessionId,
      ownerId: b.actorId as string,
      ...(typeof b.namespace === 'string' ? { namespace: b.namespace } : {}),
      ...(placed.namespaceId ? { namespaceId: placed.namespaceId } : {}),
      events: [],
      summarised: [],
    };
    state.sessions.set(sessionId, session);
  }
  const event: StoredEvent = {
    eventId: newEventId(),
    actorId: b.actorId as string,
    sessionId,
    role: b.role as string,
    content: (b.content as { text: string }[]).map((c) => ({ text: c.text })),
    createdAt: b.createdAt as string,
    systemTimestamp: new Date().toISOString(),
    ...('metadata' in b ? { metadata: b.metadata } : {}),
  };
  session.events.push(event);
  state.appended?.(session);
  return { status: 201, body: { event } };
}

/** Builds the whole API handler: auth, store routing, then the session and memory halves. */
export function redisAgentMemoryHandler(
  opts: RedisAgentMemoryServerOptions,
  state: RedisAgentMemoryState,
  extra: ((req: Incoming, storeId: string) => Outgoing | undefined | Promise<Outgoing | undefined>)[] = [],
): Handler {
  const sessions = sessionMemoryHandler(state, opts);
  return async (req) => {
    if (req.method === 'GET' && req.path === '/health') return { status: 200, body: { status: 'healthy' } };
    const store = match('/v1/stores/{storeId}', req.path.split('/').slice(0, 4).join('/'));
    if (!store) return problem(404, `no route for ${req.method} ${req.path}`);
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) return problem(401, 'missing or invalid API key');
    const v: Violation[] = [];
    checkId(v, 'storeId', store.storeId, true);
    if (v.length) return problem(400, 'invalid path parameter', v);
    if (store.storeId !== opts.storeId) return problem(404, `store ${store.storeId} not found`);
    if (req.method === 'GET' && req.path === `/v1/stores/${opts.storeId}/health`) {
      return { status: 200, body: { status: 'healthy', features: { sessionMemory: { status: 'healthy' }, longTermMemory: { status: 'healthy' } } } };
    }
    for (const h of [sessions, ...extra]) {
      const out = await h(req, opts.storeId);
      if (out) return out;
    }
    return problem(404, `no route for ${req.method} ${req.path}`);
  };
}
