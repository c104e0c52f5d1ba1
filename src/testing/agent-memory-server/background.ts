/**
 * What Agent Memory Server v0.15.2 does to working memory on its own, with deterministic
 * stand-ins for its LLM calls: summarisation inside PUT (`_summarize_working_memory`), and the
 * background promotion and discrete extraction that read a document, extract memories and then
 * write back the copy they read (`promote_working_memory_to_long_term`, `run_delayed_extraction`).
 */
import { WorkScheduler } from '../scheduler.js';
import { extendSummary } from '../summary.js';
import { ulid, workingMemoryKey, type AgentMemoryServerState, type WorkingMemoryDoc } from './working-memory.js';

/** The server's default context window when neither `context_window_max` nor `model_name` is given. */
export const DEFAULT_CONTEXT_WINDOW = 16_000;
const SUMMARIZATION_THRESHOLD = 0.7;
const RECENT_SHARE = 0.4;
/** Windows of a few models `model_name` may name (the server knows more; others get the default). */
const MODEL_WINDOWS: Record<string, number> = {
  'gpt-3.5-turbo': 16_385,
  'gpt-4': 8_192,
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  'gpt-4.1': 1_047_576,
  'claude-3-5-sonnet-20241022': 200_000,
};
/** Budget of the summarising model (the server's generation model, gpt-4o-mini: 128 000 tokens). */
const SUMMARY_MODEL_WINDOW = 128_000;
const SUMMARY_MAX_TOKENS = Math.max(2048, Math.floor(SUMMARY_MODEL_WINDOW / 20));
const BUFFER_TOKENS = Math.min(Math.max(230, Math.floor(SUMMARY_MODEL_WINDOW / 100)), 1000);
const MAX_MESSAGE_TOKENS = SUMMARY_MODEL_WINDOW - SUMMARY_MAX_TOKENS - BUFFER_TOKENS;

type Message = Record<string, unknown> & { role?: unknown; content?: unknown };

/** The server's fallback token estimate: about four characters per token. */
export function countTokens(text: string): number {
  return Math.max(1, Math.floor((text.length + 3) / 4));
}

const messageText = (m: Message) => `${String(m.role)}: ${String(m.content)}`;

/** The window the server summarises for: `context_window_max`, else the model's, else the server default. */
export function contextWindow(contextWindowMax: number | null, modelName: string | null, serverDefault: number): number {
  if (contextWindowMax !== null) return contextWindowMax;
  if (modelName !== null) return MODEL_WINDOWS[modelName] ?? serverDefault;
  return serverDefault;
}

/**
 * Summarises a document over 70 % of the window: the summary goes into `context` (extending the
 * previous one), and only the newest messages that fit in 40 % of the window are kept.
 */
export function summarize(doc: WorkingMemoryDoc, window: number): WorkingMemoryDoc {
  const messages = doc.messages as Message[];
  const total = messages.reduce((n, m) => n + countTokens(messageText(m)), 0);
  if (total <= Math.floor(window * SUMMARIZATION_THRESHOLD)) return doc;
  const target = Math.floor(window * RECENT_SHARE);
  let keep = 0;
  for (let i = messages.length - 1, used = 0; i >= 0; i--) {
    const t = countTokens(messageText(messages[i]!));
    if (used + t > target) break;
    used += t;
    keep++;
  }
  const toCheck = keep > 0 ? messages.slice(0, -keep) : messages.slice(0, -1);
  const summarised: string[] = [];
  for (let i = 0, used = 0; i < toCheck.length; i++) {
    let text = messageText(toCheck[i]!);
    if (countTokens(text) > MAX_MESSAGE_TOKENS) text = text.slice(0, Math.floor(MAX_MESSAGE_TOKENS / 2));
    const t = countTokens(text);
    if (used + t > MAX_MESSAGE_TOKENS) break;
    used += t;
    summarised.push(text);
  }
  if (!summarised.length) return doc;
  // A deterministic stand-in for the LLM's incremental summary: one line per summarised message.
  const context = extendSummary('Summary of the conversation so far:', typeof doc.context === 'string' ? doc.context : null, summarised);
  return { ...doc, context, messages: keep > 0 ? messages.slice(-keep) : messages.slice(-1), tokens: Number(doc.tokens ?? 0) + countTokens(context) };
}

function hasWork(doc: WorkingMemoryDoc): boolean {
  return (doc.messages as Message[]).some((m) => m.discrete_memory_extracted !== 't') || (Array.isArray(doc.memories) && (doc.memories as Record<string, unknown>[]).some((m) => m.persisted_at == null));
}

/** An extracted memory as the server indexes it. */
export interface ExtractedMemory extends Record<string, unknown> {
  id: string;
  text: string;
  memory_type: 'semantic';
  topics: string[];
  entities: string[];
  session_id: string;
  namespace: string | null;
  user_id: string | null;
  discrete_memory_extracted: 't';
}

/**
 * A deterministic stand-in for the discrete extraction LLM: one `semantic` memory per user
 * message not yet extracted, with the document's session id, namespace and user id.
 */
export function extractMemories(doc: WorkingMemoryDoc): ExtractedMemory[] {
  return (doc.messages as Message[])
    .filter((m) => m.discrete_memory_extracted !== 't' && m.role === 'user' && String(m.content).trim())
    .map((m) => ({
      id: ulid(),
      text: String(m.content),
      memory_type: 'semantic',
      topics: [],
      entities: [],
      session_id: doc.session_id,
      namespace: (doc.namespace as string | null) ?? null,
      user_id: (doc.user_id as string | null) ?? null,
      discrete_memory_extracted: 't',
    }));
}

export interface BackgroundOptions {
  /** 'auto' runs the work a short debounce after the last write; 'manual' only when asked. */
  mode: 'auto' | 'manual';
  /** Indexes memories in long-term storage (with the server's deduplication). */
  index(memories: Record<string, unknown>[]): void;
  debounceMs?: number;
}

/**
 * The background work scheduled by every PUT that has messages or memories. As on the real
 * server, a run reads each scheduled document, does its (LLM) work, then writes back the copy it
 * read — so a client write that lands in between is overwritten.
 */
export class BackgroundWork {
  private readonly scheduler: WorkScheduler<{ during?: () => unknown }>;

  constructor(
    private readonly state: AgentMemoryServerState,
    options: BackgroundOptions,
  ) {
    this.scheduler = new WorkScheduler(options.mode, (o) => this.runOnce(o), options.debounceMs);
    this.index = options.index;
  }

  private readonly index: BackgroundOptions['index'];

  /** Called after a PUT stored a document: as on the server, only one with messages or memories schedules work. */
  schedule(doc: WorkingMemoryDoc): void {
    if (doc.messages.length || (Array.isArray(doc.memories) && doc.memories.length)) this.scheduler.poke({});
  }

  /** Runs the work: read, await `during()` (the LLM call's window), then write back and index. */
  run(options: { during?: () => unknown } = {}): Promise<void> {
    return this.scheduler.run(options);
  }

  stop(): void {
    this.scheduler.stop();
  }

  private async runOnce({ during }: { during?: () => unknown }): Promise<void> {
    // Every document with work left: unextracted messages or memories not yet promoted.
    const copies = [...this.state.workingMemory.values()].filter(hasWork).map((d) => structuredClone(d));
    await during?.();
    const now = new Date().toISOString();
    for (const copy of copies) {
      const extracted = extractMemories(copy);
      const unpromoted = (Array.isArray(copy.memories) ? (copy.memories as Record<string, unknown>[]) : []).filter((m) => m.persisted_at == null);
      const hadUnextracted = (copy.messages as Message[]).some((m) => m.discrete_memory_extracted !== 't');
      if (!hadUnextracted && !unpromoted.length) continue;
      for (const m of copy.messages as Message[]) m.discrete_memory_extracted = 't';
      for (const m of unpromoted) m.persisted_at = now;
      // The whole copy read before the work is written back, as `set_working_memory` does.
      this.state.workingMemory.set(workingMemoryKey(copy.session_id, copy.user_id as string | null, copy.namespace as string | null), { ...copy, updated_at: now });
      this.index([...unpromoted, ...extracted]);
    }
  }
}
