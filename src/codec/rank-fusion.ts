/**
 * Reciprocal rank fusion: one ranking from several, each item scored by the sum of
 * `1 / (k + rank)` over the lists it appears in (rank from 1). It needs no comparable scores, so
 * a vector search's distances and a full-text search's BM25 can be fused as they come; an item
 * both lists rank well beats one that only a single list ranks first. k = 60 is the constant of
 * the method's paper (Cormack, Clarke and Büttcher, SIGIR 2009): it flattens the head of each
 * list so neither list alone decides the order.
 */
export const RRF_K = 60;

/**
 * The fused order, best first; ties keep the order of the earlier list. Each list counts with its
 * weight (default 1). `score` is scaled to 0..1 (1: first in every list).
 */
export function fuseByRank<T>(
  lists: readonly (readonly T[])[],
  key: (item: T) => string,
  weights: readonly number[] = [],
  k = RRF_K,
): { item: T; score: number }[] {
  const fused = new Map<string, { item: T; sum: number; first: number }>();
  let order = 0;
  lists.forEach((list, l) => {
    const weight = weights[l] ?? 1;
    list.forEach((item, i) => {
      const id = key(item);
      const seen = fused.get(id);
      if (seen) seen.sum += weight / (k + i + 1);
      else fused.set(id, { item, sum: weight / (k + i + 1), first: order++ });
    });
  });
  const best = lists.reduce((sum, _, l) => sum + (weights[l] ?? 1), 0) / (k + 1);
  return [...fused.values()].sort((a, b) => b.sum - a.sum || a.first - b.first).map((f) => ({ item: f.item, score: f.sum / best }));
}
