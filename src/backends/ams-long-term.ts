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
  splitMessageText,
} from '../codec/memory.js';
import { amsSessionId, amsTagValue, tupleId } from '../codec/ids.js';
import { together } from '../codec/concurrency.js';
import { keywordQuery } from '../codec/keyword-query.js';
import { FUSED_ALPHA, FUSED_DEPTH, KEYWORD_DEPTH, fuseSearches } from '../codec/search-fusion.js';
import { isRecord, type JsonValue } from '../codec/json.js';
import { EntryJournal } from './ams-entries.js';
import { JournalStore, type JournalKey } from './ams-journal.js';
import { unlessMissing } from './missing.js';
import { MEMORIES_HEADING, memoriesMessage } from '../codec/prompt.js';
import type { CallOptions, MemoryBackend, PromptMessage, PromptRequest } from './types.js';
import { workingMemoryIdOf } from '../codec/placement.js';
import { DEFAULT_INDEX_CONFIRMATION, IndexConfirmation, type IndexConfirmationOptions } from './ams-index-confirmation.js';

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
  /**
   * Whether (and how long) a write waits until the server has indexed its records, which it does
   * after answering (default `DEFAULT_INDEX_CONFIRMATION`); `false` resolves on the server's answer.
   */
  confirmIndexed?: IndexConfirmationOptions | false | undefined;
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
  private readonly confirmation: IndexConfirmation | undefined;

  constructor(
    private readonly client: AgentMemoryServerClient,
    private readonly options: AmsLongTermOptions = {},
  ) {
    this.journals = new JournalStore(client);
    this.metadata = new EntryJournal(this.journals);
    const confirm = options.confirmIndexed ?? DEFAULT_INDEX_CONFIRMATION;
    this.confirmation = confirm ? new IndexConfirmation(client, confirm) : undefined;
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
    // The server answered before indexing; what it then fails to index is sent again, or reported.
    await this.confirmation?.confirm(
      records,
      (missing) => {
        const again = new Set(missing.map((r) => r.id));
        return this.createRecords(
          scope,
          records.filter((r) => again.has(r.id)),
          { signal: o?.signal },
        );
      },
      o?.signal,
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
    const fused = this.fusesFor(query);
    // The keyword search and the metadata are read beside the search: no round trip more.
    const [res, byWords, metadata] = await together(
      o?.signal,
      (signal) =>
        this.client.searchLongTermMemory(
          { ...this.searchOf(query, similarityThreshold), ...this.filters(scope), limit: fused ? depthFor(limit) : limit, ...this.options.recency },
          undefined,
          { signal },
        ),
      (signal) => (fused && similarityThreshold === undefined ? this.keywordSearch(scope, query, limit, signal) : Promise.resolve([])),
      (signal) => this.metadata.read(metadataKey(scope), { signal }),
    );
    const mine = res.memories.filter((r) => this.owns(scope, r));
    // In the server's order (by distance, or re-ranked by its recency formula, its default), or fused.
    const scored: { r: (typeof mine)[number]; score: number | undefined }[] = mine.map((r) => ({ r, score: clamp01(1 - r.dist) }));
    // A record the keyword search alone found has no similarity to report.
    const ranked = fused
      ? this.fuse(
          query,
          scored,
          byWords.map((r) => ({ r, score: undefined })),
          limit,
        )
      : scored;
    return ranked
      .map(({ r, score }) => ({ ...toHit(r, metadata[r.id]), score }))
      .filter((h) => similarityThreshold === undefined || (h.score ?? 0) >= similarityThreshold)
      .slice(0, limit);
  }

  /**
   * The keyword half of a fused search: the query's matchable words (`keywordQuery`), in BM25's
   * order, `KEYWORD_DEPTH` times as deep as the answer. Without the server's recency re-ranking:
   * the meaning half carries it, and a keyword rank is the words' alone (recency re-ranked, the
   * fused answer lost 0.7 points of recall@10 and 1.1 of hit@5 on LoCoMo). Left out with a
   * similarity threshold, which a record found by its words alone cannot be shown to pass.
   */
  private async keywordSearch(scope: MemoryScope, query: string, limit: number, signal: AbortSignal) {
    const res = await this.client.searchLongTermMemory(
      { text: keywordQuery(query)!, search_mode: 'keyword', ...this.filters(scope), limit: Math.min(SEARCH_PAGE, limit * KEYWORD_DEPTH), recency_boost: false },
      undefined,
      { signal },
    );
    return res.memories.filter((r) => this.owns(scope, r));
  }

  /** A search's user, namespace and app filters. */
  private filters(scope: MemoryScope) {
    const { user_id, namespace } = this.keys(scope);
    return { user_id: { eq: user_id }, namespace: { eq: namespace }, ...scopeTopicFilter(scope) };
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
    const [res, byWords] = await together(
      o?.signal,
      (signal) =>
        this.client.memoryPrompt(
          {
            query: request.query,
            ...(request.session
              ? { session: { session_id: workingMemoryIdOf(request.session) ?? amsSessionId(request.session.id), user_id, namespace, ...this.options.window } }
              : {}),
            long_term_search: {
              ...this.searchOf(request.query, undefined),
              ...this.filters(scope),
              limit: fused ? depthFor(request.limit) : request.limit,
              ...this.options.recency,
            },
          },
          undefined,
          { signal },
        ),
      (signal) => (fused ? this.keywordSearch(scope, request.query, request.limit, signal) : Promise.resolve([])),
    );
    const owned = (res.long_term_memories ?? []).filter((m) => this.owns(scope, m)).map((r) => ({ r, score: undefined }));
    const mine = fused
      ? this.fuse(
          request.query,
          owned,
          byWords.map((r) => ({ r, score: undefined })),
          request.limit,
        ).map((c) => c.r)
      : owned.map((c) => c.r);
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
   * The answer of a fused search from its vector search's results and its keyword search's (see
   * `fuseSearches`). The meaning part of the blend is the server's order: by distance, or
   * re-ranked by its recency formula (its default, or the weights configured), whose scores it
   * does not return. So the similarities, best first, are handed out in the order the server gave:
   * the same values when it ranked by distance alone, and its recency ranking kept otherwise.
   */
  private fuse<C extends { r: { id: string; text: string; dist?: number; memory_type?: string | null | undefined } }>(
    query: string,
    byMeaning: C[],
    byWords: C[],
    limit: number,
  ): C[] {
    const alpha = this.options.search?.hybridAlpha ?? FUSED_ALPHA;
    const inServerOrder = byMeaning.map((c) => clamp01(1 - (c.r.dist ?? 1))).sort((a, b) => b - a);
    const similarity = new Map(byMeaning.map((c, i) => [c, inServerOrder[i]!] as const));
    return fuseSearches(query, byMeaning, byWords, limit, alpha, (c) => ({
      id: c.r.id,
      text: c.r.text,
      similarity: similarity.get(c),
      speaker: splitMessageText(c.r.memory_type ?? 'message', c.r.text).author,
    }));
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
