// The distance table of `npm run bench -- --latency N`: every service operation against reference
// servers that delay each response by N ms, reported as sequential round trips (wall ÷ N) next to
// the minimum the API allows for that operation and the requests sent.
import { performance } from 'node:perf_hooks';
import { createEvent, type Event } from '@google/adk';
import { mapLimit } from '../src/codec/concurrency.js';
import { LARGE_MEASURED, largeToolResult } from './large-events.js';
import { RedisLongTermMemoryService } from '../src/services/memory-service.js';
import { RedisSessionMemoryService, type RedisSessionMemoryServiceConfig } from '../src/services/session-service.js';

type Backend = 'redis-agent-memory' | 'opensource-agent-memory';

export interface DistanceRow {
  backend: Backend;
  operation: string;
  wallMs: number;
  roundTrips: number;
  minimum: number;
  why: string;
  requests: number;
  /** The longest chain of requests each sent after the previous one answered: round trips without CPU time. */
  chain: number;
}

/** The fewest sequential round trips each API allows, and why. */
const MINIMUM: Record<Backend, Record<string, [number, string]>> = {
  'redis-agent-memory': {
    createSession: [2, "no conditional create: append the marker, then read it back to know the session is new and this scope's"],
    appendEvent: [
      2,
      'AddSessionEvent creates a session that does not exist and has no conditional form: a GET of one record of the session this instance has seen (of the session where it has seen none) shows it exists, then the POST (app:/user: state POSTs beside it)',
    ],
    'appendEvent (no text)': [2, 'as appendEvent: a GET of a record of the session, then the POST'],
    'appendEvent (large)': [2, 'as appendEvent: a GET of a record of the session, then one atomic POST of the event'],
    getSession: [1, 'session, app state and user state are independent GETs'],
    listSessions: [2, "the owner listing returns ids only; each session's GET gives its app, last update and state; app and user state beside the listing"],
    addMemory: [1, 'one bulk POST'],
    searchMemory: [1, 'one search POST'],
    addSessionToMemory: [1, 'one bulk POST (up to 100 records)'],
  },
  'opensource-agent-memory': {
    createSession: [
      2,
      'no compare-and-set: write a creation record of its own, then list the records (the first written wins); the working memory is read beside the first and created beside the second',
    ],
    appendEvent: [
      2,
      "no compare-and-set or append: the working memory is written from a copy read right before, which also shows the session exists (GET, then PUT ∥ PUT of the writer's journal ∥ app:/user: state)",
    ],
    'appendEvent (no text)': [
      1,
      "the writer's journal PUT goes beside a GET of the working memory's latest message, which shows the session is there, without a TTL, and no other client's message came last (else a second round trip writes the conversation); the event's line waits for the next conversation write",
    ],
    getSession: [2, 'writer documents are known only after listing the journal; then all GETs together'],
    'appendEvent (large)': [1, 'as a text-free append (a tool result adds no text); the journal PUT carries the event and at most one 64 KiB document'],
    listSessions: [
      3,
      "the listing returns ids only; each session's working memory (app, last update) and journal listing, then its journal documents (state); app and user state beside the listing",
    ],
    addMemory: [
      2,
      'the server answers before it indexes, and can then lose the records with nothing said: one POST, then the records read back by id, all at once (confirmIndexed)',
    ],
    searchMemory: [
      1,
      "one round trip: the fused search's two POSTs (by meaning, five times as deep as the answer; by keyword, three times) and the customMetadata journal's listing go side by side",
    ],
    addSessionToMemory: [2, 'one POST, then its new records read back by id, all at once (confirmIndexed: records seen indexed before are not read again)'],
  },
};

const ITERATIONS = 5;
const say = (id: string, i: number): Event =>
  createEvent({
    id,
    invocationId: `inv-${i}`,
    author: i % 2 ? 'coach' : 'user',
    timestamp: Date.now() + i,
    content: { role: i % 2 ? 'model' : 'user', parts: [{ text: `Turn ${i}: a steady tempo run, then recovery.` }] },
  });

/** The longest sequence of requests in which each started after the one before it had answered. */
function longestChain(spans: [number, number][]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const depth: number[] = [];
  sorted.forEach(([start], i) => {
    depth[i] = 1 + Math.max(0, ...sorted.slice(0, i).map(([, end], j) => (end <= start ? depth[j]! : 0)));
  });
  return Math.max(0, ...depth);
}

export async function distance(
  configFor: (backend: Backend, fetch: (req: Request) => Promise<Response>) => RedisSessionMemoryServiceConfig,
  latencyMs: number,
): Promise<DistanceRow[]> {
  const rows: DistanceRow[] = [];
  for (const backend of ['redis-agent-memory', 'opensource-agent-memory'] as const) {
    let spans: [number, number][] = [];
    const counting = async (req: Request) => {
      const span: [number, number] = [performance.now(), Infinity];
      spans.push(span);
      try {
        return await fetch(req);
      } finally {
        span[1] = performance.now();
      }
    };
    const sessions = new RedisSessionMemoryService(configFor(backend, counting));
    const memory = new RedisLongTermMemoryService(configFor(backend, counting));
    const app = `distance-${Date.now()}`;
    const user = 'runner';
    /** Median wall time of a few runs; the requests of the last run. */
    const time = async (operation: string, label: string, run: (i: number) => Promise<unknown>) => {
      await run(-1);
      const walls: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        spans = [];
        const t = performance.now();
        await run(i);
        walls.push(performance.now() - t);
      }
      const wallMs = walls.sort((a, b) => a - b)[Math.floor(ITERATIONS / 2)]!;
      const [minimum, why] = MINIMUM[backend][operation]!;
      rows.push({
        backend,
        operation: label,
        wallMs,
        roundTrips: Math.round(wallMs / latencyMs),
        minimum,
        why,
        requests: spans.length,
        chain: longestChain(spans),
      });
      process.stdout.write('.');
    };
    /** A session of n events written by 10 instances at once (seeding at distance one by one would take minutes). */
    const seed = async (sessionId: string, n: number) => {
      const writers = Array.from({ length: 10 }, () => new RedisSessionMemoryService(configFor(backend, fetch)));
      const s = await writers[0]!.createSession({ appName: app, userId: user, sessionId });
      await mapLimit(writers, 10, async (w) => {
        const k = writers.indexOf(w);
        for (let i = k; i < n; i += writers.length) await w.appendEvent({ session: s, event: say(`${sessionId}-${i}`, i) });
      });
    };

    await time('createSession', 'createSession', (i) => sessions.createSession({ appName: app, userId: user, sessionId: `c${i + 1}` }));
    const appendTo = await sessions.createSession({ appName: app, userId: user, sessionId: 'append' });
    for (let i = 0; i < 10; i++) await sessions.appendEvent({ session: appendTo, event: say(`a${i}`, i) });
    await time('appendEvent', 'appendEvent', (i) => sessions.appendEvent({ session: appendTo, event: say(`b${i + 1}`, 20 + i) }));
    await time('appendEvent (no text)', 'appendEvent (a tool call: adds no text)', (i) =>
      sessions.appendEvent({
        session: appendTo,
        event: createEvent({
          id: `t${i + 1}`,
          invocationId: `inv-t${i}`,
          author: 'coach',
          timestamp: Date.now() + 30 + i,
          content: { role: 'model', parts: [{ functionCall: { id: `t${i + 1}`, name: 'log_run', args: { km: 5 } } }] },
        }),
      }),
    );
    await time('appendEvent', 'appendEvent (app: and user: state)', (i) =>
      sessions.appendEvent({
        session: appendTo,
        event: { ...say(`s${i + 1}`, 40 + i), actions: { ...say('x', 0).actions, stateDelta: { 'app:round': i, 'user:round': i, round: i } } },
      }),
    );
    // A session this instance has not seen: it finds the session first.
    let unseen = 0;
    await time('appendEvent', 'appendEvent (a session this instance has not read)', async (i) => {
      const other = new RedisSessionMemoryService(configFor(backend, counting));
      await other.appendEvent({ session: { ...appendTo, events: [] }, event: say(`u${++unseen}`, 60 + i) });
    });
    await seed('ten', 10);
    await time('getSession', 'getSession (10 events)', () => sessions.getSession({ appName: app, userId: user, sessionId: 'ten' }));
    await seed('thousand', 1000);
    await time('getSession', 'getSession (1000 events)', () => sessions.getSession({ appName: app, userId: user, sessionId: 'thousand' }));
    await mapLimit(
      Array.from({ length: 100 }, (_, i) => i),
      25,
      (i) => sessions.createSession({ appName: app, userId: 'lister', sessionId: `l${i}` }),
    );
    await time('listSessions', 'listSessions (100 sessions of the user)', () => sessions.listSessions({ appName: app, userId: 'lister' }));
    await time('addMemory', 'addMemory', (i) =>
      memory.addMemory({ appName: app, userId: user, memories: [{ content: { parts: [{ text: `Fact ${i}: likes hill repeats` }] } }] }),
    );
    await time('searchMemory', 'searchMemory', () => memory.searchMemory({ appName: app, userId: user, query: 'hill repeats' }));
    await seed('fifty', 50);
    const fifty = (await sessions.getSession({ appName: app, userId: user, sessionId: 'fifty' }))!;
    await time('addSessionToMemory', 'addSessionToMemory (50 events)', () => memory.addSessionToMemory(fifty));
    // 400 kB tool results: each measured append is the n-th of its own session (so each run is the
    // same n), by the instance that created and filled the session, as in a Runner.
    const large = sessions;
    const filled = await Promise.all(
      Array.from({ length: ITERATIONS + 1 }, async (_, r) => {
        const s = await large.createSession({ appName: app, userId: user, sessionId: `large-${r}` });
        return { s, appended: 0 };
      }),
    );
    for (const n of LARGE_MEASURED) {
      // Every session gets its first n - 1 large events without measuring, in parallel.
      await mapLimit(filled, filled.length, async (f) => {
        while (f.appended < n - 1) await large.appendEvent({ session: f.s, event: largeToolResult(`${f.s.id}-${++f.appended}`, f.appended) });
      });
      await time('appendEvent (large)', `appendEvent (400 kB tool result, ${n}${n === 1 ? 'st' : 'th'})`, (i) => {
        const f = filled[i + 1]!;
        return sessions.appendEvent({ session: f.s, event: largeToolResult(`${f.s.id}-${++f.appended}`, f.appended) });
      });
    }
    await time('getSession', `getSession (${LARGE_MEASURED.at(-1)} × 400 kB tool results)`, () =>
      sessions.getSession({ appName: app, userId: user, sessionId: 'large-1' }),
    );
  }
  return rows;
}
