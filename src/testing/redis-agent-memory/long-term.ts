import { cosine, type EmbedFunction } from '../embedding.js';
import { DATE_TIME, isObject, match, type Incoming, type Outgoing } from '../http.js';
import type { NamespaceTable } from './namespaces.js';
import { checkId, decodeToken, encodeToken, problem } from './session-memory.js';

/** Long-term memory of the Redis Agent Memory reference server: bulk create/delete, get, patch, search. */
interface Violation {
  field: string;
  rule: string;
  message: string;
}

export interface RamMemory {
  id: string;
  text: string;
  memoryType?: string;
  sessionId?: string;
  ownerId?: string;
  namespace?: string;
  /** The namespace object the record is placed in (`namespaceRef`), instead of a label. */
  namespaceId?: string;
  topics?: string[];
  attributes?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  vector: number[];
}

const TYPE = /^[a-zA-Z][a-zA-Z0-9_-]*$/;

function checkRecordFields(v: Violation[], prefix: string, r: Record<string, unknown>, creating: boolean): void {
  if (r.attributes !== undefined && !isObject(r.attributes)) v.push({ field: `${prefix}attributes`, rule: 'type', message: 'attributes must be an object' });
  if (creating || r.text !== undefined) {
    if (typeof r.text !== 'string' || r.text.length < 1 || r.text.length > 50_000)
      v.push({ field: `${prefix}text`, rule: 'length', message: 'text must be 1-50000 characters' });
  }
  if (r.memoryType !== undefined && (typeof r.memoryType !== 'string' || r.memoryType.length > 64 || !TYPE.test(r.memoryType))) {
    v.push({ field: `${prefix}memoryType`, rule: 'pattern', message: 'memoryType must match ^[a-zA-Z][a-zA-Z0-9_-]*$ (1-64)' });
  }
  if (r.topics !== undefined) {
    if (!Array.isArray(r.topics) || r.topics.length > 50)
      v.push({ field: `${prefix}topics`, rule: 'maxItems', message: 'topics must be an array of at most 50' });
    else
      r.topics.forEach(
        (t, i) =>
          (typeof t !== 'string' || t.length < 1 || t.length > 100) &&
          v.push({ field: `${prefix}topics[${i}]`, rule: 'length', message: 'each topic must be 1-100 characters' }),
      );
  }
}

function view(m: RamMemory, namespaces: NamespaceTable) {
  const { vector: _v, namespaceId, ...rest } = m;
  const ref = namespaces.ref(namespaceId);
  return { ...rest, ...(ref ? { namespaceRef: ref } : {}) };
}

type Filter = { eq?: unknown; ne?: unknown; in?: unknown[]; all?: unknown[] };

function matchesScalar(value: string | undefined, f: Filter, caseInsensitive: boolean): boolean {
  const norm = (x: unknown) => (caseInsensitive && typeof x === 'string' ? x.toLowerCase() : x);
  const v = norm(value);
  if (f.eq !== undefined && (value === undefined || v !== norm(f.eq))) return false;
  if (f.ne !== undefined && v === norm(f.ne)) return false;
  if (f.in !== undefined && (value === undefined || !f.in.map(norm).includes(v))) return false;
  if (f.all !== undefined && (value === undefined || !f.all.map(norm).every((x) => x === v))) return false;
  return true;
}

function matchesTopics(topics: string[] | undefined, f: Filter): boolean {
  const have = (topics ?? []).map((t) => t.toLowerCase());
  const l = (x: unknown) => String(x).toLowerCase();
  if (f.eq !== undefined && !have.includes(l(f.eq))) return false;
  if (f.ne !== undefined && have.includes(l(f.ne))) return false;
  if (f.in !== undefined && !f.in.some((x) => have.includes(l(x)))) return false;
  if (f.all !== undefined && !f.all.every((x) => have.includes(l(x)))) return false;
  return true;
}

/** Stores one record by its id: the same id is the same record, so creation is idempotent. */
export function storeMemory(memories: Map<string, RamMemory>, embed: EmbedFunction, r: Record<string, unknown>): void {
  const now = new Date().toISOString();
  const previous = memories.get(r.id as string);
  memories.set(r.id as string, {
    id: r.id as string,
    text: r.text as string,
    ...(r.memoryType ? { memoryType: r.memoryType as string } : {}),
    ...(r.sessionId ? { sessionId: r.sessionId as string } : {}),
    ownerId: r.ownerId as string,
    ...(r.namespace ? { namespace: r.namespace as string } : {}),
    ...(isObject(r.namespaceRef) && typeof r.namespaceRef.namespaceId === 'string' ? { namespaceId: r.namespaceRef.namespaceId } : {}),
    ...(r.topics ? { topics: r.topics as string[] } : {}),
    ...(isObject(r.attributes) ? { attributes: r.attributes } : {}),
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    vector: embed(r.text as string),
  });
}

export function ramLongTermHandler(
  memories: Map<string, RamMemory>,
  embed: EmbedFunction,
  namespaces: NamespaceTable,
): (req: Incoming, storeId: string) => Outgoing | undefined {
  const view_ = (m: RamMemory) => view(m, namespaces);
  return (req, storeId) => {
    const base = `/v1/stores/${storeId}/long-term-memory`;
    if (req.path === base && req.method === 'POST') {
      if (req.bodyError || !isObject(req.body)) return problem(400, req.bodyError ?? 'request body must be a JSON object');
      const list = req.body.memories;
      if (!Array.isArray(list) || list.length < 1 || list.length > 100)
        return problem(400, 'memories must hold 1-100 records', [{ field: 'memories', rule: 'size', message: 'memories must hold 1-100 records' }]);
      const v: Violation[] = [];
      list.forEach((r, i) => {
        if (!isObject(r)) return v.push({ field: `memories[${i}]`, rule: 'type', message: 'each memory must be an object' });
        checkId(v, `memories[${i}].id`, r.id, true);
        checkId(v, `memories[${i}].ownerId`, r.ownerId, true);
        checkId(v, `memories[${i}].sessionId`, r.sessionId, false);
        checkId(v, `memories[${i}].namespace`, r.namespace, false);
        checkRecordFields(v, `memories[${i}].`, r, true);
      });
      const placements = list.map((r, i) => (isObject(r) ? namespaces.placement(r, `memories[${i}].`, v) : {}));
      if (v.length) return problem(400, 'request validation failed', v);
      const refused = placements.find((p) => p.error);
      if (refused?.error) return refused.error;
      const created: string[] = [];
      for (const r of list as Record<string, unknown>[]) {
        storeMemory(memories, embed, r);
        created.push(r.id as string);
      }
      return { status: 201, body: { created } };
    }
    if (req.path === base && req.method === 'DELETE') {
      if (req.bodyError || !isObject(req.body)) return problem(400, req.bodyError ?? 'request body must be a JSON object');
      const ids = req.body.memoryIds;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100)
        return problem(400, 'memoryIds must hold 1-100 ids', [{ field: 'memoryIds', rule: 'size', message: 'memoryIds must hold 1-100 ids' }]);
      const v: Violation[] = [];
      ids.forEach((id, i) => checkId(v, `memoryIds[${i}]`, id, true));
      if (v.length) return problem(400, 'request validation failed', v);
      const deleted: string[] = [];
      const errors: { id: string; error: string }[] = [];
      for (const id of ids as string[]) {
        if (memories.delete(id)) deleted.push(id);
        else errors.push({ id, error: 'memory not found' });
      }
      return { status: 200, body: { deleted, ...(errors.length ? { errors } : {}) } };
    }
    if (req.path === `${base}/search` && req.method === 'POST') return search(memories, embed, req, view_);
    if (req.path === `${base}/move` && req.method === 'POST') return move(memories, namespaces, req);
    const one = match('/v1/stores/{storeId}/long-term-memory/{memoryId}', req.path);
    if (one && one.memoryId !== 'search') {
      const v: Violation[] = [];
      checkId(v, 'memoryId', one.memoryId, true);
      if (v.length) return problem(400, 'invalid path parameter', v);
      const m = memories.get(one.memoryId!);
      if (req.method === 'GET') return m ? { status: 200, body: view_(m) } : problem(404, `memory ${one.memoryId} not found`);
      if (req.method === 'PATCH') {
        if (req.bodyError) return problem(400, req.bodyError);
        const b = req.body === undefined ? {} : req.body;
        if (!isObject(b)) return problem(400, 'request body must be a JSON object');
        checkRecordFields(v, '', b, false);
        for (const f of ['ownerId'] as const) if (b[f] !== undefined) checkId(v, f, b[f], true);
        for (const f of ['namespace', 'sessionId'] as const) if (b[f] !== undefined && b[f] !== '') checkId(v, f, b[f], true);
        const placed = namespaces.placement(b, '', v);
        if (v.length) return problem(400, 'request validation failed', v);
        if (!m) return problem(404, `memory ${one.memoryId} not found`);
        if (placed.error) return placed.error;
        if (placed.namespaceId) {
          m.namespaceId = placed.namespaceId;
          delete m.namespace;
        } else if (typeof b.namespace === 'string') delete m.namespaceId;
        if (typeof b.text === 'string') {
          m.text = b.text;
          m.vector = embed(b.text);
        }
        if (typeof b.memoryType === 'string') m.memoryType = b.memoryType;
        if (Array.isArray(b.topics)) m.topics = b.topics as string[];
        if (typeof b.ownerId === 'string') m.ownerId = b.ownerId;
        for (const f of ['namespace', 'sessionId'] as const) {
          if (b[f] === '') delete m[f];
          else if (typeof b[f] === 'string') m[f] = b[f];
        }
        m.updatedAt = new Date().toISOString();
        return { status: 200, body: view_(m) };
      }
    }
    const fields = match('/v1/stores/{storeId}/long-term-memory/{memoryId}/fields', req.path);
    if (fields && req.method === 'PATCH') {
      const m = memories.get(fields.memoryId!);
      if (!m) return problem(404, `memory ${fields.memoryId} not found`);
      const b = isObject(req.body) ? req.body : {};
      if (typeof b.memoryType !== 'string')
        return problem(400, 'memoryType is required', [{ field: 'memoryType', rule: 'required', message: 'memoryType is required' }]);
      if (typeof b.text === 'string') {
        m.text = b.text;
        m.vector = embed(b.text);
      }
      if (isObject(b.attributes)) m.attributes = b.attributes;
      return { status: 200 };
    }
    return undefined;
  };
}

/** Moves records into a namespace object (SDK 0.4.1 MoveLongTermMemories); an archived target is 409. */
function move(memories: Map<string, RamMemory>, namespaces: NamespaceTable, req: Incoming): Outgoing {
  if (req.bodyError || !isObject(req.body)) return problem(400, req.bodyError ?? 'request body must be a JSON object');
  const b = req.body;
  const v: Violation[] = [];
  if (!Array.isArray(b.memoryIds) || b.memoryIds.length < 1) v.push({ field: 'memoryIds', rule: 'required', message: 'memoryIds must hold at least one id' });
  else b.memoryIds.forEach((id, i) => checkId(v, `memoryIds[${i}]`, id, true));
  if (b.namespaceRef === undefined) v.push({ field: 'namespaceRef', rule: 'required', message: 'namespaceRef is required' });
  const placed = namespaces.placement(b, '', v);
  if (v.length) return problem(400, 'request validation failed', v);
  if (placed.error) return placed.error;
  const moved: string[] = [];
  const errors: { id: string; error: string }[] = [];
  for (const id of b.memoryIds as string[]) {
    const m = memories.get(id);
    if (!m) {
      errors.push({ id, error: 'memory not found' });
      continue;
    }
    m.namespaceId = placed.namespaceId!;
    delete m.namespace;
    m.updatedAt = new Date().toISOString();
    moved.push(id);
  }
  return { status: 200, body: { moved, ...(errors.length ? { errors } : {}) } };
}

function search(memories: Map<string, RamMemory>, embed: EmbedFunction, req: Incoming, view: (m: RamMemory) => unknown): Outgoing {
  if (req.bodyError) return problem(400, req.bodyError);
  const b = req.body === undefined ? {} : req.body;
  if (!isObject(b)) return problem(400, 'request body must be a JSON object');
  const v: Violation[] = [];
  const limit = b.limit === undefined ? 10 : b.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100)
    v.push({ field: 'limit', rule: 'range', message: 'limit must be an integer from 1 to 100' });
  const threshold = b.similarityThreshold;
  if (threshold !== undefined && (typeof threshold !== 'number' || threshold < 0 || threshold > 1))
    v.push({ field: 'similarityThreshold', rule: 'range', message: 'similarityThreshold must be from 0 to 1' });
  if (b.filterOp !== undefined && b.filterOp !== 'all' && b.filterOp !== 'any')
    v.push({ field: 'filterOp', rule: 'enum', message: 'filterOp must be all or any' });
  const filter = b.filter === undefined ? {} : b.filter;
  if (!isObject(filter)) v.push({ field: 'filter', rule: 'type', message: 'filter must be an object' });
  let offset = 0;
  if (b.pageToken !== undefined) {
    const decoded = typeof b.pageToken === 'string' ? decodeToken(b.pageToken) : undefined;
    if (decoded === undefined) v.push({ field: 'pageToken', rule: 'format', message: 'pageToken is not a token this service issued' });
    else offset = decoded;
  }
  if (v.length) return problem(400, 'request validation failed', v);
  const f = filter as Record<string, Filter | undefined>;
  const clauses: ((m: RamMemory) => boolean)[] = [];
  if (f.ownerId) clauses.push((m) => matchesScalar(m.ownerId, f.ownerId!, false));
  if (f.sessionId) clauses.push((m) => matchesScalar(m.sessionId, f.sessionId!, false));
  if (f.namespace) clauses.push((m) => matchesScalar(m.namespace, f.namespace!, true));
  // A namespace object filter matches that object only, not its children.
  if (f.namespaceRef) clauses.push((m) => m.namespaceId !== undefined && matchesScalar(m.namespaceId, f.namespaceRef!, false));
  const unnamespaced = (filter as Record<string, unknown>).unnamespaced;
  if (typeof unnamespaced === 'boolean') clauses.push((m) => (m.namespaceId === undefined) === unnamespaced);
  if (f.memoryType) clauses.push((m) => matchesScalar(m.memoryType, f.memoryType!, true));
  if (f.topics) clauses.push((m) => matchesTopics(m.topics, f.topics!));
  const created = (f as Record<string, unknown>).createdAt;
  if (isObject(created)) {
    const t = (x: unknown) => (typeof x === 'string' && DATE_TIME.test(x) ? Date.parse(x) : NaN);
    clauses.push((m) => {
      const c = Date.parse(m.createdAt);
      return (
        (created.gt === undefined || c > t(created.gt)) &&
        (created.gte === undefined || c >= t(created.gte)) &&
        (created.lt === undefined || c < t(created.lt)) &&
        (created.lte === undefined || c <= t(created.lte)) &&
        (created.eq === undefined || c === t(created.eq))
      );
    });
  }
  const any = b.filterOp === 'any';
  const pass = (m: RamMemory) => !clauses.length || (any ? clauses.some((c) => c(m)) : clauses.every((c) => c(m)));
  const query = typeof b.text === 'string' && b.text.trim() ? embed(b.text) : undefined;
  const scored = [...memories.values()]
    .filter(pass)
    .map((m) => ({ m, s: query ? cosine(query, m.vector) : 1 }))
    .filter(({ s }) => (query ? s > 0 : true) && (threshold === undefined || s >= (threshold as number)))
    .sort((a, b2) => (query ? b2.s - a.s : Date.parse(b2.m.createdAt) - Date.parse(a.m.createdAt)) || a.m.id.localeCompare(b2.m.id));
  const page = scored.slice(offset, offset + (limit as number));
  const next = offset + (limit as number) < scored.length ? encodeToken(offset + (limit as number)) : undefined;
  return { status: 200, body: { items: page.map(({ m }) => view(m)), ...(next ? { nextPageToken: next } : {}) } };
}
