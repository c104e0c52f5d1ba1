import type { Event } from '@google/adk';
import { ENVELOPE_VERSION, eventFromJson, isAfter, type EventJson } from '../codec/events.js';
import { isRecord, type JsonValue } from '../codec/json.js';
import { mergeByTime, stableByTime } from '../codec/timeline.js';
import { isCreationDocument, winningCreation } from './ams-creations.js';
import { JournalStore, measure, parseDocumentId, type Expiry, type JournalDoc, type JournalKey, type Measured, type PayloadSize } from './ams-journal.js';
import { withStateOf, type StateEntry } from './ams-session-state.js';
import { adoptedMessage } from './ams-view.js';
import type { CallOptions, EventWindow } from './types.js';

/**
 * A session's record of ADK events on Agent Memory Server: one sequence of documents per writing
 * instance (see `JournalStore`), each holding that writer's events in the order it appended them.
 * Only their writer replaces them, so no write of one instance can lose another's events.
 */

/** One writer's events of one session. */
export interface EventsPayload {
  v: number;
  kind: 'events';
  events: JsonValue[];
  /**
   * Every session-state key this writer's events set, up to and including this document's, with
   * the last value each set: so a window of the session reads its state without the older documents.
   */
  state?: Record<string, StateEntry>;
  /** The latest event time in this writer's earlier documents (null: this is its first), so a window knows what they can hold. */
  before?: number | null;
  /**
   * The creation record of the session these events were appended to (absent: a session another
   * client created, or a document written before this was kept). A session deleted and created
   * afresh under its id has another: a document of the earlier one is not read as this one's.
   */
  session?: string;
}

export const isEvents = (v: unknown): v is EventsPayload => isRecord(v) && v.kind === 'events' && Array.isArray(v.events);

export const eventTime = (e: Event) => e.timestamp;

/**
 * The size of a writer's events document. After an append (the events before it unchanged, the new
 * ones at the end) it is the size before plus the new events and their commas, so an append does
 * not serialise the whole document (up to 64 KiB) to learn its size; any other change is measured whole.
 */
export function eventsSize(p: EventsPayload, before?: Measured<EventsPayload>): PayloadSize {
  const prev = before?.payload.events;
  if (
    !before ||
    !prev ||
    p.v !== before.payload.v ||
    p.state !== before.payload.state ||
    p.before !== before.payload.before ||
    p.session !== before.payload.session ||
    p.events.length < prev.length ||
    !prev.every((e, i) => p.events[i] === e)
  )
    return measure(p, p.events.length);
  let bytes = before.size.bytes;
  for (let i = prev.length; i < p.events.length; i++) bytes += Buffer.byteLength(JSON.stringify(p.events[i])) + (i > 0 ? 1 : 0);
  return { items: p.events.length, bytes };
}

/**
 * Adds events to this writer's journal of a session (an id already there is replaced). `session`:
 * the creation record of the session as the writer knows it, kept on the document (see
 * `EventsPayload.session`); a document of another is not carried into it.
 */
export function appendToJournal(
  journals: JournalStore,
  journal: JournalKey,
  events: EventJson[],
  session: string | undefined,
  o?: CallOptions,
  expiry?: Expiry,
  copies?: ReadonlyMap<EventJson, boolean>,
): Promise<JournalDoc> {
  /** A new document's payload, following `previous` (this writer's document before it) when there is one. */
  const empty = (previous?: EventsPayload): EventsPayload => ({
    v: ENVELOPE_VERSION,
    kind: 'events',
    events: [],
    state: previous?.state ?? {},
    before: latestOf(previous),
  });
  return journals.update<EventsPayload>(
    journal,
    empty,
    (current) => {
      // The writer's document holds an earlier session of the id (deleted, then created afresh): none of it is this one's.
      const earlier = current.session !== undefined && session !== undefined && current.session !== session;
      const p = earlier ? empty() : current;
      return {
        ...p,
        events: events.reduce((list, e) => upsert(list, e, (x) => isRecord(x) && x.id === e.id), p.events),
        ...(p.state ? { state: withStateOf(p.state, events, copies) } : {}),
        ...(session !== undefined ? { session } : {}),
      };
    },
    eventsSize,
    o,
    expiry,
  );
}

/** The latest event time a writer's documents up to this one hold (null when there are none). */
function latestOf(previous: EventsPayload | undefined): number | null {
  if (!previous) return null;
  let latest = previous.before ?? null;
  for (const e of previous.events) if (isRecord(e) && typeof e.timestamp === 'number' && (latest === null || e.timestamp > latest)) latest = e.timestamp;
  return latest;
}

/**
 * The record's events from the writers' journals: merged by time (each writer's order kept) and
 * de-duplicated by event id, where an event's own copy wins over a copy kept of another client's
 * message, and a later copy of an event over an earlier one (a replaced append).
 */
function recordEvents(docs: JournalDoc[]): Event[] {
  // Each writer's events by time: a writer appends in time order, except the copies it keeps of
  // events that arrived later (another client's messages, events carried forward from documents
  // about to expire), which go back to their place.
  const lists = JournalStore.byWriter(docs, isEvents).map(({ payloads }) =>
    stableByTime(payloads.flatMap((p) => p.events).map((e) => eventFromJson(e, 'get_working_memory'))),
  );
  const out: Event[] = [];
  const at = new Map<string, number>();
  for (const e of mergeByTime(lists, eventTime)) {
    const i = at.get(e.id);
    if (i === undefined) {
      at.set(e.id, out.length);
      out.push(e);
    } else if (!adoptedMessage(e) || adoptedMessage(out[i]!)) {
      out[i] = e;
    }
  }
  return out;
}

/**
 * The documents of the session that holds the id now: without events documents of an earlier
 * session of the id (deleted, then created afresh), which a writer that had not seen the deletion
 * wrote before it learnt of it, or which a crash left.
 */
function ofThisSession(docs: JournalDoc[]): JournalDoc[] {
  const winner = winningCreation(docs)?.id;
  return docs.filter((d) => !isEvents(d.payload) || d.payload.session === undefined || d.payload.session === winner);
}

/** The events of a session's journals (not its creation records, nor the earlier layout's head). */
export function journaledEvents(docs: JournalDoc[]): Event[] {
  return recordEvents(ofThisSession(docs).filter((d) => !isCreationDocument(d.id)));
}

/**
 * Each writer's session-state settings: its newest document's running record, or, for a writer
 * whose documents predate that record, its events replayed in the order it stored them.
 */
export function writerSettings(docs: JournalDoc[]): Record<string, StateEntry>[] {
  return JournalStore.byWriter(ofThisSession(docs), isEvents).map(
    ({ payloads }) =>
      payloads.at(-1)?.state ??
      withStateOf(
        {},
        payloads.flatMap((p) => p.events as EventJson[]),
      ),
  );
}

/**
 * The documents of a journal that hold a window of its events, newest first: each writer's newest
 * document, then older ones of the writers whose unread documents could still hold events of the
 * window, until the events after `bound` (every unread document's events are at or before it)
 * answer the window. A writer's document says the latest time of its earlier ones.
 */
export async function readWindow(
  journals: JournalStore,
  journal: JournalKey,
  listing: string[],
  window: EventWindow,
  o?: CallOptions,
): Promise<{ docs: JournalDoc[]; partial?: { unread: string[]; listing: string[]; bound: number } }> {
  const order = new Map(listing.map((id, i) => [id, i]));
  const byListing = (docs: JournalDoc[]) => docs.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const writers = new Map<string, string[]>();
  const others: string[] = [];
  for (const id of listing) {
    const parsed = parseDocumentId(id);
    if (!parsed) others.push(id);
    else writers.set(parsed.writer, [...(writers.get(parsed.writer) ?? []), id]);
  }
  for (const ids of writers.values()) ids.sort();
  const taken = new Map([...writers.keys()].map((w) => [w, 1]));
  const read = new Map<string, JournalDoc>();
  for (;;) {
    const wanted = [...others, ...[...writers].flatMap(([w, ids]) => ids.slice(-taken.get(w)!))].filter((id) => !read.has(id));
    for (const d of await journals.readSome(journal, wanted, o, listing)) read.set(d.id, d);
    const bounds = new Map<string, number>();
    let legacy = false;
    for (const [w, ids] of writers) {
      const newest = read.get(ids.at(-1)!)?.payload;
      const oldest = read.get(ids.at(-taken.get(w)!)!)?.payload;
      // A document written before windows were (no state, no bound): only the whole journal tells.
      if (!isEvents(newest) || !newest.state) legacy = true;
      else if (taken.get(w)! < ids.length) {
        if (!isEvents(oldest) || typeof oldest.before !== 'number') legacy = true;
        else bounds.set(w, oldest.before);
      }
    }
    if (legacy) {
      const rest = listing.filter((id) => !read.has(id));
      return { docs: byListing([...read.values(), ...(await journals.readSome(journal, rest, o, listing))]) };
    }
    const docs = byListing([...read.values()]);
    if (bounds.size === 0) return { docs };
    const bound = Math.max(...bounds.values());
    if (windowAnswered(window, journaledEvents(docs), bound)) {
      return { docs, partial: { unread: listing.filter((id) => !read.has(id)), listing, bound } };
    }
    // Older documents of the writers that hold the bound back, twice as many each round.
    for (const [w, b] of bounds) if (b >= bound) taken.set(w, Math.min(writers.get(w)!.length, taken.get(w)! * 2));
  }
}

/** Whether the events after `bound` (all there are after it) answer a window as the whole record would. */
function windowAnswered(window: EventWindow, events: Event[], bound: number): boolean {
  if (window.afterTimestamp !== undefined && bound <= window.afterTimestamp) return true;
  if (window.numRecentEvents === undefined) return false;
  const complete = events.filter((e) => e.timestamp > bound && (window.afterTimestamp === undefined || isAfter(e.timestamp, window.afterTimestamp)));
  return complete.length >= window.numRecentEvents;
}

function upsert<T>(items: T[], item: T, same: (x: T) => boolean): T[] {
  const i = items.findIndex(same);
  if (i < 0) return [...items, item];
  const copy = [...items];
  copy[i] = item;
  return copy;
}
