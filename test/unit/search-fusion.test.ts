import { describe, expect, it } from 'vitest';
import { fuseByWords, headAndTail } from '../../src/codec/search-fusion.js';
import { wordScores } from '../../src/codec/word-scores.js';

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

describe('fuseByWords (fused memory search from one vector search)', () => {
  /** Candidates of a vector search, best first: [id, text, similarity]. */
  const candidates: [string, string, number][] = [
    ['a1', 'I moved to Lisbon last spring', 0.71],
    ['n1', 'The weather in spring is lovely', 0.69],
    ['n2', 'My neighbour moved house again', 0.66],
    ['n3', 'We talked about travel plans', 0.64],
    ['n4', 'Spring cleaning took all weekend', 0.62],
    ['n5', 'The cat sleeps all day', 0.6],
    ['n6', 'Work was busy this week', 0.58],
    ['a2', 'My sister Ines starts her job in Porto next month', 0.55],
    ['n7', 'I had pasta for dinner', 0.54],
  ];
  const of = ([id, text, similarity]: [string, string, number]) => ({ id, text, similarity });
  const ids = (xs: [string, string, number][]) => xs.map(([id]) => id);
  const question = 'Which city did Ines move to?';

  it('keeps the vector search’s head and brings a candidate that names what the question names into the tail', () => {
    const fused = ids(fuseByWords(question, candidates, 6, 0.7, of));
    // Head: the vector search's best 3, in its order.
    expect(fused.slice(0, 3)).toEqual(['a1', 'n1', 'n2']);
    // The vector search alone has a2 eighth, out of a top 6; its rare shared word (Ines) puts it first in the tail.
    expect(ids(candidates).slice(0, 6)).not.toContain('a2');
    expect(fused[3]).toBe('a2');
    expect(fused).toHaveLength(6);
    expect(new Set(fused).size).toBe(6);
  });

  it('is the vector search’s order with alpha 1, and where no candidate shares a word with the question', () => {
    expect(ids(fuseByWords(question, candidates, 6, 1, of))).toEqual(ids(candidates).slice(0, 6));
    expect(ids(fuseByWords('Is the ocean warm?', candidates, 6, 0.7, of))).toEqual(ids(candidates).slice(0, 6));
  });

  it('answers what there is when the vector search found fewer than asked for', () => {
    expect(ids(fuseByWords(question, candidates.slice(0, 2), 6, 0.7, of))).toEqual(['a1', 'n1']);
    expect(fuseByWords(question, [], 6, 0.7, of)).toEqual([]);
  });
});

describe('wordScores', () => {
  it('scores a text by the question’s words it holds, rarer words more, ignoring case, punctuation and stopwords', () => {
    const [rare, common, none, stop] = wordScores('Where is the Lisbon flat, and is it big?', [
      'LISBON: the flat is big!',
      'The flat is big, the flat is big',
      'Nothing in common here',
      'It is the one and only',
    ]);
    expect(rare).toBeGreaterThan(common!);
    expect(common).toBeGreaterThan(0);
    expect(none).toBe(0);
    // "is", "the", "and", "it" are stopwords: sharing only those is sharing nothing.
    expect(stop).toBe(0);
  });

  it('does not count function words, whose rarity a few texts cannot show', () => {
    const [meeting, biscuit] = wordScores('What did the vet say about Biscuit?', ['What did you say about the meeting?', 'Biscuit: reorder 3 bags']);
    expect(meeting).toBe(0);
    expect(biscuit).toBeGreaterThan(0);
  });

  it('lets a repeated word count less each time (BM25 saturation) and a longer text weigh less', () => {
    const [once, twice, thrice, longer] = wordScores('lisbon', [
      'lisbon flat',
      'lisbon lisbon',
      'lisbon lisbon lisbon',
      'lisbon flat with a view of the river and the bridge',
    ]);
    expect(twice! - once!).toBeGreaterThan(0);
    expect(thrice! - twice!).toBeLessThan(twice! - once!);
    expect(longer).toBeLessThan(once!);
  });
});
