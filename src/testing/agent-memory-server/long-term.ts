import { detail, unprocessable, ulid, type ValidationItem } from './working-memory.js';
import { cosine, type EmbedFunction } from '../embedding.js';
import { DATE_TIME, isObject, match, type Incoming, type Outgoing } from '../http.js';

/**
 * Long-term memory of the Agent Memory Server reference server: create (id-keyed overwrite,
 * optional dedupe of identical text), search with tag/enum/date filters and cosine distance,
 * the server's soft-filter fallback, get, patch, delete.
 */
export interface AmsMemory extends Record<string, unknown> {
  id: string;
  text: string;
  user_id: string | null;
  namespace: string | null;
  session_id: string | null;
  topics: string[] | null;
  entities: string[] | null;
  memory_type: string;
  created_at: string;
  updated_at: string;
  last_accessed: string;
  event_date: string | null;
}

const TYPES = ['episodic', 'semantic', 'message'];
type Tag = { eq?: string | null; ne?: string | null; any?: string[] | null; all?: string[] | null; startswith?: string | null };

function tagMatches(value: string | string[] | null, f: Tag): boolean {
  const have = value === null ? [] : Array.isArray(value) ? value : [value];
  if (f.eq != null && !have.includes(f.eq)) return false;
  if (f.ne != null && have.includes(f.ne)) return false;
  if (f.any != null && !f.any.some((x) => have.includes(x))) return false;
  if (f.all != null && !f.all.every((x) => have.includes(x))) return false;
  if (f.startswith != null && !have.some((x) => x.startsWith(f.startswith!))) return false;
  return true;
}

function checkTags(items: ValidationItem[], loc: (string | number)[], v: unknown): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) items.push({ loc, msg: 'Input should be a valid list of strings', type: 'list_type' });
  else if (v.some((t) => (t as string).includes(','))) items.push({ loc, msg: `Value error, ${String(loc.at(-1))} must not contain commas`, type: 'value_error' });
}

function toRecord(raw: Record<string, unknown>, embedText: string, previous: AmsMemory | undefined): AmsMemory {
  const now = new Date().toISOString();
  return {
    pinned: false,
    access_count: 0,
    memory_hash: null,
    discrete_memory_extracted: 't',
    persisted_at: now,
    extracted_from: null,
    extraction_strategy: 'discrete',
    extraction_strategy_config: {},
    ...raw,
    id: raw.id as string,
    text: embedText,
    user_id: (raw.user_id as string | null | undefined) ?? null,
    namespace: (raw.namespace as string | null | undefined) ?? null,
    session_id: (raw.session_id as string | null | undefined) ?? null,
    topics: (raw.topics as string[] | null | undefined) ?? null,
    entities: (raw.entities as string[] | null | undefined) ?? null,
    memory_type: (raw.memory_type as string | undefined) ?? 'semantic',
    event_date: (raw.event_date as string | null | undefined) ?? null,
    created_at: (raw.created_at as string | undefined) ?? previous?.created_at ?? now,
    updated_at: now,
    last_accessed: now,
  };
}

/**
 * Stores memories as the server's `index_long_term_memories` does: by id, and, when deduplicating,
 * an exact-duplicate text of the same user and namespace is merged into the existing record.
 */
export function indexMemories(memories: Map<string, AmsMemory>, vectors: Map<string, number[]>, embed: EmbedFunction, list: Record<string, unknown>[], dedupe: boolean): void {
  for (const raw of list) {
    if (dedupe) {
      const twin = [...memories.values()].find((x) => x.id !== raw.id && x.text === raw.text && x.user_id === (raw.user_id ?? null) && x.namespace === (raw.namespace ?? null));
      if (twin) continue;
    }
    const record = toRecord(raw, raw.text as string, memories.get(raw.id as string));
    memories.set(record.id, record);
    vectors.set(record.id, embed(record.text));
  }
}

export function amsLongTermHandler(memories: Map<string, AmsMemory>, vectors: Map<string, number[]>, embed: EmbedFunction): (req: Incoming) => Outgoing | undefined {
  return (req) => {
    if (req.path === '/v1/long-term-memory/' && req.method === 'POST') {
      if (req.bodyError || !isObject(req.body)) return unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
      const list = req.body.memories;
      const items: ValidationItem[] = [];
      if (!Array.isArray(list)) return unprocessable([{ loc: ['body', 'memories'], msg: 'Field required', type: 'missing' }]);
      list.forEach((m, i) => {
        if (!isObject(m)) return items.push({ loc: ['body', 'memories', i], msg: 'Input should be a valid dictionary', type: 'dict_type' });
        if (typeof m.text !== 'string') items.push({ loc: ['body', 'memories', i, 'text'], msg: 'Field required', type: 'missing' });
        if (typeof m.id !== 'string') items.push({ loc: ['body', 'memories', i, 'id'], msg: 'Field required', type: 'missing' });
        if (m.memory_type !== undefined && !TYPES.includes(m.memory_type as string)) items.push({ loc: ['body', 'memories', i, 'memory_type'], msg: `Input should be ${TYPES.map((t) => `'${t}'`).join(', ')}`, type: 'enum' });
        checkTags(items, ['body', 'memories', i, 'topics'], m.topics);
        checkTags(items, ['body', 'memories', i, 'entities'], m.entities);
        if (!items.length && (!m.id || !m.text)) items.push({ loc: ['body'], msg: `Value error, Memory at index ${i} has empty ${!m.id ? 'id' : 'text'}`, type: 'value_error' });
      });
      if (items.length) return unprocessable(items);
      indexMemories(memories, vectors, embed, list as Record<string, unknown>[], req.body.deduplicate !== false);
      return { status: 200, body: { status: 'ok' } };
    }
    if (req.path === '/v1/long-term-memory/search' && req.method === 'POST') return search(memories, vectors, embed, req);
    if (req.path === '/v1/long-term-memory' && req.method === 'DELETE') {
      let count = 0;
      for (const id of req.query.getAll('memory_ids')) {
        if (memories.delete(id)) count++;
        vectors.delete(id);
      }
      return { status: 200, body: { status: `ok, deleted ${count} memories` } };
    }
    const one = match('/v1/long-term-memory/{memory_id}', req.path, true);
    if (one) {
      const m = memories.get(one.memory_id!);
      if (req.method === 'GET') return m ? { status: 200, body: m } : detail(404, `Memory with ID ${one.memory_id} not found`);
      if (req.method === 'PATCH') {
        if (req.bodyError || !isObject(req.body)) return unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
        const b = req.body;
        const items: ValidationItem[] = [];
        checkTags(items, ['body', 'topics'], b.topics);
        checkTags(items, ['body', 'entities'], b.entities);
        if (b.memory_type != null && !TYPES.includes(b.memory_type as string)) items.push({ loc: ['body', 'memory_type'], msg: 'Input should be a valid memory type', type: 'enum' });
        if (items.length) return unprocessable(items);
        const updates = Object.fromEntries(Object.entries(b).filter(([k, v]) => v !== null && v !== undefined && ['text', 'topics', 'entities', 'memory_type', 'namespace', 'user_id', 'session_id', 'event_date', 'pinned'].includes(k)));
        if (!Object.keys(updates).length) return detail(400, 'No fields provided for update');
        if (!m) return detail(404, `Memory with ID ${one.memory_id} not found`);
        Object.assign(m, updates, { updated_at: new Date().toISOString() });
        if (typeof updates.text === 'string') vectors.set(m.id, embed(m.text));
        return { status: 200, body: m };
      }
    }
    return undefined;
  };
}

export function search(memories: Map<string, AmsMemory>, vectors: Map<string, number[]>, embed: EmbedFunction, req: Pick<Incoming, 'body' | 'bodyError'>): Outgoing {
  const b = req.body === undefined ? {} : req.body;
  if (req.bodyError || !isObject(b)) return unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
  const items: ValidationItem[] = [];
  const limit = b.limit ?? 10;
  const offset = b.offset ?? 0;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) items.push({ loc: ['body', 'limit'], msg: 'Input should be between 1 and 100', type: 'less_than_equal' });
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) items.push({ loc: ['body', 'offset'], msg: 'Input should be greater than or equal to 0', type: 'greater_than_equal' });
  const mode = b.search_mode ?? 'semantic';
  if (!['semantic', 'keyword', 'hybrid'].includes(mode as string)) items.push({ loc: ['body', 'search_mode'], msg: "Input should be 'semantic', 'keyword' or 'hybrid'", type: 'enum' });
  for (const f of ['session_id', 'namespace', 'topics', 'entities', 'user_id', 'memory_type'] as const) {
    const tag = b[f] as Tag | undefined | null;
    if (tag == null) continue;
    if (!isObject(tag)) items.push({ loc: ['body', f], msg: 'Input should be a valid dictionary', type: 'dict_type' });
    else if ((tag.eq != null && tag.ne != null) || (tag.any != null && tag.all != null)) items.push({ loc: ['body', f], msg: 'Value error, eq and ne (or any and all) cannot both be set', type: 'value_error' });
  }
  if (items.length) return unprocessable(items);
  if (b.distance_threshold != null && mode !== 'semantic') return detail(400, 'distance_threshold is only supported for semantic search mode');
  const run = (withSoftFilters: boolean) => {
    const pass = (m: AmsMemory) => {
      for (const f of ['session_id', 'user_id'] as const) if (b[f] && !tagMatches(m[f], b[f] as Tag)) return false;
      if (withSoftFilters) for (const f of ['namespace', 'topics', 'entities', 'memory_type'] as const) if (b[f] && !tagMatches(m[f] as string | string[] | null, b[f] as Tag)) return false;
      for (const f of ['created_at', 'last_accessed', 'event_date'] as const) {
        const d = b[f];
        if (!isObject(d)) continue;
        if (m[f] === null) return false;
        const at = Date.parse(m[f] as string);
        const t = (x: unknown) => (typeof x === 'string' && DATE_TIME.test(x) ? Date.parse(x) : NaN);
        if ((d.gt != null && !(at > t(d.gt))) || (d.gte != null && !(at >= t(d.gte))) || (d.lt != null && !(at < t(d.lt))) || (d.lte != null && !(at <= t(d.lte))) || (d.eq != null && at !== t(d.eq))) return false;
      }
      return true;
    };
    const query = typeof b.text === 'string' && b.text.trim() ? embed(b.text) : undefined;
    return [...memories.values()]
      .filter(pass)
      .map((m) => ({ m, dist: query ? 1 - cosine(query, vectors.get(m.id) ?? []) : 0 }))
      .filter(({ dist }) => b.distance_threshold == null || dist <= (b.distance_threshold as number))
      .sort((x, y) => x.dist - y.dist || x.m.id.localeCompare(y.m.id));
  };
  let results = run(true);
  // As the real server does: a semantic search whose strict filters match nothing is retried
  // without the namespace, topics, entities, memory type and event date filters.
  const strict = ['topics', 'entities', 'namespace', 'memory_type', 'event_date'].some((k) => b[k] != null);
  if (!results.length && strict && mode === 'semantic') results = run(false);
  const page = results.slice(offset as number, (offset as number) + (limit as number));
  return {
    status: 200,
    body: {
      memories: page.map(({ m, dist }) => ({ ...m, dist, score: Math.max(0, 1 - dist), score_type: 'semantic' })),
      total: results.length,
      next_offset: (offset as number) + (limit as number) < results.length ? (offset as number) + (limit as number) : null,
    },
  };
}

export { ulid };
