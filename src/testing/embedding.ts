import { createHash } from 'node:crypto';

/** Maps text to a vector; similarity between two texts is the cosine of their vectors. */
export type EmbedFunction = (text: string) => number[];

/** The size of text-embedding-3-small's vectors, the real Agent Memory Server's default model. */
export const EMBEDDING_DIMENSIONS = 1536;
const STOPWORDS = new Set(
  'a an and are as at be by do does did for from has have i in is it its me my of on or our so that the their them they this to was we what when where which who why will with you your'.split(
    ' ',
  ),
);

/** Lowercases, drops stopwords and crudely stems (plural `s`, `ing`, `ed`), so "seats" meets "seat". */
export function terms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOPWORDS.has(w)).map((w) => w.replace(/(ing|ed|es|s)$/u, '') || w);
}

function bucket(feature: string, dimensions: number): number {
  return createHash('sha1').update(feature).digest().readUInt32BE(0) % dimensions;
}

/**
 * A deterministic local embedding of `dimensions` numbers: hashed word stems plus their character
 * trigrams. Good enough that "Which seat does the user like?" finds "User prefers window seats",
 * with no model or network.
 */
export function hashedEmbeddingOf(dimensions: number): EmbedFunction {
  return (text) => {
    const v = new Array<number>(dimensions).fill(0);
    for (const t of terms(text)) {
      v[bucket(`w:${t}`, dimensions)]! += 1;
      const padded = `^${t}$`;
      for (let i = 0; i + 3 <= padded.length; i++) v[bucket(`g:${padded.slice(i, i + 3)}`, dimensions)]! += 0.25;
    }
    return v;
  };
}

/** The reference servers' embedding: the same vectors the stand-in model gives the real server. */
export const hashedEmbedding: EmbedFunction = hashedEmbeddingOf(EMBEDDING_DIMENSIONS);

/** Cosine similarity of two vectors of one length. */
export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
