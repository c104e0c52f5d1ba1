import type { Event } from '@google/adk';
import type { AgentMemoryServerClient, AgentMemoryServerSchemas } from '../clients/agent-memory-server.js';
import { remember } from '../codec/bounded.js';
import { KeyedQueue } from '../codec/concurrency.js';
import { conversationText, isUserAuthored, plainText } from '../codec/events.js';
import { adkOf, dataWithAdk } from '../codec/exact-numbers.js';
import { amsAppSlotSessionId, amsSessionId, amsTagValue, scopeKey, type SessionScope } from '../codec/ids.js';
import { isRecord } from '../codec/json.js';
import { mergeByTime } from '../codec/timeline.js';
import { unlessMissing } from './missing.js';
import type { CallOptions } from './types.js';

export type WorkingMemory = AgentMemoryServerSchemas['WorkingMemoryResponse'];
export type Message = AgentMemoryServerSchemas['MemoryMessage'];
type Body = AgentMemoryServerSchemas['UpdateWorkingMemory'];

/** What this package keeps in the native document's `data.adk`. */
export interface ViewMarker {
  v: number;
  appName: string;
  lastUpdateTime: number;
  /**
   * The ids of the messages of this document that are in the session's record (the journals):
   * a message another client adds is the one whose id is not here.
   */
  ids?: string[];
  /** On a document createSession made: the creation record of the creator that made it. */
  creation?: string;
}

/** How the server should turn a session's conversation into long-term memories (`long_term_memory_strategy`). */
export interface ExtractionStrategy {
  strategy: 'discrete' | 'summary' | 'preferences' | 'custom';
  config: Record<string, unknown>;
}

/** Options passed to the server with every write of a native document. */
export interface ViewOptions {
  modelName?: string | undefined;
  contextWindowMax?: number | undefined;
  /** Written into every working memory this package writes, where the server reads it. */
  extractionStrategy?: ExtractionStrategy | undefined;
  /**
   * `false`: this package's messages are written marked extracted, so the server's own extraction
   * never takes them, and a PUT costs it no extraction scheduling (docs/performance.md, table 12).
   */
  serverExtraction?: boolean | undefined;
}

/**
 * The native working memory of a session: the ADK session id, namespace and user id as they are,
 * except where the server could not take or find them as they are (see `amsSessionId`, `amsTagValue`).
 */
export const nativeKey = (s: SessionScope) => ({
  session_id: s.appSlot ? amsAppSlotSessionId(s.sessionId, s.appName) : amsSessionId(s.sessionId),
  namespace: amsTagValue(s.namespace),
  user_id: amsTagValue(s.userId),
});

/**
 * Whether a document the server returned is the one asked for. When a key is missing the server
 * looks the session up again through its search index, whose TAG match ignores ASCII case and
 * splits at commas, and returns what it finds there: for user `alice` that can be `Alice`'s.
 */
export function isDocumentOf(
  doc: { session_id?: string | null; namespace?: string | null; user_id?: string | null },
  key: { session_id: string; namespace?: string | null; user_id?: string | null },
): boolean {
  return doc.session_id === key.session_id && (doc.namespace ?? null) === (key.namespace ?? null) && (doc.user_id ?? null) === (key.user_id ?? null);
}

/** Where this package keeps a message another client wrote, once it is part of the session's record. */
const ADOPTED = 'adk_redis_adopted';

/**
 * Whether an event adds no text of its own to the conversation (no text part: a tool call or
 * result, an attachment, a state change): its append can leave its view line, if it has one, to
 * the next write of the view.
 */
export function addsNoText(event: Event): boolean {
  return plainText(event) === '';
}

/**
 * The message of one ADK event, or undefined when the event has no conversational content.
 * `extracted`: marked as the server's extraction has taken it already (another client's message,
 * kept in the record, is marked as not, whatever this says).
 */
export function toMessage(event: Event, extracted = false): Message | undefined {
  const adopted = adoptedMessage(event);
  if (adopted) return { ...adopted, discrete_memory_extracted: 'f' };
  const content = conversationText(event);
  if (content === undefined) return undefined;
  return {
    role: isUserAuthored(event) ? 'user' : 'assistant',
    content,
    id: event.id,
    // The server refuses a message dated more than 300 s ahead of its clock (the whole PUT with it);
    // the event keeps its time in the journal, the conversation dates such a message now.
    created_at: new Date(Math.min(event.timestamp, Date.now())).toISOString(),
    discrete_memory_extracted: extracted ? 't' : 'f',
  };
}

/** The message another client wrote that this event keeps in the record, if it is one. */
export function adoptedMessage(event: Event): Message | undefined {
  const m = event.customMetadata?.[ADOPTED];
  return isRecord(m) && typeof m.id === 'string' && typeof m.content === 'string' && typeof m.role === 'string' ? (m as unknown as Message) : undefined;
}

/** The record's copy of another client's message: an event carrying the message as it was. */
export function adoptionOf(m: Message & { id: string }, event: Event): Event {
  const { discrete_memory_extracted: _d, persisted_at: _p, ...message } = m;
  return { ...event, customMetadata: { [ADOPTED]: message } };
}

const timeOf = (m: Message) => Date.parse(m.created_at ?? '') || 0;

/** The body to PUT back: everything the server returned except what it computes itself. */
function bodyOf(doc: WorkingMemory): Body {
  const { session_id: _s, context_percentage_total_used: _a, context_percentage_until_summarization: _b, ...body } = doc;
  return body;
}

/** The marker a document carries, if this package wrote one. */
export function markerOf(doc: { data?: unknown } | undefined): Partial<ViewMarker> {
  const adk = doc ? adkOf(doc.data) : undefined;
  return isRecord(adk) ? adk : {};
}

/**
 * The native documents of the sessions this instance works on. Agent Memory Server replaces a
 * document whole, with no compare-and-set, and rewrites it in the background (summarisation trims
 * messages; extraction writes back the copy it read), and other clients read, extend and PUT it
 * back. So the native document is a view of the conversation, not its record — the ADK events
 * live in journal documents the server never touches — and every append starts from the document
 * as stored right then: it keeps everything there, adds its message, and puts back the messages of
 * the record a stale write removed (but never ones the server summarised away).
 */
export class NativeViews {
  /** Per session, the record's messages the view should hold, as this instance last knew them. */
  private readonly known = new Map<string, Message[]>();
  /** Per session, whether its document had no TTL when last read or written. */
  private readonly untimed = new Map<string, boolean>();
  /** Per session, the invocation of the event whose append this instance last wrote the view for. */
  private readonly invocations = new Map<string, string>();
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly client: AgentMemoryServerClient,
    private readonly options: ViewOptions,
    private readonly cacheSize = 1000,
  ) {}

  /** The message of one ADK event as this instance writes it into the conversation. */
  messageOf(event: Event): Message | undefined {
    return toMessage(event, this.options.serverExtraction === false);
  }

  /** The query that tells the server which context window to summarise for. */
  private query() {
    return {
      ...(this.options.modelName ? { model_name: this.options.modelName } : {}),
      ...(this.options.contextWindowMax ? { context_window_max: this.options.contextWindowMax } : {}),
    } as Parameters<AgentMemoryServerClient['putWorkingMemory']>[2];
  }

  /**
   * The native document as stored, or undefined (also when the server answered with another
   * session's). `latestOnly`: with only its latest message (`recent_messages_limit=1`), which the
   * server answers at a fraction of a whole read's cost once the conversation is long; the rest of
   * the document (its data, TTL and summary) is whole. Such a copy is never written back.
   */
  async read(scope: SessionScope, o?: CallOptions, latestOnly = false): Promise<WorkingMemory | undefined> {
    const key = nativeKey(scope);
    const { session_id, ...query } = key;
    const doc = await unlessMissing(this.client.getWorkingMemory(session_id, latestOnly ? { ...query, recent_messages_limit: 1 } : query, o));
    const found = doc && isDocumentOf(doc, key) ? doc : undefined;
    if (found) remember(this.untimed, scopeKey(scope), !found.ttl_seconds, this.cacheSize);
    return found;
  }

  /** The invocation of the event whose append this instance last wrote the view for. */
  lastInvocation(scope: SessionScope): string | undefined {
    return this.invocations.get(scopeKey(scope));
  }

  /** Whether the document, when this instance last read or wrote it, had no TTL (unknown: false). */
  lastSeenUntimed(scope: SessionScope): boolean {
    return this.untimed.get(scopeKey(scope)) === true;
  }

  /** Creates the native document of a new session: no messages yet, so the server does no work on it. */
  async create(scope: SessionScope, marker: ViewMarker, o?: CallOptions, ttlSeconds?: number): Promise<void> {
    await this.write(scope, { messages: [], data: dataWithAdk({ ...marker }), ...(ttlSeconds ? { ttl_seconds: ttlSeconds } : {}) }, o);
  }

  /** Remembers the messages a read found the record to hold after the server's summary. */
  remember(scope: SessionScope, messages: Message[]): void {
    remember(this.known, scopeKey(scope), messages, this.cacheSize);
  }

  /** Adds messages a windowed read found to those the view should hold (a window does not see the older ones). */
  rememberMore(scope: SessionScope, messages: Message[]): void {
    const before = this.known.get(scopeKey(scope)) ?? [];
    const ids = new Set(before.map((m) => m.id));
    remember(this.known, scopeKey(scope), mergeByTime([before, messages.filter((m) => !ids.has(m.id))], timeOf), this.cacheSize);
  }

  forget(scope: SessionScope): void {
    this.known.delete(scopeKey(scope));
    this.untimed.delete(scopeKey(scope));
    this.invocations.delete(scopeKey(scope));
  }

  /**
   * Messages of a stored document that are in no ADK record: another client wrote them (or a
   * writer of this session that could not mark them). `extra` are ids known to be in the record.
   */
  foreignIn(scope: SessionScope, doc: WorkingMemory | undefined, extra: Iterable<string> = []): (Message & { id: string })[] {
    const marked = new Set([...(markerOf(doc).ids ?? []), ...(this.known.get(scopeKey(scope)) ?? []).map((m) => m.id), ...extra]);
    return (doc?.messages ?? []).filter((m): m is Message & { id: string } => typeof m.id === 'string' && !marked.has(m.id));
  }

  /**
   * Writes the view for an append, starting from `fresh` (the document as just read): everything
   * it holds, the record's messages a stale write removed from it (those the server has not
   * summarised: newer than its first message when it holds a summary), and the event's message.
   * Writes of one session are applied one at a time; what the server stored becomes known.
   */
  append(scope: SessionScope, fresh: WorkingMemory | undefined, event: Event, marker: ViewMarker, o?: CallOptions): Promise<void> {
    const key = scopeKey(scope);
    return this.queue.run(key, async () => {
      const base: Body = fresh ? bodyOf(fresh) : { messages: [] };
      const stored = base.messages ?? [];
      const present = new Set(stored.map((m) => m.id));
      const since = base.context?.trim() && stored.length ? timeOf(stored[0]!) : -Infinity;
      const restored = (this.known.get(key) ?? []).filter((m) => !present.has(m.id) && timeOf(m) >= since);
      let messages = mergeByTime([stored, restored], timeOf);
      const message = this.messageOf(event);
      if (message) {
        const at = messages.findIndex((m) => m.id === message.id);
        messages = at < 0 ? [...messages, message] : messages.map((m, i) => (i === at ? { ...m, content: message.content, role: message.role } : m));
      }
      const data = isRecord(base.data) ? base.data : {};
      const ids = messages.map((m) => m.id).filter((id): id is string => typeof id === 'string');
      await this.write(scope, { ...base, messages, data: dataWithAdk({ ...marker, ids }, data) }, o);
      remember(this.invocations, key, event.invocationId, this.cacheSize);
    });
  }

  /**
   * Leaves an event's view line to the next write of the view (by this instance: it is restored as
   * a line a stale write removed; by another: its reader restores it from the journal). In the
   * session's queue, so a write in flight cannot replace what is known with a copy without it.
   */
  defer(scope: SessionScope, event: Event): Promise<void> {
    const message = this.messageOf(event);
    if (!message) return Promise.resolve();
    return this.queue.run(scopeKey(scope), () => {
      this.rememberMore(scope, [message]);
      return Promise.resolve();
    });
  }

  /** Writes the document (keeping the `ttl_seconds` it carries: the session's expiry, refreshed by every write). */
  private async write(scope: SessionScope, body: Body, o?: CallOptions): Promise<void> {
    const { session_id, user_id, namespace } = nativeKey(scope);
    const strategy = this.options.extractionStrategy
      ? { long_term_memory_strategy: { strategy: this.options.extractionStrategy.strategy, config: this.options.extractionStrategy.config } }
      : {};
    const stored = await this.client.putWorkingMemory(session_id, { ...body, ...strategy, user_id, namespace }, this.query(), o);
    // What the server kept (possibly summarised and trimmed) is what the view should hold now.
    remember(this.known, scopeKey(scope), stored.messages ?? [], this.cacheSize);
    remember(this.untimed, scopeKey(scope), !stored.ttl_seconds, this.cacheSize);
  }
}
