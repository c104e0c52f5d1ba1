import { createHash } from 'node:crypto';
import { remember } from './bounded.js';

/**
 * Deterministic mapping of ADK ids (any string) onto backend ids.
 *
 * Redis Agent Memory restricts ids to `^[a-zA-Z0-9-]+$`, 1–64 characters. An ADK id that already
 * fits is used as it is, so the store's own tools and other clients see the same ids ADK does.
 * Anything else becomes `x-` + 40 hex digits of SHA-256 over the id. The prefix `x-` is reserved:
 * a readable id is never kept when it starts with `x-`, so a kept id and an encoded one can never
 * be equal. Ids this package derives for its own bookkeeping start with `x-` and a kind letter.
 *
 * Tuples (namespace + app + user + session, …) are hashed with every part length-prefixed, so no
 * choice of strings can make two different tuples produce the same input.
 */
const READABLE = /^[a-zA-Z0-9-]{1,64}$/;
const RESERVED_PREFIX = 'x-';
const HASH_HEX = 40;

/** Recently derived ids: the same scopes recur on every call, and hashing is the costly part. */
const cache = new Map<string, string>();
const CACHE_LIMIT = 10_000;

function digest(parts: readonly string[]): string {
  const key = JSON.stringify(parts);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = hash(parts);
  remember(cache, key, value, CACHE_LIMIT);
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

/** Whether an ADK id can be used as a Redis Agent Memory id as it is. */
export function isReadableId(id: string): boolean {
  return READABLE.test(id) && !id.startsWith(RESERVED_PREFIX);
}

/** One ADK id as a Redis Agent Memory id: itself when it fits the id rule, else `x-<hash>`. */
export function readableId(id: string): string {
  return isReadableId(id) ? id : `${RESERVED_PREFIX}${digest(['part', id])}`;
}

/** A backend id for a tuple of ADK ids under a kind tag; `prefix` names the kind. */
export function tupleId(prefix: string, kind: string, parts: readonly string[]): string {
  return `${prefix}-${digest([kind, ...parts])}`;
}

/** The identity of one ADK session inside one logical namespace (`defaultNamespace` ?? app). */
export interface SessionScope {
  namespace: string;
  appName: string;
  userId: string;
  sessionId: string;
  /**
   * Agent Memory Server only: the session lives in its app's own slot (`amsAppSlotSessionId`),
   * because another app of the same namespace holds the working memory of this id and user.
   */
  appSlot?: true;
}

export function scopeKey(s: SessionScope): string {
  return JSON.stringify(s.appSlot ? [s.namespace, s.appName, s.userId, s.sessionId, 'app-slot'] : [s.namespace, s.appName, s.userId, s.sessionId]);
}

/**
 * Agent Memory Server takes a working memory's session id in the URL path (an ADK session id, or
 * a user id for this package's users registry), where it cannot be
 * `/` (the server decodes `%2F` before routing: 404) nor the whole segment `.` or `..` (URLs drop
 * dot segments). Session ids holding either are stored with `%`, `/` and the dots escaped as
 * `%25`, `%2F`, `%2E`; every other id is stored as it is. An id that already reads as escaped is
 * escaped again, so the mapping is one-to-one.
 */
const ESCAPED = /%(?:25|2F|2E|7C)/i;
/** Between the session id and the app name in an app slot's id; no stored plain id contains it. */
const APP_SLOT_SEPARATOR = '%7C';

export function amsSessionId(adkSessionId: string): string {
  const needs = adkSessionId.includes('/') || adkSessionId === '.' || adkSessionId === '..' || ESCAPED.test(adkSessionId);
  if (!needs) return adkSessionId;
  const escaped = adkSessionId.replace(/%/g, '%25').replace(/\//g, '%2F');
  return escaped === '.' || escaped === '..' ? escaped.replace(/\./g, '%2E') : escaped;
}

/** The id a stored working memory's session id stands for (the inverse of `amsSessionId`). */
export function fromAmsSessionId(storedSessionId: string): string {
  return ESCAPED.test(storedSessionId) ? storedSessionId.replace(/%(25|2F|2E)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : storedSessionId;
}

/**
 * The working memory id of a session in its app's own slot: `<session id>%7C<app name>`, each part
 * stored as `amsSessionId` stores it. Two apps that share a namespace (`defaultNamespace`) can each
 * have a session of one id and user (ADK's AgentTool runs its agent under the agent's name with
 * the caller's session id): the first takes the plain id, the other its slot. Since `amsSessionId`
 * escapes every `%` of an id holding `%7C`, no plain id contains the separator, and every part is
 * read back unambiguously.
 */
export function amsAppSlotSessionId(adkSessionId: string, appName: string): string {
  return `${amsSessionId(adkSessionId)}${APP_SLOT_SEPARATOR}${amsSessionId(appName)}`;
}

/** The ADK session id and app of a stored app-slot id, or undefined for a plain id. */
export function fromAmsAppSlotSessionId(storedSessionId: string): { sessionId: string; appName: string } | undefined {
  const at = storedSessionId.toUpperCase().indexOf(APP_SLOT_SEPARATOR);
  if (at < 0) return undefined;
  return { sessionId: fromAmsSessionId(storedSessionId.slice(0, at)), appName: fromAmsSessionId(storedSessionId.slice(at + APP_SLOT_SEPARATOR.length)) };
}

/**
 * Agent Memory Server finds working memories and long-term memories by `user_id` and `namespace`
 * through RediSearch TAG fields, which split a stored value at `,` and trim the spaces around each
 * part: a user `Doe, John` is found as `doe` or `john` and never as itself. And the query side
 * (RedisVL's escaping) leaves `|`, `?`, `` ` `` and ASCII control characters as they are: a query
 * for `bob|eve` is one for `bob` or `eve`, and one for `a?b` or `t<TAB>x` finds nothing; nor does
 * one for the id `_` alone (test/real/tag-ids.test.ts). User ids and namespaces holding any of
 * these, or leading or trailing whitespace, or that are `_` (or that read as escaped), are stored
 * with `%` and those characters percent-escaped, so each is one tag the server can find; every
 * other id is stored as it is. (TAG matching also ignores ASCII case, so readers check the exact
 * id of what they are given.)
 */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const TAG_UNSAFE = /[,|?`\x00-\x1f\x7f]/;
const TAG_UNSAFE_ALL = new RegExp(TAG_UNSAFE.source, 'g');
const TAG_ESCAPED = /%(?:25|2C|7C|3F|60|20|5F|[01][0-9A-F]|7F)/i;
const TAG_ESCAPED_ALL = new RegExp(TAG_ESCAPED.source, 'gi');
const hexOf = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

export function amsTagValue(id: string): string {
  if (id === '_') return '%5F';
  const needs = TAG_UNSAFE.test(id) || /^\s|\s$/.test(id) || TAG_ESCAPED.test(id);
  if (!needs) return id;
  const escaped = id.replace(/%/g, '%25').replace(TAG_UNSAFE_ALL, hexOf);
  return escaped.replace(/^ +/, (ws) => [...ws].map(hexOf).join('')).replace(/ +$/, (ws) => [...ws].map(hexOf).join(''));
}

/** The id a stored `user_id` or `namespace` stands for (the inverse of `amsTagValue`). */
export function fromAmsTagValue(stored: string): string {
  return TAG_ESCAPED.test(stored) ? stored.replace(TAG_ESCAPED_ALL, (hex: string) => String.fromCharCode(parseInt(hex.slice(1), 16))) : stored;
}
