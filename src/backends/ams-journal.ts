import { randomUUID } from 'node:crypto';
import type { AgentMemoryServerClient, AgentMemoryServerSchemas } from '../clients/agent-memory-server.js';
import { mapLimit } from '../codec/concurrency.js';
import { isRecord, toJson } from '../codec/json.js';
import { unlessMissing } from './missing.js';
import type { CallOptions } from './types.js';

type Message = AgentMemoryServerSchemas['MemoryMessage'];

/** Where a family of journals lives: one working-memory namespace, one user_id for all its documents. */
export interface JournalKey {
  namespace: string;
  userId: string | null;
}

/** One writer's document: readable messages plus the payload this package reads back. */
export interface JournalDoc<P> {
  messages: Message[];
  payload: P;
}

const LIST_PAGE = 100;
const READ_CONCURRENCY = 8;
/** Messages per journal document; a full document is closed and the writer starts the next one. */
export const SEGMENT_MESSAGES = 100;

/** The session_id of a writer's n-th document of a journal (the first keeps the bare writer id). */
export const documentId = (writer: string, segment: number) => (segment === 0 ? writer : `${writer}.${String(segment).padStart(6, '0')}`);

function parseDocumentId(id: string): { writer: string; segment: number } | undefined {
  const m = /^(w-[^.]+)(?:\.(\d{6}))?$/.exec(id);
  return m ? { writer: m[1]!, segment: m[2] ? Number(m[2]) : 0 } : undefined;
}

/** The namespace and user_id query of every document of a journal. */
const workingQuery = (key: JournalKey) => ({ namespace: key.namespace, ...(key.userId ? { user_id: key.userId } : {}) });

/** Every working-memory session_id of a namespace (and user), all pages, each once. */
export async function listAllSessionIds(client: AgentMemoryServerClient, namespace: string, userId: string | undefined, o?: CallOptions): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += LIST_PAGE) {
    const page = await client.listSessions({ namespace, limit: LIST_PAGE, offset, ...(userId !== undefined ? { user_id: userId } : {}) }, o);
    ids.push(...page.sessions);
    if (page.sessions.length < LIST_PAGE || offset + LIST_PAGE >= page.total) break;
  }
  return [...new Set(ids)];
}

/**
 * Single-writer documents on a replace-only store. Agent Memory Server can only replace a
 * working-memory document whole and has no conditional write, so two processes replacing the same
 * document lose one another's data. Here every writer (one per service instance) owns one
 * document per journal and is the only one to write it: an append replaces only the writer's own
 * document, which it always holds in full, so nothing another writer stored can be overwritten,
 * and no read is needed first. Readers list a journal's documents and merge them.
 *
 * A writer's document holds at most `segmentSize` messages; the next append starts a new one, so
 * the size of each write stays bounded however long the session grows.
 */
export class JournalStore {
  /** This instance's writer id: the session_id of every document it writes. */
  readonly writerId = `w-${randomUUID()}`;
  /** This writer's current document of each journal it wrote, for the journals most recently used. */
  private readonly own = new Map<string, JournalDoc<unknown>>();
  /**
   * The number of this writer's current document of every journal it has written. A journal not
   * listed cannot hold a document of this (new) writer id.
   */
  private readonly segments = new Map<string, number>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: AgentMemoryServerClient,
    /** How many journals' own documents are kept in memory; an evicted one is read back once. */
    private readonly cacheSize = 1000,
    private readonly segmentSize = SEGMENT_MESSAGES,
  ) {}

  /**
   * Changes this writer's document of a journal and writes it (one PUT), with changes to the same
   * journal applied one at a time. Resolves once the server has stored it.
   */
  update<P>(key: JournalKey, empty: () => P, change: (doc: JournalDoc<P>) => JournalDoc<P>, o?: CallOptions): Promise<void> {
    const id = JSON.stringify(key);
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        let segment = this.segments.get(id);
        let current = (this.own.get(id) as JournalDoc<P> | undefined) ?? (segment === undefined ? undefined : await this.readOwn(key, segment, empty, o));
        if (!current || current.messages.length >= this.segmentSize) {
          segment = current ? segment! + 1 : 0;
          current = { messages: [], payload: empty() };
        }
        const doc = change(current);
        await this.client.putWorkingMemory(
          documentId(this.writerId, segment!),
          { messages: doc.messages, data: { adk: toJson(doc.payload, 'appendEvent', 'data.adk') }, user_id: key.userId, namespace: key.namespace },
          undefined,
          o,
        );
        // Only a stored document becomes current: a failed write is redone on the same segment.
        this.segments.set(id, segment!);
        this.remember(id, doc);
      });
    this.queues.set(id, next);
    // Both branches handled, so a failed write rejects only to the caller, never unhandled.
    const forget = () => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    };
    next.then(forget, forget);
    return next;
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

  /** Deletes every writer's document of a journal. */
  async removeAll(key: JournalKey, o?: CallOptions): Promise<void> {
    const documents = await this.documents(key, o);
    await mapLimit(documents, READ_CONCURRENCY, (w) => this.client.deleteWorkingMemory(w, workingQuery(key), o));
    this.own.delete(JSON.stringify(key));
    this.segments.delete(JSON.stringify(key));
  }

  /** The session_ids of every writer document of a journal. */
  private async documents(key: JournalKey, o?: CallOptions): Promise<string[]> {
    const ids = await listAllSessionIds(this.client, key.namespace, key.userId ?? undefined, o);
    return ids.filter((id) => parseDocumentId(id) !== undefined);
  }

  private async fetch(key: JournalKey, documentId: string, o?: CallOptions): Promise<unknown> {
    const doc = await unlessMissing(this.client.getWorkingMemory(documentId, workingQuery(key), o));
    return doc && isRecord(doc.data) ? doc.data.adk : undefined;
  }

  /** This writer's document when it is no longer cached (or was never written: empty). */
  private async readOwn<P>(key: JournalKey, segment: number, empty: () => P, o?: CallOptions): Promise<JournalDoc<P>> {
    const doc = await unlessMissing(this.client.getWorkingMemory(documentId(this.writerId, segment), workingQuery(key), o));
    const payload = doc && isRecord(doc.data) && doc.data.adk !== undefined ? (doc.data.adk as P) : empty();
    return { messages: doc?.messages ?? [], payload };
  }

  private remember(id: string, doc: JournalDoc<unknown>): void {
    this.own.delete(id);
    this.own.set(id, doc);
    if (this.own.size > this.cacheSize) this.own.delete(this.own.keys().next().value!);
  }
}
