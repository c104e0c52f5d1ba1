import type { Event } from '@google/adk';
import type { AgentMemoryServerClient } from '../clients/agent-memory-server.js';
import { withBackendSummary } from '../codec/compaction.js';
import { allToCompletion, mapLimit, together } from '../codec/concurrency.js';
import { ENVELOPE_VERSION, eventToJson, isAfter, textEvent, type EventJson } from '../codec/events.js';
import { remember } from '../codec/bounded.js';
import { amsSessionId, amsTagValue, fromAmsAppSlotSessionId, fromAmsSessionId, scopeKey, tupleId, type SessionScope } from '../codec/ids.js';
import { toJson, type JsonValue } from '../codec/json.js';
import type { StateMap } from '../codec/state.js';
import { mergeByTime } from '../codec/timeline.js';
import { sessionNotFound, unlessMissing } from './missing.js';
import {
  createAt,
  firstListed,
  heldByAnotherApp,
  holdsSession,
  isCreation,
  isCreationDocument,
  isWriteOnceCreation,
  ownerOf,
  winningCreation,
  type CreationContext,
  type PlaceRead,
} from './ams-creations.js';
import { EntryJournal } from './ams-entries.js';
import { SessionExpiry, leftoversOf } from './ams-expiry.js';
import { JournalStore, READ_CACHE_BYTES, READ_CONCURRENCY, listAllSessionIds, parseDocumentId, type JournalDoc, type JournalKey } from './ams-journal.js';
import { appendToJournal, eventTime, isEvents, journaledEvents, readWindow, writerSettings } from './ams-session-events.js';
import { foldSessionState, foreignState } from './ams-session-state.js';
import {
  NativeViews,
  addsNoText,
  adoptedMessage,
  adoptionOf,
  markerOf,
  nativeKey,
  type Message,
  type ViewMarker,
  type ViewOptions,
  type WorkingMemory,
} from './ams-view.js';
import type { CallOptions, EventWindow, SessionBackend, SessionListing, SideWrite, StoredSession } from './types.js';

/** The same session in its app's own slot (see `amsAppSlotSessionId`). */
const inAppSlot = (s: SessionScope): SessionScope => ({ namespace: s.namespace, appName: s.appName, userId: s.userId, sessionId: s.sessionId, appSlot: true });

/**
 * Where each part of a session lives. The native document uses the ADK ids as they are; the
 * journals live in namespaces of their own (one per session, app or user), hashed from the scope,
 * so listing an app's sessions never sees them and they never collide.
 */
export const amsKeys = {
  native: nativeKey,
  journal: (s: SessionScope): JournalKey => ({
    namespace: s.appSlot
      ? tupleId('adk-j', 'app-slot-session-journal', [s.namespace, s.appName, s.userId, s.sessionId])
      : tupleId('adk-j', 'session-journal', [s.namespace, s.userId, s.sessionId]),
  }),
  appState: (ns: string, app: string): JournalKey => ({ namespace: tupleId('adk-a', 'app-state', [ns, app]) }),
  userState: (ns: string, app: string, user: string): JournalKey => ({ namespace: tupleId('adk-u', 'user-state', [ns, app, user]) }),
  /** One document per user who has a session in the namespace, for listing every user's sessions. */
  users: (ns: string): JournalKey => ({ namespace: tupleId('adk-r', 'users', [ns]) }),
};

/**
 * When appends write the conversation (the working memory's messages): with every event that adds
 * text, or once per invocation, by its first event, which carries the lines of the invocation
 * before it (the conversation lags one invocation behind the record; the record never lags).
 */
export const CONVERSATION_WRITES = ['per-event', 'per-invocation'] as const;
export type ConversationWrites = (typeof CONVERSATION_WRITES)[number];

/** Options of the Agent Memory Server session backend. */
export interface AmsSessionOptions extends ViewOptions {
  /** When appends write the conversation (default `'per-event'`). */
  conversationWrites?: ConversationWrites | undefined;
  /** Sessions this backend creates expire this many seconds after their last write. */
  sessionTtlSeconds?: number | undefined;
  /** Bytes of journal documents that can no longer change (or have not since they were read) kept in memory, so a session read again reads only what may have changed. */
  readCacheBytes?: number | undefined;
}

/**
 * Sessions on Agent Memory Server, in the server's own layout: the ADK session is the working
 * memory keyed by session id, namespace and user id, its messages the conversation, so other
 * clients, extraction, summarisation and the memory prompt all see it. That document is a view:
 * the server trims it and writes back stale copies of it, and any client may replace it. The ADK
 * events themselves live in journal documents (one sequence per writing instance, no messages)
 * that only their writer ever replaces; a message another client wrote joins this record the
 * first time this package reads it. Reads merge the journals, the view, and the server's summary.
 */
export class AgentMemoryServerSessionBackend implements SessionBackend {
  private readonly journals: JournalStore;
  private readonly views: NativeViews;
  private readonly expiry = new SessionExpiry();
  private readonly ttlSeconds: number | undefined;
  private readonly perInvocation: boolean;
  /** App and user state: keyed entries in journals of their own. */
  private readonly entries: EntryJournal;
  /** Users this instance has registered in a namespace, so the registry is written once per user. */
  private readonly registered = new Set<string>();
  /** Where this instance found or made each session: its plain place or its app slot. */
  private readonly places = new Map<string, SessionScope>();
  /** What the creation protocol (`createAt`) needs of this backend. */
  private readonly creations: CreationContext;
  /**
   * Per session, the creation record of the session this instance's copies (its journal document,
   * the view's lines) belong to, as its journal showed it: the one it created, or the winner it
   * read. Its events documents say so (`EventsPayload.session`), and its view writes carry it.
   */
  private readonly incarnations = new Map<string, string>();
  /** Creations of sessions this instance found deleted (under an id created afresh): a read that began before then cannot bring one back. */
  private readonly ended = new Map<string, true>();

  constructor(
    private readonly client: AgentMemoryServerClient,
    options: AmsSessionOptions = {},
  ) {
    this.journals = new JournalStore(client, undefined, undefined, {
      bytes: options.readCacheBytes ?? READ_CACHE_BYTES,
      // A creation record is written once; one of an expiring session is written again with its new expiry.
      writeOnce: isWriteOnceCreation,
    });
    this.entries = new EntryJournal(this.journals);
    this.views = new NativeViews(client, options);
    this.ttlSeconds = options.sessionTtlSeconds;
    this.perInvocation = options.conversationWrites === 'per-invocation';
    this.creations = {
      journals: this.journals,
      views: this.views,
      expiry: this.expiry,
      ttlSeconds: this.ttlSeconds,
      journalOf: amsKeys.journal,
      readSlot: (place, o) => this.readPlace(inAppSlot(place), o),
      register: (place, o) => this.register(place, o),
      won: (place, creation) => this.knowSession(place, creation),
    };
  }

  /**
   * Two round trips, one winner (see `createAt`). When another app of the namespace holds the id,
   * the session is created in this app's own slot instead; an app that may share its namespace
   * checks that slot in the first round trip, so a session never exists in both places.
   */
  async createSession(scope: SessionScope, state: StateMap, createdAt: number, o?: CallOptions): Promise<StoredSession> {
    const created = await createAt(this.creations, scope, state, createdAt, scope.namespace !== scope.appName, o);
    const place = created === 'held-by-another-app' ? inAppSlot(scope) : scope;
    const stored = created === 'held-by-another-app' ? await createAt(this.creations, place, state, createdAt, false, o) : created;
    if (stored === 'held-by-another-app') throw new Error('an app slot is held by its own app only');
    this.placeAt(scope, place);
    return place.appSlot ? { ...stored, workingMemoryId: nativeKey(place).session_id } : stored;
  }

  /**
   * Reads a session's place: its working memory and its journal documents, together. With a window,
   * only the documents that can hold the window's events are read (see `readWindow`).
   */
  private async readPlace(place: SessionScope, o?: CallOptions, window?: EventWindow): Promise<PlaceRead> {
    const journal = amsKeys.journal(place);
    if (!window || (window.numRecentEvents === undefined && window.afterTimestamp === undefined)) {
      const [native, docs] = await together(
        o?.signal,
        (signal) => this.views.read(place, { signal }),
        (signal) => this.journals.readAll(journal, { signal }),
      );
      return { native, docs };
    }
    const [native, listing] = await together(
      o?.signal,
      (signal) => this.views.read(place, { signal }),
      (signal) => this.journals.list(journal, { signal }),
    );
    return { native, ...(await readWindow(this.journals, journal, listing, window, o)) };
  }

  /**
   * Where a session is and what is there: its plain place, unless another app of the namespace
   * holds that, or it is vacant and the app slot is not. An app named otherwise than its namespace
   * reads both places together (one round trip); an app named as its namespace reads its slot only
   * when another app holds the plain place.
   */
  private async resolve(scope: SessionScope, o?: CallOptions, window?: EventWindow): Promise<{ place: SessionScope; read: PlaceRead }> {
    const slot = inAppSlot(scope);
    const [plain, slotted] = await together(
      o?.signal,
      (signal) => this.readPlace(scope, { signal }, window),
      (signal) => (scope.namespace !== scope.appName ? this.readPlace(slot, { signal }, window) : Promise.resolve(undefined)),
    );
    let found: { place: SessionScope; read: PlaceRead } = { place: scope, read: plain };
    if (heldByAnotherApp(plain, scope.appName)) found = { place: slot, read: slotted ?? (await this.readPlace(slot, o, window)) };
    else if (!holdsSession(plain) && slotted && holdsSession(slotted)) found = { place: slot, read: slotted };
    this.placeAt(scope, found.place);
    return found;
  }

  private placeAt(scope: SessionScope, place: SessionScope): void {
    remember(this.places, scopeKey(scope), place, 10_000);
  }

  /** Learns which creation the session at a place is (undefined: one no record of this package made). */
  private knowSession(place: SessionScope, creation: string | undefined): void {
    if (creation === undefined) this.incarnations.delete(scopeKey(place));
    else remember(this.incarnations, scopeKey(place), creation, 10_000);
  }

  /**
   * Whether a read of a session is of the session that holds its id now, learning its creation
   * when it is. A read that answers after this instance found the session created afresh is of the
   * earlier one: the caller returns it as read, and keeps or writes nothing of it.
   */
  private learnFromRead(place: SessionScope, creation: string | undefined): boolean {
    if (creation !== undefined && this.ended.has(creation)) return false;
    this.knowSession(place, creation);
    return true;
  }

  /**
   * Learns whether the session was deleted and created afresh (by another instance) since this one
   * last knew it: its working memory names another creation, and the journal no longer lists the one
   * this instance knows (a racing creator that lost may leave its name on the document; then the
   * session is the same, and this append writes the right name back). One listing, only when the
   * names differ. This instance then learns the new one: its journal writes name it, so they start
   * from empty (see `appendToJournal`), and its view lines and expiry of the earlier one are dropped.
   */
  private async recreatedSince(place: SessionScope, journal: JournalKey, doc: WorkingMemory | undefined, o?: CallOptions): Promise<void> {
    const key = scopeKey(place);
    const known = this.incarnations.get(key);
    const named = markerOf(doc).creation;
    if (known === undefined || named === undefined || named === known) return;
    const listed = await this.journals.list(journal, o);
    // Unless already learnt by another append of this instance meanwhile.
    if (listed.includes(known) || this.incarnations.get(key) !== known) return;
    remember(this.ended, known, true, 10_000);
    this.knowSession(place, firstListed(listed) ?? named);
    this.views.forget(place);
    this.expiry.forget(place);
  }

  async loadSession(scope: SessionScope, o?: CallOptions, window?: EventWindow): Promise<StoredSession | undefined> {
    const { place, read } = await this.resolve(scope, o, window);
    const stored = read.partial && window ? await this.loadWindow(place, read, read.partial, window, o) : await this.loadAt(place, read, o);
    return stored && place.appSlot ? { ...stored, workingMemoryId: nativeKey(place).session_id } : stored;
  }

  private async loadAt(scope: SessionScope, { native, docs }: PlaceRead, o?: CallOptions): Promise<StoredSession | undefined> {
    const journal = amsKeys.journal(scope);
    const winner = winningCreation(docs);
    const created = winner?.creation;
    if (!native && created?.ttlSeconds !== undefined) {
      // Its working memory expired: so has the session. What is left of it goes too.
      await this.journals.removeSome(journal, leftoversOf(docs, created.ttlSeconds), o);
      this.expiry.forget(scope);
      return undefined;
    }
    const owner = created ? created.appName : markerOf(native).appName;
    if ((!native && !created) || (owner !== undefined && owner !== scope.appName)) return undefined;
    const current = this.learnFromRead(scope, winner?.id);

    const ttl = native?.ttl_seconds ?? created?.ttlSeconds;
    if (ttl && current) this.expiry.learn(scope, ttl, docs, winner?.id);
    const journaled = journaledEvents(docs);
    const nativeMessages = native?.messages ?? [];
    // Messages other clients put in the conversation join the record now, as events of this writer.
    const inRecord = new Set(journaled.map((e) => e.id));
    const foreign = nativeMessages.filter((m): m is Message & { id: string } => typeof m.id === 'string' && !inRecord.has(m.id));
    const adopted = foreign.map((m) => adoptionOf(m, foreignEvent(m, scope.appName)));
    if (adopted.length && current) {
      const written = await appendToJournal(
        this.journals,
        journal,
        adopted.map((e) => eventToJson(e, 'getSession')),
        winner?.id,
        o,
        ttl ? SessionExpiry.beside(ttl) : undefined,
      );
      if (ttl) this.expiry.update(scope, [written]);
    }
    const record = mergeByTime([journaled, adopted], eventTime);

    const retained = new Set(nativeMessages.map((m) => m.id));
    const summarised = native?.context?.trim() ? native.context : undefined;
    const firstRetained = summarised
      ? indexOrEnd(
          record.findIndex((e) => retained.has(e.id)),
          record.length,
        )
      : 0;
    if (current)
      this.views.remember(
        scope,
        viewMessages(record.slice(firstRetained), nativeMessages, (e) => this.views.messageOf(e)),
      );

    const timeline = record.map((e) => {
      const adoptedFrom = adoptedMessage(e);
      return adoptedFrom ? foreignEvent(adoptedFrom, scope.appName) : e;
    });
    // A session another client created (the Python adk-redis) keeps its initial state in the document's data.
    const state = sessionStateOf({ native, docs });
    const createdAt = created?.createdAt ?? (Date.parse(native?.created_at ?? '') || 0);
    const events = summarised ? withBackendSummary(timeline, { text: summarised, firstRetained, startHint: createdAt }) : timeline;
    return { state, events, lastUpdateTime: timeline.at(-1)?.timestamp ?? createdAt };
  }

  /**
   * A window of a session from the documents that hold it (`readWindow`). The state comes from each
   * writer's newest document; the events are those after the bound, which answer the window. When
   * the window cannot be told from them — the session expired, the conversation holds a message no
   * ADK record has yet, or the server's summary falls inside the window — the rest is read, as a
   * read of the whole session would.
   */
  private async loadWindow(
    scope: SessionScope,
    read: PlaceRead,
    partial: NonNullable<PlaceRead['partial']>,
    window: EventWindow,
    o?: CallOptions,
  ): Promise<StoredSession | undefined> {
    const { native, docs } = read;
    const whole = async () =>
      this.loadAt(scope, { native, docs: [...docs, ...(await this.journals.readSome(amsKeys.journal(scope), partial.unread, o, partial.listing))] }, o);
    const winner = winningCreation(docs);
    const created = winner?.creation;
    const owner = created ? created.appName : markerOf(native).appName;
    if (!native || (owner !== undefined && owner !== scope.appName)) return whole();
    const current = this.learnFromRead(scope, winner?.id);
    const journaled = journaledEvents(docs);
    const complete = journaled.filter((e) => e.timestamp > partial.bound);
    const known = new Set([...journaled.map((e) => e.id), ...(markerOf(native).ids ?? [])]);
    const nativeMessages = native.messages ?? [];
    if (nativeMessages.some((m) => typeof m.id === 'string' && !known.has(m.id))) return whole();
    if (native.context?.trim()) {
      // The summary goes before the first message the server kept: it must be outside the window.
      const first = complete.find((e) => e.id === nativeMessages[0]?.id);
      const fromFirst = first
        ? complete.slice(complete.indexOf(first)).filter((e) => window.afterTimestamp === undefined || isAfter(e.timestamp, window.afterTimestamp))
        : [];
      const outside =
        first !== undefined &&
        ((window.afterTimestamp !== undefined && !isAfter(first.timestamp, window.afterTimestamp)) ||
          (window.numRecentEvents !== undefined && fromFirst.length >= window.numRecentEvents));
      if (!outside) return whole();
    }
    const timeline = complete.map((e) => {
      const adoptedFrom = adoptedMessage(e);
      return adoptedFrom ? foreignEvent(adoptedFrom, scope.appName) : e;
    });
    if (current)
      this.views.rememberMore(
        scope,
        viewMessages(complete, nativeMessages, (e) => this.views.messageOf(e)),
      );
    const createdAt = created?.createdAt ?? (Date.parse(native.created_at ?? '') || 0);
    return { state: sessionStateOf(read), events: timeline, lastUpdateTime: timeline.at(-1)?.timestamp ?? journaled.at(-1)?.timestamp ?? createdAt };
  }

  /**
   * Every session of the app (of one user, or of each registered user): the ids the server lists,
   * then each session's working memory and journals together (its state is folded from them, as
   * getSession folds it). Sessions in another app's plain place or slot are left out.
   */
  async listSessions(namespace: string, appName: string, userId: string | undefined, o?: CallOptions): Promise<SessionListing[]> {
    const users = userId !== undefined ? [userId] : await this.registeredUsers(namespace, o);
    // The server's TAG filter also yields other users' sessions (ASCII case): each read checks whose it is.
    const perUser = await mapLimit(users, READ_CONCURRENCY, async (user) =>
      [...new Set(await listAllSessionIds(this.client, amsTagValue(namespace), amsTagValue(user), o))].flatMap((stored): SessionScope[] => {
        const slot = fromAmsAppSlotSessionId(stored);
        if (!slot) return [{ namespace, appName, userId: user, sessionId: fromAmsSessionId(stored) }];
        return slot.appName === appName ? [{ namespace, appName, userId: user, sessionId: slot.sessionId, appSlot: true }] : [];
      }),
    );
    const listed = await mapLimit(perUser.flat(), READ_CONCURRENCY, async (place): Promise<SessionListing | undefined> => {
      const read = await this.readPlace(place, o);
      const doc = read.native;
      const owner = ownerOf(read);
      if (!doc || (owner !== undefined && owner !== appName)) return undefined;
      const marker = markerOf(doc);
      const lastMessage = Date.parse(doc.messages?.at(-1)?.created_at ?? '');
      const viewTime = marker.lastUpdateTime ?? (Number.isFinite(lastMessage) ? lastMessage : Date.parse(doc.created_at ?? '') || 0);
      // As getSession: the latest event's time (events that wrote their journal only are not in the view's marker).
      const lastUpdateTime = journaledEvents(read.docs).at(-1)?.timestamp ?? viewTime;
      return { userId: place.userId, sessionId: place.sessionId, lastUpdateTime, state: sessionStateOf(read) };
    });
    return listed.filter((x): x is SessionListing => x !== undefined);
  }

  async deleteSession(scope: SessionScope, o?: CallOptions): Promise<void> {
    const { place, read } = await this.resolve(scope, o);
    const { session_id, ...query } = amsKeys.native(place);
    await together(
      o?.signal,
      (signal) =>
        this.journals.removeSome(
          amsKeys.journal(place),
          read.docs.map((d) => d.id),
          { signal },
        ),
      // Only what is this session: a DELETE of a key that does not exist makes the server look it
      // up by TAG, which can find another user's document (ASCII case) and delete that.
      async (signal) => {
        if (read.native) await this.client.deleteWorkingMemory(session_id, query, { signal });
      },
    );
    this.journals.cleared(amsKeys.journal(place));
    this.views.forget(place);
    this.expiry.forget(place);
    this.places.delete(scopeKey(scope));
    const known = this.incarnations.get(scopeKey(place));
    if (known) remember(this.ended, known, true, 10_000);
    this.incarnations.delete(scopeKey(place));
  }

  /** Where an append goes: where this instance found or made the session, else found now. */
  async appendEvent(scope: SessionScope, event: Event, json: EventJson, sessionState: StateMap, alongside: SideWrite[], o?: CallOptions): Promise<void> {
    const known = this.places.get(scopeKey(scope));
    if (known) return this.appendAt(known, event, json, sessionState, alongside, o);
    // An app that shares its namespace looks in both places first; one named as its namespace
    // learns from the working memory it reads anyway whether another app holds the plain place.
    if (scope.namespace === scope.appName) return this.appendAt(scope, event, json, sessionState, alongside, o, true);
    const { place, read } = await this.resolve(scope, o);
    if (!holdsSession(read)) throw sessionNotFound(scope.sessionId);
    return this.appendAt(place, event, json, sessionState, alongside, o, true);
  }

  /**
   * Two round trips: the working memory as stored right now, then (together) this writer's journal
   * with the event, the view written from that fresh copy, and the app and user state the event
   * changes. Nothing another client or the server put there since this instance last looked is
   * overwritten; a message this package has not seen before joins the record in the same journal
   * write. What remains is the time between that read and that write, one round trip: the API has
   * no compare-and-set to close it. A session whose working memory is gone is looked for in its
   * journal (one round trip more, only then): one that does not exist, or has expired, rejects
   * before anything is written, as ADK's database service does.
   */
  private async appendAt(
    scope: SessionScope,
    event: Event,
    json: EventJson,
    sessionState: StateMap,
    alongside: SideWrite[],
    o?: CallOptions,
    unsure = false,
  ): Promise<void> {
    const journal = amsKeys.journal(scope);
    // Documents of an expiring session that would expire before the working memory written now are
    // read beside it, and carried forward by this append (at most once per TTL each).
    const due = this.expiry.due(scope, this.journals.currentDocument(journal));
    // The journal write may wait on a read of this writer's document and land after the view's: its
    // recorded expiry counts from here, before either, so that once the session has expired the
    // document is among what is left of it (see `leftoversOf`), never read into a session created afresh.
    const startedAt = Date.now();
    // An event that adds no text (a tool call or result) leaves its view line to the next view
    // write, which costs the server a full PUT of every message (docs/performance.md, table 12); so,
    // writing once per invocation, does every later event of an invocation this instance has
    // written the view for. Such an append, to a session last seen without a TTL, most likely
    // writes its journal only (see `viewLater`): all it needs of the document is that it is there,
    // its TTL and whether another client's message came last, so it asks for the latest message
    // only (a whole read costs the server every message). Should the view have to be written after
    // all, the document is read whole first.
    const deferrable = addsNoText(event) || (this.perInvocation && event.invocationId !== '' && this.views.lastInvocation(scope) === event.invocationId);
    const light = !unsure && !due.length && deferrable && this.views.lastSeenUntimed(scope);
    /** Whether a document read light lets this append leave the conversation alone: no TTL to renew, no other client's message to take in. */
    const leavesViewAlone = (doc: WorkingMemory) => !doc.ttl_seconds && !this.views.foreignIn(scope, doc, [event.id]).length;
    let fresh: WorkingMemory | undefined;
    let dueDocs: JournalDoc[] = [];
    /** This writer's journal document, when the event was written to it before the session was known to be there. */
    let ahead: JournalDoc | undefined;
    if (light && !alongside.length) {
      // One round trip: the journal write goes beside the read instead of after it. Should the read
      // show the session gone, that write is taken back before the append rejects; one left by a
      // crash in between holds no creation record, so it never makes the session exist again, and
      // a session created afresh under the id deletes it (see `createAt`). App and user state are
      // never written ahead: they would outlive the rejection.
      const named = this.incarnations.get(scopeKey(scope));
      const [latest, written] = await allToCompletion(
        o?.signal,
        (signal: AbortSignal) => this.views.read(scope, { signal }, true),
        (signal: AbortSignal) => appendToJournal(this.journals, journal, [json], named, { signal }),
      );
      await this.recreatedSince(scope, journal, latest, o);
      // Written into a copy of an earlier session of the id (deleted and created afresh since): it
      // is written again below, from empty. Its document names the earlier session, so no reader
      // takes it for this one's meanwhile.
      const stale = this.incarnations.get(scopeKey(scope)) !== named;
      if (latest && !stale && leavesViewAlone(latest)) {
        await this.views.defer(scope, event);
        return;
      }
      ahead = written;
      fresh = latest && (await this.views.read(scope, o));
    } else {
      const [read, readDue] = await together(
        o?.signal,
        (signal) => this.views.read(scope, { signal }, light),
        (signal) => (due.length ? this.journals.readSome(journal, due, { signal }) : Promise.resolve([])),
      );
      fresh = light && read && !leavesViewAlone(read) ? await this.views.read(scope, o) : read;
      dueDocs = readDue;
      await this.recreatedSince(scope, journal, fresh, o);
    }
    if (unsure && !scope.appSlot && fresh && markerOf(fresh).appName !== undefined && markerOf(fresh).appName !== scope.appName) {
      // Another app of the namespace holds this id: the session is in this app's slot.
      this.placeAt(scope, inAppSlot(scope));
      return this.appendAt(inAppSlot(scope), event, json, sessionState, alongside, o);
    }
    if (!fresh && !holdsSession({ native: undefined, docs: await this.journals.readAll(journal, o) })) {
      // Never created, deleted (by any instance, since this one last looked) or expired.
      this.places.delete(scopeKey(scope));
      if (ahead) {
        this.journals.cleared(journal);
        await this.journals.remove(journal, ahead.id, o);
      }
      throw sessionNotFound(scope.sessionId);
    }
    if (unsure) this.placeAt(scope, scope);
    const ttl = fresh?.ttl_seconds ?? undefined;
    let carry = {
      events: [] as EventJson[],
      copies: new Map<EventJson, boolean>(),
      writes: [] as ((signal: AbortSignal) => Promise<unknown>)[],
      settled: [] as { id: string; expiresAt?: number }[],
    };
    if (ttl) {
      // A session this instance has not read yet: learn its documents first (once).
      if (!this.expiry.knows(scope)) {
        const docs = await this.journals.readAll(journal, o);
        this.expiry.learn(scope, ttl, docs, winningCreation(docs)?.id);
        // The documents due are among those just read: no second read.
        const byId = new Map(docs.map((d) => [d.id, d]));
        const dueNow = this.expiry.due(scope, this.journals.currentDocument(journal)).flatMap((id) => byId.get(id) ?? []);
        carry = this.carryForward(scope, journal, ttl, dueNow);
      } else {
        carry = this.carryForward(scope, journal, ttl, dueDocs);
      }
    }
    const foreign = this.views.foreignIn(scope, fresh, [event.id]);
    const adopted = foreign.map((m) => eventToJson(adoptionOf(m, foreignEvent(m, scope.appName)), 'appendEvent'));
    const session = this.incarnations.get(scopeKey(scope));
    const creation = session ?? markerOf(fresh).creation;
    const marker: ViewMarker = { v: ENVELOPE_VERSION, appName: scope.appName, lastUpdateTime: event.timestamp, ...(creation ? { creation } : {}) };
    const beside = ttl ? SessionExpiry.beside(ttl, startedAt) : undefined;
    // A deferrable event writes its journal only. Not when the write must also carry what others
    // wrote, nor with a session TTL, whose expiry each view write refreshes.
    const viewLater = !ttl && !unsure && !foreign.length && deferrable;
    // Once per session, where this instance read another writer's document that can still change:
    // its anchor, so later reads take such a document from memory while it stays unchanged (never
    // with a TTL: the anchor does not expire with the session). It only spares reads: a failure
    // is not the append's.
    const anchor =
      !ttl && this.journals.anchorWanted(journal) ? [(signal: AbortSignal) => this.journals.writeAnchor(journal, { signal }).catch(() => undefined)] : [];
    // The journal and the view are independent documents: written together. Session state travels in the events.
    const [written] = await allToCompletion(
      o?.signal,
      (signal: AbortSignal) => appendToJournal(this.journals, journal, [...carry.events, ...adopted, json], session, { signal }, beside, carry.copies),
      ...(viewLater ? [] : [(signal: AbortSignal) => this.views.append(scope, fresh, event, marker, { signal })]),
      ...carry.writes,
      ...alongside,
      ...anchor,
    );
    // Only once the journal holds it: a view line is never written for an event that is not stored.
    if (viewLater) await this.views.defer(scope, event);
    if (ttl) this.expiry.update(scope, [...carry.settled, written]);
  }

  /**
   * What an append does about documents that would expire before the session: events are copied
   * into this writer's journal (the copy is read as the same event), the winning creation record
   * is written again, and other creation records (losers that did not clean up) are deleted.
   */
  private carryForward(scope: SessionScope, journal: JournalKey, ttl: number, docs: JournalDoc[]) {
    const copies = new Map<EventJson, boolean>();
    for (const d of docs) {
      if (!isEvents(d.payload)) continue;
      const own = parseDocumentId(d.id)?.writer === this.journals.writerId;
      for (const e of d.payload.events as EventJson[]) copies.set(e, own);
    }
    const events = [...copies.keys()];
    const creation = this.expiry.creationOf(scope);
    const writes: ((signal: AbortSignal) => Promise<unknown>)[] = [];
    const settled: { id: string; expiresAt?: number }[] = [];
    for (const d of docs) {
      if (isEvents(d.payload)) settled.push({ id: d.id, expiresAt: Number.POSITIVE_INFINITY });
      else if (d.id === creation && isCreation(d.payload)) {
        const payload = d.payload;
        writes.push((signal) =>
          this.journals.putShared(journal, d.id, payload, { signal }, SessionExpiry.beside(ttl)).then((w) => void this.expiry.update(scope, [w])),
        );
      } else if (isCreationDocument(d.id)) {
        writes.push((signal) => this.journals.remove(journal, d.id, { signal }));
        settled.push({ id: d.id });
      }
    }
    return { events, copies, writes, settled };
  }

  readAppState(namespace: string, appName: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.appState(namespace, appName), o);
  }

  readUserState(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<StateMap> {
    return this.readState(amsKeys.userState(namespace, appName, userId), o);
  }

  updateAppState(namespace: string, appName: string, delta: StateMap, _after: StateMap, o?: CallOptions): Promise<void> {
    return this.writeState(amsKeys.appState(namespace, appName), delta, o);
  }

  updateUserState(namespace: string, appName: string, userId: string, delta: StateMap, _after: StateMap, o?: CallOptions): Promise<void> {
    return this.writeState(amsKeys.userState(namespace, appName, userId), delta, o);
  }

  private readState(key: JournalKey, o?: CallOptions): Promise<StateMap> {
    return this.entries.read(key, o);
  }

  private writeState(key: JournalKey, delta: StateMap, o?: CallOptions): Promise<void> {
    return this.entries.write(key, toJson(delta, 'appendEvent', 'stateDelta') as Record<string, JsonValue>, o);
  }

  async forgetUser(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<void> {
    await this.journals.removeAll(amsKeys.userState(namespace, appName, userId), o);
    // The registry is per namespace: the user stays in it while another app there has their sessions.
    const stored = await listAllSessionIds(this.client, amsTagValue(namespace), amsTagValue(userId), o);
    const docs = await mapLimit(stored, READ_CONCURRENCY, (id) =>
      unlessMissing(this.client.getWorkingMemory(id, { namespace: amsTagValue(namespace), user_id: amsTagValue(userId) }, o)),
    );
    if (docs.some((d) => d?.user_id === amsTagValue(userId))) return;
    await this.journals.remove(amsKeys.users(namespace), amsSessionId(userId), o);
    this.registered.delete(JSON.stringify([namespace, userId]));
  }

  /** Records that the user has sessions in the namespace: the same document from every writer. */
  private async register(scope: SessionScope, o: CallOptions): Promise<void> {
    const key = JSON.stringify([scope.namespace, scope.userId]);
    if (this.registered.has(key)) return;
    await this.journals.putShared(amsKeys.users(scope.namespace), amsSessionId(scope.userId), { v: ENVELOPE_VERSION, kind: 'user', userId: scope.userId }, o);
    this.registered.add(key);
  }

  private async registeredUsers(namespace: string, o?: CallOptions): Promise<string[]> {
    return (await listAllSessionIds(this.client, amsKeys.users(namespace).namespace, undefined, o)).map(fromAmsSessionId);
  }
}

function indexOrEnd(i: number, end: number): number {
  return i < 0 ? end : i;
}

/**
 * The messages the native document should hold for these (retained) events: the stored message
 * where there is one, so the server's extraction marks survive, else the event's own message.
 */
function viewMessages(events: Event[], stored: Message[], messageOf: (e: Event) => Message | undefined): Message[] {
  const byId = new Map(stored.map((m) => [m.id, m]));
  const out: Message[] = [];
  for (const e of events) {
    const message = byId.get(e.id) ?? messageOf(e);
    if (message) out.push(message);
  }
  return out;
}

/** A message another client wrote: author `user` for the user, otherwise the app's agent. */
function foreignEvent(m: Message, appName: string): Event {
  const at = Date.parse(m.created_at ?? '');
  return textEvent({ id: m.id ?? '', fromUser: m.role === 'user', author: appName, timestamp: Number.isFinite(at) ? at : 0, text: m.content });
}

/** A session's own state as stored: its creation's (or another client's document data), then every writer's settings (see `foldSessionState`). */
function sessionStateOf(read: PlaceRead): StateMap {
  return foldSessionState(winningCreation(read.docs)?.creation.state ?? foreignState(read.native), writerSettings(read.docs));
}
