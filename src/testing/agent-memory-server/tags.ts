/**
 * How the server's RediSearch TAG fields match (`session_id`, `namespace`, `user_id` of working
 * memories; `user_id`, `namespace`, `topics`, … of long-term memories): a stored value is split at
 * `,` and each part trimmed; a query value, escaped by RedisVL, matches a part equal to it ignoring
 * ASCII case. `Alice` is found as `alice`, `Doe, John` as `doe` or `john`. RedisVL leaves `|`, `?`,
 * `` ` `` and ASCII control characters unescaped: a query for `bob|eve` is one for `bob` or `eve`,
 * and one holding any of the others, or the id `_` alone, finds nothing (test/real/tag-ids.test.ts
 * shows each).
 */
export const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The tags a stored value is indexed as. */
export function tagsOf(stored: string | string[] | null | undefined): string[] {
  const values = stored == null ? [] : Array.isArray(stored) ? stored : [stored];
  return values
    .flatMap((v) => v.split(','))
    .map((t) => asciiLower(t.trim()))
    .filter(Boolean);
}

/** The tags a query value finds: itself, or its alternatives at `|`; none when the real server finds none. */
export function queriedTags(query: string): string[] {
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  if (/[?`\x00-\x1f\x7f]/.test(query) || query === '_') return [];
  return query.split('|').map(asciiLower);
}

/** Whether a stored value has a tag a query names. */
export function hasTag(stored: string | string[] | null | undefined, query: string): boolean {
  const tags = tagsOf(stored);
  return queriedTags(query).some((q) => tags.includes(q));
}
