// Child process for the create race: says "ready" (on stderr) once it is loaded, waits for "go" on
// stdin, then calls createSession or getOrCreateSession once with its own initial state, and prints
// the outcome.
import { createInterface } from 'node:readline';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { delayedFetch } from './delayed-fetch.js';

const config = JSON.parse(process.env.WORKER_CONFIG!);
const [appName, userId, sessionId] = JSON.parse(process.env.WORKER_SCOPE!) as [string, string, string];
const replica = process.env.WORKER_TAG!;
const mode = process.env.WORKER_MODE as 'createSession' | 'getOrCreateSession';
const svc = new RedisSessionMemoryService({ ...config, fetch: delayedFetch(Number(process.env.WORKER_DELAY_MS ?? 10)) });
const go = new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
process.stderr.write('ready\n');
await go;
try {
  const s = await svc[mode]({ appName, userId, sessionId, state: { replica } });
  process.stdout.write(JSON.stringify({ ok: true, state: s.state, events: s.events.map((e) => e.id) }));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).constructor.name }));
}
