/**
 * Long-term memory of the Agent Memory Server reference server, as v0.15.2 keeps it in its
 * RedisVL index (`long_term_memory.py`, `memory_vector_db.py`): records with the server's
 * defaults and memory hash, indexing with deduplication by id, by hash and by meaning (merged by
 * the stand-in model), searches with the index's TAG matching, the soft-filter fallback and
 * recency re-ranking, and the rate-limited access updates that follow a search.
 */
import { createHash } from 'node:crypto';
import { cosine, type EmbedFunction } from '../embedding.js';
import { isObject, match, type Incoming, type Outgoing } from '../http.js';
import { mergeAnswer } from '../stand-in-model/answers.js';
import { detail, invalid, parsePyDatetime, pyDatetime, pyIndexed, pyNow, pythonJsonSorted, unprocessable, type ValidationItem } from './pydantic.js';
import { hasTag, tagsOf } from './tags.js';
import { ulid } from './ulid.js';
import { bm25Scores, normaliseScores } from './text-score.js';
import { textOf } from '../../codec/json.js';

type SearchMode = 'semantic' | 'keyword' | 'hybrid';

/** A record as the index holds it (what a read returns, before `dist`/`score`). */
export interface AmsMemory {
  id: string;
  text: string;
  session_id: string | null;
  user_id: string | null;
  namespace: string | null;
  last_accessed: string;
  created_at: string;
  updated_at: string;
  pinned: boolean;
  access_count: number;
  topics: string[];
  entities: string[];
  memory_hash: string;
  discrete_memory_extracted: 't' | 'f';
  memory_type: string;
  persisted_at: string | null;
  extracted_from: string[];
  event_date: string | null;
  extraction_strategy: string;
  extraction_strategy_config: Record<string, unknown>;
}

/** A record on its way in: what a client or the server's own work hands to indexing. */
export type MemoryInput = Partial<AmsMemory> & { id: string; text: string };

const TYPES = ['episodic', 'semantic', 'message'];
/** `settings.deduplication_distance_threshold`. */
const DEDUP_DISTANCE = 0.35;
/** `SEMANTIC_DEDUP_SEARCH_LIMIT` and the query limit with one spare slot. */
const DEDUP_LIMIT = 10;
/** `update_last_accessed(min_interval_seconds=900)`. */
const ACCESS_INTERVAL_S = 900;

/** `generate_memory_hash`: SHA-256 of the sorted JSON of text, ids and type. */
export function memoryHash(m: Pick<AmsMemory, 'text' | 'user_id' | 'session_id' | 'namespace' | 'memory_type'>): string {
  return createHash('sha256')
    .update(pythonJsonSorted({ text: m.text, user_id: m.user_id, session_id: m.session_id, namespace: m.namespace, memory_type: m.memory_type }))
    .digest('hex');
}

interface Stored {
  record: AmsMemory;
  vector: number[];
  /** `update_last_accessed` reads `last_accessed` with int(): a time indexed as a float never parses. */
  accessedAsInt: boolean;
}

type Tag = { eq?: unknown; ne?: unknown; any?: unknown; all?: unknown; startswith?: unknown };
type DateFilter = { gt?: unknown; gte?: unknown; lt?: unknown; lte?: unknown; eq?: unknown; ne?: unknown; between?: unknown };
export type Filters = Partial<
  Record<'session_id' | 'user_id' | 'namespace' | 'topics' | 'entities' | 'memory_type' | 'memory_hash' | 'id' | 'discrete_memory_extracted', Tag>
> &
  Partial<Record<'created_at' | 'last_accessed' | 'event_date', DateFilter>>;

export interface SearchOutcome {
  memories: (AmsMemory & { dist: number; score: number | null; score_type: string | null })[];
  total: number;
  next_offset: null;
}

const seconds = (iso: string | null) => (iso === null ? null : (parsePyDatetime(iso)?.ms ?? NaN) / 1000);

/**
 * A TAG filter the real server's Redis cannot parse: an `eq` or `ne` of `_` alone makes a search
 * answer 500 (test/real/tag-ids.test.ts), where a listing by it finds nothing.
 */
function refuseUnparsableTags(f: Filters): void {
  for (const tag of ['session_id', 'user_id', 'namespace', 'topics', 'entities', 'memory_hash', 'id'] as const) {
    const filter = f[tag];
    if (filter && (filter.eq === '_' || filter.ne === '_')) throw new Error(`Syntax error in the query: ${tag} TAG value "_"`);
  }
}

function tagPasses(stored: string | string[] | null, f: Tag): boolean {
  if (f.eq != null && !hasTag(stored, textOf(f.eq))) return false;
  if (f.ne != null && hasTag(stored, textOf(f.ne))) return false;
  // RedisVL builds `any` and `all` alike: a match of any one value.
  for (const list of [f.any, f.all]) if (Array.isArray(list) && !list.some((v) => hasTag(stored, String(v)))) return false;
  if (f.startswith != null && !tagsOf(stored).some((t) => t.startsWith(String(f.startswith).toLowerCase()))) return false;
  return true;
}

function datePasses(stored: string | null, f: DateFilter): boolean {
  const at = seconds(stored);
  if (at === null || Number.isNaN(at)) return false;
  const t = (v: unknown) => Math.trunc((parsePyDatetime(String(v))?.ms ?? NaN) / 1000);
  if (f.gt != null && !(at > t(f.gt))) return false;
  if (f.gte != null && !(at >= t(f.gte))) return false;
  if (f.lt != null && !(at < t(f.lt))) return false;
  if (f.lte != null && !(at <= t(f.lte))) return false;
  if (f.eq != null && at !== t(f.eq)) return false;
  if (f.ne != null && at === t(f.ne)) return false;
  if (Array.isArray(f.between) && !(at >= t(f.between[0]) && at <= t(f.between[1]))) return false;
  return true;
}

/** The server's long-term memory index. */
export class LongTermStore {
  private readonly stored = new Map<string, Stored>();

  constructor(private readonly embed: EmbedFunction) {}

  private passes(r: AmsMemory, f: Filters): boolean {
    for (const k of ['session_id', 'user_id', 'namespace', 'memory_type', 'memory_hash', 'id', 'discrete_memory_extracted'] as const)
      if (f[k] && !tagPasses(r[k], f[k])) return false;
    for (const k of ['topics', 'entities'] as const) if (f[k] && !tagPasses(r[k], f[k])) return false;
    for (const k of ['created_at', 'last_accessed', 'event_date'] as const) if (f[k] && !datePasses(r[k], f[k])) return false;
    return true;
  }

  /** Filter-only listing (`list_memories`), in index order. */
  list(f: Filters, limit: number, offset = 0): SearchOutcome {
    const raw = [...this.stored.values()].filter((s) => this.passes(s.record, f)).slice(0, limit + offset);
    return {
      memories: raw.slice(offset, offset + limit).map((s) => ({ ...s.record, dist: 0, score: null, score_type: null })),
      total: raw.length,
      next_offset: null,
    };
  }

  /**
   * A vector query (`search_memories`, semantic): the nearest `limit + offset` (within
   * `distanceThreshold` when given), ties in index order. `total` counts those, as the server does.
   */
  search(text: string, f: Filters, limit: number, offset = 0, distanceThreshold?: number | null, mode: SearchMode = 'semantic', alpha = 0.7): SearchOutcome {
    refuseUnparsableTags(f);
    if (mode !== 'semantic') return this.textSearch(text, f, limit, offset, mode, alpha);
    const query = this.embed(text);
    const raw = [...this.stored.values()]
      .filter((s) => this.passes(s.record, f))
      .map((s) => ({ s, dist: 1 - cosine(query, s.vector) }))
      .filter(({ dist }) => distanceThreshold == null || dist <= distanceThreshold)
      .sort((a, b) => a.dist - b.dist)
      .slice(0, limit + offset);
    return {
      memories: raw.slice(offset).map(({ s, dist }) => ({ ...s.record, dist, score: Math.max(0, 1 - dist), score_type: 'semantic' })),
      total: raw.length,
      next_offset: null,
    };
  }

  /**
   * Keyword search: the records that share a word with the query, by BM25 normalised by the best.
   * Hybrid search (RedisVL's aggregate query): the `limit + offset` nearest records by vector, each
   * scored `alpha` × vector similarity ((2 − distance) / 2) + (1 − `alpha`) × its text score, then
   * normalised by the best. Either way `dist` is 1 − the score, as the server reports it.
   */
  private textSearch(text: string, f: Filters, limit: number, offset: number, mode: 'keyword' | 'hybrid', alpha: number): SearchOutcome {
    let candidates = [...this.stored.values()].filter((s) => this.passes(s.record, f));
    let vectorSimilarity = candidates.map(() => 0);
    if (mode === 'hybrid') {
      const query = this.embed(text);
      const nearest = candidates
        .map((s) => ({ s, dist: 1 - cosine(query, s.vector) }))
        .sort((a, b) => a.dist - b.dist)
        .slice(0, limit + offset);
      candidates = nearest.map(({ s }) => s);
      vectorSimilarity = nearest.map(({ dist }) => (2 - dist) / 2);
    }
    const textScores = bm25Scores(
      text,
      candidates.map((s) => s.record.text),
    );
    const raw = mode === 'hybrid' ? textScores.map((t, i) => alpha * vectorSimilarity[i]! + (1 - alpha) * t) : textScores;
    const scores = normaliseScores(raw);
    const ranked = candidates
      .map((s, i) => ({ s, score: scores[i]!, matched: raw[i]! > 0 }))
      .filter(({ matched }) => matched)
      .sort((a, b) => b.score - a.score)
      .slice(0, limit + offset);
    return {
      memories: ranked.slice(offset).map(({ s, score }) => ({ ...s.record, dist: Math.max(0, 1 - score), score, score_type: mode })),
      total: ranked.length,
      next_offset: null,
    };
  }

  /** The record an id finds through the index (`get_long_term_memory_by_id`: a TAG match). */
  get(id: string): AmsMemory | undefined {
    const found = this.list({ id: { eq: id } }, 1).memories[0];
    return found && stripResult(found);
  }

  /** Removes records by id; the number removed. */
  remove(ids: string[]): number {
    let n = 0;
    for (const id of ids) if (this.stored.delete(id)) n++;
    return n;
  }

  /** `update_last_accessed`: once per 15 minutes per record, bump `access_count` and set `last_accessed`. */
  touch(ids: string[]): void {
    const now = Math.floor(Date.now() / 1000);
    for (const id of ids) {
      const s = this.stored.get(id);
      if (!s) continue;
      const last = s.accessedAsInt ? (seconds(s.record.last_accessed) ?? 0) : 0;
      if (now - last < ACCESS_INTERVAL_S) continue;
      s.record.last_accessed = pyIndexed(new Date(now * 1000).toISOString());
      s.record.access_count++;
      s.accessedAsInt = true;
    }
  }

  /** `add_memories`: stores (or replaces) records with the server's defaults and a fresh vector. */
  add(list: MemoryInput[]): void {
    const now = pyNow();
    for (const m of list) {
      const record = normalise(m, now);
      this.stored.delete(record.id);
      this.stored.set(record.id, { record, vector: this.embed(record.text), accessedAsInt: false });
    }
  }

  /**
   * `index_long_term_memories`: drops records without text or id, then (when deduplicating) for
   * each: replaces a record of the same id, skips an exact duplicate (same hash), or merges it
   * with the records within 0.35 of it when they form a cohesive group. Returns what was indexed.
   */
  index(list: MemoryInput[], deduplicate: boolean): AmsMemory[] {
    const valid = list.filter((m) => m.text && m.id);
    const processed: MemoryInput[] = [];
    for (const memory of valid) {
      if (!deduplicate) {
        processed.push(memory);
        continue;
      }
      let current = memory;
      const scope: Filters = {
        ...(memory.namespace ? { namespace: { eq: memory.namespace } } : {}),
        ...(memory.user_id ? { user_id: { eq: memory.user_id } } : {}),
      };
      const sameSession: Filters = { ...scope, ...(memory.session_id ? { session_id: { eq: memory.session_id } } : {}) };
      const byId = this.list({ ...sameSession, id: { eq: memory.id } }, 1).memories[0];
      if (byId) {
        if (byId.persisted_at) current = { ...current, persisted_at: byId.persisted_at };
        this.remove([byId.id]);
      } else {
        const hash = memoryHash(normalise(current, pyNow()));
        const twin = this.list({ ...sameSession, memory_hash: { eq: hash } }, 1).memories[0];
        if (twin) {
          const s = this.stored.get(twin.id)!;
          s.record.last_accessed = pyIndexed(new Date(Math.floor(Date.now() / 1000) * 1000).toISOString());
          s.accessedAsInt = true;
          continue;
        }
        current = this.mergeSimilar(current, scope);
      }
      processed.push(current);
    }
    if (!processed.length) return [];
    this.add(processed);
    // What the server's own work goes on with are the records it was handed, strategy and all.
    return processed.map((m) => ({
      ...this.stored.get(m.id)!.record,
      extraction_strategy: m.extraction_strategy ?? 'discrete',
      extraction_strategy_config: m.extraction_strategy_config ?? {},
    }));
  }

  /** Message records not yet extracted, as a filter-only listing reads them (no strategy). */
  unextractedMessages(): AmsMemory[] {
    return this.list({ memory_type: { eq: 'message' }, discrete_memory_extracted: { eq: 'f' } }, this.stored.size).memories.map(stripResult);
  }

  /** `deduplicate_by_semantic_search`, with the stand-in model's merge. */
  private mergeSimilar(memory: MemoryInput, scope: Filters): MemoryInput {
    const near = (text: string, exclude: Set<string>) =>
      this.search(text, scope, DEDUP_LIMIT + 1, 0, DEDUP_DISTANCE)
        .memories.filter((r) => !exclude.has(r.id))
        .map((r) => r.id);
    const candidates = near(memory.text, new Set([memory.id])).slice(0, DEDUP_LIMIT);
    if (!candidates.length) return memory;
    const capped = candidates.length >= DEDUP_LIMIT;
    for (const id of candidates) {
      const candidate = this.stored.get(id)!.record;
      const related = new Set(near(candidate.text, new Set([candidate.id, memory.id])));
      if (!capped && [...related].some((r) => !candidates.includes(r))) return memory;
      if (candidates.some((c) => c !== candidate.id && !related.has(c))) return memory;
    }
    const group = [normalise(memory, pyNow()), ...candidates.map((id) => this.stored.get(id)!.record)];
    // As `merge_memories_with_llm`: the whole indexing call fails.
    if (new Set(group.map((m) => m.user_id).filter(Boolean)).size > 1) throw new Error('Cannot merge memories with different user IDs');
    const time = (m: AmsMemory, k: 'created_at' | 'last_accessed') => parsePyDatetime(m[k])?.ms ?? Date.now();
    const merged: MemoryInput = {
      id: ulid(),
      text: mergeAnswer(group.map((m) => m.text)).trim(),
      user_id: group.find((m) => m.user_id)?.user_id ?? null,
      session_id: group.find((m) => m.session_id)?.session_id ?? null,
      namespace: group.find((m) => m.namespace)?.namespace ?? null,
      created_at: pyDatetime(new Date(Math.min(...group.map((m) => time(m, 'created_at')))).toISOString()),
      last_accessed: pyDatetime(new Date(Math.max(...group.map((m) => time(m, 'last_accessed')))).toISOString()),
      updated_at: pyNow(),
      topics: [...new Set(group.flatMap((m) => m.topics))],
      entities: [...new Set(group.flatMap((m) => m.entities))],
      memory_type: group.find((m) => m.memory_type)?.memory_type ?? 'semantic',
      discrete_memory_extracted: 't',
    };
    merged.memory_hash = memoryHash(normalise(merged, pyNow()));
    this.remove(candidates);
    return merged;
  }
}

function stripResult(m: AmsMemory & { dist?: number; score?: number | null; score_type?: string | null }): AmsMemory {
  const { dist: _d, score: _s, score_type: _t, ...record } = m;
  return record;
}

/** A record as the index gives it back: the server's defaults, its times at the index's precision. */
function normalise(m: MemoryInput, now: string): AmsMemory {
  const time = (v: string | null | undefined) => (v ? pyIndexed(v) : null);
  const base: AmsMemory = {
    id: m.id,
    text: m.text,
    session_id: m.session_id || null,
    user_id: m.user_id || null,
    namespace: m.namespace || null,
    last_accessed: time(m.last_accessed ?? now)!,
    created_at: time(m.created_at ?? now)!,
    updated_at: time(m.updated_at ?? now)!,
    pinned: m.pinned ?? false,
    access_count: m.access_count ?? 0,
    topics: sanitise(m.topics),
    entities: sanitise(m.entities),
    memory_hash: '',
    discrete_memory_extracted: m.discrete_memory_extracted ?? 'f',
    memory_type: m.memory_type ?? 'message',
    persisted_at: time(m.persisted_at),
    extracted_from: m.extracted_from ?? [],
    event_date: time(m.event_date),
    // The index keeps no strategy (ams-options test, "a record keeps no strategy on the server"): a record read back has the model's defaults.
    extraction_strategy: 'discrete',
    extraction_strategy_config: {},
  };
  return { ...base, memory_hash: m.memory_hash || memoryHash(base) };
}

/** Tags as the index stores and reads them back (`encode_tag_values` / `decode_tag_values`). */
function sanitise(values: string[] | null | undefined): string[] {
  return (values ?? []).map((v) => v.trim()).filter(Boolean);
}

function checkTags(items: ValidationItem[], loc: (string | number)[], v: unknown): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) return void items.push(invalid.list(loc, v));
  v.forEach((t, i) => {
    if (typeof t !== 'string') items.push(invalid.string([...loc, i], t));
  });
  if (v.every((t) => typeof t === 'string') && v.some((t: string) => t.includes(','))) {
    const i = v.findIndex((t: string) => t.includes(','));
    items.push(
      invalid.value(
        loc,
        v,
        `${String(loc.at(-1))}[${i}] contains a comma: '${String(v[i])}'. Commas are not allowed because they are used as delimiters in storage.`,
      ),
    );
  }
}

function checkFilterObject(items: ValidationItem[], loc: (string | number)[], v: unknown): void {
  if (v === undefined || v === null) return;
  if (!isObject(v))
    return void items.push({ type: 'model_attributes_type', loc, msg: 'Input should be a valid dictionary or object to extract fields from', input: v });
  if (v.eq != null && v.ne != null) items.push(invalid.value(loc, v, 'eq and ne cannot both be set'));
  else if (v.any != null && v.all != null) items.push(invalid.value(loc, v, 'any and all cannot both be set'));
}

/** The fields of a search request that name filters, as the server passes them on. */
function filtersOf(b: Record<string, unknown>): Filters {
  const out: Record<string, unknown> = {};
  for (const k of ['session_id', 'user_id', 'namespace', 'topics', 'entities', 'memory_type', 'created_at', 'last_accessed', 'event_date'])
    if (b[k] != null) out[k] = b[k];
  return out;
}

/** `POST /v1/long-term-memory/search` (and the memory prompt's search): validation, search, fallback, recency. */
export function searchRequest(store: LongTermStore, body: unknown): Outgoing {
  if (!isObject(body)) return unprocessable([invalid.dict(['body'], body)]);
  const b = body;
  const items: ValidationItem[] = [];
  const limit = b.limit ?? 10;
  const offset = b.offset ?? 0;
  if (typeof limit !== 'number' || !Number.isInteger(limit)) items.push(invalid.int(['body', 'limit'], limit));
  else if (limit < 1) items.push(invalid.ge(['body', 'limit'], limit, 1));
  else if (limit > 100) items.push(invalid.le(['body', 'limit'], limit, 100));
  if (typeof offset !== 'number' || !Number.isInteger(offset)) items.push(invalid.int(['body', 'offset'], offset));
  else if (offset < 0) items.push(invalid.ge(['body', 'offset'], offset, 0));
  const mode = b.search_mode ?? 'semantic';
  if (!['semantic', 'keyword', 'hybrid'].includes(mode as string)) items.push(invalid.enum(['body', 'search_mode'], mode, ['semantic', 'keyword', 'hybrid']));
  for (const f of ['session_id', 'namespace', 'topics', 'entities', 'user_id', 'memory_type'] as const) checkFilterObject(items, ['body', f], b[f]);
  if (items.length) return unprocessable(items);
  if (b.distance_threshold != null && mode !== 'semantic') return detail(400, 'distance_threshold is only supported for semantic search mode');
  const filters = filtersOf(b);
  const text = typeof b.text === 'string' ? b.text : '';
  const run = (t: string, f: Filters) =>
    t.trim()
      ? store.search(
          t,
          f,
          limit as number,
          offset as number,
          b.distance_threshold as number | null,
          mode as SearchMode,
          typeof b.hybrid_alpha === 'number' ? b.hybrid_alpha : 0.7,
        )
      : store.list(f, limit as number, offset as number);
  let result = run(text, filters);
  // The soft-filter fallback: strict filters that found nothing are dropped, their values hinted in the text.
  const strict = ['topics', 'entities', 'namespace', 'memory_type', 'event_date'] as const;
  if (result.total === 0 && strict.some((k) => filters[k] != null) && mode === 'semantic') {
    const values = (k: (typeof strict)[number]) => {
      const f = filters[k];
      if (!f) return [];
      return ['eq', 'any', 'all'].flatMap((a) => {
        const v = (f as Record<string, unknown>)[a];
        return Array.isArray(v) ? v.map(textOf) : v != null ? [textOf(v)] : [];
      });
    };
    const hints = [
      ['topics', values('topics')],
      ['entities', values('entities')],
      ['namespace', values('namespace')],
      ['type', values('memory_type')],
    ]
      .filter(([, v]) => (v as string[]).length)
      .map(([name, v]) => `${name as string}: ${[...new Set(v as string[])].sort().join(', ')}`);
    const relaxed = { ...filters };
    for (const k of strict) delete relaxed[k];
    result = run(`${text}${hints.length ? ` (${hints.join('; ')})` : ''}`.trim(), relaxed);
  }
  // Recency re-ranking, on unless the request turns it off; the results' access is then recorded.
  if (b.recency_boost !== false && result.memories.length) {
    result = { ...result, memories: rerankByRecency(result.memories, recencyParams(b)) };
    const ids = result.memories.map((m) => m.id);
    return { status: 200, body: result, after: () => store.touch(ids) };
  }
  return { status: 200, body: result };
}

export interface RecencyParams {
  semantic_weight: number;
  recency_weight: number;
  freshness_weight: number;
  novelty_weight: number;
  half_life_last_access_days: number;
  half_life_created_days: number;
}

/** `_build_recency_params`: the request's `recency_*` values, else the server's defaults. */
export function recencyParams(b: Record<string, unknown>): RecencyParams {
  const n = (k: string, d: number) => (typeof b[k] === 'number' ? b[k] : d);
  return {
    semantic_weight: n('recency_semantic_weight', 0.8),
    recency_weight: n('recency_recency_weight', 0.2),
    freshness_weight: n('recency_freshness_weight', 0.6),
    novelty_weight: n('recency_novelty_weight', 0.4),
    half_life_last_access_days: n('recency_half_life_last_access_days', 7),
    half_life_created_days: n('recency_half_life_created_days', 30),
  };
}

/** `rerank_with_recency`: semantic_weight × (1 − dist) + recency_weight × (freshness and novelty decays). */
export function rerankByRecency<T extends { dist: number; last_accessed: string; created_at: string }>(results: T[], p: RecencyParams, now = Date.now()): T[] {
  const days = (iso: string) => Math.max((now - (parsePyDatetime(iso)?.ms ?? now)) / 86_400_000, 0);
  const score = (m: T) => {
    const freshness = Math.exp((-Math.log(2) / Math.max(p.half_life_last_access_days, 0.001)) * days(m.last_accessed));
    const novelty = Math.exp((-Math.log(2) / Math.max(p.half_life_created_days, 0.001)) * days(m.created_at));
    const recency = Math.min(Math.max(p.freshness_weight * freshness + p.novelty_weight * novelty, 0), 1);
    return p.semantic_weight * (1 - m.dist) + p.recency_weight * recency;
  };
  return results
    .map((m, i) => ({ m, i, s: score(m) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.m);
}

/** The long-term routes; `afterCreate` is the work a POST runs after its response (indexing). */
export function amsLongTermHandler(
  store: LongTermStore,
  afterCreate: (list: MemoryInput[], deduplicate: boolean) => () => unknown,
): (req: Incoming) => Outgoing | undefined {
  return (req) => {
    if (req.path === '/v1/long-term-memory/' && req.method === 'POST') {
      if (req.bodyError)
        return unprocessable([{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]);
      if (!isObject(req.body)) return unprocessable([invalid.dict(['body'], req.body)]);
      const list = req.body.memories;
      if (list === undefined) return unprocessable([invalid.missing(['body', 'memories'], req.body)]);
      if (!Array.isArray(list)) return unprocessable([invalid.list(['body', 'memories'], list)]);
      const items: ValidationItem[] = [];
      list.forEach((m, i) => {
        const at = ['body', 'memories', i];
        if (!isObject(m))
          return void items.push({
            type: 'model_attributes_type',
            loc: at,
            msg: 'Input should be a valid dictionary or object to extract fields from',
            input: m,
          });
        if (m.text === undefined) items.push(invalid.missing([...at, 'text'], m));
        else if (typeof m.text !== 'string') items.push(invalid.string([...at, 'text'], m.text));
        if (m.id === undefined) items.push(invalid.missing([...at, 'id'], m));
        else if (typeof m.id !== 'string') items.push(invalid.string([...at, 'id'], m.id));
        if (m.memory_type !== undefined && !TYPES.includes(m.memory_type as string)) items.push(invalid.enum([...at, 'memory_type'], m.memory_type, TYPES));
        checkTags(items, [...at, 'topics'], m.topics);
        checkTags(items, [...at, 'entities'], m.entities);
        for (const k of ['event_date', 'created_at'] as const)
          if (m[k] != null && (typeof m[k] !== 'string' || !parsePyDatetime(m[k]))) items.push(invalid.datetime([...at, k], m[k]));
      });
      if (!items.length) {
        const empty = list.findIndex((m) => !(m as MemoryInput).id || !(m as MemoryInput).text);
        if (empty >= 0) items.push(invalid.value(['body'], req.body, `Memory at index ${empty} has empty ${!(list[empty] as MemoryInput).id ? 'id' : 'text'}`));
      }
      if (items.length) return unprocessable(items);
      // ExtractedMemoryRecord: extraction counts as done; persisted_at is the server's to set.
      const memories = (list as MemoryInput[]).map((m) => ({ discrete_memory_extracted: 't' as const, memory_type: 'semantic', ...m, persisted_at: null }));
      return { status: 200, body: { status: 'ok' }, after: afterCreate(memories, req.body.deduplicate !== false) };
    }
    if (req.path === '/v1/long-term-memory/search' && req.method === 'POST') {
      if (req.bodyError)
        return unprocessable([{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]);
      return searchRequest(store, req.body ?? {});
    }
    if (req.path === '/v1/long-term-memory' && req.method === 'DELETE') {
      const count = store.remove(req.query.getAll('memory_ids'));
      return { status: 200, body: { status: `ok, deleted ${count} memories` } };
    }
    const one = match('/v1/long-term-memory/{memory_id}', req.path, true);
    if (!one) return undefined;
    const id = one.memory_id!;
    if (req.method === 'GET') {
      const m = store.get(id);
      return m ? { status: 200, body: m } : detail(404, `Memory with ID ${id} not found`);
    }
    if (req.method === 'PATCH') {
      if (!isObject(req.body)) return unprocessable([invalid.dict(['body'], req.body)]);
      const b = req.body;
      const items: ValidationItem[] = [];
      checkTags(items, ['body', 'topics'], b.topics);
      checkTags(items, ['body', 'entities'], b.entities);
      if (b.memory_type != null && !TYPES.includes(b.memory_type as string)) items.push(invalid.enum(['body', 'memory_type'], b.memory_type, TYPES));
      if (items.length) return unprocessable(items);
      const updates = Object.fromEntries(
        Object.entries(b).filter(
          ([k, v]) =>
            v !== null &&
            v !== undefined &&
            ['text', 'topics', 'entities', 'memory_type', 'namespace', 'user_id', 'session_id', 'event_date', 'pinned'].includes(k),
        ),
      );
      if (!Object.keys(updates).length) return detail(400, 'No fields provided for update');
      const existing = store.get(id);
      if (!existing) return detail(404, `Memory with ID ${id} not found`);
      const updated: AmsMemory = { ...existing, ...(updates as Partial<AmsMemory>), updated_at: pyNow() };
      if (typeof updates.event_date === 'string') updated.event_date = pyDatetime(updates.event_date);
      if (updates.text !== undefined) updated.memory_hash = memoryHash(updated);
      store.add([updated]);
      return { status: 200, body: updated };
    }
    return undefined;
  };
}
