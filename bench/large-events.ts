// Large events for both bench modes: tool results carrying a fetched page, appended one after
// another to one session, measured as the 1st, 10th, 30th and 100th such event.
import { createEvent, type Event } from '@google/adk';

/** Bytes of the page each tool result carries. */
export const LARGE_EVENT_BYTES = 400_000;
/** The appends that are measured (1-based: the n-th large event of the session). */
export const LARGE_MEASURED = [1, 10, 30, 100] as const;

const PAGE = 'The athlete fetched a training plan page with paces, splits and recovery notes. ';

/** The i-th tool result: a function response carrying a 400 kB page of words. */
export function largeToolResult(id: string, i: number): Event {
  const page = `${i}: ${PAGE.repeat(Math.ceil(LARGE_EVENT_BYTES / PAGE.length))}`.slice(0, LARGE_EVENT_BYTES);
  return createEvent({
    id,
    invocationId: `inv-large-${i}`,
    author: 'coach',
    timestamp: Date.now(),
    content: { role: 'user', parts: [{ functionResponse: { id: `call-${i}`, name: 'fetch_page', response: { page } } }] },
  });
}

/** Bytes of an event as JSON (what an append has to send at the least). */
export const eventBytes = (e: Event) => Buffer.byteLength(JSON.stringify(e));
