import type { Event, Session } from '@google/adk';
import type { EventJson } from '../codec/events.js';
import type { SessionScope } from '../codec/ids.js';
import type { MemoryHit, MemoryRecordInput, MemoryScope } from '../codec/memory.js';
import type { StateMap } from '../codec/state.js';
import type { PromptMessage } from '../codec/prompt.js';

export type { PromptMessage };

/** A session as a backend stores it: session-scoped state only; app and user state live apart. */
export interface StoredSession {
  state: StateMap;
  /** Every stored event, in order, de-duplicated by ADK event id. */
  events: Event[];
  lastUpdateTime: number;
  /** Agent Memory Server: the working memory's id when it is not the ADK id's own (a session in its app's slot). */
  workingMemoryId?: string;
}

export interface SessionListing {
  userId: string;
  sessionId: string;
  lastUpdateTime: number;
  /** The session's own state (without `app:` and `user:` keys), as getSession would fold it. */
  state: StateMap;
}

/** The part of a session's events getSession asks for (ADK's `GetSessionConfig`). */
export interface EventWindow {
  numRecentEvents?: number | undefined;
  afterTimestamp?: number | undefined;
}

/** A write made beside another one (its signal is the pair's). */
export type SideWrite = (signal: AbortSignal) => Promise<unknown>;

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * What the session service needs from a backend. One adapter per backend implements it; the
 * services never branch on which backend they talk to.
 */
export interface SessionBackend {
  /** Stores a new, empty session with its session-scoped state. Throws ConflictError if it already exists. */
  createSession(scope: SessionScope, state: StateMap, createdAt: number, o?: CallOptions): Promise<StoredSession>;
  /**
   * The stored session (with the backend's own summary as an ADK CompactedEvent), or undefined when
   * it does not exist. With a window, `events` may hold only the events that answer it (the
   * service selects the window from them); the state is always the whole session's.
   */
  loadSession(scope: SessionScope, o?: CallOptions, window?: EventWindow): Promise<StoredSession | undefined>;
  /** Sessions of one user, or of every user when userId is undefined. */
  listSessions(namespace: string, appName: string, userId: string | undefined, o?: CallOptions): Promise<SessionListing[]>;
  /** Removes the session; a missing session is not an error. */
  deleteSession(scope: SessionScope, o?: CallOptions): Promise<void>;
  /**
   * Durably appends one event to an existing session. Appending an event id that is already stored
   * replaces that event instead of adding one. `json` is the event as stored (`eventToJson`),
   * computed once by the service; `sessionState` is the session-scoped state after the event, as
   * the appending writer knows it. `alongside` are the writes of the app and user state the event
   * changes: run together with the event's own write, once the session is known to exist. A session
   * that does not exist rejects with `sessionNotFound`, and then none of them has been sent.
   */
  appendEvent(scope: SessionScope, event: Event, json: EventJson, sessionState: StateMap, alongside: SideWrite[], o?: CallOptions): Promise<void>;
  readAppState(namespace: string, appName: string, o?: CallOptions): Promise<StateMap>;
  readUserState(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<StateMap>;
  /** Stores changed `app:` keys; `after` is the whole app state once they are applied. */
  updateAppState(namespace: string, appName: string, delta: StateMap, after: StateMap, o?: CallOptions): Promise<void>;
  updateUserState(namespace: string, appName: string, userId: string, delta: StateMap, after: StateMap, o?: CallOptions): Promise<void>;
  /**
   * Erases what is kept of a user in the app beside their sessions (call it once they are
   * deleted): the user's `user:` state, and their entry in the registry of users with sessions.
   */
  forgetUser(namespace: string, appName: string, userId: string, o?: CallOptions): Promise<void>;
}

export interface PromptRequest {
  query: string;
  /** How many long-term memories to include at most. */
  limit: number;
  session?: Session | undefined;
}

/** What the long-term memory service needs from a backend. */
export interface MemoryBackend {
  /** Stores records (idempotently, by id). Rejects when any record was not stored. */
  write(scope: MemoryScope, records: MemoryRecordInput[], o?: CallOptions): Promise<void>;
  /** Best match first, at most `limit`, only this user's memories in this namespace. */
  search(scope: MemoryScope, query: string, limit: number, similarityThreshold: number | undefined, o?: CallOptions): Promise<MemoryHit[]>;
  /** The record, or undefined when it does not exist or belongs to another user or namespace. */
  get(scope: MemoryScope, id: string, o?: CallOptions): Promise<MemoryHit | undefined>;
  update(
    scope: MemoryScope,
    id: string,
    patch: { text?: string | undefined; topics?: string[] | undefined; memoryType?: string | undefined },
    o?: CallOptions,
  ): Promise<MemoryHit>;
  remove(scope: MemoryScope, ids: string[], o?: CallOptions): Promise<void>;
  /** Deletes every record of the scope's user in its namespace, those the backend extracted included; returns how many. */
  removeAll(scope: MemoryScope, o?: CallOptions): Promise<number>;
  /**
   * Prompt messages for a query: the session's summary, its recent messages, the user's relevant
   * long-term memories (only this scope's), then the query. `session` is the calling ADK session.
   */
  prompt(scope: MemoryScope, request: PromptRequest, o?: CallOptions): Promise<PromptMessage[]>;
  /** Whether this backend refuses commas inside topics. */
  readonly topicCommas: boolean;
}
