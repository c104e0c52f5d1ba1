import { randomBytes } from 'node:crypto';
import { DATE_TIME, isObject, match, type Handler, type Incoming, type Outgoing } from '../http.js';
import { contextWindow, summarize } from './background.js';

/**
 * An in-memory, stateful implementation of the Agent Memory Server (v0.15.x) REST API as
 * specs/agent-memory-server.openapi.yaml describes it: optional Bearer auth, FastAPI-style
 * errors (`{detail}` and 422 `{detail: [{loc, msg, type}]}`), working memory keyed by
 * namespace + user_id + session_id and replaced whole by PUT.
 */
export type WorkingMemoryDoc = Record<string, unknown> & { session_id: string; messages: Record<string, unknown>[] };

export interface AgentMemoryServerState {
  workingMemory: Map<string, WorkingMemoryDoc>;
}

export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export const detail = (status: number, text: string): Outgoing => ({ status, body: { detail: text } });
export const unprocessable = (items: ValidationItem[]): Outgoing => ({ status: 422, body: { detail: items } });

/** The server's key: `working_memory[:namespace][:user_id]:session_id`. */
export function workingMemoryKey(sessionId: string, userId?: string | null, namespace?: string | null): string {
  return ['working_memory', namespace, userId, sessionId].filter((p) => p).join(':');
}

/** A ULID-shaped id (time prefix + randomness), as the server generates for messages. */
export function ulid(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let t = Date.now();
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rand = [...randomBytes(16)].slice(0, 16).map((b) => alphabet[b % 32]).join('');
  return time + rand;
}

function intQuery(items: ValidationItem[], q: URLSearchParams, name: string, def: number | null, min?: number, max?: number): number | null {
  const raw = q.get(name);
  if (raw === null) return def;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw)) items.push({ loc: ['query', name], msg: 'Input should be a valid integer', type: 'int_parsing' });
  else if (min !== undefined && n < min) items.push({ loc: ['query', name], msg: `Input should be greater than or equal to ${min}`, type: 'greater_than_equal' });
  else if (max !== undefined && n > max) items.push({ loc: ['query', name], msg: `Input should be less than or equal to ${max}`, type: 'less_than_equal' });
  return n;
}

function withDefaults(doc: WorkingMemoryDoc): WorkingMemoryDoc {
  return { context_percentage_total_used: null, context_percentage_until_summarization: null, ...doc };
}

/** How the working-memory routes reach the server's own behaviour. */
export interface WorkingMemoryOptions {
  /** The server's context window when a request names none (16 000 on the real server). */
  contextWindowMax: number;
  /** Called with every document a PUT stored, to schedule the background work. */
  stored(doc: WorkingMemoryDoc): void;
}

/** The working-memory half of the API; long-term memory handlers are composed in by the caller. */
export function workingMemoryHandler(state: AgentMemoryServerState, options: WorkingMemoryOptions): (req: Incoming) => Outgoing | undefined {
  return (req) => {
    if (req.method === 'GET' && req.path === '/v1/working-memory/') {
      const items: ValidationItem[] = [];
      const limit = intQuery(items, req.query, 'limit', 20, 1, 100)!;
      const offset = intQuery(items, req.query, 'offset', 0, 0)!;
      if (items.length) return unprocessable(items);
      const ns = req.query.get('namespace');
      const user = req.query.get('user_id');
      const all = [...state.workingMemory.values()].filter((d) => (!ns || d.namespace === ns) && (!user || d.user_id === user));
      return { status: 200, body: { sessions: all.slice(offset, offset + limit).map((d) => d.session_id), total: all.length } };
    }
    const m = match('/v1/working-memory/{session_id}', req.path, true);
    if (!m) return undefined;
    const sessionId = m.session_id!;
    if (req.method === 'GET') {
      const items: ValidationItem[] = [];
      const recent = intQuery(items, req.query, 'recent_messages_limit', null);
      intQuery(items, req.query, 'context_window_max', null);
      if (items.length) return unprocessable(items);
      const doc = state.workingMemory.get(workingMemoryKey(sessionId, req.query.get('user_id'), req.query.get('namespace')));
      if (!doc) return detail(404, `Session ${sessionId} not found`);
      const messages = recent !== null && recent > 0 ? doc.messages.slice(-recent) : doc.messages;
      return { status: 200, body: withDefaults({ ...doc, messages }) };
    }
    if (req.method === 'DELETE') {
      state.workingMemory.delete(workingMemoryKey(sessionId, req.query.get('user_id'), req.query.get('namespace')));
      return { status: 200, body: { status: 'ok' } };
    }
    if (req.method === 'PUT') return putWorkingMemory(state, sessionId, req, options);
    return undefined;
  };
}

function putWorkingMemory(state: AgentMemoryServerState, sessionId: string, req: Incoming, options: WorkingMemoryOptions): Outgoing {
  if (req.bodyError) return unprocessable([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
  const b = req.body;
  const items: ValidationItem[] = [];
  if (!isObject(b)) return unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
  const messages = b.messages ?? [];
  if (!Array.isArray(messages)) items.push({ loc: ['body', 'messages'], msg: 'Input should be a valid list', type: 'list_type' });
  let missingCreatedAt = false;
  const now = new Date().toISOString();
  const normalised = (Array.isArray(messages) ? messages : []).map((msg, i) => {
    if (!isObject(msg)) {
      items.push({ loc: ['body', 'messages', i], msg: 'Input should be a valid dictionary', type: 'dict_type' });
      return {};
    }
    for (const f of ['role', 'content'] as const) {
      if (msg[f] === undefined) items.push({ loc: ['body', 'messages', i, f], msg: 'Field required', type: 'missing' });
      else if (typeof msg[f] !== 'string') items.push({ loc: ['body', 'messages', i, f], msg: 'Input should be a valid string', type: 'string_type' });
    }
    if (msg.created_at !== undefined && (typeof msg.created_at !== 'string' || !DATE_TIME.test(msg.created_at))) {
      items.push({ loc: ['body', 'messages', i, 'created_at'], msg: 'Input should be a valid datetime', type: 'datetime_parsing' });
    }
    if (msg.created_at === undefined) missingCreatedAt = true;
    return { role: msg.role, content: msg.content, id: typeof msg.id === 'string' ? msg.id : ulid(), created_at: msg.created_at ?? now, persisted_at: msg.persisted_at ?? null, discrete_memory_extracted: msg.discrete_memory_extracted ?? 'f' };
  });
  if (b.data !== undefined && b.data !== null && !isObject(b.data)) items.push({ loc: ['body', 'data'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
  for (const f of ['user_id', 'namespace', 'context'] as const) {
    if (b[f] !== undefined && b[f] !== null && typeof b[f] !== 'string') items.push({ loc: ['body', f], msg: 'Input should be a valid string', type: 'string_type' });
  }
  const window = intQuery(items, req.query, 'context_window_max', null, 1);
  if (items.length) return unprocessable(items);
  for (const msg of normalised) {
    if (!String(msg.content).trim()) return detail(400, `Message content cannot be empty (message ID: ${msg.id})`);
  }
  const key = workingMemoryKey(sessionId, b.user_id as string | null | undefined, b.namespace as string | null | undefined);
  const previous = state.workingMemory.get(key);
  const sent: WorkingMemoryDoc = {
    messages: normalised,
    memories: Array.isArray(b.memories) ? b.memories : [],
    data: (b.data as Record<string, unknown> | null | undefined) ?? {},
    context: (b.context as string | null | undefined) ?? null,
    user_id: (b.user_id as string | null | undefined) ?? null,
    tokens: typeof b.tokens === 'number' ? b.tokens : 0,
    session_id: sessionId,
    namespace: (b.namespace as string | null | undefined) ?? null,
    long_term_memory_strategy: isObject(b.long_term_memory_strategy) ? b.long_term_memory_strategy : { strategy: 'discrete', config: {} },
    ttl_seconds: (b.ttl_seconds as number | null | undefined) ?? null,
    last_accessed: now,
    created_at: (previous?.created_at as string | undefined) ?? now,
    updated_at: now,
  };
  // Summarised synchronously, before storing, when over 70 % of the context window.
  const doc = normalised.length ? summarize(sent, contextWindow(window, req.query.get('model_name'), options.contextWindowMax)) : sent;
  state.workingMemory.set(key, doc);
  options.stored(doc);
  const headers: Record<string, string> = missingCreatedAt ? { 'X-Deprecation-Warning': 'messages[].created_at will become required in the next major version. Please provide timestamps for all messages.' } : {};
  return { status: 200, body: withDefaults(doc), headers };
}

/** Builds the whole API handler: optional auth, then the working-memory and memory halves. */
export function agentMemoryServerHandler(
  opts: { apiKey?: string | undefined } & WorkingMemoryOptions,
  state: AgentMemoryServerState,
  extra: ((req: Incoming) => Outgoing | undefined | Promise<Outgoing | undefined>)[] = [],
): Handler {
  const wm = workingMemoryHandler(state, opts);
  return async (req) => {
    if (req.method === 'GET' && req.path === '/v1/health') return { status: 200, body: { now: Date.now() } };
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) return detail(401, 'Invalid or missing authentication token');
    for (const h of [wm, ...extra]) {
      const out = await h(req);
      if (out) return out;
    }
    return detail(404, 'Not Found');
  };
}
