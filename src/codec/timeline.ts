/**
 * Merges lists into one timeline: repeatedly takes the earliest next item among the lists, so
 * items interleave by time while each list's own order is never changed (on equal times the
 * earlier list goes first).
 */
export function mergeByTime<T>(lists: readonly (readonly T[])[], timeOf: (item: T) => number): T[] {
  const heads = lists.map(() => 0);
  const out: T[] = [];
  for (;;) {
    let pick = -1;
    let pickTime = 0;
    for (let i = 0; i < lists.length; i++) {
      const item = lists[i]![heads[i]!];
      if (item === undefined) continue;
      const t = timeOf(item);
      if (pick < 0 || t < pickTime) {
        pick = i;
        pickTime = t;
      }
    }
    if (pick < 0) return out;
    out.push(lists[pick]![heads[pick]!++]!);
  }
}

/** Items in time order, items of equal time in the order given (a stable sort). */
export function stableByTime<T extends { timestamp: number }>(items: readonly T[]): T[] {
  return items
    .map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => a.timestamp - b.timestamp || i - j)
    .map(([e]) => e);
}
