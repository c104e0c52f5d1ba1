/**
 * RediSearch's default stopwords: the words its full-text index does not keep, so a keyword query
 * can never match them.
 */
const STOPWORDS = new Set(
  'a is the an and are as at be but by for if in into it no not of on or such that their then there these they this to was will with'.split(' '),
);

/**
 * The words of a query that a keyword (or hybrid) search can match: lower-cased, split at anything
 * that is not a letter or digit, stopwords removed; undefined when none is left.
 *
 * Agent Memory Server 0.15.2 turns every word of a keyword query into a term and leaves stopwords
 * to the caller, and a query whose terms start with two stopwords ("Is it likely that …") crashes
 * RediSearch 2.10.5 (Redis Stack 7.4.1), taking Redis down: such a query is never sent as it is.
 */
export function keywordQuery(text: string): string | undefined {
  const words = matchableWords(text);
  return words.length ? words.join(' ') : undefined;
}

/** The words of a text RediSearch indexes: lower-cased, split at anything not a letter or digit, stopwords removed. */
export function matchableWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !STOPWORDS.has(w));
}
