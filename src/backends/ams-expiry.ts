import { remember } from '../codec/bounded.js';
import { scopeKey, type SessionScope } from '../codec/ids.js';
import type { Expiry, JournalDoc } from './ams-journal.js';

/**
 * Session expiry on Agent Memory Server (`sessionTtlSeconds` = T). The server expires a key T
 * seconds after its last PUT (GETs do not refresh it), and a session is several keys: its working
 * memory, its creation record and its writers' journal documents. So that a session is never half
 * there:
 *
 * - the working memory gets T on every write: the session lives T after its last write (any
 *   client's: the server and other clients keep `ttl_seconds` when they write it back);
 * - the other documents get 2T, and every append carries forward (into the appending writer's
 *   journal, or by rewriting the creation record) whatever would otherwise expire before the
 *   working memory it writes: each document at most once per T, so appends stay bounded;
 * - a session whose creation record says it expires, read without its working memory, has
 *   expired: it reads as missing, and what is left of it is deleted (only documents last written
 *   at least T ago, so a new session of the same id being created meanwhile is untouched).
 */
export class SessionExpiry {
  /** Per session: its TTL, its winning creation record, and the documents this instance knows of (read, or written by it) with when each expires. */
  private readonly known = new Map<string, { ttlSeconds: number; creation: string | undefined; docs: Map<string, number> }>();

  constructor(private readonly cacheSize = 1000) {}

  /**
   * The expiry of every document beside the working memory of a session with this TTL, counted
   * `from` a moment no later than the working memory write it goes with (default: now).
   */
  static beside(ttlSeconds: number, from?: number): Expiry {
    return { ttlSeconds: 2 * ttlSeconds, ...(from === undefined ? {} : { from }) };
  }

  /** Whether this instance knows the documents of the session (read or written since it started). */
  knows(scope: SessionScope): boolean {
    return this.known.has(scopeKey(scope));
  }

  /** Records the documents a read found (all of them), and which creation record holds the session. */
  learn(scope: SessionScope, ttlSeconds: number, docs: JournalDoc[], creation: string | undefined): void {
    const map = new Map<string, number>();
    for (const d of docs) map.set(d.id, d.expiresAt ?? Number.POSITIVE_INFINITY);
    remember(this.known, scopeKey(scope), { ttlSeconds, creation, docs: map }, this.cacheSize);
  }

  /** The session's winning creation record, as last read. */
  creationOf(scope: SessionScope): string | undefined {
    return this.known.get(scopeKey(scope))?.creation;
  }

  /** Records documents written (with their new expiry), carried forward (`Infinity`: their content lives on elsewhere), or deleted (`undefined`). */
  update(scope: SessionScope, docs: { id: string; expiresAt?: number | undefined }[]): void {
    const entry = this.known.get(scopeKey(scope));
    if (!entry) return;
    for (const d of docs) {
      if (d.expiresAt === undefined) entry.docs.delete(d.id);
      else entry.docs.set(d.id, d.expiresAt);
    }
  }

  /**
   * The documents that would expire before a working memory written now (with a second of margin
   * for the clocks): to be carried forward by this append. `current` is this writer's current
   * document, which the append rewrites anyway.
   */
  due(scope: SessionScope, current: string | undefined): string[] {
    const entry = this.known.get(scopeKey(scope));
    if (!entry) return [];
    const horizon = Date.now() + entry.ttlSeconds * 1000 + 1000;
    return [...entry.docs].filter(([id, expiresAt]) => id !== current && expiresAt < horizon).map(([id]) => id);
  }

  forget(scope: SessionScope): void {
    this.known.delete(scopeKey(scope));
  }
}

/**
 * Documents of an expired session that may be deleted: those last written at least T ago (their
 * 2T expiry is at most T away). Documents of a session of the same id being created right now are
 * younger and are kept.
 */
export function leftoversOf(docs: JournalDoc[], ttlSeconds: number): string[] {
  const horizon = Date.now() + ttlSeconds * 1000;
  return docs.filter((d) => d.expiresAt !== undefined && d.expiresAt <= horizon).map((d) => d.id);
}
