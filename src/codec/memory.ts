import { invalidInput } from '../clients/invalid-input.js';
import { tupleId } from './ids.js';
import type { JsonValue } from './json.js';

export const MEMORY_TYPES = ['semantic', 'episodic', 'message'] as const;
/** The kind of a long-term memory: a `semantic` fact, an `episodic` event, or a `message` of a conversation. */
export type MemoryType = (typeof MEMORY_TYPES)[number];

/** Limits of Redis Agent Memory records, enforced for both backends so behaviour is the same. */
export const MEMORY_TEXT_MAX = 50_000;
export const TOPICS_MAX = 50;
export const TOPIC_MAX_LENGTH = 100;

/**
 * Whose memories a service reads and writes: `'app'`, the memories of the calling app and user, as
 * ADK scopes memory; `'namespace'`, the user's memories of every app of the namespace (the Python
 * adk-redis's layout).
 */
export type MemoryScopeKind = 'app' | 'namespace';

/** The user a memory belongs to, inside one namespace, and which apps' memories are theirs to see. */
export interface MemoryScope {
  namespace: string;
  appName: string;
  userId: string;
  /** `'app'` unless said otherwise (see `MemoryScopeKind`). */
  kind?: MemoryScopeKind | undefined;
  /** Redis Agent Memory: the namespace object records are placed in instead of the `namespace` label. */
  namespaceId?: string | undefined;
}

/** The namespace part of derived ids: the label, and the namespace object apart when there is one. */
const idSpace = (s: MemoryScope) => (s.namespaceId === undefined ? [s.namespace] : [s.namespace, `ref:${s.namespaceId}`]);

/** A record as the service hands it to a backend. */
export interface MemoryRecordInput {
  id: string;
  text: string;
  memoryType: MemoryType;
  topics?: string[] | undefined;
  /** ISO date-time of the event an episodic memory describes. */
  eventDate?: string | undefined;
  /** ADK session the memory came from, when it came from one. */
  sessionId?: string | undefined;
  /** The caller's own metadata (ADK's `customMetadata`), kept with the record. */
  metadata?: Record<string, JsonValue> | undefined;
}

/** A record as a backend returns it. */
export interface MemoryHit {
  id: string;
  text: string;
  memoryType: string;
  topics: string[];
  /** Similarity in 0..1 (higher is closer), when the backend reports one. */
  score?: number | undefined;
  createdAt?: string | undefined;
  eventDate?: string | undefined;
  metadata?: Record<string, JsonValue> | undefined;
}

/** Backend ids of memories are `m-` + 40 hex digits. */
export const MEMORY_ID = /^m-[0-9a-f]{40}$/;

/**
 * Deterministic memory ids, scoped to the user and namespace so that writing the same thing
 * twice stores it once, and two users' memories never share an id.
 */
export const memoryIds = {
  /** A caller-chosen id (or an id this service returned, which is kept as it is). */
  fromClientId: (s: MemoryScope, id: string) => (MEMORY_ID.test(id) ? id : tupleId('m', 'memory-id', [...idSpace(s), s.appName, s.userId, id])),
  /** A fact without an id: the same text of the same type is the same memory. */
  fromContent: (s: MemoryScope, type: MemoryType, text: string) => tupleId('m', 'memory-content', [...idSpace(s), s.appName, s.userId, type, text]),
  /** One session event stored as a message memory. */
  fromEvent: (s: MemoryScope, sessionId: string, eventId: string) => tupleId('m', 'memory-event', [...idSpace(s), s.appName, s.userId, sessionId, eventId]),
};

/**
 * The app a memory belongs to. A record written by an app whose memories share a namespace with
 * other apps' (`defaultNamespace` set to another name) carries its app's topic, `adk-app-` + 40 hex
 * digits of a hash of the app name (a backend's topics are its only filterable field for this); a
 * record without one (written by the app named as the namespace, by another client, or extracted
 * by the backend from a session) is the namespace's own app's. Searches filter on the topic
 * server-side, and every record is checked again before it is returned.
 */
const APP_TOPIC = /^adk-app-[0-9a-f]{40}$/i;

export function appTopic(appName: string): string {
  return tupleId('adk-app', 'memory-app', [appName]);
}

export function isAppTopic(topic: string): boolean {
  return APP_TOPIC.test(topic);
}

/** The topic a scope's records carry and its searches filter on, if any. */
export function scopeTopic(s: MemoryScope): string | undefined {
  return (s.kind ?? 'app') === 'app' && s.namespace !== s.appName ? appTopic(s.appName) : undefined;
}

/** A search's server-side filter on the scope's app topic (the same shape on both backends), where it has one. */
export function scopeTopicFilter(s: MemoryScope): { topics?: { eq: string } } {
  const tag = scopeTopic(s);
  return tag ? { topics: { eq: tag } } : {};
}

/** The topics a record of the scope is written with: the caller's, plus the app's topic where the scope has one. */
export function writtenTopics(s: MemoryScope, topics: string[] | undefined): string[] {
  const tag = scopeTopic(s);
  return tag ? [...(topics ?? []), tag] : [...(topics ?? [])];
}

/** The topics a caller sees: the app topic is this package's bookkeeping. */
export function visibleTopics(topics: readonly string[] | null | undefined): string[] {
  return (topics ?? []).filter((t) => !isAppTopic(t));
}

/**
 * Whether a record with these topics is the scope's to see (its user and namespace are checked
 * apart): every app topic on it is the scope's. A record with another app's topic too is one the
 * server merged from several apps' records (its compaction takes the union of their topics): it
 * holds another app's memory, so no app sees it.
 */
export function inAppScope(s: MemoryScope, topics: readonly string[] | null | undefined): boolean {
  return byAppTopics(s, topics, (tags, own) => tags.every((t) => t === own));
}

/**
 * Whether a record holds any of the scope's memories: like `inAppScope`, but a record merged from
 * this app's and other apps' records counts too. What forgetting a user deletes.
 */
export function holdsAppMemory(s: MemoryScope, topics: readonly string[] | null | undefined): boolean {
  return byAppTopics(s, topics, (tags, own) => tags.includes(own));
}

/**
 * The rule both share: namespace scope takes every record; a record with no app topic is the
 * memory of the app named as the namespace; otherwise `rule` judges its app topics (lower-cased,
 * as the TAG index compares them) against the scope's own.
 */
function byAppTopics(s: MemoryScope, topics: readonly string[] | null | undefined, rule: (tags: string[], own: string) => boolean): boolean {
  if (s.kind === 'namespace') return true;
  const tags = (topics ?? []).filter(isAppTopic).map((t) => t.toLowerCase());
  return tags.length ? rule(tags, appTopic(s.appName).toLowerCase()) : s.namespace === s.appName;
}

/** Checks text, type and topics against the limits, naming the field that breaks one. */
export function validateRecord(operation: string, field: string, r: MemoryRecordInput, topicCommas: boolean, reservedTopics = 0): void {
  const fail = (f: string, rule: string, message: string) => {
    throw invalidInput(operation, `${field}.${f}`, message, rule);
  };
  if (!r.text.trim()) fail('text', 'non-empty', 'must contain text');
  if (r.text.length > MEMORY_TEXT_MAX) fail('text', 'maxLength', `is ${r.text.length} characters; the limit is ${MEMORY_TEXT_MAX}`);
  if (!(MEMORY_TYPES as readonly string[]).includes(r.memoryType)) fail('memoryType', 'enum', `must be one of ${MEMORY_TYPES.join(', ')}`);
  const topics = r.topics ?? [];
  if (!Array.isArray(topics)) fail('topics', 'type', 'must be an array of strings');
  const most = TOPICS_MAX - reservedTopics;
  if (topics.length > most)
    fail('topics', 'maxItems', `has ${topics.length} topics; the limit is ${most}${reservedTopics ? ' (one is kept for the app, see memoryScope)' : ''}`);
  topics.forEach((t, i) => {
    if (typeof t !== 'string' || t.length < 1 || t.length > TOPIC_MAX_LENGTH)
      fail(`topics[${i}]`, 'length', `must be a string of 1-${TOPIC_MAX_LENGTH} characters`);
    if (topicCommas && t.includes(',')) fail(`topics[${i}]`, 'no-comma', 'must not contain a comma');
    if (typeof t === 'string' && isAppTopic(t)) fail(`topics[${i}]`, 'reserved', 'is an app topic this package reserves (adk-app- and 40 hex digits)');
  });
  if (r.eventDate !== undefined && Number.isNaN(Date.parse(r.eventDate))) fail('eventDate', 'date-time', 'must be an ISO 8601 date-time');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The day of a date-time as people write it, in UTC: `8 May 2023`. */
function writtenDay(dateTime: string): string | undefined {
  const d = new Date(dateTime);
  return Number.isNaN(d.getTime()) ? undefined : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]!} ${d.getUTCFullYear()}`;
}

/** The day a message text starts with, as `messageText` writes it. */
const DAY_PREFIX = new RegExp(`^\\((\\d{1,2} (?:${MONTHS.join('|')}) -?\\d{1,6})\\) `);

/**
 * `(8 May 2023) author: text`, the readable form of an event stored as a message memory: the day
 * it was said (when known) and who said it, in the text itself, since that is what a search
 * matches. The day lets a question about when something happened, or what happened on a day, find
 * the turn (measured: docs/memory.md, Recall), and tells whoever reads the memory what "yesterday"
 * in it meant.
 */
export function messageText(author: string, text: string, eventDate?: string): string {
  const day = eventDate === undefined ? undefined : writtenDay(eventDate);
  return `${day ? `(${day}) ` : ''}${author}: ${text}`;
}

/** A message text's day, as `messageText` writes it, and the `author: text` after it (the whole text when it has none). */
export function splitDay(text: string): { day?: string; rest: string } {
  const dated = DAY_PREFIX.exec(text);
  return dated ? { day: dated[1]!, rest: text.slice(dated[0].length) } : { rest: text };
}

/** Splits `(day) author: text` (the day optional, as records written before it was added lack it) back; other texts have no author. */
export function splitMessageText(memoryType: string, text: string): { author?: string; day?: string; text: string } {
  if (memoryType !== 'message') return { text };
  const { day, rest } = splitDay(text);
  const m = /^([^:\n]{1,200}): ([\s\S]*)$/.exec(rest);
  return m ? { author: m[1]!, ...(day ? { day } : {}), text: m[2]! } : { text };
}
