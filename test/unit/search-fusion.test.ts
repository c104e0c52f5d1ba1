import { describe, expect, it } from 'vitest';
import { headAndTail } from '../../src/codec/search-fusion.js';

const self = (s: string) => s;

describe('headAndTail (fused memory search)', () => {
  // A labelled set of ten: the vector search ranks answer A first and answer B eleventh; the
  // hybrid search, reordering by the question's words, ranks B second and A sixth.
  const byMeaning = ['A', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'];
  const blended = ['n5', 'B', 'n1', 'w1', 'w2', 'A', 'n2', 'w3', 'w4', 'w5'];

  it('keeps the vector search’s head and fills the tail in the hybrid search’s order', () => {
    expect(headAndTail(byMeaning, blended, 10, self)).toEqual(['A', 'n1', 'n2', 'n3', 'n4', 'n5', 'B', 'w1', 'w2', 'w3']);
  });

  it('has both answers in its top 10 where each search alone has one, and answer A first', () => {
    const fused = headAndTail(byMeaning, blended, 10, self);
    expect(fused).toEqual(expect.arrayContaining(['A', 'B']));
    expect(byMeaning).not.toContain('B');
    expect(blended.indexOf('A')).toBeGreaterThan(blended.indexOf('B'));
    expect(fused[0]).toBe('A');
  });

  it('rounds the head up, falls back on the vector list when hybrid runs short, and never repeats', () => {
    expect(headAndTail(['a', 'b', 'c'], [], 3, self)).toEqual(['a', 'b', 'c']);
    expect(headAndTail(['a', 'b', 'c'], ['c'], 3, self)).toEqual(['a', 'b', 'c']);
    expect(headAndTail(['a', 'b', 'c'], ['x'], 3, self)).toEqual(['a', 'b', 'x']);
    expect(headAndTail(['a'], ['b', 'c'], 1, self)).toEqual(['a']);
    expect(headAndTail([], ['b', 'c'], 5, self)).toEqual(['b', 'c']);
  });
});
