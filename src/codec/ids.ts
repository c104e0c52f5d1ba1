import { createHash } from 'node:crypto';

/**
 * Deterministic, collision-free mapping of ADK ids (any string) onto backend ids, which
 * Redis Agent Memory restricts to `^[a-zA-Z0-9-]+$`, 1–64 characters.
 *
 * - A part that already fits (letters, digits, dashes; at most 40 characters; not starting with
 *   the reserved `x-`) is kept as it is, so ids stay readable in the backend.
 * - Anything else becomes `x-` + 40 hex digits of SHA-256 over the part. Because kept parts never
 *   start with `x-`, a kept id and a hashed id can never be equal.
 * - Tuples (app + user + session, …) are hashed with every part length-prefixed, so no choice of
 *   strings can make two different tuples produce the same input.
 * The original ids always travel in the stored record's metadata; these ids are only keys.
 */
const SAFE_PART = /^[a-zA-Z0-9-]{1,40}$/;
const HASH_HEX = 40;

/** Recently derived ids: the same scopes recur on every call, and hashing is the costly part. */
const cache = new Map<string, string>();
const CACHE_LIMIT = 10_000;

function digest(parts: readonly string[]): string {
  const key = JSON.stringify(parts);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = hash(parts);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

function hash(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const bytes = Buffer.from(p, 'utf8');
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex').slice(0, HASH_HEX);
}

/** One ADK id as a backend-safe id part (never contains `.` or `_`). */
export function encodeIdPart(id: string): string {
  return SAFE_PART.test(id) && !id.startsWith('x-') ? id : `x-${digest(['part', id])}`;
}

/** A backend id for a tuple of ADK ids under a kind tag; `prefix` is one letter naming the kind. */
export function tupleId(prefix: string, kind: string, parts: readonly string[]): string {
  return `${prefix}-${digest([kind, ...parts])}`;
}

/**
 * The backend namespace of an ADK app within a logical namespace (tenant). When the namespace is
 * the app itself (the default), the readable app id is used.
 */
export function namespaceKey(namespace: string, appName: string): string {
  return namespace === appName ? encodeIdPart(appName) : tupleId('n', 'namespace', [namespace, appName]);
}

/** The identity of one ADK session inside one logical namespace. */
export interface SessionScope {
  namespace: string;
  appName: string;
  userId: string;
  sessionId: string;
}

export function scopeKey(s: SessionScope): string {
  return JSON.stringify([s.namespace, s.appName, s.userId, s.sessionId]);
}
