import { describe, expect, it } from 'vitest';
import { fuseByRank, RRF_K } from '../../src/codec/rank-fusion.js';

const ids = (fused: { item: string }[]) => fused.map((f) => f.item);
const self = (s: string) => s;

describe('fuseByRank (reciprocal rank fusion)', () => {
  // A labelled set: the vector search ranks what the question means, the keyword search what it
  // names. 'answer-by-name' is only in the keyword list; 'both' is in both.
  const byMeaning = ['answer-by-meaning', 'both', 'near-miss-1', 'near-miss-2'];
  const byWords = ['answer-by-name', 'both', 'shares-a-name'];

  it('ranks what both lists found first, then each list’s best, alternately', () => {
    expect(ids(fuseByRank([byMeaning, byWords], self))).toEqual(['both', 'answer-by-meaning', 'answer-by-name', 'near-miss-1', 'shares-a-name', 'near-miss-2']);
  });

  it('puts an answer only one list found into a top 3 that neither list alone had both answers in', () => {
    const top3 = ids(fuseByRank([byMeaning, byWords], self)).slice(0, 3);
    expect(top3).toEqual(expect.arrayContaining(['answer-by-meaning', 'answer-by-name']));
    expect(byMeaning.slice(0, 3)).not.toContain('answer-by-name');
    expect(byWords.slice(0, 3)).not.toContain('answer-by-meaning');
  });

  it('weights a list: at half weight the keyword list only reorders what vectors found', () => {
    const fused = ids(fuseByRank([byMeaning, byWords], self, [1, 0.5]));
    expect(fused.slice(0, 4)).toEqual(['both', 'answer-by-meaning', 'near-miss-1', 'near-miss-2']);
    expect(fused.slice(4)).toEqual(['answer-by-name', 'shares-a-name']);
  });

  it('scores 0..1: 1 for first in every list, by the sum of weight / (k + rank)', () => {
    const fused = fuseByRank([['a', 'b'], ['a']], self);
    expect(fused[0]).toEqual({ item: 'a', score: 1 });
    expect(fused[1]!.score).toBeCloseTo(1 / (RRF_K + 2) / (2 / (RRF_K + 1)), 12);
  });

  it('keeps the earlier list’s order on ties and returns nothing for no lists', () => {
    expect(ids(fuseByRank([['x'], ['y']], self))).toEqual(['x', 'y']);
    expect(fuseByRank([], self)).toEqual([]);
  });
});
