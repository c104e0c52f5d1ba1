/**
 * Fused memory search: the answer's first half is the vector search's best, its second half the
 * best of what is left once the vector search's candidates are reordered by the question's words
 * too. The vector search ranks the head best (its recall@5 and MRR lead on the recall benchmark);
 * an order that also weighs the question's words, as the server's hybrid search does, finds more
 * answers within 10 but ranks them worse. Halving keeps the vector search's head and gains the
 * words' reach (docs/memory.md, Recall).
 */
import { wordScores } from './word-scores.js';

/** How many candidates the vector search is asked for, per result: the pool the tail is chosen from. */
export const FUSED_DEPTH = 3;

/**
 * The fused answer from one vector search's candidates (best first, as deep as `FUSED_DEPTH` times
 * the answer): the head in the vector search's order, then the rest by `alpha` × vector similarity
 * + (1 − `alpha`) × the text's BM25 score for the question (`wordScores`, divided by the best
 * candidate's), the server's hybrid score computed here, among the vector search's own results.
 */
export function fuseByWords<T>(
  question: string,
  candidates: readonly T[],
  limit: number,
  alpha: number,
  of: (item: T) => { id: string; text: string; similarity: number },
): T[] {
  const seen = candidates.map((item) => ({ item, ...of(item) }));
  const words = wordScores(
    question,
    seen.map((c) => c.text),
  );
  const best = Math.max(0, ...words) || 1;
  const blended = seen
    .map((c, i) => ({ c, score: alpha * c.similarity + (1 - alpha) * (words[i]! / best), rank: i }))
    // Equal scores keep the vector search's order.
    .sort((a, b) => b.score - a.score || a.rank - b.rank)
    .map(({ c }) => c);
  return headAndTail(seen, blended, limit, (c) => c.id).map((c) => c.item);
}

/**
 * The head of `byMeaning` (half of `limit`, rounded up), then `blended`'s order of the rest; should
 * `blended` run short, the rest of `byMeaning`. No item twice.
 */
export function headAndTail<T>(byMeaning: readonly T[], blended: readonly T[], limit: number, key: (item: T) => string): T[] {
  const head = Math.ceil(limit / 2);
  const out = new Map<string, T>();
  for (const item of byMeaning.slice(0, head)) out.set(key(item), item);
  for (const item of [...blended, ...byMeaning.slice(head)]) {
    if (out.size >= limit) break;
    if (!out.has(key(item))) out.set(key(item), item);
  }
  return [...out.values()];
}
