// Child process for the concurrency test: appends WORKER_COUNT events to one session as fast as
// it can, from a copy of the session loaded once, and prints which appends resolved or rejected.
import { createEvent } from '@google/adk';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';

const config = JSON.parse(process.env.WORKER_CONFIG!);
const [appName, userId, sessionId] = JSON.parse(process.env.WORKER_SCOPE!) as [string, string, string];
const tag = process.env.WORKER_TAG!;
const count = Number(process.env.WORKER_COUNT ?? 200);
// Every LARGE_EVERY-th event carries LARGE_BYTES of text (0: none), for sessions that mix sizes.
const largeEvery = Number(process.env.WORKER_LARGE_EVERY ?? 0);
const largeBytes = Number(process.env.WORKER_LARGE_BYTES ?? 0);

const svc = new RedisSessionMemoryService(config);
const resolved: string[] = [];
const rejected: string[] = [];
const session = (await svc.getSession({ appName, userId, sessionId }))!;
for (let i = 0; i < count; i++) {
  const id = `${tag}-${String(i).padStart(4, '0')}`;
  // Words, as a fetched page has: tokenisers take a run of one character in quadratic time.
  const text = largeEvery && i % largeEvery === largeEvery - 1 ? `${id} ${'page text '.repeat(Math.ceil(largeBytes / 10))}`.slice(0, largeBytes) : id;
  const event = createEvent({ id, author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text }] } });
  try {
    await svc.appendEvent({ session, event });
    resolved.push(id);
  } catch {
    rejected.push(id);
  }
}
process.stdout.write(JSON.stringify({ resolved, rejected }));
