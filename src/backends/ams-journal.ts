import { randomUUID } from 'node:crypto';
import type { AgentMemoryServerClient } from '../clients/agent-memory-server.js';
import { remember } from '../codec/bounded.js';
import { KeyedQueue, mapLimit } from '../codec/concurrency.js';
import { isRecord, toJsonObject } from '../codec/json.js';
import { unlessMissing } from './missing.js';
import type { CallOptions } from './types.js';

/** Where a family of journal documents lives: one working-memory namespace of its own. */
export interface JournalKey {
  namespace: string;
}

const LIST_PAGE = 100;
/** Reads of one call run together: at network distance each wave of requests costs a round trip. */
export const READ_CONCURRENCY = 100;
/** Items per journal document; a full document is closed and the writer starts the next one. */
export const SEGMENT_ITEMS = 100;

/** The session_id of a writer's n-th document of a journal (the first keeps the bare writer id). */
export const documentId = (writer: string, segment: number) => (segment === 0 ? writer : `${writer}.${String(segment).padStart(6, '0')}`);

function parseDocumentId(id: string): { writer: string; segment: number } | undefined {
  const m = /^(w-[^.]+)(?:\.(\d{6}))?$/.exec(id);
  return m ? { writer: m[1]!, segment: m[2] ? Number(m[2]) : 0 } : undefined;
}

/**
 * Every working-memory session_id of a namespace (and user), each once. The first page tells
 * the total; the remaining pages are fetched together, so a listing costs two round trips at most.
 */
export async function listAllSessionIds(client: AgentMemoryServerClient, namespace: string, userId: string | undefined, o?: CallOptions): Promise<string[]> {
  const query = (offset: number) => ({ namespace, limit: LIST_PAGE, offset, ...(userId !== undefined ? { user_id: userId } : {}) });
  const first = await client.listSessions(query(0), o);
  const offsets: number[] = [];
  for (let offset = LIST_PAGE; offset < first.total; offset += LIST_PAGE) offsets.push(offset);
  const rest = await mapLimit(offsets, READ_CONCURRENCY, (offset) => client.listSessions(query(offset), o));
  return [...new Set([first, ...rest].flatMap((page) => page.sessions))];
}

/**
 * Single-writer documents on a replace-only store. Agent Memory Server can only replace a
 * working-memory document whole and has no conditional write, so two processes replacing the same
 * document lose one another's data. Here every writer (one per service instance) owns its
 * documents of a journal and is the only one to write them: a write replaces only the writer's
 * own document, which it always holds in full, so nothing another writer stored can be
 * overwritten, and no read is needed first. Readers list a journal's documents and merge them.
 *
 * The documents hold no messages and no memories, so the server never summarises them, never
 * schedules extraction on them and never writes them back: only their writer changes them.
 * A document holds at most `segmentSize` items; the next write starts a new one, so the size of
 * each write stays bounded however long the journal grows.
 */
export class JournalStore {
  /** This instance's writer id: the session_id of every document it writes. */
  readonly writerId = `w-${randomUUID()}`;
  /** This writer's current document of each journal it wrote, for the journals most recently used. */
  private readonly own = new Map<string, unknown>();
  /** The number of this writer's current document of every journal it has written. */
  private readonly segments = new Map<string, number>();
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly client: AgentMemoryServerClient,
    /** How many journals' own documents are kept in memory; an evicted one is read back once. */
    private readonly cacheSize = 1000,
    private readonly segmentSize = SEGMENT_ITEMS,
  ) {}

  /**
   * Changes this writer's document of a journal and writes it (one PUT), with changes to the same
   * journal applied one at a time. `size` counts a payload's items, for starting a new document.
   */
  update<P>(key: JournalKey, empty: () => P, change: (payload: P) => P, size: (payload: P) => number, o?: CallOptions): Promise<void> {
    const id = key.namespace;
    return this.queue.run(id, async () => {
      let segment = this.segments.get(id);
      const cached = this.own.has(id) ? { payload: this.own.get(id) as P } : segment === undefined ? undefined : { payload: await this.readOwn(key, segment, empty, o) };
      let current: P;
      if (cached === undefined || size(cached.payload) >= this.segmentSize) {
        segment = cached === undefined ? 0 : segment! + 1;
        current = empty();
      } else {
        current = cached.payload;
      }
      const payload = change(current);
      await this.client.putWorkingMemory(documentId(this.writerId, segment!), { messages: [], data: { adk: toJsonObject(payload, 'appendEvent', 'data.adk') }, namespace: key.namespace }, undefined, o);
      // Only a stored document becomes current: a failed write is redone on the same segment.
      this.segments.set(id, segment!);
      remember(this.own, id, payload, this.cacheSize);
    });
  }

  /** Every writer's payloads in a journal (this writer's included): writers in id order, each writer's documents oldest first. */
  async readAll<P>(key: JournalKey, isPayload: (v: unknown) => v is P, o?: CallOptions): Promise<{ writer: string; payloads: P[] }[]> {
    const docs = (await this.documents(key, o)).map((id) => ({ id, ...parseDocumentId(id)! }));
    const payloads = await mapLimit(docs, READ_CONCURRENCY, (d) => this.fetch(key, d.id, o));
    const byWriter = new Map<string, P[]>();
    docs.forEach((d, i) => {
      const payload = payloads[i];
      if (!isPayload(payload)) return;
      const list = byWriter.get(d.writer) ?? [];
      list[d.segment] = payload;
      byWriter.set(d.writer, list);
    });
    return [...byWriter]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([writer, list]) => ({ writer, payloads: list.filter((p) => p !== undefined) }));
  }

  /** Deletes every document of a journal, writers' and others alike. */
  async removeAll(key: JournalKey, o?: CallOptions): Promise<void> {
    const ids = await listAllSessionIds(this.client, key.namespace, undefined, o);
    await mapLimit(ids, READ_CONCURRENCY, (id) => this.client.deleteWorkingMemory(id, { namespace: key.namespace }, o));
    this.own.delete(key.namespace);
    this.segments.delete(key.namespace);
  }

  /** The data.adk payload of one document of a journal, or undefined when it does not exist. */
  async fetch(key: JournalKey, documentId: string, o?: CallOptions): Promise<unknown> {
    const doc = await unlessMissing(this.client.getWorkingMemory(documentId, { namespace: key.namespace }, o));
    return doc && isRecord(doc.data) ? doc.data.adk : undefined;
  }

  /** Writes a document that is not a writer's: same content from every writer, so replacing it loses nothing. */
  async putShared(key: JournalKey, documentId: string, payload: unknown, o?: CallOptions): Promise<void> {
    await this.client.putWorkingMemory(documentId, { messages: [], data: { adk: toJsonObject(payload, 'createSession', 'data.adk') }, namespace: key.namespace }, undefined, o);
  }

  /** The session_ids of every writer document of a journal. */
  private async documents(key: JournalKey, o?: CallOptions): Promise<string[]> {
    const ids = await listAllSessionIds(this.client, key.namespace, undefined, o);
    return ids.filter((id) => parseDocumentId(id) !== undefined);
  }

  /** This writer's document when it is no longer cached (or was never written: empty). */
  private async readOwn<P>(key: JournalKey, segment: number, empty: () => P, o?: CallOptions): Promise<P> {
    const payload = await this.fetch(key, documentId(this.writerId, segment), o);
    return payload === undefined ? empty() : (payload as P);
  }
}
