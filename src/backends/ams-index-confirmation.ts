import type { AgentMemoryServerClient } from '../clients/agent-memory-server.js';
import { AgentMemoryError } from '../clients/errors.js';
import { sleep } from '../clients/invoke.js';
import { mapLimit } from '../codec/concurrency.js';
import { MemoryWriteError } from './memory-write-error.js';
import { unlessMissing } from './missing.js';

/**
 * Agent Memory Server answers a long-term write with 200 before it indexes the records: it embeds
 * and stores them after the response (0.15.2, `index_long_term_memories` as a background task).
 * When that embedding fails (the model down or over its rate limit, a connection reset) the
 * records are gone and nothing tells the client. So a write is confirmed here: every record is
 * read back by id until the server has it, a record still missing after `timeoutMs` is sent
 * again (ids are deterministic, so that overwrites nothing else), and one missing after that too
 * is a MemoryWriteError naming it.
 */
export interface IndexConfirmationOptions {
  /** How long to wait for the server to index a write before sending what is missing again (ms). */
  timeoutMs: number;
}

export const DEFAULT_INDEX_CONFIRMATION: IndexConfirmationOptions = { timeoutMs: 20_000 };

/** Records read back at once: one round trip for a turn, or for the 50 events of a short session. */
const READ_CONCURRENCY = 64;
/** The first wait before reading again, doubled each time up to the last. */
const FIRST_WAIT_MS = 20;
const LONGEST_WAIT_MS = 1_000;
/** Records confirmed with their text, remembered so a session sent again re-checks only its new turns. */
const REMEMBERED = 100_000;
const OPERATION = 'createLongTermMemories';

export interface WrittenRecord {
  id: string;
  text: string;
}

export class IndexConfirmation {
  /** id → text of records this process has seen indexed; insertion order is age (oldest dropped first). */
  private readonly indexed = new Map<string, string>();

  constructor(
    private readonly client: AgentMemoryServerClient,
    private readonly options: IndexConfirmationOptions,
  ) {}

  /**
   * Resolves once the server has indexed every record of a write, sending the missing ones again
   * (`resend`) once; rejects with a MemoryWriteError naming those it still does not have.
   */
  async confirm(records: readonly WrittenRecord[], resend: (missing: WrittenRecord[]) => Promise<void>, signal?: AbortSignal): Promise<void> {
    // A record sent before with the same text and seen indexed is still there: writing it again
    // overwrites it with itself, or fails and leaves it as it was.
    let pending = records.filter((r) => this.indexed.get(r.id) !== r.text);
    pending = await this.untilIndexed(pending, signal);
    if (!pending.length) return;
    await resend(pending);
    pending = await this.untilIndexed(pending, signal);
    if (!pending.length) return;
    const seconds = this.options.timeoutMs / 1000;
    const err = new MemoryWriteError(
      `${OPERATION}: the server accepted ${pending.length} record(s) but did not index them within ${seconds} s, nor within ${seconds} s of sending them again (its embedding model may be failing): ${pending.map((r) => r.id).join(', ')}`,
      { operation: OPERATION, type: 'not-indexed', retryable: true },
    );
    err.failed.push(...pending.map((r) => ({ id: r.id, error: 'accepted, then not indexed' })));
    throw err;
  }

  /** Reads the records back until all are there or `timeoutMs` has passed; returns those still missing. */
  private async untilIndexed(records: WrittenRecord[], signal: AbortSignal | undefined): Promise<WrittenRecord[]> {
    const deadline = Date.now() + this.options.timeoutMs;
    let wait = FIRST_WAIT_MS;
    let pending = records;
    for (;;) {
      if (!pending.length) return [];
      const found = await mapLimit(pending, READ_CONCURRENCY, (r) => this.isIndexed(r.id, signal));
      pending.forEach((r, i) => found[i] && this.remember(r));
      pending = pending.filter((_, i) => !found[i]);
      if (!pending.length || Date.now() + wait > deadline) return pending;
      await sleep(wait, signal, OPERATION);
      wait = Math.min(wait * 2, LONGEST_WAIT_MS);
    }
  }

  /**
   * Whether the server has the record now. A read that fails in a way worth retrying (an answer
   * that is not the API's, a reset connection) counts as not yet: it is read again.
   */
  private async isIndexed(id: string, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      return (await unlessMissing(this.client.getLongTermMemory(id, { signal }))) !== undefined;
    } catch (e) {
      if (e instanceof AgentMemoryError && e.retryable && !signal?.aborted) return false;
      throw e;
    }
  }

  private remember(r: WrittenRecord): void {
    this.indexed.delete(r.id);
    this.indexed.set(r.id, r.text);
    if (this.indexed.size > REMEMBERED) this.indexed.delete(this.indexed.keys().next().value!);
  }
}
