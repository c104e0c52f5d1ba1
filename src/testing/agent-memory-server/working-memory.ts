/**
 * Working memory of the Agent Memory Server reference server, as v0.15.2 keeps and serves it
 * (`api.py`, `working_memory.py`): one RedisJSON document per `working_memory[:namespace][:user_id]:session_id`
 * key, replaced whole by PUT, listed through a TAG index in the order documents were last written,
 * found again through that index when a key is missing, and written in pydantic's formats.
 */
import { isObject, match, type Handler, type Incoming, type Outgoing } from '../http.js';
import { parsePyDatetime, pyDatetime, pyIsoformat, pyNow, pySeconds, detail, invalid, unprocessable, type ValidationItem } from './pydantic.js';
import { DocumentTable } from './document-table.js';
import { countTokens } from './tokens.js';
import { ulid } from './ulid.js';
import { textOf } from '../../codec/json.js';

export { detail, unprocessable, type ValidationItem } from './pydantic.js';
export { ulid } from './ulid.js';

/** A message as stored (`MemoryMessage.model_dump(mode="json")`). */
export interface StoredMessage {
  role: string;
  content: string;
  id: string;
  created_at: string;
  persisted_at: string | null;
  discrete_memory_extracted: 't' | 'f';
}

/** A working memory as the server's code holds it (a `WorkingMemory`). */
export interface WorkingMemoryDoc {
  messages: StoredMessage[];
  memories: Record<string, unknown>[];
  data: Record<string, unknown> | null;
  context: string | null;
  user_id: string | null;
  tokens: number;
  session_id: string;
  namespace: string | null;
  long_term_memory_strategy: { strategy: string; config: Record<string, unknown> };
  ttl_seconds: number | null;
  last_accessed: string;
  created_at: string;
  updated_at: string;
}

interface Stored {
  doc: WorkingMemoryDoc;
  /** When the key expires (`ttl_seconds` from the last write), in epoch ms. */
  expiresAt: number | null;
}

export interface AgentMemoryServerState {
  /** Documents by key, in the order they were last written (the TAG index's listing order). */
  workingMemory: DocumentTable<Stored>;
}

/** An empty keyspace, indexed by the document TAG fields the server's index has. */
export function newAgentMemoryServerState(): AgentMemoryServerState {
  return { workingMemory: new DocumentTable<Stored>(({ doc }) => ({ session_id: doc.session_id, namespace: doc.namespace, user_id: doc.user_id })) };
}

/** `Keys.working_memory_key`: the parts joined with `:` (so `a` + `b:c` is the key of `a:b` + `c`). */
export function workingMemoryKey(sessionId: string, userId?: string | null, namespace?: string | null): string {
  return ['working_memory', namespace, userId, sessionId].filter((p) => p).join(':');
}

/** The server's default context window (16 000 tokens) and the windows of the models `model_name` may name. */
export const DEFAULT_CONTEXT_WINDOW = 16_000;
export const MODEL_WINDOWS: Record<string, number> = {
  'gpt-4.1': 128_000,
  'gpt-4.1-mini': 128_000,
  'gpt-3.5-turbo': 4_096,
  'gpt-3.5-turbo-16k': 16_384,
  'gpt-4': 8_192,
  'gpt-4-32k': 32_768,
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  o1: 200_000,
  'o1-mini': 128_000,
  'o3-mini': 200_000,
  'gpt-5-mini': 400_000,
  'gpt-5-nano': 400_000,
  'gpt-5.1-chat-latest': 128_000,
  'gpt-5.2-chat-latest': 128_000,
  'text-embedding-ada-002': 8_191,
  'text-embedding-3-small': 8_191,
  'text-embedding-3-large': 8_191,
  'claude-3-opus-20240229': 200_000,
  'claude-3-sonnet-20240229': 200_000,
  'claude-3-haiku-20240307': 200_000,
  'claude-3-5-sonnet-20240620': 200_000,
  'claude-3-7-sonnet-20250219': 200_000,
  'claude-3-5-sonnet-20241022': 200_000,
  'claude-3-5-haiku-20241022': 200_000,
  'claude-3-7-sonnet-latest': 200_000,
  'claude-3-5-sonnet-latest': 200_000,
  'claude-3-5-haiku-latest': 200_000,
  'claude-3-opus-latest': 200_000,
  'claude-sonnet-4-5-20250929': 200_000,
  'claude-haiku-4-5-20251001': 200_000,
  'claude-opus-4-5-20251101': 200_000,
  'claude-sonnet-4-5': 200_000,
  'claude-haiku-4-5': 200_000,
  'claude-opus-4-5': 200_000,
};
const SUMMARIZATION_THRESHOLD = 0.7;
/** `settings.max_future_timestamp_seconds`. */
const MAX_FUTURE_MS = 300_000;

/** `_get_effective_token_limit`: `context_window_max`, else the model's window, else 16 000. */
export function contextWindow(contextWindowMax: number | null, modelName: string | null): number {
  if (contextWindowMax !== null) return contextWindowMax;
  if (modelName !== null) return MODEL_WINDOWS[modelName] ?? DEFAULT_CONTEXT_WINDOW;
  return DEFAULT_CONTEXT_WINDOW;
}

export const messageTokens = (m: Pick<StoredMessage, 'role' | 'content'>) => countTokens(`${m.role}: ${m.content}`);
export const messagesTokens = (ms: Pick<StoredMessage, 'role' | 'content'>[]) => ms.reduce((n, m) => n + messageTokens(m), 0);

/** `_calculate_context_usage_percentages`: null without a window; 0 without messages. */
function percentages(
  messages: StoredMessage[],
  contextWindowMax: number | null,
  modelName: string | null,
): { total: number | null; untilSummarization: number | null } {
  if (!modelName && !contextWindowMax) return { total: null, untilSummarization: null };
  if (!messages.length) return { total: 0, untilSummarization: 0 };
  const tokens = messagesTokens(messages);
  const max = contextWindow(contextWindowMax, modelName);
  if (max <= 0) return { total: null, untilSummarization: null };
  const threshold = Math.floor(max * SUMMARIZATION_THRESHOLD);
  return { total: Math.min((tokens / max) * 100, 100), untilSummarization: threshold <= 0 ? 100 : Math.min((tokens / threshold) * 100, 100) };
}

/** A document's stored form (`set_working_memory`): its times as whole seconds, `data` never null. */
function stored(doc: WorkingMemoryDoc): WorkingMemoryDoc {
  return {
    ...doc,
    data: doc.data ?? {},
    last_accessed: pySeconds(doc.last_accessed),
    created_at: pySeconds(doc.created_at),
    updated_at: pySeconds(doc.updated_at),
  };
}

/** `set_working_memory`: stamps `updated_at`, replaces the document (last in listing order), (re)sets its TTL. */
export function setWorkingMemory(state: AgentMemoryServerState, doc: WorkingMemoryDoc): WorkingMemoryDoc {
  const written = { ...doc, updated_at: pyNow() };
  const key = workingMemoryKey(written.session_id, written.user_id, written.namespace);
  state.workingMemory.set(key, { doc: stored(written), expiresAt: written.ttl_seconds !== null ? Date.now() + written.ttl_seconds * 1000 : null });
  return written;
}

function live(state: AgentMemoryServerState, key: string): Stored | undefined {
  const s = state.workingMemory.get(key);
  if (s && s.expiresAt !== null && s.expiresAt <= Date.now()) {
    state.workingMemory.delete(key);
    return undefined;
  }
  return s;
}

/** The live documents with these tags (expired keys are gone, as Redis removes them), in listing order. */
export function liveDocuments(state: AgentMemoryServerState, tags: { namespace?: string | null; user_id?: string | null } = {}): WorkingMemoryDoc[] {
  return state.workingMemory
    .keysTagged(tags)
    .map((k) => live(state, k)?.doc)
    .filter((d): d is WorkingMemoryDoc => d !== undefined);
}

/**
 * The key a lookup ends at: the exact key, else (`_resolve_working_memory_key_via_index`) the one
 * document whose TAGs match the session id and the given namespace and user — ignoring ASCII
 * case and splitting at commas, so `alice` can reach `Alice`'s document.
 */
function resolveKey(state: AgentMemoryServerState, sessionId: string, userId: string | null, namespace: string | null): string | undefined {
  const key = workingMemoryKey(sessionId, userId, namespace);
  if (live(state, key)) return key;
  const found = state.workingMemory.keysTagged({ session_id: sessionId, namespace, user_id: userId }).filter((k) => live(state, k));
  return found.length === 1 ? found[0] : undefined;
}

/** `get_working_memory`: the document (with the caller's session id), or undefined. */
export function getWorkingMemory(
  state: AgentMemoryServerState,
  sessionId: string,
  userId: string | null,
  namespace: string | null,
): WorkingMemoryDoc | undefined {
  const key = resolveKey(state, sessionId, userId, namespace);
  const doc = key === undefined ? undefined : live(state, key)?.doc;
  if (!doc) return undefined;
  return { ...structuredClone(doc), session_id: sessionId, namespace: doc.namespace || namespace, user_id: doc.user_id || userId };
}

function intQuery(items: ValidationItem[], q: URLSearchParams, name: string, bounds: { ge?: number; le?: number } = {}): number | null {
  const raw = q.get(name);
  if (raw === null) return null;
  if (!/^[-+]?\d+$/.test(raw.trim())) {
    items.push(invalid.int(['query', name], raw));
    return null;
  }
  const n = Number(raw);
  if (bounds.ge !== undefined && n < bounds.ge) items.push(invalid.ge(['query', name], raw, bounds.ge));
  else if (bounds.le !== undefined && n > bounds.le) items.push(invalid.le(['query', name], raw, bounds.le));
  return n;
}

function modelQuery(items: ValidationItem[], q: URLSearchParams): string | null {
  const name = q.get('model_name');
  if (name === null) return null;
  if (!(name in MODEL_WINDOWS)) {
    const expected = Object.keys(MODEL_WINDOWS).map((m) => `'${m}'`);
    const text = `${expected.slice(0, -1).join(', ')} or ${expected.at(-1)}`;
    items.push({ type: 'literal_error', loc: ['query', 'model_name'], msg: `Input should be ${text}`, input: name, ctx: { expected: text } });
  }
  return name;
}

const withPercentages = (doc: WorkingMemoryDoc, windowMax: number | null, model: string | null) => {
  const p = percentages(doc.messages, windowMax, model);
  return { ...doc, context_percentage_total_used: p.total, context_percentage_until_summarization: p.untilSummarization };
};

/** What happens to a stored document: summarisation inside PUT, and the work after PUT's response. */
export interface WorkingMemoryOptions {
  /** `_summarize_working_memory`: the document to store in place of the one sent. */
  summarize(doc: WorkingMemoryDoc, window: number): WorkingMemoryDoc;
  /** The work a PUT of this document runs after its response (promotion). */
  afterPut(doc: WorkingMemoryDoc): (() => unknown) | undefined;
}

/** The working-memory routes; long-term and prompt routes are composed in by the caller. */
export function workingMemoryHandler(state: AgentMemoryServerState, options: WorkingMemoryOptions): (req: Incoming) => Outgoing | undefined {
  return (req) => {
    if (req.method === 'GET' && req.path === '/v1/working-memory/') {
      const items: ValidationItem[] = [];
      const limit = intQuery(items, req.query, 'limit', { ge: 1, le: 100 }) ?? 20;
      const offset = intQuery(items, req.query, 'offset', { ge: 0 }) ?? 0;
      if (items.length) return unprocessable(items);
      const ns = req.query.get('namespace');
      const user = req.query.get('user_id');
      const all = liveDocuments(state, { namespace: ns, user_id: user });
      return {
        status: 200,
        body: {
          sessions: all
            .slice(0, limit + offset)
            .slice(offset)
            .map((d) => d.session_id),
          total: all.length,
        },
      };
    }
    const m = match('/v1/working-memory/{session_id}', req.path, true);
    if (!m) return undefined;
    const sessionId = m.session_id!;
    const userId = req.query.get('user_id');
    const namespace = req.query.get('namespace');
    if (req.method === 'GET') {
      const items: ValidationItem[] = [];
      const model = modelQuery(items, req.query);
      const windowMax = intQuery(items, req.query, 'context_window_max');
      const recent = intQuery(items, req.query, 'recent_messages_limit');
      if (items.length) return unprocessable(items);
      const doc = getWorkingMemory(state, sessionId, userId, namespace);
      if (!doc) return detail(404, `Session ${sessionId} not found`);
      if (recent !== null && recent > 0) {
        const byTime = doc.messages.map((msg, i) => ({ msg, i, at: parsePyDatetime(msg.created_at)?.ms ?? 0 })).sort((a, b) => a.at - b.at || a.i - b.i);
        doc.messages = byTime.slice(-recent).map((x) => x.msg);
      }
      // The oldest messages dropped until they fit the window, when one is named (always one kept).
      if (doc.messages.length && (model || windowMax !== null)) {
        const limit = contextWindow(windowMax, model);
        while (doc.messages.length > 1 && messagesTokens(doc.messages) > limit) doc.messages = doc.messages.slice(1);
      }
      return { status: 200, body: withPercentages(doc, windowMax, model) };
    }
    if (req.method === 'DELETE') {
      const key = resolveKey(state, sessionId, userId, namespace);
      if (key !== undefined) state.workingMemory.delete(key);
      return { status: 200, body: { status: 'ok' } };
    }
    if (req.method === 'PUT') return putWorkingMemory(state, sessionId, req, options);
    return undefined;
  };
}

function putWorkingMemory(state: AgentMemoryServerState, sessionId: string, req: Incoming, options: WorkingMemoryOptions): Outgoing {
  if (req.bodyError) return unprocessable([{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]);
  const b = req.body;
  if (!isObject(b))
    return unprocessable([
      { type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: b },
    ]);
  const items: ValidationItem[] = [];
  const now = pyNow();
  let missingCreatedAt = false;
  const rawMessages = b.messages ?? [];
  if (!Array.isArray(rawMessages)) items.push(invalid.list(['body', 'messages'], rawMessages));
  const messages: StoredMessage[] = (Array.isArray(rawMessages) ? rawMessages : []).map((msg, i) => {
    const at = ['body', 'messages', i];
    if (!isObject(msg)) {
      items.push({ type: 'model_attributes_type', loc: at, msg: 'Input should be a valid dictionary or object to extract fields from', input: msg });
      return {} as StoredMessage;
    }
    for (const f of ['role', 'content'] as const) {
      if (msg[f] === undefined) items.push(invalid.missing([...at, f], msg));
      else if (typeof msg[f] !== 'string') items.push(invalid.string([...at, f], msg[f]));
    }
    let createdAt = now;
    if (msg.created_at == null) missingCreatedAt = true;
    else {
      const t = typeof msg.created_at === 'string' ? parsePyDatetime(msg.created_at) : undefined;
      if (!t) items.push(invalid.datetime([...at, 'created_at'], msg.created_at));
      else if (t.ms > Date.now() + MAX_FUTURE_MS) {
        const limit = `${MAX_FUTURE_MS / 1000} seconds in the future. Received: ${pyIsoformat(t.ms)}, Max allowed (with ${MAX_FUTURE_MS / 1000}s tolerance): ${pyIsoformat(Date.now() + MAX_FUTURE_MS)}`;
        items.push(invalid.value(at, msg, `created_at cannot be more than ${limit}`));
      } else createdAt = pyDatetime(msg.created_at as string);
    }
    const extracted = msg.discrete_memory_extracted ?? 'f';
    if (extracted !== 't' && extracted !== 'f')
      items.push({
        type: 'literal_error',
        loc: [...at, 'discrete_memory_extracted'],
        msg: "Input should be 't' or 'f'",
        input: extracted,
        ctx: { expected: "'t' or 'f'" },
      });
    return {
      role: msg.role as string,
      content: msg.content as string,
      id: typeof msg.id === 'string' ? msg.id : ulid(),
      created_at: createdAt,
      persisted_at: typeof msg.persisted_at === 'string' ? pyDatetime(msg.persisted_at) : null,
      discrete_memory_extracted: extracted as 't' | 'f',
    };
  });
  if (b.data != null && !isObject(b.data)) items.push(invalid.dict(['body', 'data'], b.data));
  for (const f of ['user_id', 'namespace', 'context'] as const) if (b[f] != null && typeof b[f] !== 'string') items.push(invalid.string(['body', f], b[f]));
  if (b.ttl_seconds != null && !Number.isInteger(b.ttl_seconds)) items.push(invalid.int(['body', 'ttl_seconds'], b.ttl_seconds));
  const memories = Array.isArray(b.memories) ? (b.memories as Record<string, unknown>[]) : [];
  memories.forEach((mem, i) => {
    if (!isObject(mem) || !mem.id || !mem.text)
      items.push(invalid.value(['body'], b, `Memory at index ${i} has empty ${!isObject(mem) || !mem.id ? 'id' : 'text'}`));
  });
  const model = modelQuery(items, req.query);
  const windowMax = intQuery(items, req.query, 'context_window_max');
  if (items.length) return unprocessable(items);
  for (const msg of messages) if (!msg.content.trim()) return detail(400, `Message content cannot be empty (message ID: ${msg.id})`);
  const time = (v: unknown) => (typeof v === 'string' && parsePyDatetime(v) ? pyDatetime(v) : now);
  const sent: WorkingMemoryDoc = {
    messages,
    memories,
    data: (b.data as Record<string, unknown> | null | undefined) ?? null,
    context: (b.context as string | null | undefined) ?? null,
    user_id: (b.user_id as string | null | undefined) ?? null,
    tokens: typeof b.tokens === 'number' ? b.tokens : 0,
    session_id: sessionId,
    namespace: (b.namespace as string | null | undefined) ?? null,
    long_term_memory_strategy: isObject(b.long_term_memory_strategy)
      ? {
          strategy: textOf(b.long_term_memory_strategy.strategy ?? 'discrete'),
          config: isObject(b.long_term_memory_strategy.config) ? b.long_term_memory_strategy.config : {},
        }
      : { strategy: 'discrete', config: {} },
    ttl_seconds: (b.ttl_seconds as number | null | undefined) ?? null,
    last_accessed: time(b.last_accessed),
    created_at: time(b.created_at),
    updated_at: time(b.updated_at),
  };
  // Summarised synchronously, before storing, when over 70 % of the context window.
  const doc = messages.length ? options.summarize(sent, contextWindow(windowMax, model)) : sent;
  const written = setWorkingMemory(state, doc);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set inside the loop over messages, which the compiler does not follow
  const headers: Record<string, string> = missingCreatedAt
    ? { 'X-Deprecation-Warning': 'messages[].created_at will become required in the next major version. Please provide timestamps for all messages.' }
    : {};
  const after = written.memories.length || written.messages.length ? options.afterPut(written) : undefined;
  return { status: 200, body: withPercentages(written, windowMax, model), headers, ...(after ? { after } : {}) };
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
