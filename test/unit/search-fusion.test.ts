import { describe, expect, it } from 'vitest';
import { FUSED_ALPHA, fuseByWords, fuseSearches, type FusionCandidate } from '../../src/codec/search-fusion.js';
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
    // rare word (Ines), it leads the blend: 0.85 × 0.55 + 0.15 × 1 against a1's 0.85 × 0.71.
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

describe('fuseSearches (the vector search, the keyword search beside it, and the speaker the question names)', () => {
  const c = (id: string, text: string, similarity?: number, speaker?: string): FusionCandidate => ({ id, text, similarity, speaker });
  const ids = (xs: FusionCandidate[]) => xs.map((x) => x.id);
  const same = (x: FusionCandidate) => x;
  // None of these shares a word with the question but "support": the word scores barely move them.
  const byMeaning = [
    c('m1', 'Melanie: that sounds like a great group', 0.7, 'Melanie'),
    c('m2', 'Melanie: community support matters so much', 0.69, 'Melanie'),
    c('m3', 'Caroline: my friends came along, a lovely evening', 0.68, 'Caroline'),
    c('m4', 'Caroline: it was a lovely evening', 0.62, 'Caroline'),
  ];
  const question = 'When did Caroline go to the LGBTQ support group?';

  it('brings in a record only the keyword search found, by its keyword rank, with the lowest similarity of the rest', () => {
    const answer = c('k1', 'Caroline: I went to a LGBTQ support group yesterday', undefined, 'Caroline');
    // With alpha 1 the word scores weigh nothing. k1: 0.62 (the lowest similarity) + KEYWORD_WEIGHT
    // (0.15, rank 0) + SPEAKER_WEIGHT (0.05) = 0.82; m3: 0.68 + 0.05 = 0.73; m1: 0.7.
    expect(ids(fuseSearches(question, byMeaning, [answer], 3, 1, same))).toEqual(['k1', 'm3', 'm1']);
    expect(ids(fuseSearches(question, byMeaning, [], 3, 1, same))).toEqual(['m3', 'm1', 'm2']);
  });

  it('adds the keyword rank to a record both searches found, less the lower it ranks there', () => {
    // m4: 0.62 + 0.15 = 0.77 when the keyword search ranks it first, passing m3 (0.68 + 0.15 / 2);
    // 0.62 + 0.075 when second, below m1 (0.7).
    expect(ids(fuseSearches('lovely evening', byMeaning, [byMeaning[3]!, byMeaning[2]!], 4, 1, same))).toEqual(['m4', 'm3', 'm1', 'm2']);
    expect(ids(fuseSearches('lovely evening', byMeaning, [byMeaning[2]!, byMeaning[3]!], 4, 1, same))).toEqual(['m3', 'm1', 'm4', 'm2']);
  });

  it('counts no keyword rank for a record that matched a function word only', () => {
    const tea = c('t', 'I would like a cup of tea', 0.4);
    const sunny = c('s', 'Sunshine all afternoon, not a cloud in the sky', 0.45);
    // "like" is all "I would like a cup of tea" shares with the question: its keyword rank adds nothing.
    expect(ids(fuseSearches('What is the weather like?', [sunny, tea], [tea], 2, 1, same))).toEqual(['s', 't']);
    // Where it shares "tea", the same rank lifts it: 0.4 + 0.15 against 0.45.
    expect(ids(fuseSearches('Is there any tea left?', [sunny, tea], [tea], 2, 1, same))).toEqual(['t', 's']);
  });

  it('favours the speaker the question names, only when it names exactly one of them, as a whole word', () => {
    expect(ids(fuseSearches('What did Caroline bring?', byMeaning, [], 4, 1, same))).toEqual(['m3', 'm1', 'm2', 'm4']);
    // Both named, or neither: the vector order.
    expect(ids(fuseSearches('What did Caroline and Melanie bring?', byMeaning, [], 4, 1, same))).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(ids(fuseSearches('What did Carolines bring?', byMeaning, [], 4, 1, same))).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('counts a record found by both searches once', () => {
    const fused = fuseSearches('lovely evening', byMeaning, [byMeaning[3]!, byMeaning[3]!], 10, FUSED_ALPHA, same);
    expect(ids(fused).sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
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
