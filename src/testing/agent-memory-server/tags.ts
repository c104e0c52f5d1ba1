/**
 * How the server's RediSearch TAG fields match (`session_id`, `namespace`, `user_id` of working
 * memories; `user_id`, `namespace`, `topics`, … of long-term memories): a stored value is split at
 * `,` and each part trimmed; a query value (escaped by RedisVL, so taken whole) matches a part
 * equal to it ignoring ASCII case. `Alice` is found as `alice`, `Doe, John` as `doe` or `john`.
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

/** Whether a stored value has the tag a query names. */
export function hasTag(stored: string | string[] | null | undefined, query: string): boolean {
  return tagsOf(stored).includes(asciiLower(query));
}
