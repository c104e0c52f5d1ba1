// The events the real-server benches append: a conversation message and a tool call with its result.
import { randomUUID } from 'node:crypto';
import { createEvent, type Event } from '@google/adk';

/** Message `i` of a conversation, from the user or from the coach agent. */
export const message = (i: number, fromUser: boolean): Event =>
  createEvent({
    id: `e-${randomUUID()}`,
    invocationId: `inv-${i}`,
    author: fromUser ? 'user' : 'coach',
    timestamp: Date.now(),
    content: { role: fromUser ? 'user' : 'model', parts: [{ text: `Message ${i}: the athlete logged a steady tempo run and asked about recovery` }] },
  });

/** The coach's call of `log_run` and its response, as two events. */
export const toolPair = (i: number): Event[] => [
  createEvent({
    id: `e-${randomUUID()}`,
    invocationId: `inv-${i}`,
    author: 'coach',
    timestamp: Date.now(),
    content: { role: 'model', parts: [{ functionCall: { id: `c-${i}`, name: 'log_run', args: { km: i } } }] },
  }),
  createEvent({
    id: `e-${randomUUID()}`,
    invocationId: `inv-${i}`,
    author: 'coach',
    timestamp: Date.now(),
    content: { role: 'user', parts: [{ functionResponse: { id: `c-${i}`, name: 'log_run', response: { logged_km: i } } }] },
  }),
];
