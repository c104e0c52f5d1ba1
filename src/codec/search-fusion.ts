/**
 * Fused memory search: a vector search deeper than the answer and a keyword search beside it (one
 * round trip), their records ranked here by a blend of vector similarity, how well they match the
 * question's words (BM25 among the vector search's records), their keyword rank, and whether
 * their speaker is the one the question names. The vector search finds what a question means; the
 * words bring up the record that names what the question names (a person, a pet, a place) though
 * its sentence means something else, and the keyword search finds such a record even when it is
 * not among the nearest by meaning. The weights were chosen by measurement on the real server's
 * results for this project's dataset and for LoCoMo (docs/memory.md, Recall).
 */
import { holdsAskedWord, wordScores } from './word-scores.js';

/** How many candidates the vector search is asked for, per result: the pool the answer is chosen from. */
export const FUSED_DEPTH = 5;

/** The weight of vector similarity in the blend when `hybridAlpha` is not configured. */
export const FUSED_ALPHA = 0.85;

/**
 * The weight of the keyword search's rank in the blend: a record's keyword rank r (0 for the
 * best) adds `KEYWORD_WEIGHT` / (r + 1), when the record holds one of the question's words that
 * count (not only function words, which the server's keyword search matches too). A record the keyword search alone found (not among the
 * vector search's candidates) gets the lowest candidate's similarity and no word score: its rank
 * there is what brings it in.
 */
export const KEYWORD_WEIGHT = 0.15;

/** How many keyword results, per result, a fused search asks for beside the vector search. */
export const KEYWORD_DEPTH = 1;

/**
 * Added to the records of the one speaker the question names ("What did Caroline research?"):
 * a conversation's records all mention the same few things, and who said it is what the question
 * asks. Only when exactly one of the candidates' speakers is named, as a whole word.
 */
export const SPEAKER_WEIGHT = 0.05;

/** What fusion needs of a search result. */
export interface FusionCandidate {
  id: string;
  text: string;
  /** Vector similarity 0..1 (vector search results only). */
  similarity?: number | undefined;
  /** Who said it, for a message record written as `author: text`. */
  speaker?: string | undefined;
}

/**
 * The fused answer from a vector search's candidates (best first, as deep as `FUSED_DEPTH` times
 * the answer) and a keyword search's (best first, `KEYWORD_DEPTH` times): by `alpha` × vector
 * similarity + (1 − `alpha`) × the text's BM25 score for the question among the vector
 * candidates (`wordScores`, divided by the best candidate's) + `KEYWORD_WEIGHT` / (keyword rank + 1)
 * + `SPEAKER_WEIGHT` for the speaker the question names; the top `limit`. Equal scores keep the
 * vector search's order, then the keyword search's.
 */
export function fuseSearches<T>(
  question: string,
  byMeaning: readonly T[],
  byWords: readonly T[],
  limit: number,
  alpha: number,
  of: (item: T) => FusionCandidate,
): T[] {
  const meaning = byMeaning.map((item) => ({ item, ...of(item) }));
  const seen = new Set(meaning.map((c) => c.id));
  const found = byWords.map((item) => ({ item, ...of(item) }));
  const wordsOnly = found.filter((c) => !seen.has(c.id) && (seen.add(c.id), true));
  const keywordRank = new Map(found.map((c, i) => [c.id, i] as const).reverse());
  const words = wordScores(
    question,
    meaning.map((c) => c.text),
  );
  const best = Math.max(0, ...words) || 1;
  const lowest = meaning.length ? Math.min(...meaning.map((c) => c.similarity ?? 0)) : 0;
  const named = namedSpeaker(question, [...meaning, ...wordsOnly]);
  const holdsAsked = holdsAskedWord(question);
  return [...meaning, ...wordsOnly]
    .map((c, i) => {
      const rank = keywordRank.get(c.id);
      const score =
        alpha * (c.similarity ?? lowest) +
        (1 - alpha) * (i < meaning.length ? words[i]! / best : 0) +
        // A keyword match on a function word alone ("What is the weather like?" — "I like tea") counts nothing.
        (rank === undefined || !holdsAsked(c.text) ? 0 : KEYWORD_WEIGHT / (rank + 1)) +
        (named !== undefined && c.speaker === named ? SPEAKER_WEIGHT : 0);
      return { item: c.item, score, order: i };
    })
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map((c) => c.item);
}

/** The one speaker among the candidates' that the question names as a whole word (any case), if exactly one. */
function namedSpeaker(question: string, candidates: readonly FusionCandidate[]): string | undefined {
  const asked = question.toLowerCase();
  const speakers = new Set(candidates.map((c) => c.speaker).filter((s): s is string => !!s));
  const named = [...speakers].filter((s) => new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(s.toLowerCase())}($|[^\\p{L}\\p{N}])`, 'u').test(asked));
  return named.length === 1 ? named[0] : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The fused answer from one vector search's candidates alone (`fuseSearches` with no keyword
 * results and no speakers): by `alpha` × vector similarity + (1 − `alpha`) × the text's BM25
 * score, the top `limit`. Where no candidate shares a word with the question (or `alpha` is 1)
 * the answer is the vector search's own.
 */
export function fuseByWords<T>(
  question: string,
  candidates: readonly T[],
  limit: number,
  alpha: number,
  of: (item: T) => { text: string; similarity: number },
): T[] {
  const ids = new Map(candidates.map((c, i) => [c, String(i)] as const));
  return fuseSearches(question, candidates, [], limit, alpha, (c) => ({ id: ids.get(c)!, ...of(c) }));
}
