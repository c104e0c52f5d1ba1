/**
 * How well each of a few texts matches a question's words: Okapi BM25 with the texts themselves as
 * the corpus (each word's rarity is counted among them), over the words a keyword search could
 * match (`matchableWords`: lower case, no punctuation, no RediSearch stopwords) less function
 * words. Used to reorder a vector search's results by the question's words, as the server's hybrid
 * search does, without a second request (see `search-fusion.ts`).
 */
import { matchableWords } from './keyword-query.js';

/**
 * Words a question shares with almost any sentence (question words, auxiliaries, pronouns, "say",
 * "about"): among a few dozen texts their rarity cannot be learnt, so they are not counted. The
 * server's hybrid search learns it from the whole index ("What did you say about the meeting?"
 * would otherwise match "What did the vet say about Biscuit?" four words over one).
 */
const FUNCTION_WORDS = new Set(
  (
    'what when where who whom which why how did does do done doing say said tell told about would could should can may might ' +
    'has have had having i you he she we me my your his her our us them him its were been being am from up down out over ' +
    'again any all some just also too very so than more most other own same only ever like'
  ).split(' '),
);

/** The words of a text that count: a keyword search's (`matchableWords`) but for function words. */
function countedWords(text: string): string[] {
  return matchableWords(text).filter((w) => !FUNCTION_WORDS.has(w));
}

/** Whether a text holds one of the question's words that count (not a function word). */
export function holdsAskedWord(question: string): (text: string) => boolean {
  const asked = new Set(countedWords(question));
  return (text) => countedWords(text).some((w) => asked.has(w));
}

/** BM25's usual constants: how fast repeats of a word stop counting, and how much length weighs. */
const K1 = 1.2;
const B = 0.75;

/** One score per text, in the texts' order: 0 for a text that shares no word with the question. */
export function wordScores(question: string, texts: readonly string[]): number[] {
  const asked = new Set(countedWords(question));
  const docs = texts.map((t) => countedWords(t));
  const n = docs.length;
  const meanLength = docs.reduce((sum, d) => sum + d.length, 0) / (n || 1) || 1;
  const holding = new Map<string, number>();
  for (const d of docs) for (const w of new Set(d)) if (asked.has(w)) holding.set(w, (holding.get(w) ?? 0) + 1);
  return docs.map((d) => {
    const counts = new Map<string, number>();
    for (const w of d) if (asked.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
    let score = 0;
    for (const [w, tf] of counts) {
      const df = holding.get(w)!;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * d.length) / meanLength));
    }
    return score;
  });
}
