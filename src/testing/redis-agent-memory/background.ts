/**
 * What a Redis Agent Memory store with summarisation enabled does on its own, with deterministic
 * stand-ins for its LLM: folds all but the newest events of a long session into `summary`, stops
 * returning them (unless `includeSummarisedEvents`), deletes them (cleanup), and extracts
 * long-term memories from USER events that inherit the session's owner and namespace.
 */
import { randomBytes } from 'node:crypto';
import { WorkScheduler } from '../scheduler.js';
import { extendSummary } from '../summary.js';
import type { RedisAgentMemoryState, StoredSession } from './session-memory.js';

export interface StoreBackgroundOptions {
  mode: 'auto' | 'manual';
  /** A session is summarised once it holds more than this many (unsummarised) events. */
  summarizeAfterEvents: number;
  /** How many of the newest events a summarisation keeps verbatim. */
  keepEvents: number;
  /** Stores an extracted long-term memory. */
  store(memory: Record<string, unknown>): void;
  debounceMs?: number;
}

export interface RunOptions {
  /** Awaited before the work, as a window in which a test can act (the LLM call's duration). */
  during?: () => unknown;
  /** Delete the summarised events once summarised (default true); false leaves them readable with includeSummarisedEvents. */
  cleanup?: boolean;
}

export class StoreBackgroundWork {
  private readonly extracted = new Set<string>();
  private readonly scheduler: WorkScheduler<RunOptions>;

  constructor(
    private readonly state: RedisAgentMemoryState,
    private readonly options: StoreBackgroundOptions,
  ) {
    this.scheduler = new WorkScheduler(options.mode, (o) => this.runOnce(o), options.debounceMs);
  }

  /** Called after each appended event. */
  appended(_session: StoredSession): void {
    this.scheduler.poke({});
  }

  run(options: RunOptions = {}): Promise<void> {
    return this.scheduler.run(options);
  }

  stop(): void {
    this.scheduler.stop();
  }

  private async runOnce({ during, cleanup = true }: RunOptions): Promise<void> {
    await during?.();
    for (const session of this.state.sessions.values()) {
      this.extract(session);
      if (session.events.length > this.options.summarizeAfterEvents) this.summarise(session);
      if (cleanup) session.summarised = [];
    }
  }

  private extract(session: StoredSession): void {
    for (const e of [...session.summarised, ...session.events]) {
      if (e.role !== 'USER' || this.extracted.has(e.eventId)) continue;
      this.extracted.add(e.eventId);
      const text = e.content
        .map((c) => c.text)
        .join('\n')
        .trim();
      if (!text) continue;
      this.options.store({
        id: randomBytes(16).toString('hex'),
        text,
        memoryType: 'semantic',
        ownerId: session.ownerId,
        sessionId: session.sessionId,
        ...(session.namespace ? { namespace: session.namespace } : {}),
        // Extracted memories are placed where their session is.
        ...(session.namespaceId ? { namespaceRef: { namespaceId: session.namespaceId } } : {}),
      });
    }
  }

  private summarise(session: StoredSession): void {
    const cut = Math.max(0, session.events.length - this.options.keepEvents);
    const folded = session.events.slice(0, cut);
    if (!folded.length) return;
    const now = new Date().toISOString();
    const previous = session.summary;
    session.summary = {
      // A deterministic stand-in for the summarising LLM: one line per folded event.
      text: extendSummary(
        'Summary of earlier events:',
        previous?.text,
        folded.map((e) => `${e.role}: ${e.content.map((c) => c.text).join(' ')}`),
      ),
      summarizedUpToEventId: folded.at(-1)!.eventId,
      summarizedEvents: (previous?.summarizedEvents ?? 0) + folded.length,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      metadata: {},
    };
    session.summarised.push(...folded);
    session.events = session.events.slice(cut);
  }
}
