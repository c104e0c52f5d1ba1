import { MemoryWriteError } from './memory-write-error.js';
import type { RedisAgentMemoryClient, RedisAgentMemorySchemas } from '../clients/redis-agent-memory.js';
import { readableId } from '../codec/ids.js';
import type { JsonValue } from '../codec/json.js';
import { inAppScope, scopeTopicFilter, visibleTopics, writtenTopics, type MemoryHit, type MemoryRecordInput, type MemoryScope } from '../codec/memory.js';
import { placement, ramIds } from './ram-sessions.js';
import { unlessMissing } from './missing.js';
import { memoriesMessage, sessionMessages, text } from '../codec/prompt.js';
import type { CallOptions, MemoryBackend, PromptMessage, PromptRequest } from './types.js';

type Record_ = RedisAgentMemorySchemas['MemoryRecord'];

/** The API's limit of records per bulk call. */
export const BULK_LIMIT = 100;

function partialFailure(operation: string, message: string, failed: { id: string; error: string }[]): MemoryWriteError {
  const err = new MemoryWriteError(`${operation} ${message}; failed: ${failed.map((f) => `${f.id} (${f.error})`).join(', ')}`, {
    operation,
    type: 'partial-failure',
  });
  err.failed.push(...failed);
  return err;
}

/**
 * Long-term memory on Redis Agent Memory. Records carry the ADK user as owner and the namespace
 * label (readable where the ids fit) or, with `namespaceId`, a namespace object, as do the memories
 * the store extracts from a session; searches filter on both server-side, and results are checked
 * again before they are returned so a record of another scope can never leak.
 */
export class RedisAgentMemoryLongTermBackend implements MemoryBackend {
  readonly topicCommas = false;
  constructor(private readonly client: RedisAgentMemoryClient) {}

  async write(scope: MemoryScope, records: MemoryRecordInput[], o?: CallOptions): Promise<void> {
    const ownerId = this.owner(scope);
    const placed = placementOf(scope);
    const failed: { id: string; error: string }[] = [];
    for (let i = 0; i < records.length; i += BULK_LIMIT) {
      const batch = records.slice(i, i + BULK_LIMIT).map((r) => {
        const topics = writtenTopics(scope, r.topics);
        return {
          id: r.id,
          text: r.text,
          memoryType: r.memoryType,
          ownerId,
          ...placed,
          ...(topics.length ? { topics } : {}),
          ...(r.sessionId ? { sessionId: readableId(r.sessionId) } : {}),
          // The store keeps a record's own fields in `attributes`.
          ...(r.metadata ? { attributes: r.metadata } : {}),
        };
      });
      const res = await this.client.bulkCreateLongTermMemories({ memories: batch }, o);
      failed.push(...(res.errors ?? []));
    }
    if (failed.length) throw partialFailure('BulkCreateLongTermMemories', `stored ${records.length - failed.length} of ${records.length} memories`, failed);
  }

  async search(scope: MemoryScope, query: string, limit: number, similarityThreshold: number | undefined, o?: CallOptions): Promise<MemoryHit[]> {
    const res = await this.client.searchLongTermMemory(
      {
        text: query,
        limit,
        ...(similarityThreshold !== undefined ? { similarityThreshold } : {}),
        filter: this.filterOf(scope),
        filterOp: 'all',
      },
      o,
    );
    return res.items
      .filter((r) => this.owns(scope, r))
      .slice(0, limit)
      .map(toHit);
  }

  async get(scope: MemoryScope, id: string, o?: CallOptions): Promise<MemoryHit | undefined> {
    const r = await unlessMissing(this.client.getLongTermMemory(id, o));
    return r && this.owns(scope, r) ? toHit(r) : undefined;
  }

  async update(scope: MemoryScope, id: string, patch: { text?: string; topics?: string[]; memoryType?: string }, o?: CallOptions): Promise<MemoryHit> {
    const r = await this.client.updateLongTermMemory(
      id,
      { ...patch, ...(patch.topics !== undefined ? { topics: writtenTopics(scope, patch.topics) } : {}) },
      o,
    );
    return toHit(r);
  }

  async remove(_scope: MemoryScope, ids: string[], o?: CallOptions): Promise<void> {
    const failed: { id: string; error: string }[] = [];
    for (let i = 0; i < ids.length; i += BULK_LIMIT) {
      const res = await this.client.bulkDeleteLongTermMemories({ memoryIds: ids.slice(i, i + BULK_LIMIT) }, o);
      // A record that is already gone is what the caller wanted.
      failed.push(...(res.errors ?? []).filter((e) => !/not.?found/i.test(e.error)));
    }
    if (failed.length) throw partialFailure('BulkDeleteLongTermMemories', `deleted ${ids.length - failed.length} of ${ids.length} memories`, failed);
  }

  async removeAll(scope: MemoryScope, o?: CallOptions): Promise<number> {
    // Every record of the owner in the namespace, page by page, then deleted: extracted ones carry the same owner.
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.searchLongTermMemory(
        { limit: BULK_LIMIT, filter: this.filterOf(scope), filterOp: 'all', ...(pageToken ? { pageToken } : {}) },
        o,
      );
      ids.push(...page.items.filter((r) => this.owns(scope, r)).map((r) => r.id));
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    await this.remove(scope, ids, o);
    return ids.length;
  }

  /** Redis Agent Memory has no prompt endpoint: the same answer, from the session and a search. */
  async prompt(scope: MemoryScope, request: PromptRequest, o?: CallOptions): Promise<PromptMessage[]> {
    const hits = await this.search(scope, request.query, request.limit, undefined, o);
    return [...sessionMessages(request.session), memoriesMessage(hits), text('user', request.query)];
  }

  private owner(scope: MemoryScope): string {
    return ramIds.owner(scope.userId);
  }

  /** The scope's records: its owner and its placement. Namespace scope is not access control, so the owner filter stays. */
  private filterOf(scope: MemoryScope): RedisAgentMemorySchemas['LongTermMemoryFilter'] {
    const placed = scope.namespaceId === undefined ? { namespace: { eq: ramIds.namespace(scope.namespace) } } : { namespaceRef: { eq: scope.namespaceId } };
    return { ownerId: { eq: this.owner(scope) }, ...placed, ...scopeTopicFilter(scope) };
  }

  private owns(scope: MemoryScope, r: Record_): boolean {
    if (r.ownerId !== this.owner(scope) || !inAppScope(scope, r.topics)) return false;
    // A record placed by reference comes back without the label: never the label's, and the other way round.
    return scope.namespaceId === undefined
      ? r.namespaceRef === undefined && r.namespace === ramIds.namespace(scope.namespace)
      : r.namespaceRef?.namespaceId === scope.namespaceId && r.namespace === undefined;
  }
}

/** Where a record is placed: the label, or the namespace object (never both), as sessions are. */
function placementOf(scope: MemoryScope): { namespace: string } | { namespaceRef: { namespaceId: string } } {
  return placement(scope.namespaceId).wire(scope.namespace);
}

function toHit(r: Record_): MemoryHit {
  // The API reports no similarity score, so none is invented.
  return {
    id: r.id,
    text: r.text,
    memoryType: r.memoryType ?? 'semantic',
    topics: visibleTopics(r.topics),
    createdAt: r.createdAt,
    ...(r.attributes && Object.keys(r.attributes).length ? { metadata: r.attributes as Record<string, JsonValue> } : {}),
  };
}
