import type { Event } from '@google/adk';
import type { AgentMemoryServerClient, AgentMemoryServerSchemas } from '../clients/agent-memory-server.js';
import { remember } from '../codec/bounded.js';
import { KeyedQueue } from '../codec/concurrency.js';
import { conversationText, isUserAuthored } from '../codec/events.js';
import { amsSessionId, amsTagValue, scopeKey, type SessionScope } from '../codec/ids.js';
import { isRecord } from '../codec/json.js';
import { unlessMissing } from './missing.js';
import type { CallOptions } from './types.js';

export type WorkingMemory = AgentMemoryServerSchemas['WorkingMemoryResponse'];
export type Message = AgentMemoryServerSchemas['MemoryMessage'];
type Body = AgentMemoryServerSchemas['UpdateWorkingMemory'];

/** What this package keeps in the native document's `data.adk`: enough to list sessions cheaply. */
export interface ViewMarker {
  v: number;
  appName: string;
  lastUpdateTime: number;
}

/** Options passed to the server with every write of a native document. */
export interface ViewOptions {
  modelName?: string | undefined;
  contextWindowMax?: number | undefined;
}

/**
 * The native working memory of a session: the ADK session id, namespace and user id as they are,
 * except where the server could not take or find them as they are (see `amsSessionId`, `amsTagValue`).
 */
export const nativeKey = (s: SessionScope) => ({ session_id: amsSessionId(s.sessionId), namespace: amsTagValue(s.namespace), user_id: amsTagValue(s.userId) });

/**
 * Whether a document the server returned is the one asked for. When a key is missing the server
 * looks the session up again through its search index, whose TAG match ignores ASCII case and
 * splits at commas, and returns what it finds there: for user `alice` that can be `Alice`'s.
 */
export function isDocumentOf(doc: { session_id?: string | null; namespace?: string | null; user_id?: string | null }, key: { session_id: string; namespace?: string | null; user_id?: string | null }): boolean {
  return doc.session_id === key.session_id && (doc.namespace ?? null) === (key.namespace ?? null) && (doc.user_id ?? null) === (key.user_id ?? null);
}

/** The message of one ADK event, or undefined when the event has no conversational content. */
export function toMessage(event: Event): Message | undefined {
  const content = conversationText(event);
  if (content === undefined) return undefined;
  return { role: isUserAuthored(event) ? 'user' : 'assistant', content, id: event.id, created_at: new Date(event.timestamp).toISOString(), discrete_memory_extracted: 'f' };
}

/** The body to PUT back: everything the server returned except what it computes itself. */
function bodyOf(doc: WorkingMemory): Body {
  const { session_id: _s, context_percentage_total_used: _a, context_percentage_until_summarization: _b, ...body } = doc;
  return body;
}

/**
 * The native documents of the sessions this instance works on. Agent Memory Server replaces a
 * document whole and rewrites it in the background (summarisation trims messages; extraction writes
 * back the copy it read), so the native document is a view of the conversation, not its record:
 * the ADK events live in journal documents the server never touches. Each write sends this
 * instance's best view — the last one it read or the server returned, repaired from the journals
 * on every read — so a view damaged by a concurrent writer or a stale write-back is whole again
 * after the next append that follows a read.
 */
export class NativeViews {
  private readonly views = new Map<string, Body>();
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly client: AgentMemoryServerClient,
    private readonly options: ViewOptions,
    private readonly cacheSize = 1000,
  ) {}

  /** The query that tells the server which context window to summarise for. */
  private query() {
    return {
      ...(this.options.modelName ? { model_name: this.options.modelName } : {}),
      ...(this.options.contextWindowMax ? { context_window_max: this.options.contextWindowMax } : {}),
    } as Parameters<AgentMemoryServerClient['putWorkingMemory']>[2];
  }

  /** The native document as stored, or undefined (also when the server answered with another user's). */
  async read(scope: SessionScope, o?: CallOptions): Promise<WorkingMemory | undefined> {
    const key = nativeKey(scope);
    const { session_id, ...query } = key;
    const doc = await unlessMissing(this.client.getWorkingMemory(session_id, query, o));
    return doc && isDocumentOf(doc, key) ? doc : undefined;
  }

  /** Creates the native document of a new session: no messages yet, so the server does no work on it. */
  async create(scope: SessionScope, marker: ViewMarker, o?: CallOptions): Promise<void> {
    await this.write(scope, { messages: [], data: { adk: { ...marker } } }, o);
  }

  /** Remembers the view a read produced (the native document repaired from the journals). */
  remember(scope: SessionScope, native: WorkingMemory | undefined, messages: Message[]): void {
    const base: Body = native ? bodyOf(native) : {};
    remember(this.views, scopeKey(scope), { ...base, messages }, this.cacheSize);
  }

  forget(scope: SessionScope): void {
    this.views.delete(scopeKey(scope));
  }

  /**
   * Adds the event's message (replacing one with the same id) and writes the view; what the server
   * stored — possibly summarised and trimmed — becomes the view, so trimmed messages are never
   * sent again. Writes of one session are applied one at a time.
   */
  append(scope: SessionScope, event: Event, marker: ViewMarker, o?: CallOptions): Promise<void> {
    const key = scopeKey(scope);
    return this.queue.run(key, async () => {
      // Not read since this instance started (or evicted): the stored document is the view.
      const view: Body = this.views.get(key) ?? (await this.read(scope, o).then((doc): Body => (doc ? bodyOf(doc) : { messages: [] })));
      const message = toMessage(event);
      const messages = view.messages ?? [];
      const at = message ? messages.findIndex((m) => m.id === message.id) : -1;
      const nextMessages = !message ? messages : at < 0 ? [...messages, message] : messages.map((m, i) => (i === at ? { ...m, content: message.content, role: message.role } : m));
      const data = isRecord(view.data) ? view.data : {};
      await this.write(scope, { ...view, messages: nextMessages, data: { ...data, adk: { ...marker } } }, o);
    });
  }

  private async write(scope: SessionScope, body: Body, o?: CallOptions): Promise<void> {
    const { session_id, user_id, namespace } = nativeKey(scope);
    const stored = await this.client.putWorkingMemory(session_id, { ...body, user_id, namespace }, this.query(), o);
    remember(this.views, scopeKey(scope), bodyOf(stored), this.cacheSize);
  }
}
