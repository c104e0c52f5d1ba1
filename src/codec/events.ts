import { createEvent, isCompactedEvent, type Event } from '@google/adk';
import { InvalidResponseError } from '../clients/errors.js';
import { isRecord, toJson, type JsonValue } from './json.js';
import { TEMP_PREFIX } from './state.js';

/** Version of the `metadata.adk` / `data.adk` envelope this package writes. */
export const ENVELOPE_VERSION = 1;

/** An ADK event as stored: plain JSON. */
export type EventJson = { [key: string]: JsonValue };

/**
 * The event as plain JSON, `temp:` state removed. This is what is stored, whole, in the
 * backend record's metadata: reading it back gives an event equal to the one appended.
 */
export function eventToJson(event: Event, operation: string): EventJson {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an event from a JavaScript caller may come without actions
  const actions = event.actions ? { ...event.actions } : undefined;
  if (actions?.stateDelta) {
    actions.stateDelta = Object.fromEntries(Object.entries(actions.stateDelta).filter(([k]) => !k.startsWith(TEMP_PREFIX)));
  }
  return toJson({ ...event, actions }, operation, 'event') as { [key: string]: JsonValue };
}

/** Rebuilds an ADK event from stored JSON, checking the fields every event must have. */
export function eventFromJson(json: unknown, operation: string): Event {
  if (!isRecord(json) || typeof json.id !== 'string' || typeof json.timestamp !== 'number') {
    throw new InvalidResponseError(`${operation}: a stored event is not an ADK event (missing id or timestamp)`, {
      operation,
      type: 'invalid-response',
    });
  }
  const event = { ...json } as unknown as Event;
  event.actions = actionsOf(json.actions);
  if (typeof event.invocationId !== 'string') event.invocationId = '';
  return event;
}

/**
 * Stored actions with ADK's defaults filled in, as `createEventActions` gives them (a test holds the
 * two equal). Built inline because `createEventActions` costs about 1 µs per call, as much as
 * parsing the event it belongs to, and a session read decodes every event.
 */
export function actionsOf(stored: unknown): Event['actions'] {
  const a = isRecord(stored) ? (stored as Partial<Event['actions']>) : {};
  return {
    ...a,
    stateDelta: a.stateDelta ?? {},
    artifactDelta: a.artifactDelta ?? {},
    requestedAuthConfigs: a.requestedAuthConfigs ?? {},
    requestedToolConfirmations: a.requestedToolConfirmations ?? {},
  };
}

/**
 * The readable text of an event's content (text, tool calls and results, attachments), or
 * undefined when it has none, such as a state-only event or an ADK compaction record.
 */
export function conversationText(event: Event): string | undefined {
  if (isCompactedEvent(event)) return undefined;
  const lines: string[] = [];
  for (const part of event.content?.parts ?? []) {
    if (typeof part.text === 'string' && part.text.trim() && !part.thought) lines.push(part.text);
    else if (part.functionCall) lines.push(`[call ${part.functionCall.name ?? 'function'}(${compact(part.functionCall.args)})]`);
    else if (part.functionResponse) lines.push(`[result of ${part.functionResponse.name ?? 'function'}: ${compact(part.functionResponse.response)}]`);
    else if (part.inlineData) lines.push(`[${part.inlineData.mimeType ?? 'binary'} attachment]`);
    else if (part.fileData) lines.push(`[file ${part.fileData.fileUri ?? ''}]`.trim());
  }
  return lines.length ? lines.join('\n') : undefined;
}

/**
 * The readable text written to the backend's text field, so that summarisation, extraction and
 * search on the server see the conversation. Never empty: a backend may refuse blank content.
 */
export function renderText(event: Event): string {
  const text = conversationText(event);
  if (text !== undefined) return text;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an event from a JavaScript caller may come without actions
  if (event.actions?.transferToAgent) return `[transfer to ${event.actions.transferToAgent}]`;
  if (event.errorMessage) return `[error: ${event.errorMessage}]`;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- as above, and a stored event may lack stateDelta
  if (event.actions && Object.keys(event.actions.stateDelta ?? {}).length) return '[state update]';
  return `[${event.author ?? 'event'}]`;
}

/** A text-only ADK event for a message another client stored (no ADK metadata to restore). */
export function textEvent(m: { id: string; fromUser: boolean; author: string; timestamp: number; text: string }): Event {
  return createEvent({
    id: m.id,
    invocationId: '',
    author: m.fromUser ? 'user' : m.author,
    timestamp: m.timestamp,
    content: { role: m.fromUser ? 'user' : 'model', parts: [{ text: m.text }] },
  });
}

/** The conversational text alone (no placeholders), for memories; empty when the event has none. */
export function plainText(event: Event): string {
  return (event.content?.parts ?? [])
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text!.trim())
    .filter(Boolean)
    .join('\n');
}

function compact(value: unknown): string {
  if (value === undefined) return '';
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify returns undefined for undefined and functions, whatever its type says
  const text = JSON.stringify(value) ?? '';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Whether the event was written by the end user (vs an agent or tool). */
export function isUserAuthored(event: Event): boolean {
  return event.author === 'user';
}

/**
 * Orders events as stored and removes replays: a retried append whose first response was lost
 * leaves two records with the same ADK event id. The first position is kept, with the newest
 * content (an append of an existing id updates it, as ADK's database service does).
 */
export function dedupeEvents(events: Event[]): Event[] {
  const index = new Map<string, number>();
  const out: Event[] = [];
  for (const e of events) {
    const at = index.get(e.id);
    if (at === undefined) {
      index.set(e.id, out.length);
      out.push(e);
    } else {
      out[at] = e;
    }
  }
  return out;
}

/**
 * Whether an event's time is after getSession's `afterTimestamp`, as DatabaseSessionService
 * decides it: strictly after, in whole milliseconds (it compares Dates, which drop a fraction), so
 * an event at 1000.25 is not after 1000. InMemorySessionService keeps an event at that very time.
 */
export function isAfter(timestamp: number, afterTimestamp: number): boolean {
  return Math.floor(timestamp) > Math.floor(afterTimestamp);
}

/** Applies getSession's `afterTimestamp` and `numRecentEvents` (filter first, then keep the last n). */
export function selectEvents(events: Event[], config: { numRecentEvents?: number | undefined; afterTimestamp?: number | undefined } | undefined): Event[] {
  let out = events;
  if (config?.afterTimestamp) out = out.filter((e) => isAfter(e.timestamp, config.afterTimestamp!));
  // 0 keeps none, as DatabaseSessionService (InMemorySessionService reads 0 as no limit).
  if (config?.numRecentEvents !== undefined) out = config.numRecentEvents === 0 ? [] : out.slice(-config.numRecentEvents);
  return out;
}
