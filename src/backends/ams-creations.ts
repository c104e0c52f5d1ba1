import { randomUUID } from 'node:crypto';
import { ConflictError } from '../clients/errors.js';
import { allToCompletion } from '../codec/concurrency.js';
import { ENVELOPE_VERSION } from '../codec/events.js';
import type { SessionScope } from '../codec/ids.js';
import { isRecord } from '../codec/json.js';
import type { StateMap } from '../codec/state.js';
import { SessionExpiry, leftoversOf } from './ams-expiry.js';
import { isAnchorId, parseDocumentId, type JournalDoc, type JournalKey, type JournalStore } from './ams-journal.js';
import { markerOf, type NativeViews, type WorkingMemory } from './ams-view.js';
import type { CallOptions, StoredSession } from './types.js';

/**
 * Creation records: how a session came to be. Every creator of a session id writes one of its own
 * into the session's journal namespace (`c-` + a nonce); the first written wins, and says which app
 * holds the id, the initial state and the TTL. The head of the earlier layout (`head`) is read as
 * the winner of a session created before creation records.
 */

export const HEAD_ID = 'head';
export const CREATION_PREFIX = 'c-';

/** How a session came to be: its identity and initial state. One per creator; the first written wins. */
export interface Creation {
  v: number;
  /** `session` is the single head of sessions created before creation records (read as the winner). */
  kind: 'creation' | 'session';
  appName: string;
  userId: string;
  sessionId: string;
  createdAt: number;
  state: StateMap;
  /** `sessionTtlSeconds` of the session: it expires this long after its last write. */
  ttlSeconds?: number;
}

export const isCreation = (v: unknown): v is Creation =>
  isRecord(v) && (v.kind === 'creation' || v.kind === 'session') && typeof v.appName === 'string' && isRecord(v.state);

/** Whether a journal document is a creation record or the earlier layout's head (not events). */
export const isCreationDocument = (id: string): boolean => id === HEAD_ID || id.startsWith(CREATION_PREFIX);

/** A creation record that is never written again (one of an expiring session is: with its new expiry). */
export const isWriteOnceCreation = (doc: JournalDoc): boolean => doc.id.startsWith(CREATION_PREFIX) && doc.expiresAt === undefined && isCreation(doc.payload);

/**
 * The creation that holds a session: the head of the earlier layout when there is one, else the
 * creation record written first (the listing is in the order documents were written, and a
 * creation record is never rewritten).
 */
export function winningCreation(docs: JournalDoc[]): { id: string; creation: Creation } | undefined {
  const head = docs.find((d) => d.id === HEAD_ID && isCreation(d.payload));
  const first = head ?? docs.find((d) => d.id.startsWith(CREATION_PREFIX) && isCreation(d.payload));
  return first && { id: first.id, creation: first.payload as Creation };
}

/** The winning creation among listed ids (the same rule as `winningCreation`, before reading them). */
export const firstListed = (ids: string[]): string | undefined => (ids.includes(HEAD_ID) ? HEAD_ID : ids.find((id) => id.startsWith(CREATION_PREFIX)));

/** A session's place as read: its working memory and its journal documents. */
export interface PlaceRead {
  native: WorkingMemory | undefined;
  /** The documents read, in the listing's order. */
  docs: JournalDoc[];
  /** A window's read: the documents listed but not read, and the time at or before which their events lie. */
  partial?: { unread: string[]; listing: string[]; bound: number };
}

/** The app that holds a place: its winning creation record's, else its working memory's marker (none for another client's session). */
export function ownerOf(read: PlaceRead): string | undefined {
  return winningCreation(read.docs)?.creation.appName ?? markerOf(read.native).appName;
}

/**
 * Whether a place holds a session: a working memory, or a creation record of a session that does not
 * expire (an expired one leaves its records behind). Events documents alone do not: they are what
 * is left of a session deleted while a writer was appending to it.
 */
export function holdsSession(read: PlaceRead): boolean {
  if (read.native) return true;
  const winner = winningCreation(read.docs);
  return winner !== undefined && winner.creation.ttlSeconds === undefined;
}

/** Whether a place holds a session of another app of the namespace. */
export function heldByAnotherApp(read: PlaceRead, appName: string): boolean {
  const owner = ownerOf(read);
  return holdsSession(read) && owner !== undefined && owner !== appName;
}

/** What creating a session at a place needs of the backend. */
export interface CreationContext {
  journals: JournalStore;
  views: NativeViews;
  expiry: SessionExpiry;
  ttlSeconds: number | undefined;
  journalOf: (place: SessionScope) => JournalKey;
  /** Reads the place's app slot, which a creator that may share its namespace checks in its first round trip. */
  readSlot: (place: SessionScope, o: CallOptions) => Promise<PlaceRead>;
  /** Records that the place's user has sessions in its namespace. */
  register: (place: SessionScope, o: CallOptions) => Promise<void>;
  /** Learns that this creator's record won: the session at the place is the one it names. */
  won: (place: SessionScope, creation: string) => void;
}

/**
 * One winner without compare-and-set: every creator writes a creation record of its own (with the
 * native document read beside it), then lists the session's records; the first written wins. Two
 * round trips; a loser takes its record back out (a third) and rejects with ConflictError. A record
 * left by a loser that crashed comes after the winner's, so readers never see it. When another app
 * of the namespace holds the id (its working memory, or the winning record), this answers
 * `held-by-another-app` and writes nothing that stays.
 */
export async function createAt(
  ctx: CreationContext,
  place: SessionScope,
  state: StateMap,
  createdAt: number,
  checkSlot: boolean,
  o?: CallOptions,
): Promise<StoredSession | 'held-by-another-app'> {
  const { journals, views, expiry, ttlSeconds: ttl } = ctx;
  const journal = ctx.journalOf(place);
  const mine = `${CREATION_PREFIX}${randomUUID()}`;
  const creation: Creation = {
    v: ENVELOPE_VERSION,
    kind: 'creation',
    appName: place.appName,
    userId: place.userId,
    sessionId: place.sessionId,
    createdAt,
    state,
    ...(ttl ? { ttlSeconds: ttl } : {}),
  };
  const beside = ttl ? SessionExpiry.beside(ttl) : undefined;
  // Every write runs to its end even when a sibling fails, so a failure never hides a write that landed.
  const [native, record, slot] = await allToCompletion(
    o?.signal,
    (signal: AbortSignal) => views.read(place, { signal }),
    (signal: AbortSignal) => journals.putShared(journal, mine, creation, { signal }, beside),
    (signal: AbortSignal) => (checkSlot ? ctx.readSlot(place, { signal }) : Promise.resolve(undefined)),
  );
  const conflict = () =>
    new ConflictError(`Session with id ${place.sessionId} already exists.`, { operation: 'createSession', status: 409, type: 'session-exists' });
  if (slot && holdsSession(slot)) {
    await journals.remove(journal, mine, o);
    throw conflict();
  }
  if (native && markerOf(native).appName !== undefined && markerOf(native).appName !== place.appName) {
    await journals.remove(journal, mine, o);
    return 'held-by-another-app';
  }
  const [listed] = await allToCompletion(
    o?.signal,
    (signal: AbortSignal) => journals.list(journal, { signal }),
    // Written by every creator that found no document: empty, so whichever lands last is the same.
    (signal: AbortSignal) =>
      native
        ? Promise.resolve()
        : views.create(place, { v: ENVELOPE_VERSION, appName: place.appName, lastUpdateTime: createdAt, creation: mine }, { signal }, ttl),
    (signal: AbortSignal) => ctx.register(place, { signal }),
  );
  let ids = listed;
  // A document a racing creator made carries its creation; one without was there before (another client's).
  const existed = native !== undefined && markerOf(native).creation === undefined;
  if (!existed && firstListed(ids) !== mine) {
    // Records before this one: a concurrent creator's (of this app or another), or what is left
    // of an expired session (its working memory gone first). Only the last are cleared away.
    const docs = await journals.readSome(
      journal,
      ids.filter((id) => id !== mine),
      o,
    );
    const winner = winningCreation(docs)?.creation;
    if (!native && winner?.ttlSeconds !== undefined) {
      const gone = new Set(leftoversOf(docs, winner.ttlSeconds));
      await journals.removeSome(journal, [...gone], o);
      ids = ids.filter((id) => !gone.has(id));
    }
    if (firstListed(ids) !== mine && winner && winner.appName !== place.appName) {
      await journals.remove(journal, mine, o);
      return 'held-by-another-app';
    }
  }
  if (existed || firstListed(ids) !== mine) {
    await journals.remove(journal, mine, o);
    throw conflict();
  }
  if (!native) {
    // Events documents (and writers' anchors) listed before this record were last written before
    // it: what is left of an earlier session of this id (an append that raced its deletion), never
    // this session's. This writer's own copy of such a document is of that session too.
    const earlier = ids.slice(0, ids.indexOf(mine)).filter((id) => parseDocumentId(id) !== undefined || isAnchorId(id));
    if (earlier.length) await journals.removeSome(journal, earlier, o);
    journals.cleared(journal);
  }
  if (ttl) expiry.learn(place, ttl, [record], mine);
  ctx.won(place, mine);
  return { state: { ...state }, events: [], lastUpdateTime: createdAt };
}
