/**
 * What Agent Memory Server v0.15.2 does to working memory on its own, with the stand-in model's
 * answers for its LLM calls:
 *
 * - summarisation inside PUT (`_summarize_working_memory`);
 * - after a PUT's response, in the API process: promotion (`promote_working_memory_to_long_term`),
 *   which schedules extraction for a document with unextracted messages unless an extraction of
 *   that session id ran within the debounce, and indexes its unpersisted `memories`;
 * - after a long-term POST's response: indexing, with deduplication;
 * - queued tasks (Docket on the real server): the debounced extraction (`run_delayed_extraction`),
 *   which reads the document, asks the model, then writes back the copy it read, and the strategy
 *   extraction of indexed records still marked unextracted (`extract_memories_with_strategy`).
 *
 * The extraction's pending and debounce keys are per session id only, as on the server.
 */
import { extractionAnswer, usageOf, workingMemorySummaryAnswer, type ExtractedMemoryAnswer } from '../stand-in-model/answers.js';
import { pyDatetime, pyNow } from './pydantic.js';
import type { AmsMemory, LongTermStore, MemoryInput } from './long-term.js';
import { getWorkingMemory, messageTokens, messagesTokens, setWorkingMemory, type AgentMemoryServerState, type WorkingMemoryDoc } from './working-memory.js';
import { countTokens } from './tokens.js';
import { ulid } from './ulid.js';

const SUMMARIZATION_THRESHOLD = 0.7;
const RECENT_SHARE = 0.4;
/** The summarising model is the generation model, gpt-5: 128 000 tokens. */
const SUMMARY_MODEL_WINDOW = 128_000;
const MAX_MESSAGE_TOKENS =
  SUMMARY_MODEL_WINDOW - Math.max(2048, Math.floor(SUMMARY_MODEL_WINDOW / 20)) - Math.min(Math.max(230, Math.floor(SUMMARY_MODEL_WINDOW / 100)), 1000);
const STRATEGIES = ['discrete', 'summary', 'preferences', 'custom'] as const;

/**
 * Summarises a document over 70 % of the window: the newest messages that fit in 40 % of it are
 * kept, the older ones go to the model (newest first, as the server lists them) and its answer
 * becomes `context`; `tokens` grows by the answer's usage.
 */
export function summarizeWorkingMemory(doc: WorkingMemoryDoc, window: number): WorkingMemoryDoc {
  const messages = doc.messages;
  if (messagesTokens(messages) <= Math.floor(window * SUMMARIZATION_THRESHOLD)) return doc;
  const target = Math.floor(window * RECENT_SHARE);
  let keep = 0;
  for (let i = messages.length - 1, used = 0; i >= 0; i--) {
    const t = messageTokens(messages[i]!);
    if (used + t > target) break;
    used += t;
    keep++;
  }
  const lines: string[] = [];
  for (let i = 0, used = 0, check = keep > 0 ? messages.slice(0, -keep) : messages.slice(0, -1); i < check.length; i++) {
    let line = `${check[i]!.role}: ${check[i]!.content}`;
    let t = countTokens(line);
    if (t > MAX_MESSAGE_TOKENS) {
      line = line.slice(0, Math.floor(MAX_MESSAGE_TOKENS / 2));
      t = countTokens(line);
    }
    if (used + t > MAX_MESSAGE_TOKENS) break;
    used += t;
    lines.push(line);
  }
  if (!lines.length) return doc;
  const summary = workingMemorySummaryAnswer(
    (doc.context ?? '').trim(),
    lines
      .reverse()
      .join('\n')
      .split('\n')
      .filter((l) => l.trim()),
  );
  return { ...doc, context: summary, messages: keep > 0 ? messages.slice(-keep) : messages.slice(-1), tokens: doc.tokens + usageOf(summary).total_tokens };
}

interface Task {
  due: number;
  /** Extraction reads and asks the model in `prepare`; its write-back is `finish`. */
  prepare(): { finish(): void } | undefined;
}

export interface BackgroundOptions {
  /** 'auto' runs queued tasks when due; 'manual' only inside `run()`. */
  mode: 'auto' | 'manual';
  /** `EXTRACTION_DEBOUNCE_SECONDS`, in ms (the harness runs the real server with 1 s). */
  debounceMs?: number;
}

export class ServerWork {
  private readonly queue: Task[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** `extraction_pending:{session_id}` and `extraction_debounce:{session_id}`, with their expiry. */
  private readonly keys = new Map<string, { value: string; expiresAt: number }>();
  private readonly debounceMs: number;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: AgentMemoryServerState,
    private readonly store: LongTermStore,
    private readonly options: BackgroundOptions,
  ) {
    // As the real-server harness: manual mode's debounce is an hour, so nothing expires before `run()`.
    this.debounceMs = options.debounceMs ?? (options.mode === 'manual' ? 3_600_000 : 1000);
  }

  private key(name: string): string | undefined {
    const k = this.keys.get(name);
    if (k && k.expiresAt <= Date.now()) this.keys.delete(name);
    return this.keys.get(name)?.value;
  }

  private setKey(name: string, value: string, ttlMs: number): void {
    this.keys.set(name, { value, expiresAt: Date.now() + ttlMs });
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (this.options.mode !== 'auto') return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        const i = this.queue.indexOf(task);
        if (i < 0) return;
        this.queue.splice(i, 1);
        // A failed task has no caller to report to, as on the server's worker.
        this.running = this.running.then(() => task.prepare()?.finish()).catch(() => undefined);
      },
      Math.max(0, task.due - Date.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  /** The work a PUT runs after its response: promotion of the stored document. */
  afterPut(doc: WorkingMemoryDoc): () => void {
    return () => this.promote(doc.session_id, doc.namespace, doc.user_id);
  }

  /** The work a long-term POST runs after its response: indexing, then strategy extraction of what is unextracted. */
  afterCreate(list: MemoryInput[], deduplicate: boolean): () => void {
    return () => this.index(list, deduplicate);
  }

  /**
   * `index_long_term_memories`, from every caller: indexes, then queues strategy extraction of
   * the records it was handed that are unextracted, each with the strategy it came with. When
   * there are none, the task takes every unextracted message record in the store instead, read
   * back from the index, which keeps no strategy: they go through `discrete`, whatever strategy
   * they were written with.
   */
  private index(list: MemoryInput[], deduplicate: boolean): void {
    const indexed = this.store.index(list, deduplicate);
    if (!indexed.length) return;
    const pending = indexed.filter((m) => m.discrete_memory_extracted === 'f');
    this.enqueue({ due: Date.now(), prepare: () => (this.extractWithStrategies(pending.length ? pending : this.store.unextractedMessages()), undefined) });
  }

  private promote(sessionId: string, namespace: string | null, userId: string | null): void {
    const current = getWorkingMemory(this.state, sessionId, userId, namespace);
    if (!current) return;
    if (current.messages.some((m) => m.discrete_memory_extracted === 'f') && this.key(`extraction_debounce:${sessionId}`) === undefined) {
      const due = Date.now() + this.debounceMs;
      const scheduled = pyDatetime(new Date(due).toISOString());
      this.setKey(`extraction_pending:${sessionId}`, scheduled, 2 * this.debounceMs);
      this.enqueue({ due, prepare: () => this.prepareExtraction(sessionId, namespace, userId, scheduled) });
    }
    let promoted = 0;
    const memories = current.memories.map((m) => {
      if (m.persisted_at != null) return m;
      promoted++;
      const record = {
        ...(m as MemoryInput),
        persisted_at: pyNow(),
        extraction_strategy: current.long_term_memory_strategy.strategy,
        extraction_strategy_config: current.long_term_memory_strategy.config,
      };
      this.index([record], true);
      return { ...m, persisted_at: record.persisted_at };
    });
    // The copy read above goes back whole: what was written meanwhile is overwritten.
    if (promoted) setWorkingMemory(this.state, { ...current, memories });
  }

  /** `run_delayed_extraction` up to the model's answer; `finish` writes back and indexes. */
  private prepareExtraction(sessionId: string, namespace: string | null, userId: string | null, scheduled: string): { finish(): void } | undefined {
    const pendingKey = `extraction_pending:${sessionId}`;
    if (this.key(pendingKey) !== scheduled) return undefined;
    if (this.key(`extraction_debounce:${sessionId}`) !== undefined) return undefined;
    const read = getWorkingMemory(this.state, sessionId, userId, namespace);
    if (!read?.messages.length || !read.messages.some((m) => m.discrete_memory_extracted === 'f')) {
      this.keys.delete(pendingKey);
      return undefined;
    }
    // `extract_memories_from_session_thread` reads the document again and sends the whole thread.
    const thread = getWorkingMemory(this.state, sessionId, userId, namespace);
    const conversation = (thread?.messages ?? []).map((m) => `${m.role ? `[${m.role.toUpperCase()}]: ` : ''}${m.content}`).join('\n');
    const answers = thread?.messages.length ? extractionAnswer('discrete', conversation) : [];
    return {
      finish: () => {
        const extracted = answers.map((a) => extractedRecord(a, { session_id: sessionId, namespace, user_id: userId }));
        setWorkingMemory(this.state, { ...read, messages: read.messages.map((m) => ({ ...m, discrete_memory_extracted: 't' })) });
        this.setKey(`extraction_debounce:${sessionId}`, 'extracted', this.debounceMs);
        this.keys.delete(pendingKey);
        try {
          if (extracted.length) this.index(extracted, true);
        } catch {
          // The server logs the failed indexing and moves on: those memories are not stored.
        }
      },
    };
  }

  /**
   * `extract_memories_with_strategy`: each record through its own strategy (an unknown one through
   * `discrete`; `custom` without a `custom_prompt` fails the whole task). The memories found carry
   * no user, namespace or session id: the server builds them without.
   */
  private extractWithStrategies(records: AmsMemory[]): void {
    if (records.some((r) => r.extraction_strategy === 'custom' && typeof r.extraction_strategy_config.custom_prompt !== 'string')) return;
    const found: MemoryInput[] = [];
    for (const r of records) {
      const strategy = (STRATEGIES as readonly string[]).includes(r.extraction_strategy) ? (r.extraction_strategy as (typeof STRATEGIES)[number]) : 'discrete';
      const answers: ModelMemory[] = extractionAnswer(strategy, r.text).filter((a) => strategy !== 'custom' || acceptedCustomMemory(a));
      for (const a of answers)
        found.push({ ...extractedRecord(a, {}), memory_type: a.type ?? 'episodic', extraction_strategy: 'discrete', extraction_strategy_config: {} });
    }
    // The records as they were indexed, marked extracted.
    this.store.add(records.map((r) => ({ ...r, discrete_memory_extracted: 't' as const })));
    try {
      if (found.length) this.index(found, true);
    } catch {
      // As above: a failed indexing loses these memories.
    }
  }

  /**
   * Runs every queued task now, in due order, and resolves when none is left: extractions read
   * their documents and get the model's answers, `during` runs, then they write back. Then the
   * server is idle again: its post-extraction debounce has passed.
   */
  run(options: { during?: () => unknown } = {}, settled: () => Promise<void> = async () => {}): Promise<void> {
    const next = this.running.then(() => this.drain(options.during, settled));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async drain(during: (() => unknown) | undefined, settled: () => Promise<void>): Promise<void> {
    // What the API still does after its responses (promotion schedules extraction) comes first.
    await settled();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    let duringDone = false;
    while (this.queue.length) {
      const batch = this.queue.splice(0).sort((a, b) => a.due - b.due);
      const prepared = batch.map((t) => t.prepare()).filter((p): p is { finish(): void } => p !== undefined);
      if (prepared.length && during && !duringDone) {
        duringDone = true;
        await during();
        await settled();
      }
      for (const p of prepared) p.finish();
    }
    if (during && !duringDone) {
      await during();
      await settled();
    }
    for (const name of [...this.keys.keys()]) if (name.startsWith('extraction_debounce:')) this.keys.delete(name);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** `CustomMemoryStrategy._validate_memory_output`: what a custom strategy's answer may store. */
const SUSPICIOUS = [
  'system',
  'instruction',
  'ignore',
  'override',
  'execute',
  'eval',
  'import',
  '__',
  'subprocess',
  'os.system',
  'api_key',
  'secret',
  'password',
  'token',
  'credential',
  'private_key',
];
/** A memory as the server reads it from the model's JSON: any field but the text may be missing. */
type ModelMemory = Partial<Omit<ExtractedMemoryAnswer, 'type'>> & { text: string; type?: string };

function acceptedCustomMemory(a: ModelMemory): boolean {
  const text = a.text.toLowerCase();
  return !SUSPICIOUS.some((p) => text.includes(p)) && a.text.length <= 1000 && (!a.type || a.type === 'semantic' || a.type === 'episodic');
}

/** An extracted memory as the server builds it from the model's answer. */
function extractedRecord(a: ModelMemory, keys: { session_id?: string; namespace?: string | null; user_id?: string | null }): MemoryInput {
  return {
    id: ulid(),
    text: a.text,
    memory_type: a.type ?? 'semantic',
    topics: a.topics?.length ? a.topics : [],
    entities: a.entities?.length ? a.entities : [],
    event_date: a.event_date ? pyDatetime(a.event_date) : null,
    session_id: keys.session_id ?? null,
    namespace: keys.namespace ?? null,
    user_id: keys.user_id ?? null,
    discrete_memory_extracted: 't',
  };
}
