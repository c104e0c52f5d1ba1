import { randomUUID } from 'node:crypto';
import type { AgentMemoryServerClient } from '../clients/agent-memory-server.js';
import { ByteBoundedCache, remember } from '../codec/bounded.js';
import { KeyedQueue, mapLimit } from '../codec/concurrency.js';
import { adkOf, dataWithAdk } from '../codec/exact-numbers.js';
import { isRecord, toJsonObject, type JsonValue } from '../codec/json.js';
import { unlessMissing } from './missing.js';
import type { CallOptions } from './types.js';

/** Where a family of journal documents lives: one working-memory namespace of its own. */
export interface JournalKey {
  namespace: string;
}

const LIST_PAGE = 100;
/** Reads of one call run together: at network distance each wave of requests costs a round trip. */
export const READ_CONCURRENCY = 256;
/** Items per journal document at most; a full document is closed and the writer starts the next one. */
export const SEGMENT_ITEMS = 100;
/**
 * Bytes per journal document at most (as JSON): a document is closed before an event would take
 * it past this, and an event larger than this gets a document of its own. An append therefore
 * sends at most this plus its event, however long the session and however large its events.
 * Chosen from `npm run bench`: below it the documents of a long session multiply for no saving
 * in bytes; above it every small append re-sends more.
 */
export const SEGMENT_BYTES = 64 * 1024;

/** The session_id of a writer's n-th document of a journal (the first keeps the bare writer id). */
export const documentId = (writer: string, segment: number) => (segment === 0 ? writer : `${writer}.${String(segment).padStart(6, '0')}`);

/** A writer's document of a journal: which writer, and its place in that writer's sequence. */
export function parseDocumentId(id: string): { writer: string; segment: number } | undefined {
  const m = /^(w-[^.]+)(?:\.(\d{6}))?$/.exec(id);
  return m ? { writer: m[1]!, segment: m[2] ? Number(m[2]) : 0 } : undefined;
}

/** A journal document as read: its session_id, its `data.adk` payload, and when it expires (epoch ms) if it does. */
export interface JournalDoc {
  id: string;
  payload: unknown;
  expiresAt?: number;
}

/**
 * Writes with an expiry: the server's `ttl_seconds` (it sets the key's TTL on every PUT), and the
 * moment it expires, kept in the document. `from` (epoch ms, default: when the PUT is sent) is when
 * the write was decided: a document written with a working memory records an expiry counted from
 * before that working memory was sent, so it never seems to outlive it by more than the TTL given.
 */
export interface Expiry {
  ttlSeconds: number;
  from?: number | undefined;
}

/** The body fields a write with this expiry adds. */
function expiring(expiry: Expiry | undefined): { ttl_seconds?: number; expiresAt?: number } {
  return expiry ? { ttl_seconds: expiry.ttlSeconds, expiresAt: (expiry.from ?? Date.now()) + expiry.ttlSeconds * 1000 } : {};
}

/** The size of a payload as a journal document counts it. */
export interface PayloadSize {
  items: number;
  bytes: number;
}

/** A payload's size in JSON bytes, with its item count. */
export function measure(payload: unknown, items: number): PayloadSize {
  return { items, bytes: Buffer.byteLength(JSON.stringify(payload)) };
}

/** A payload with its size, so the next change can be measured by what it adds. */
export interface Measured<P> {
  payload: P;
  size: PayloadSize;
}

/** This writer's current document of a journal as last written: its payload and size, and when it expires. */
interface OwnDocument extends Measured<unknown> {
  expiresAt?: number | undefined;
}

/** Bytes of journal documents a service instance keeps by default (see `ReadCacheOptions`). */
export const READ_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Which journal documents are kept in memory once read. Only documents that cannot change while
 * they exist are kept: a writer's documents it has moved past (a writer writes only its current
 * one, and its sequence never goes back), and those `writeOnce` says are never written again; and,
 * in the same budget, other writers' documents as read after this writer's anchor (see `anchorId`).
 * Whether a document still exists is told by the listing every read starts with, so a deleted or
 * expired document is never served from here.
 */
export interface ReadCacheOptions {
  /** Bytes of documents kept at most (their payloads as JSON), least recently used dropped first; 0 keeps none. */
  bytes: number;
  /** Documents that are written once and never changed, besides a writer's closed ones. */
  writeOnce?: ((doc: JournalDoc) => boolean) | undefined;
}

/** The documents of a listing that a writer has moved past: a later document of the same writer is listed. */
export function closedDocuments(ids: readonly string[]): Set<string> {
  const newest = new Map<string, number>();
  for (const id of ids) {
    const parsed = parseDocumentId(id);
    if (parsed) newest.set(parsed.writer, Math.max(newest.get(parsed.writer) ?? -1, parsed.segment));
  }
  const closed = new Set<string>();
  for (const id of ids) {
    const parsed = parseDocumentId(id);
    if (parsed && parsed.segment < newest.get(parsed.writer)!) closed.add(id);
  }
  return closed;
}

/**
 * Every working-memory session_id of a namespace (and user), each once, in the server's order.
 * The pages `expected` documents need are asked for together (the first tells the total; any
 * page still missing follows), so a listing costs one round trip when the expectation holds.
 */
export async function listAllSessionIds(
  client: AgentMemoryServerClient,
  namespace: string,
  userId: string | undefined,
  o?: CallOptions,
  expected = 0,
): Promise<string[]> {
  return (await listSessionIdPages(client, namespace, userId, o, expected)).ids;
}

/** As `listAllSessionIds`, and whether one page (one query of the index, so one moment's order) held them all. */
async function listSessionIdPages(
  client: AgentMemoryServerClient,
  namespace: string,
  userId: string | undefined,
  o?: CallOptions,
  expected = 0,
): Promise<{ ids: string[]; onePage: boolean }> {
  const query = (offset: number) => ({ namespace, limit: LIST_PAGE, offset, ...(userId !== undefined ? { user_id: userId } : {}) });
  const offsets = (from: number, total: number) => {
    const out: number[] = [];
    for (let offset = from; offset < total; offset += LIST_PAGE) out.push(offset);
    return out;
  };
  const first = await mapLimit([0, ...offsets(LIST_PAGE, expected)], READ_CONCURRENCY, (offset) => client.listSessions(query(offset), o));
  const rest = await mapLimit(offsets(first.length * LIST_PAGE, first[0]!.total), READ_CONCURRENCY, (offset) => client.listSessions(query(offset), o));
  const pages = [...first, ...rest];
  return { ids: [...new Set(pages.flatMap((page) => page.sessions))], onePage: pages.length === 1 };
}

/**
 * A writer's anchor in a journal: a document it writes once and never again, so the listing's
 * order (the order documents were last written) places every other document before or after that
 * moment. A document listed before it was last written before it: a copy read after the anchor was
 * written is that document as it still is, and need not be read again (see `JournalStore.readSome`).
 */
export const anchorId = (writer: string) => `a-${writer}`;
export const isAnchorId = (id: string) => id.startsWith('a-w-');
/** What an anchor holds (nothing is read from it: its place in the listing is what counts). */
const ANCHOR = { kind: 'anchor' } as const;

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
 * A document is bounded in items and in bytes; the next write past a bound starts a new one, so
 * each write stays small however long the journal grows.
 */
export class JournalStore {
  /** This instance's writer id: the session_id of every document it writes. */
  readonly writerId = `w-${randomUUID()}`;
  /** This writer's current document of each journal it wrote, for the journals most recently used. */
  private readonly own = new Map<string, OwnDocument>();
  /** Journals whose documents were all deleted: this writer's next write there starts from empty. */
  private readonly blank = new Set<string>();
  /**
   * Journals whose last write failed while starting a new document: the payload of the document
   * before it, from which the new one starts if the failed write did not store it.
   */
  private readonly unsure = new Map<string, object>();
  /** Documents that never change while they exist, as read (see `ReadCacheOptions`). */
  private readonly final: ByteBoundedCache<string, JournalDoc>;
  private readonly writeOnce: (doc: JournalDoc) => boolean;
  /** The number of this writer's current document of every journal it has written. */
  private readonly segments = new Map<string, number>();
  /** How many documents each journal had when last listed, to list it in one round trip next time. */
  private readonly counts = new Map<string, number>();
  /** How many writes of each journal this writer has finished (stored or not), so a listing knows whether one may have landed while it was asked for. */
  private readonly writes = new Map<string, number>();
  private readonly queue = new KeyedQueue();
  /** Listings taken in one query of the server's index: their order is one moment's. */
  private readonly onePage = new WeakSet<readonly string[]>();
  /** Per journal, this writer's anchor: how many times it has been written (0: being written), while it is known to exist. */
  private readonly anchors = new Map<string, number>();
  /** Per journal, how many of its reads in a row fetched another writer's document that can still change (which an anchor would spare). */
  private readonly othersOpen = new Map<string, number>();
  /** Anchor writes of this writer so far: each write's number tells copies read after it from older ones. */
  private anchorWrites = 0;

  constructor(
    private readonly client: AgentMemoryServerClient,
    /** How many journals' own documents are kept in memory; an evicted one is read back once. */
    private readonly cacheSize = 1000,
    private readonly bounds: PayloadSize = { items: SEGMENT_ITEMS, bytes: SEGMENT_BYTES },
    readCache: ReadCacheOptions = { bytes: READ_CACHE_BYTES },
  ) {
    this.final = new ByteBoundedCache(readCache.bytes);
    this.writeOnce = readCache.writeOnce ?? (() => false);
  }

  /**
   * Changes this writer's document of a journal and writes it (one PUT), with changes to the same
   * journal applied one at a time. When the change would take the current document past a bound,
   * it starts the next document instead. `sizeOf` measures a payload, given (when known) the payload
   * it was changed from with its size. Payloads are JSON by construction (their parts went through
   * `toJson` when they entered), so they are sent as they are: walking 64 KiB again on every append
   * cost more than the rest of the append's client work.
   */
  update<P extends object>(
    key: JournalKey,
    /** A new document's payload; `previous` is the payload of the writer's document it follows, when there is one. */
    empty: (previous?: P) => P,
    change: (payload: P) => P,
    sizeOf: (payload: P, before?: Measured<P>) => PayloadSize,
    o?: CallOptions,
    expiry?: Expiry,
  ): Promise<JournalDoc> {
    const id = key.namespace;
    return this.queue.run(id, async () => {
      const current = this.segments.get(id);
      let cached = this.own.get(id) as (Measured<P> & OwnDocument) | undefined;
      if (!cached && current !== undefined && this.blank.has(id)) {
        const blank = empty();
        cached = { payload: blank, size: sizeOf(blank) };
      } else if (!cached && current !== undefined) {
        const previous = this.unsure.get(id) as P | undefined;
        const read = await this.readOwn(key, current, previous ? () => empty(previous) : empty, o);
        cached = { payload: read.payload, size: sizeOf(read.payload), expiresAt: read.expiresAt };
      }
      let closing: JournalDoc | undefined;
      let segment = current ?? 0;
      let next: P;
      let size: PayloadSize;
      if (cached === undefined) {
        next = change(empty());
        size = sizeOf(next);
      } else {
        const now = cached.size;
        next = change(cached.payload);
        size = sizeOf(next, cached);
        const full = now.items >= this.bounds.items || now.bytes >= this.bounds.bytes;
        const overflows = now.items > 0 && (size.items > this.bounds.items || size.bytes > this.bounds.bytes);
        if (full || overflows) {
          closing = { id: documentId(this.writerId, segment), payload: cached.payload, ...(cached.expiresAt ? { expiresAt: cached.expiresAt } : {}) };
          segment += 1;
          next = change(empty(cached.payload));
          size = sizeOf(next);
        }
      }
      const payload = next;
      const { ttl_seconds, expiresAt } = expiring(expiry);
      const written = documentId(this.writerId, segment);
      const adk = payload as unknown as { [key: string]: JsonValue };
      try {
        await this.client.putWorkingMemory(
          written,
          { messages: [], data: dataWithAdk(adk, expiresAt ? { expiresAt } : {}), namespace: key.namespace, ...(ttl_seconds ? { ttl_seconds } : {}) },
          undefined,
          o,
        );
      } catch (e) {
        // The server may have stored it anyway (a lost answer, a cut-off call): the next write of this
        // journal reads the document back first instead of replacing it with a copy older than it.
        this.own.delete(id);
        this.blank.delete(id);
        this.segments.set(id, segment);
        if (closing && cached) remember(this.unsure, id, cached.payload, this.cacheSize);
        throw e;
      } finally {
        remember(this.writes, id, (this.writes.get(id) ?? 0) + 1, this.cacheSize);
      }
      this.segments.set(id, segment);
      this.unsure.delete(id);
      this.blank.delete(id);
      remember(this.own, id, { payload, size, expiresAt }, this.cacheSize);
      // The document moved past is final: readers of this instance need not fetch it.
      if (closing && !this.blank.has(id) && cached) this.final.set(this.cacheKey(key, closing.id), closing, cached.size.bytes);
      return { id: written, payload, ...(expiresAt ? { expiresAt } : {}) };
    });
  }

  /**
   * Every document of a journal, in the server's listing order (the order they were last written),
   * with its `data.adk` payload: two round trips, the listing and then every read together.
   */
  async readAll(key: JournalKey, o?: CallOptions): Promise<JournalDoc[]> {
    const ids = await this.list(key, o);
    return this.readSome(key, ids, o, ids);
  }

  /**
   * These documents of a journal (those that exist), read together. With `listing` (the journal's
   * documents as just listed), documents that cannot have changed are taken from memory, and those
   * read that cannot change are kept there.
   */
  async readSome(key: JournalKey, ids: string[], o?: CallOptions, listing?: readonly string[]): Promise<JournalDoc[]> {
    const closed = listing ? closedDocuments(listing) : undefined;
    const unchanged = this.unchangedSinceAnchor(key, listing);
    // Read after the anchor was written (its write count then), a copy can be taken for the document as long as it is listed before the anchor.
    const anchor = this.anchors.get(key.namespace) || undefined;
    /** Documents of other writers fetched that can still change (a count: a flag set in the callbacks would read as never set). */
    let othersOpen = 0;
    const docs = await mapLimit(ids, READ_CONCURRENCY, async (id) => {
      if (isAnchorId(id)) return { id, payload: ANCHOR };
      // Only final documents are ever kept, and the listing says this one still exists.
      const kept = listing ? (this.final.get(this.cacheKey(key, id)) ?? this.ownCurrent(key, id)) : undefined;
      if (kept) return kept;
      const settled = unchanged(id);
      if (settled) return settled;
      const doc = await this.fetchDoc(key, id, o);
      const final = doc && closed && (closed.has(id) || this.writeOnce(doc));
      if (doc && final) this.final.set(this.cacheKey(key, id), doc, Buffer.byteLength(JSON.stringify(doc.payload)));
      else if (doc && (parseDocumentId(id)?.writer ?? this.writerId) !== this.writerId) {
        othersOpen += 1;
        // Kept with the final documents (one budget), under the anchor's write count it was read after.
        if (anchor !== undefined) this.final.set(this.settledKey(key, id, anchor), doc, Buffer.byteLength(JSON.stringify(doc.payload)));
      }
      return doc;
    });
    if (listing) remember(this.othersOpen, key.namespace, othersOpen > 0 ? (this.othersOpen.get(key.namespace) ?? 0) + 1 : 0, this.cacheSize);
    return docs.filter((d): d is JournalDoc => d !== undefined);
  }

  /**
   * Which documents of a listing are as this writer last read them: listed before its anchor (so
   * last written before the anchor was), read after the anchor was written. Only a listing of one
   * page (one moment's order) tells; one without the anchor shows it deleted (with the session),
   * and copies read before it is written again are never taken.
   */
  private unchangedSinceAnchor(key: JournalKey, listing: readonly string[] | undefined): (id: string) => JournalDoc | undefined {
    const written = this.anchors.get(key.namespace);
    if (!listing || !written || !this.onePage.has(listing)) return () => undefined;
    const at = listing.indexOf(anchorId(this.writerId));
    if (at < 0) {
      this.anchors.delete(key.namespace);
      return () => undefined;
    }
    const before = new Set(listing.slice(0, at));
    return (id) => (before.has(id) ? this.final.get(this.settledKey(key, id, written)) : undefined);
  }

  /** Where a copy of another writer's document read after this writer's anchor's `anchor`-th write is kept. */
  private settledKey(key: JournalKey, id: string, anchor: number): string {
    return `${this.cacheKey(key, id)}\n@${anchor}`;
  }

  /**
   * Whether an anchor would spare reads of this journal: this writer has none there, and its last two
   * reads each fetched another writer's open document. Not after one: an instance that reads a
   * session once (one request of a short-lived process) would write it for nothing.
   */
  anchorWanted(key: JournalKey): boolean {
    return (this.othersOpen.get(key.namespace) ?? 0) >= 2 && !this.anchors.has(key.namespace);
  }

  /** Writes this writer's anchor in a journal (see `anchorId`); copies read once it is written can be taken while they stay listed before it. */
  async writeAnchor(key: JournalKey, o?: CallOptions): Promise<void> {
    const ns = key.namespace;
    const count = this.anchorWrites + 1;
    this.anchorWrites = count;
    remember(this.anchors, ns, 0, this.cacheSize);
    try {
      await this.putShared(key, anchorId(this.writerId), ANCHOR, o);
    } catch (e) {
      this.anchors.delete(ns);
      throw e;
    }
    if (this.anchors.get(ns) === 0) remember(this.anchors, ns, count, this.cacheSize);
  }

  /** This writer's current document as it last stored it: no other writer ever writes it. */
  private ownCurrent(key: JournalKey, id: string): JournalDoc | undefined {
    const own = this.own.get(key.namespace);
    if (!own || this.blank.has(key.namespace) || id !== this.currentDocument(key)) return undefined;
    return { id, payload: own.payload, ...(own.expiresAt ? { expiresAt: own.expiresAt } : {}) };
  }

  private cacheKey(key: JournalKey, id: string): string {
    return `${key.namespace}\n${id}`;
  }

  /** Bytes of final documents kept in memory now. */
  get cachedBytes(): number {
    return this.final.bytes;
  }

  /** Every writer's payloads of a kind (this writer's included): writers in id order, each writer's documents oldest first. */
  static byWriter<P>(docs: JournalDoc[], isPayload: (v: unknown) => v is P): { writer: string; payloads: P[] }[] {
    const byWriter = new Map<string, P[]>();
    for (const d of docs) {
      const parsed = parseDocumentId(d.id);
      if (!parsed || !isPayload(d.payload)) continue;
      const list = byWriter.get(parsed.writer) ?? [];
      list[parsed.segment] = d.payload;
      byWriter.set(parsed.writer, list);
    }
    return [...byWriter].sort(([a], [b]) => a.localeCompare(b)).map(([writer, list]) => ({ writer, payloads: list.filter((p) => p !== undefined) }));
  }

  /** This writer's current document of a journal, if it has written one. */
  currentDocument(key: JournalKey): string | undefined {
    const segment = this.segments.get(key.namespace);
    return segment === undefined ? undefined : documentId(this.writerId, segment);
  }

  /**
   * The session_ids of a journal's documents, in the server's order. A listing without this
   * writer's current document, taken while none of its writes landed, shows that another instance
   * deleted it (with the session or the user's state): its copy is of what was deleted, so its next
   * write there starts from empty, as after a deletion of its own. (Written on from the copy, a
   * session created afresh under the id would read the deleted session's events as its own.)
   */
  async list(key: JournalKey, o?: CallOptions): Promise<string[]> {
    const ns = key.namespace;
    const writesBefore = this.writes.get(ns) ?? 0;
    const { ids, onePage } = await listSessionIdPages(this.client, ns, undefined, o, this.counts.get(ns) ?? 0);
    if (onePage) this.onePage.add(ids);
    remember(this.counts, ns, ids.length, this.cacheSize);
    const current = this.currentDocument(key);
    if (current !== undefined && !this.blank.has(ns) && !ids.includes(current)) {
      // After any write of this journal in flight; none may have landed since the listing was asked
      // for (its document would be missing only because the listing predates it).
      await this.queue.run(ns, () => {
        if ((this.writes.get(ns) ?? 0) === writesBefore && !this.unsure.has(ns) && this.currentDocument(key) === current) this.cleared(key);
        return Promise.resolve();
      });
    }
    return ids;
  }

  /** Deletes every document of a journal, writers' and others alike. */
  async removeAll(key: JournalKey, o?: CallOptions): Promise<void> {
    await this.removeSome(key, await this.list(key, o), o);
    this.cleared(key);
  }

  /**
   * Notes that every document of a journal was deleted: this writer's next write there starts
   * from empty (not from its copy of what was deleted), in its current document, so its sequence
   * never goes back to a number another reader may hold as final.
   */
  cleared(key: JournalKey): void {
    this.anchors.delete(key.namespace);
    this.unsure.delete(key.namespace);
    this.own.delete(key.namespace);
    if (this.segments.has(key.namespace)) this.blank.add(key.namespace);
    this.counts.delete(key.namespace);
  }

  /** Deletes one document of a journal (a creation record that lost). */
  async remove(key: JournalKey, documentId: string, o?: CallOptions): Promise<void> {
    await this.client.deleteWorkingMemory(documentId, { namespace: key.namespace }, o);
  }

  /** The data.adk payload of one document of a journal, or undefined when it does not exist. */
  async fetch(key: JournalKey, documentId: string, o?: CallOptions): Promise<unknown> {
    return (await this.fetchDoc(key, documentId, o))?.payload;
  }

  /** One document of a journal with its expiry, or undefined when it does not exist. */
  async fetchDoc(key: JournalKey, documentId: string, o?: CallOptions): Promise<JournalDoc | undefined> {
    const doc = await unlessMissing(this.client.getWorkingMemory(documentId, { namespace: key.namespace }, o));
    // The server may answer a missing key with a document its TAG index finds: only this one counts.
    if (!doc || doc.session_id !== documentId || doc.namespace !== key.namespace || !isRecord(doc.data) || doc.data.adk === undefined) return undefined;
    const expiresAt = doc.data.expiresAt;
    return { id: documentId, payload: adkOf(doc.data), ...(typeof expiresAt === 'number' ? { expiresAt } : {}) };
  }

  /** Writes a document that is not a writer's: its author's alone, or the same content from every writer. */
  async putShared(key: JournalKey, documentId: string, payload: unknown, o?: CallOptions, expiry?: Expiry): Promise<JournalDoc> {
    const { ttl_seconds, expiresAt } = expiring(expiry);
    await this.client.putWorkingMemory(
      documentId,
      {
        messages: [],
        data: dataWithAdk(toJsonObject(payload, 'createSession', 'data.adk'), expiresAt ? { expiresAt } : {}),
        namespace: key.namespace,
        ...(ttl_seconds ? { ttl_seconds } : {}),
      },
      undefined,
      o,
    );
    return { id: documentId, payload, ...(expiresAt ? { expiresAt } : {}) };
  }

  /** Deletes these documents of a journal. */
  async removeSome(key: JournalKey, ids: string[], o?: CallOptions): Promise<void> {
    await mapLimit(ids, READ_CONCURRENCY, (id) => this.client.deleteWorkingMemory(id, { namespace: key.namespace }, o));
  }

  /** This writer's document when it is no longer cached (or was never written: empty). */
  private async readOwn<P>(key: JournalKey, segment: number, empty: () => P, o?: CallOptions): Promise<{ payload: P; expiresAt?: number | undefined }> {
    const doc = await this.fetchDoc(key, documentId(this.writerId, segment), o);
    return doc === undefined ? { payload: empty() } : { payload: doc.payload as P, expiresAt: doc.expiresAt };
  }
}
