import { ENVELOPE_VERSION } from '../codec/events.js';
import { isRecord, type JsonValue } from '../codec/json.js';
import { JournalStore, type JournalKey } from './ams-journal.js';
import type { CallOptions } from './types.js';

/** One writer's entries of a keyed journal (app state, user state, memory metadata); readers keep the newest write of each key. */
export interface EntriesPayload {
  v: number;
  kind: 'state';
  entries: Record<string, { value: JsonValue; at: number; seq: number }>;
}

const isEntries = (v: unknown): v is EntriesPayload => isRecord(v) && v.kind === 'state' && isRecord(v.entries);

/** Orders two writes of one key: by time, then writer, then the writer's own sequence. */
export function compareRank(a: [number, string, number], b: [number, string, number]): number {
  return a[0] - b[0] || a[1].localeCompare(b[1]) || a[2] - b[2];
}

/**
 * A map kept in a journal of single-writer documents: each writer restates only its own entries,
 * so concurrent writers never overwrite one another, and a reader takes the newest write of each key.
 */
export class EntryJournal {
  private seq = 0;

  constructor(private readonly journals: JournalStore) {}

  async read(key: JournalKey, o?: CallOptions): Promise<Record<string, JsonValue>> {
    const newest = new Map<string, { value: JsonValue; rank: [number, string, number] }>();
    for (const { writer, payloads } of JournalStore.byWriter(await this.journals.readAll(key, o), isEntries)) {
      for (const [k, entry] of payloads.flatMap((p) => Object.entries(p.entries))) {
        const rank: [number, string, number] = [entry.at, writer, entry.seq];
        const seen = newest.get(k);
        if (!seen || compareRank(rank, seen.rank) > 0) newest.set(k, { value: entry.value, rank });
      }
    }
    return Object.fromEntries([...newest].map(([k, v]) => [k, v.value]));
  }

  async write(key: JournalKey, delta: Record<string, JsonValue>, o?: CallOptions): Promise<void> {
    const at = Date.now();
    const entries = Object.fromEntries(Object.entries(delta).map(([k, value]) => [k, { value, at, seq: ++this.seq }]));
    await this.journals.update<EntriesPayload>(
      key,
      () => ({ v: ENVELOPE_VERSION, kind: 'state', entries: {} }),
      (p) => ({ ...p, entries: { ...p.entries, ...entries } }),
      // One document per writer: its entries are bounded by the keys, not by the writes.
      () => ({ items: 0, bytes: 0 }),
      o,
    );
  }
}
