/**
 * The reference server's working-memory keyspace with the server's TAG index beside it: rows by key
 * in the order they were last written (the index's listing order), and for each TAG field
 * (`session_id`, `namespace`, `user_id`) the keys carrying each tag. Lookups by tag cost what the
 * matching rows cost, not what the whole store costs, as RediSearch's do: a store of 10 000
 * sessions stays as fast to list one user's sessions in as a store of ten.
 */
import { queriedTags, tagsOf } from './tags.js';

export type TagField = 'session_id' | 'namespace' | 'user_id';
const TAG_FIELDS: readonly TagField[] = ['session_id', 'namespace', 'user_id'];

type Tagged = Record<TagField, string | null>;

interface Row<T> {
  value: T;
  /** Write order: larger is later. */
  seq: number;
  tags: string[];
}

export class DocumentTable<T> {
  private readonly rows = new Map<string, Row<T>>();
  private readonly byTag = new Map<string, Set<string>>();
  private seq = 0;

  /** @param tagged the TAG fields of a stored value */
  constructor(private readonly tagged: (value: T) => Tagged) {}

  get(key: string): T | undefined {
    return this.rows.get(key)?.value;
  }

  /** Stores `value` at `key` as the most recently written row. */
  set(key: string, value: T): void {
    this.delete(key);
    const fields = this.tagged(value);
    const tags = TAG_FIELDS.flatMap((f) => tagsOf(fields[f]).map((t) => `${f}\u0000${t}`));
    this.rows.set(key, { value, seq: ++this.seq, tags });
    for (const t of tags) {
      let keys = this.byTag.get(t);
      if (!keys) this.byTag.set(t, (keys = new Set()));
      keys.add(key);
    }
  }

  delete(key: string): boolean {
    const row = this.rows.get(key);
    if (!row) return false;
    this.rows.delete(key);
    for (const t of row.tags) {
      const keys = this.byTag.get(t)!;
      keys.delete(key);
      if (!keys.size) this.byTag.delete(t);
    }
    return true;
  }

  /**
   * Keys whose rows carry every given tag (a field left out or empty matches anything; ASCII case
   * ignored, `|` alternatives, as `hasTag`), in write order.
   */
  keysTagged(query: Partial<Record<TagField, string | null>>): string[] {
    const sets: Set<string>[] = [];
    for (const f of TAG_FIELDS) {
      const q = query[f];
      if (!q) continue;
      // Only a part equal to the query value (or one of its `|` alternatives) matches.
      sets.push(new Set(queriedTags(q).flatMap((t) => [...(this.byTag.get(`${f}\u0000${t}`) ?? [])])));
    }
    if (!sets.length) return [...this.rows.keys()];
    sets.sort((a, b) => a.size - b.size);
    const [smallest, ...others] = sets;
    const keys = [...smallest!].filter((k) => others.every((s) => s.has(k)));
    return keys.sort((a, b) => this.rows.get(a)!.seq - this.rows.get(b)!.seq);
  }
}
