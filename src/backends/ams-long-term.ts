import type { AgentMemoryServerClient, AgentMemoryServerSchemas } from '../clients/agent-memory-server.js';
import { AgentMemoryError } from '../clients/errors.js';
import {
  holdsAppMemory,
  inAppScope,
  scopeTopicFilter,
  visibleTopics,
  writtenTopics,
  type MemoryHit,
  type MemoryRecordInput,
  type MemoryScope,
  type MemoryType,
} from '../codec/memory.js';
import { amsSessionId, amsTagValue, tupleId } from '../codec/ids.js';
import { together } from '../codec/concurrency.js';
import { keywordQuery } from '../codec/keyword-query.js';
import { FUSED_ALPHA, FUSED_DEPTH, fuseByWords } from '../codec/search-fusion.js';
import { isRecord, type JsonValue } from '../codec/json.js';
import { EntryJournal } from './ams-entries.js';
import { JournalStore, type JournalKey } from './ams-journal.js';
import { unlessMissing } from './missing.js';
import { MEMORIES_HEADING, memoriesMessage } from '../codec/prompt.js';
import type { CallOptions, MemoryBackend, PromptMessage, PromptRequest } from './types.js';
import { workingMemoryIdOf } from '../codec/placement.js';

type Record_ = AgentMemoryServerSchemas['MemoryRecord'];

/**
 * Long-term memory on Agent Memory Server, keyed by the ADK user id and namespace as they are, as
 * are the memories the server extracts from a session's working memory. The server speaks in cosine distance (lower is closer);
 * this adapter converts to and from similarity (1 - distance) so `similarityThreshold` and
 * `score` mean the same as on Redis Agent Memory. When a filtered search finds nothing the server
 * retries without its namespace filter, so results are filtered again here before they are
 * returned: a search never yields another user's or namespace's memories.
 */
/** Agent Memory Server's search modes: fused (by meaning, reordered by the question's words too), by meaning (vectors), by words (BM25), or both weighted (hybrid). */
export const SEARCH_MODES = ['fused', 'semantic', 'keyword', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** How searches rank (the server's `recency_*` fields) and how the server extracts from message memories. */
export interface AmsLongTermOptions {
  recency?: RecencyOptions | undefined;
  /**
   * The search mode (default fused) and, for hybrid and fused, the weight of vector similarity in
   * the hybrid score: the server's (default 0.7), or for fused the same blend computed here over
   * the vector search's results (default `FUSED_ALPHA`, 0.8).
   */
  search?: { mode?: SearchMode; hybridAlpha?: number } | undefined;
  /** The context window the memory prompt fits the session's working memory into. */
  window?: Pick<AgentMemoryServerSchemas['WorkingMemoryRequest'], 'model_name' | 'context_window_max'> | undefined;
  extractionStrategy?: { strategy: string; config: Record<string, unknown> } | undefined;
}

/** The server's recency re-ranking, as `SearchRequest.recency_*` (unset: the server's defaults). */
export interface RecencyOptions {
  recency_boost?: boolean;
  recency_semantic_weight?: number;
  recency_recency_weight?: number;
  recency_freshness_weight?: number;
  recency_novelty_weight?: number;
  recency_half_life_last_access_days?: number;
  recency_half_life_created_days?: number;
}

export class AgentMemoryServerLongTermBackend implements MemoryBackend {
  readonly topicCommas = true;
  private readonly journals: JournalStore;
  /**
   * The records' `customMetadata`, which the server's records have no field for (0.15.2): kept
   * beside them, per user and namespace, in single-writer journal documents keyed by memory id.
   */
  private readonly metadata: EntryJournal;

  constructor(
    private readonly client: AgentMemoryServerClient,
    private readonly options: AmsLongTermOptions = {},
  ) {
    this.journals = new JournalStore(client);
    this.metadata = new EntryJournal(this.journals);
  }

  async write(scope: MemoryScope, records: MemoryRecordInput[], o?: CallOptions): Promise<void> {
    if (!records.length) return;
    const withMetadata = Object.fromEntries(records.filter((r) => r.metadata).map((r) => [r.id, r.metadata as JsonValue]));
    // Both in one round trip; the call rejects when either is not stored.
    await together(
      o?.signal,
      (signal) => (Object.keys(withMetadata).length ? this.metadata.write(metadataKey(scope), withMetadata, { signal }) : Promise.resolve()),
      (signal) => this.createRecords(scope, records, { signal }),
    );
  }

  private async createRecords(scope: MemoryScope, records: MemoryRecordInput[], o: CallOptions): Promise<void> {
    const { user_id, namespace } = this.keys(scope);
    await this.client.createLongTermMemories(
      {
        memories: records.map((r) => {
          const topics = writtenTopics(scope, r.topics);
          const eventDate = r.eventDate ? new Date(r.eventDate).toISOString() : undefined;
          return {
            id: r.id,
            text: r.text,
            user_id,
            namespace,
            memory_type: r.memoryType,
            ...(topics.length ? { topics } : {}),
            ...(eventDate ? { event_date: eventDate } : {}),
            // A message of a session was said at its event's time: the record's own time too, so recency ranks it by then.
            ...(eventDate && r.memoryType === 'message' ? { created_at: eventDate } : {}),
            ...(r.sessionId ? { session_id: amsSessionId(r.sessionId) } : {}),
            // Marked unextracted, message records are extracted by the server with the strategy each carries.
            ...(r.memoryType === 'message' && this.options.extractionStrategy
              ? {
                  discrete_memory_extracted: 'f' as const,
                  extraction_strategy: this.options.extractionStrategy.strategy,
                  extraction_strategy_config: this.options.extractionStrategy.config,
                }
              : {}),
          };
        }),
        // Ids are deterministic, so the same memory overwrites itself; no semantic merging.
        deduplicate: false,
      },
      o,
    );
  }

  async search(scope: MemoryScope, query: string, limit: number, similarityThreshold: number | undefined, o?: CallOptions): Promise<MemoryHit[]> {
    const { user_id, namespace } = this.keys(scope);
    const fused = this.fusesFor(query);
    // The metadata is read beside the search: no round trip more.
    const [res, metadata] = await together(
      o?.signal,
      (signal) =>
        this.client.searchLongTermMemory(
          {
            ...this.searchOf(query, similarityThreshold),
            user_id: { eq: user_id },
            namespace: { eq: namespace },
            ...scopeTopicFilter(scope),
            limit: fused ? depthFor(limit) : limit,
            ...this.options.recency,
          },
          undefined,
          { signal },
        ),
      (signal) => this.metadata.read(metadataKey(scope), { signal }),
    );
    const mine = res.memories.filter((r) => this.owns(scope, r));
    // In the server's order (by distance, or re-ranked by its recency formula, its default), or fused.
    return (fused ? this.fuse(query, mine, limit) : mine)
      .map((r) => ({ ...toHit(r, metadata[r.id]), score: clamp01(1 - r.dist) }))
      .filter((h) => similarityThreshold === undefined || h.score >= similarityThreshold)
      .slice(0, limit);
  }

  async get(scope: MemoryScope, id: string, o?: CallOptions): Promise<MemoryHit | undefined> {
    const [r, metadata] = await together(
      o?.signal,
      (signal) => unlessMissing(this.client.getLongTermMemory(id, { signal })),
      (signal) => this.metadata.read(metadataKey(scope), { signal }),
    );
    return r && this.owns(scope, r) ? toHit(r, metadata[id]) : undefined;
  }

  async update(scope: MemoryScope, id: string, patch: { text?: string; topics?: string[]; memoryType?: string }, o?: CallOptions): Promise<MemoryHit> {
    const r = await this.client.updateLongTermMemory(
      id,
      {
        ...(patch.text !== undefined ? { text: patch.text } : {}),
        ...(patch.topics !== undefined ? { topics: writtenTopics(scope, patch.topics) } : {}),
        ...(patch.memoryType !== undefined ? { memory_type: patch.memoryType as MemoryType } : {}),
      },
      o,
    );
    return toHit(r);
  }

  async remove(scope: MemoryScope, ids: string[], o?: CallOptions): Promise<void> {
    if (!ids.length) return;
    // Their metadata goes too (a null entry is a deleted one): read beside the delete.
    const [, metadata] = await together(
      o?.signal,
      (signal) => this.client.deleteLongTermMemories(ids, { signal }),
      (signal) => this.metadata.read(metadataKey(scope), { signal }),
    );
    const kept = ids.filter((id) => metadata[id] !== undefined && metadata[id] !== null);
    if (kept.length) await this.metadata.write(metadataKey(scope), Object.fromEntries(kept.map((id) => [id, null])), o);
  }

  /**
   * Every record of the user in the namespace, extracted ones included (they carry the working
   * memory's user and namespace) and those the server's compaction merged from this app's and
   * other apps' records: found by filters alone, page by page, and deleted; then looked
   * for again, until a pass finds none of theirs (pages may hold other users' records too, since
   * the server's TAG filter ignores ASCII case).
   */
  async removeAll(scope: MemoryScope, o?: CallOptions): Promise<number> {
    const { user_id, namespace } = this.keys(scope);
    let removed = 0;
    for (let pass = 0; pass < 10; pass++) {
      const ids = new Set<string>();
      for (let offset = 0; ; offset += SEARCH_PAGE) {
        const page = await this.client.searchLongTermMemory(
          { user_id: { eq: user_id }, namespace: { eq: namespace }, ...scopeTopicFilter(scope), limit: SEARCH_PAGE, offset, recency_boost: false },
          undefined,
          o,
        );
        // Records the server merged from this app's and other apps' memories go too.
        for (const r of page.memories) if (this.owns(scope, r, holdsAppMemory)) ids.add(r.id);
        if (page.memories.length < SEARCH_PAGE) break;
      }
      if (!ids.size) {
        await this.journals.removeAll(metadataKey(scope), o);
        return removed;
      }
      const all = [...ids];
      for (let i = 0; i < all.length; i += SEARCH_PAGE) await this.client.deleteLongTermMemories(all.slice(i, i + SEARCH_PAGE), o);
      removed += ids.size;
    }
    throw new AgentMemoryError(`forgetUser: memories of the user were still found after 10 rounds of deletes`, { operation: 'removeAll', type: 'incomplete' });
  }

  /**
   * The server's memory prompt: its working memory of the session (summary and messages) and a
   * long-term search. The memories block is rebuilt from the results that pass this scope's
   * user and namespace, since the server may widen a search that found nothing.
   */
  async prompt(scope: MemoryScope, request: PromptRequest, o?: CallOptions): Promise<PromptMessage[]> {
    const { user_id, namespace } = this.keys(scope);
    const fused = this.fusesFor(request.query);
    const res = await this.client.memoryPrompt(
      {
        query: request.query,
        ...(request.session
          ? { session: { session_id: workingMemoryIdOf(request.session) ?? amsSessionId(request.session.id), user_id, namespace, ...this.options.window } }
          : {}),
        long_term_search: {
          ...this.searchOf(request.query, undefined),
          user_id: { eq: user_id },
          namespace: { eq: namespace },
          ...scopeTopicFilter(scope),
          limit: fused ? depthFor(request.limit) : request.limit,
          ...this.options.recency,
        },
      },
      undefined,
      o,
    );
    const owned = (res.long_term_memories ?? []).filter((m) => this.owns(scope, m));
    const mine = fused ? this.fuse(request.query, owned, request.limit) : owned;
    return res.messages.map((m): PromptMessage => {
      // The server's messages carry MCP content: text, or (never here) images, audio, resources.
      const t = typeof m.content === 'string' ? m.content : m.content.type === 'text' ? m.content.text : '';
      const role = m.role ?? 'system';
      if (role === 'system' && t.startsWith(MEMORIES_HEADING)) return memoriesMessage(mine);
      return { role, content: { type: 'text', text: t } };
    });
  }

  /**
   * Whether a record is the scope's: its user and namespace (the server's TAG filters ignore ASCII
   * case and a search that finds nothing may be widened), and its app by `appRule`: `inAppScope`
   * for what the scope sees, `holdsAppMemory` for what forgetting its user deletes.
   */
  private owns(scope: MemoryScope, r: Pick<Record_, 'user_id' | 'namespace' | 'topics'>, appRule = inAppScope): boolean {
    const { user_id, namespace } = this.keys(scope);
    return r.user_id === user_id && r.namespace === namespace && appRule(scope, r.topics);
  }

  /** Whether a search for the query is fused: in fused mode, a query with a word to match. */
  private fusesFor(query: string): boolean {
    return (this.options.search?.mode ?? 'fused') === 'fused' && keywordQuery(query) !== undefined;
  }

  /**
   * The answer of a fused search from its vector search's results (see `fuseByWords`). The meaning
   * part of the blend is the server's order: by distance, or re-ranked by its recency formula (its
   * default, or the weights configured), whose scores it does not return. So the similarities,
   * best first, are handed out in the order the server gave: the same values when it ranked by
   * distance alone, and its recency ranking kept otherwise.
   */
  private fuse<R extends { text: string; dist: number }>(query: string, found: R[], limit: number): R[] {
    const alpha = this.options.search?.hybridAlpha ?? FUSED_ALPHA;
    const inServerOrder = found.map((r) => clamp01(1 - r.dist)).sort((a, b) => b - a);
    const ranked = found.map((r, i) => ({ r, similarity: inServerOrder[i]! }));
    return fuseByWords(query, ranked, limit, alpha, (c) => ({ text: c.r.text, similarity: c.similarity })).map((c) => c.r);
  }

  /**
   * What one search request sends for a query in the configured mode. Keyword and hybrid searches
   * get the query's matchable words (`keywordQuery`: never a shape that crashes the server's Redis);
   * a query with none (only stopwords or punctuation) is searched by meaning. The distance threshold
   * is the vectors' own, so it goes with searches by meaning only. Fused mode sends a search by
   * meaning, deeper than the answer, and reorders its results here (see `fuse`).
   */
  private searchOf(query: string, similarityThreshold: number | undefined) {
    const configured = this.options.search?.mode ?? 'fused';
    const mode = configured === 'fused' ? 'semantic' : configured;
    const words = mode === 'semantic' ? undefined : keywordQuery(query);
    if (words === undefined) return this.semanticSearch(query, similarityThreshold);
    return mode === 'hybrid' ? this.hybridSearch(words) : { text: words, search_mode: mode };
  }

  private hybridSearch(words: string) {
    const alpha = this.options.search?.hybridAlpha;
    return { text: words, search_mode: 'hybrid' as const, ...(alpha !== undefined ? { hybrid_alpha: alpha } : {}) };
  }

  private semanticSearch(query: string, similarityThreshold: number | undefined) {
    return {
      text: query,
      search_mode: 'semantic' as const,
      ...(similarityThreshold !== undefined ? { distance_threshold: 1 - similarityThreshold } : {}),
    };
  }

  /** The ids the session service gives the working memory, which the server gives the memories it extracts from it. */
  private keys(scope: MemoryScope) {
    return { user_id: amsTagValue(scope.userId), namespace: amsTagValue(scope.namespace) };
  }
}

/** The server's largest search page. */
const SEARCH_PAGE = 100;

/** How deep a fused search asks the server to search for an answer of `limit`. */
function depthFor(limit: number): number {
  return Math.min(SEARCH_PAGE, limit * FUSED_DEPTH);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** Where the customMetadata of a user's records in a namespace is kept. */
function metadataKey(scope: MemoryScope): JournalKey {
  return { namespace: tupleId('adk-m', 'memory-metadata', [scope.namespace, scope.userId]) };
}

function toHit(r: Record_, metadata?: JsonValue): MemoryHit {
  return {
    ...(isRecord(metadata) ? { metadata } : {}),
    id: r.id,
    text: r.text,
    memoryType: r.memory_type ?? 'message',
    topics: visibleTopics(r.topics),
    createdAt: r.created_at,
    eventDate: r.event_date ?? undefined,
  };
}
