/**
 * Fused memory search: one vector search, deeper than the answer, its results reordered here by a
 * blend of their vector similarity and how well they match the question's words (BM25 among the
 * candidates themselves), as the server's hybrid search blends them over its whole index. The
 * vector search finds what a question means; the words bring up the record that names what the
 * question names (a person, a pet, a place) though its sentence means something else. Chosen by
 * measurement on this project's dataset and on a held-out one (docs/memory.md, Recall).
 */
import { wordScores } from './word-scores.js';

/** How many candidates the vector search is asked for, per result: the pool the answer is chosen from. */
export const FUSED_DEPTH = 5;

/** The weight of vector similarity in the blend when `hybridAlpha` is not configured. */
export const FUSED_ALPHA = 0.8;

/**
 * The fused answer from one vector search's candidates (best first, as deep as `FUSED_DEPTH` times
 * the answer): by `alpha` × vector similarity + (1 − `alpha`) × the text's BM25 score for the
 * question (`wordScores`, divided by the best candidate's), the top `limit`. Equal scores keep the
 * vector search's order, so where no candidate shares a word with the question (or `alpha` is 1)
 * the answer is the vector search's own.
 */
export function fuseByWords<T>(
  question: string,
  candidates: readonly T[],
  limit: number,
  alpha: number,
  of: (item: T) => { text: string; similarity: number },
): T[] {
  const asked = candidates.map((item) => ({ item, ...of(item) }));
  const words = wordScores(
    question,
    asked.map((c) => c.text),
  );
  const best = Math.max(0, ...words) || 1;
  return asked
    .map((c, i) => ({ item: c.item, score: alpha * c.similarity + (1 - alpha) * (words[i]! / best), rank: i }))
    .sort((a, b) => b.score - a.score || a.rank - b.rank)
    .slice(0, limit)
    .map((c) => c.item);
}
