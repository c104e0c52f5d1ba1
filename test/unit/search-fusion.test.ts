import { describe, expect, it } from 'vitest';
import { FUSED_ALPHA, fuseByWords } from '../../src/codec/search-fusion.js';
import { wordScores } from '../../src/codec/word-scores.js';

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
  const of = ([, text, similarity]: [string, string, number]) => ({ text, similarity });
  const ids = (xs: [string, string, number][]) => xs.map(([id]) => id);
  const question = 'Which city did Ines move to?';

  it('brings the candidate that names what the question names above those that only mean something close', () => {
    const fused = ids(fuseByWords(question, candidates, 6, FUSED_ALPHA, of));
    // The vector search alone has a2 eighth, out of a top 6; the one candidate with the question's
    // rare word (Ines), it leads the blend: 0.8 × 0.55 + 0.2 × 1 against a1's 0.8 × 0.71.
    expect(ids(candidates).slice(0, 6)).not.toContain('a2');
    expect(fused).toEqual(['a2', 'a1', 'n1', 'n2', 'n3', 'n4']);
  });

  it('weighs the words by 1 − alpha: nearly all similarity, a2 only just makes the top 6', () => {
    // 0.95 × 0.55 + 0.05 = 0.5725, above n5's 0.57 and below n4's 0.589.
    expect(ids(fuseByWords(question, candidates, 6, 0.95, of))).toEqual(['a1', 'n1', 'n2', 'n3', 'n4', 'a2']);
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
