/**
 * Fused memory search: the first half of the answer is the vector search's best, the second half
 * the hybrid search's best of what is left. The vector search ranks the head best (its recall@5
 * and MRR lead on the recall benchmark); the server's hybrid search, which reorders the nearest
 * records by the question's words, finds more answers within 10 but ranks them worse. Halving
 * kept the vector search's head and gained hybrid's reach: recall@10 0.730 against 0.706
 * (semantic) and 0.721 (hybrid), recall@5 and hit@5 as semantic's (docs/memory.md, Recall).
 */
export function headAndTail<T>(byMeaning: readonly T[], blended: readonly T[], limit: number, key: (item: T) => string): T[] {
  const head = Math.ceil(limit / 2);
  const out = new Map<string, T>();
  for (const item of byMeaning.slice(0, head)) out.set(key(item), item);
  // The tail: hybrid's order, then the rest of the vector list should hybrid have run short.
  for (const item of [...blended, ...byMeaning.slice(head)]) {
    if (out.size >= limit) break;
    if (!out.has(key(item))) out.set(key(item), item);
  }
  return [...out.values()];
}
