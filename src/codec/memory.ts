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

/** The user a memory belongs to, inside one namespace. */
export interface MemoryScope {
  namespace: string;
  appName: string;
  userId: string;
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

/** Checks text, type and topics against the limits, naming the field that breaks one. */
export function validateRecord(operation: string, field: string, r: MemoryRecordInput, topicCommas: boolean): void {
  const fail = (f: string, rule: string, message: string) => {
    throw invalidInput(operation, `${field}.${f}`, message, rule);
  };
  if (!r.text.trim()) fail('text', 'non-empty', 'must contain text');
  if (r.text.length > MEMORY_TEXT_MAX) fail('text', 'maxLength', `is ${r.text.length} characters; the limit is ${MEMORY_TEXT_MAX}`);
  if (!(MEMORY_TYPES as readonly string[]).includes(r.memoryType)) fail('memoryType', 'enum', `must be one of ${MEMORY_TYPES.join(', ')}`);
  const topics = r.topics ?? [];
  if (!Array.isArray(topics)) fail('topics', 'type', 'must be an array of strings');
  if (topics.length > TOPICS_MAX) fail('topics', 'maxItems', `has ${topics.length} topics; the limit is ${TOPICS_MAX}`);
  topics.forEach((t, i) => {
    if (typeof t !== 'string' || t.length < 1 || t.length > TOPIC_MAX_LENGTH)
      fail(`topics[${i}]`, 'length', `must be a string of 1-${TOPIC_MAX_LENGTH} characters`);
    if (topicCommas && t.includes(',')) fail(`topics[${i}]`, 'no-comma', 'must not contain a comma');
  });
  if (r.eventDate !== undefined && Number.isNaN(Date.parse(r.eventDate))) fail('eventDate', 'date-time', 'must be an ISO 8601 date-time');
}

/** `author: text`, the readable form of an event stored as a message memory. */
export function messageText(author: string, text: string): string {
  return `${author}: ${text}`;
}

/** Splits `author: text` back; other texts have no author. */
export function splitMessageText(memoryType: string, text: string): { author?: string; text: string } {
  if (memoryType !== 'message') return { text };
  const m = /^([^:\n]{1,200}): ([\s\S]*)$/.exec(text);
  return m ? { author: m[1]!, text: m[2]! } : { text };
}
