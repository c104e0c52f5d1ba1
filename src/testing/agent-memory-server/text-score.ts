import { matchableWords } from '../../codec/keyword-query.js';

/**
 * The full-text side of the real server's keyword and hybrid searches, modelled: RediSearch's
 * default stopwords are not indexed, query and text are split into words alike (`treadmills?` finds
 * "treadmills" on the real server with redisvl 0.12.1), and records are scored by BM25 over the
 * words they share with the query. RediSearch's BM25STD scales scores otherwise; the server normalises
 * them by the best one, so the model's scores differ from the real server's while which records
 * match, and their order for plain texts, is the same (docs/testing.md).
 */
const K1 = 1.2;
const B = 0.75;

/** Each text's BM25 score against the query (0 where it shares no word), in the order given. */
export function bm25Scores(query: string, texts: readonly string[]): number[] {
  const terms = [...new Set(matchableWords(query))];
  const docs = texts.map(matchableWords);
  const avg = docs.reduce((n, d) => n + d.length, 0) / Math.max(docs.length, 1) || 1;
  const idf = new Map(
    terms.map((t) => {
      const n = docs.filter((d) => d.includes(t)).length;
      return [t, Math.log(1 + (docs.length - n + 0.5) / (n + 0.5))];
    }),
  );
  return docs.map((d) =>
    terms.reduce((score, t) => {
      const tf = d.filter((w) => w === t).length;
      return tf ? score + idf.get(t)! * ((tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * d.length) / avg))) : score;
    }, 0),
  );
}

/** `_normalize_rank_scores`: each score over the best, 0 to 1. */
export function normaliseScores(scores: readonly number[]): number[] {
  const best = Math.max(0, ...scores);
  return scores.map((s) => (best > 0 ? Math.min(Math.max(s / best, 0), 1) : 0));
}
