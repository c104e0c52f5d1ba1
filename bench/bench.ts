// npm run bench — SDK overhead against the raw HTTP floor, and how cost grows with sessions.
// The reference servers run in a separate process on loopback; results go to stdout and
// bench/results.json. This is a measurement script, not a test: it asserts nothing.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEvent, type Event } from '@google/adk';
import { SEGMENT_ITEMS, closedDocuments, documentId } from '../src/backends/ams-journal.js';
import { amsKeys } from '../src/backends/ams-sessions.js';
import { toMessage } from '../src/backends/ams-view.js';
import { ramIds } from '../src/backends/ram-sessions.js';
import { ENVELOPE_VERSION, eventToJson, renderText } from '../src/codec/events.js';
import { mapLimit } from '../src/codec/concurrency.js';
import { clientWork } from './client-work.js';
import { distance } from './distance.js';
import { loadBench, printLoad } from './load.js';
import { printReal, realBench, realTurnsBench } from './real.js';
import { printRequestClasses } from './request-classes.js';
import { printTurns } from './turns.js';
import { printRecall, recallBench } from './recall/run.js';
import { printTelemetry, telemetryOverhead } from './telemetry.js';
import { meteringFetch, newMeter, type Meter } from './meter.js';
import { LARGE_MEASURED, eventBytes, largeToolResult } from './large-events.js';
import { capturingFetch, generatedCheck, timeValidation, type CapturedBody, type ValidationRow } from './validation.js';
import { memoryIds } from '../src/codec/memory.js';
import { RedisLongTermMemoryService } from '../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../src/services/session-service.js';
import { writeCharts } from './charts.js';

type Backend = 'redis-agent-memory' | 'opensource-agent-memory';
const here = path.dirname(fileURLToPath(import.meta.url));
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 400);
const WARMUP = 20;
const APP = 'bench-app';
const latencyArg = process.argv.indexOf('--latency');
const LATENCY_MS = latencyArg >= 0 ? Number(process.argv[latencyArg + 1]) : 0;
if (!Number.isFinite(LATENCY_MS) || LATENCY_MS < 0) throw new Error('--latency takes a number of milliseconds');

// ---------------------------------------------------------------- servers (separate process)
const child = spawn(path.join(here, '..', 'node_modules', '.bin', 'tsx'), [path.join(here, 'servers.ts'), String(LATENCY_MS)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const info = await new Promise<{ ram: { url: string; apiKey: string; storeId: string }; ams: { url: string } }>((resolve) => {
  createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
});
const stopServers = () => child.stdin.end();

// ---------------------------------------------------------------- metering fetch
let meter: Meter | undefined;
const meteredFetch = meteringFetch(() => meter);
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; meter: Meter }> {
  meter = newMeter();
  try {
    const result = await work();
    return { result, meter };
  } finally {
    meter = undefined;
  }
}

// ---------------------------------------------------------------- raw HTTP floor
function rawClient(base: string, apiKey?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return async (method: string, p: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(base + p, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
}

const text = (i: number) => `Message ${i}: ${'the athlete logged a steady tempo run and asked about recovery '.repeat(3)}`;
const makeEvent = (id: string, i: number): Event =>
  createEvent({
    id,
    invocationId: `inv-${i}`,
    author: i % 2 ? 'coach' : 'user',
    timestamp: Date.now(),
    content: { role: i % 2 ? 'model' : 'user', parts: [{ text: text(i) }] },
  });

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p95: q(0.95) };
}

interface Row {
  backend: Backend;
  operation: string;
  sdkMedianMs: number;
  sdkP95Ms: number;
  rawMedianMs: number;
  rawP95Ms: number;
  ratio: number;
  rawSequence: string;
}

/** Interleaves SDK and raw calls (alternating which goes first) and compares their latencies. */
async function compare(
  backend: Backend,
  operation: string,
  rawSequence: string,
  sdk: (i: number) => Promise<unknown>,
  raw: (i: number) => Promise<unknown>,
  iterations = ITERATIONS,
): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) {
    await sdk(-1 - i);
    await raw(-1 - i);
  }
  const a: number[] = [];
  const b: number[] = [];
  const time = async (f: () => Promise<unknown>, into: number[]) => {
    const t = performance.now();
    await f();
    into.push(performance.now() - t);
  };
  for (let i = 0; i < iterations; i++) {
    if (i % 2) {
      await time(() => sdk(i), a);
      await time(() => raw(i), b);
    } else {
      await time(() => raw(i), b);
      await time(() => sdk(i), a);
    }
  }
  const s = stats(a);
  const r = stats(b);
  process.stdout.write('.');
  return { backend, operation, sdkMedianMs: s.median, sdkP95Ms: s.p95, rawMedianMs: r.median, rawP95Ms: r.p95, ratio: s.median / r.median, rawSequence };
}

// ---------------------------------------------------------------- per-backend scenarios
async function latency(backend: Backend): Promise<Row[]> {
  const isRam = backend === 'redis-agent-memory';
  // Default transport (no custom fetch), exactly as a user's service would be configured.
  const cfg = isRam ? { backend, apiBaseUrl: info.ram.url, apiKey: info.ram.apiKey, storeId: info.ram.storeId } : { backend, apiBaseUrl: info.ams.url };
  const sessions = new RedisSessionMemoryService(cfg);
  const memory = new RedisLongTermMemoryService(cfg);
  const raw = isRam ? rawClient(`${info.ram.url}/v1/stores/${info.ram.storeId}`, info.ram.apiKey) : rawClient(info.ams.url);
  const run = `${Date.now()}`;
  const user = 'bench-user';
  const scope = (sessionId: string) => ({ namespace: APP, appName: APP, userId: user, sessionId });
  const rows: Row[] = [];
  const writerId = `w-raw-${run}`;
  /**
   * Reads an Agent Memory Server journal as a reader that keeps what cannot change: one list, then
   * one GET per document it has not kept (a writer's documents it moved past, and creation records
   * without expiry, are kept once read).
   */
  const kept = new Set<string>();
  const rawJournal = async (key: { namespace: string }) => {
    const list = (await raw('GET', `/v1/working-memory/?namespace=${key.namespace}&limit=100&offset=0`)).json as { sessions: string[] };
    const closed = closedDocuments(list.sessions);
    await Promise.all(
      list.sessions
        .filter((id) => !kept.has(`${key.namespace}\n${id}`))
        .map(async (id) => {
          const doc = (await raw('GET', `/v1/working-memory/${id}?namespace=${key.namespace}`)).json as { data?: { expiresAt?: number } };
          if (closed.has(id) || (id.startsWith('c-') && doc.data?.expiresAt === undefined)) kept.add(`${key.namespace}\n${id}`);
        }),
    );
  };
  const native = (sc: ReturnType<typeof scope>) => `/v1/working-memory/${encodeURIComponent(sc.sessionId)}?namespace=${APP}&user_id=${user}`;

  // createSession
  rows.push(
    await compare(
      backend,
      'createSession',
      isRam
        ? 'POST marker ∥ GET users registry ∥ GET app state ∥ GET user state, then GET session (verify)'
        : 'GET session ∥ PUT creation record ∥ (list + GET) × {app, user} state journals, then list the records ∥ PUT session ∥ PUT user registry',
      (i) => sessions.createSession({ appName: APP, userId: user, sessionId: `sdk-${run}-${i}` }),
      async (i) => {
        const sc = scope(`raw-${run}-${i}`);
        if (isRam) {
          const id = ramIds.session(sc);
          const now = new Date().toISOString();
          await Promise.all([
            raw('POST', '/session-memory/events', {
              sessionId: id,
              actorId: user,
              namespace: APP,
              role: 'SYSTEM',
              createdAt: now,
              content: [{ text: '[session created]' }],
              metadata: {
                adk: {
                  v: 1,
                  kind: 'session',
                  namespace: APP,
                  appName: APP,
                  userId: user,
                  sessionId: sc.sessionId,
                  createdAt: Date.now(),
                  nonce: `${run}-${i}`,
                  state: {},
                },
              },
            }),
            raw('GET', `/session-memory/${ramIds.users(APP, APP)}?includeSummarisedEvents=true`),
            raw('GET', `/session-memory/${ramIds.appState(APP, APP)}?includeSummarisedEvents=true`),
            raw('GET', `/session-memory/${ramIds.userState(APP, APP, user)}?includeSummarisedEvents=true`),
          ]);
          await raw('GET', `/session-memory/${id}`);
        } else {
          const j = amsKeys.journal(sc);
          const record = `c-${run}-${i}`;
          await Promise.all([
            raw('GET', native(sc)),
            raw('PUT', `/v1/working-memory/${record}`, {
              messages: [],
              data: { adk: { v: 1, kind: 'creation', appName: APP, userId: user, sessionId: sc.sessionId, createdAt: Date.now(), state: {} } },
              namespace: j.namespace,
            }),
            rawJournal(amsKeys.appState(APP, APP)),
            rawJournal(amsKeys.userState(APP, APP, user)),
          ]);
          await Promise.all([
            raw('GET', `/v1/working-memory/?namespace=${j.namespace}&limit=100&offset=0`),
            raw('PUT', `/v1/working-memory/${encodeURIComponent(sc.sessionId)}`, {
              messages: [],
              data: { adk: { v: 1, appName: APP, lastUpdateTime: Date.now(), creation: record } },
              namespace: APP,
              user_id: user,
            }),
            raw('PUT', `/v1/working-memory/${user}`, {
              messages: [],
              data: { adk: { v: 1, kind: 'user', userId: user } },
              namespace: amsKeys.users(APP).namespace,
            }),
          ]);
        }
      },
    ),
  );

  // appendEvent: both sides append to their own session of the same length
  const sdkSession = await sessions.createSession({ appName: APP, userId: user, sessionId: `append-sdk-${run}` });
  const rawScope = scope(`append-raw-${run}`);
  await sessions.createSession({ appName: APP, userId: user, sessionId: rawScope.sessionId });
  const rawEvents: unknown[] = [];
  let rawSegment = 0;
  let n = 0;
  rows.push(
    await compare(
      backend,
      'appendEvent',
      isRam
        ? 'POST event'
        : "GET the working memory, then PUT the writer's journal document (≤ 100 events, ≤ 64 KiB) ∥ PUT the working memory read plus the message",
      () => sessions.appendEvent({ session: sdkSession, event: makeEvent(`s-${++n}`, n) }),
      async () => {
        const e = makeEvent(`r-${++n}`, n);
        const json = eventToJson(e, 'bench');
        if (isRam) {
          await raw('POST', '/session-memory/events', {
            sessionId: ramIds.session(rawScope),
            actorId: e.author === 'user' ? user : e.author,
            namespace: APP,
            role: e.author === 'user' ? 'USER' : 'ASSISTANT',
            content: [{ text: renderText(e) }],
            createdAt: new Date(e.timestamp).toISOString(),
            metadata: {
              adk: { v: ENVELOPE_VERSION, kind: 'event', namespace: APP, appName: APP, userId: user, sessionId: rawScope.sessionId, event: json, state: {} },
            },
          });
        } else {
          // The same bounded documents as the SDK writes: a new one every SEGMENT_ITEMS events.
          if (rawEvents.length === SEGMENT_ITEMS) {
            rawEvents.length = 0;
            rawSegment++;
          }
          rawEvents.push(json);
          const j = amsKeys.journal(rawScope);
          // No compare-and-set: the working memory is written from the copy just read.
          const fresh = (await raw('GET', native(rawScope))).json as { messages: unknown[]; data: Record<string, unknown> };
          const messages = [...fresh.messages, toMessage(e)];
          await Promise.all([
            raw('PUT', `/v1/working-memory/${documentId(writerId, rawSegment)}`, {
              messages: [],
              data: { adk: { v: 1, kind: 'events', events: rawEvents } },
              namespace: j.namespace,
            }),
            raw('PUT', `/v1/working-memory/${encodeURIComponent(rawScope.sessionId)}`, {
              messages,
              data: { ...fresh.data, adk: { v: 1, appName: APP, lastUpdateTime: e.timestamp, ids: messages.map((m) => (m as { id: string }).id) } },
              namespace: APP,
              user_id: user,
            }),
          ]);
        }
      },
    ),
  );

  // getSession on a 20-event session
  const readScope = scope(`read-${run}`);
  const readSession = await sessions.createSession({ appName: APP, userId: user, sessionId: readScope.sessionId });
  for (let i = 0; i < 20; i++) await sessions.appendEvent({ session: readSession, event: makeEvent(`read-${i}`, i) });
  /** The raw reads a getSession needs, all independent: the session, app state and user state. */
  const rawReadOf = (sc: ReturnType<typeof scope>) => async () => {
    if (isRam) {
      await Promise.all([
        raw('GET', `/session-memory/${ramIds.session(sc)}?includeSummarisedEvents=true`),
        raw('GET', `/session-memory/${ramIds.appState(APP, APP)}?includeSummarisedEvents=true`),
        raw('GET', `/session-memory/${ramIds.userState(APP, APP, user)}?includeSummarisedEvents=true`),
      ]);
    } else {
      const j = amsKeys.journal(sc);
      await Promise.all([raw('GET', native(sc)), rawJournal(j), rawJournal(amsKeys.appState(APP, APP)), rawJournal(amsKeys.userState(APP, APP, user))]);
    }
  };
  const rawRead = rawReadOf(readScope);
  const readSeq = isRam ? 'GET session ∥ GET app state ∥ GET user state' : 'GET session ∥ (list + GET) × {session, app state, user state} journals';
  // Read by another instance than the writer (a replica), as the raw floor reads: the writer's open document is read on both sides.
  const reader = new RedisSessionMemoryService(cfg);
  rows.push(await compare(backend, 'getSession', readSeq, () => reader.getSession({ appName: APP, userId: user, sessionId: readScope.sessionId }), rawRead));
  rows.push(
    await compare(
      backend,
      'getSession(numRecentEvents: 10)',
      readSeq,
      () => reader.getSession({ appName: APP, userId: user, sessionId: readScope.sessionId, config: { numRecentEvents: 10 } }),
      rawRead,
    ),
  );

  // getSession on a 1000-event session: what grows with the session is parsing, checking and decoding
  const bigScope = scope(`big-${run}`);
  const bigSession = await sessions.createSession({ appName: APP, userId: user, sessionId: bigScope.sessionId });
  for (let i = 0; i < 1000; i++) await sessions.appendEvent({ session: bigSession, event: makeEvent(`big-${i}`, i) });
  const rawBig = rawReadOf(bigScope);
  rows.push(
    await compare(
      backend,
      'getSession (1000 events)',
      readSeq,
      () => reader.getSession({ appName: APP, userId: user, sessionId: bigScope.sessionId }),
      rawBig,
      Math.ceil(ITERATIONS / 4),
    ),
  );

  // listSessions for a user with 10 sessions
  const lister = `lister-${run}`;
  for (let i = 0; i < 10; i++) await sessions.createSession({ appName: APP, userId: lister, sessionId: `l-${i}` });
  rows.push(
    await compare(
      backend,
      'listSessions',
      isRam
        ? 'GET list?filterOwnerId ∥ GET app state ∥ GET user state, then GET each session'
        : 'GET list?namespace&user_id ∥ (list + GET) × {app, user} state journals, then GET each working memory ∥ (list + GET) its journal',
      () => sessions.listSessions({ appName: APP, userId: lister }),
      async () => {
        if (isRam) {
          const list = async () => {
            const ids = (await raw('GET', `/session-memory?filterOwnerId=${lister}&limit=1000`)).json as { items: string[] };
            await Promise.all(ids.items.map((id) => raw('GET', `/session-memory/${id}`)));
          };
          await Promise.all([
            list(),
            raw('GET', `/session-memory/${ramIds.appState(APP, APP)}?includeSummarisedEvents=true`),
            raw('GET', `/session-memory/${ramIds.userState(APP, APP, lister)}?includeSummarisedEvents=true`),
          ]);
        } else {
          // Each session's working memory and journal (its state), and the app's and the user's state beside the listing.
          const list = async () => {
            const ids = (await raw('GET', `/v1/working-memory/?namespace=${APP}&user_id=${lister}&limit=100&offset=0`)).json as { sessions: string[] };
            await Promise.all(
              ids.sessions.flatMap((id) => [
                raw('GET', `/v1/working-memory/${encodeURIComponent(id)}?namespace=${APP}&user_id=${lister}`),
                rawJournal(amsKeys.journal({ namespace: APP, appName: APP, userId: lister, sessionId: id })),
              ]),
            );
          };
          await Promise.all([list(), rawJournal(amsKeys.appState(APP, APP)), rawJournal(amsKeys.userState(APP, APP, lister))]);
        }
      },
    ),
  );

  // addMemory and searchMemory
  const mscope = { namespace: APP, appName: APP, userId: user };
  rows.push(
    await compare(
      backend,
      'addMemory',
      isRam ? 'POST bulk create (1 record)' : 'POST long-term memory (1 record)',
      (i) => memory.addMemory({ appName: APP, userId: user, memories: [{ content: { parts: [{ text: `SDK fact ${run} ${i}: user likes tempo runs` }] } }] }),
      async (i) => {
        const t = `Raw fact ${run} ${i}: user likes tempo runs`;
        const id = memoryIds.fromContent(mscope, 'semantic', t);
        if (isRam) await raw('POST', '/long-term-memory', { memories: [{ id, text: t, memoryType: 'semantic', ownerId: user, namespace: APP }] });
        else
          await raw('POST', '/v1/long-term-memory/', {
            memories: [{ id, text: t, user_id: user, namespace: APP, memory_type: 'semantic' }],
            deduplicate: false,
          });
      },
    ),
  );
  rows.push(
    await compare(
      backend,
      'searchMemory',
      isRam ? 'POST search (owner + namespace filter)' : 'POST search (user_id + namespace filter)',
      () => memory.searchMemory({ appName: APP, userId: user, query: 'what runs does the user like?' }),
      async () => {
        if (isRam)
          await raw('POST', '/long-term-memory/search', {
            text: 'what runs does the user like?',
            limit: 10,
            filter: { ownerId: { eq: user }, namespace: { eq: APP } },
            filterOp: 'all',
          });
        else
          // The default (fused) search's one request: by meaning, five times as deep as the answer of 10.
          await raw('POST', '/v1/long-term-memory/search', {
            text: 'what runs does the user like?',
            search_mode: 'semantic',
            user_id: { eq: user },
            namespace: { eq: APP },
            limit: 50,
          });
      },
    ),
  );
  return rows;
}

async function growth(backend: Backend) {
  const isRam = backend === 'redis-agent-memory';
  const cfg = isRam
    ? { backend, apiBaseUrl: info.ram.url, apiKey: info.ram.apiKey, storeId: info.ram.storeId, fetch: meteredFetch }
    : { backend, apiBaseUrl: info.ams.url, fetch: meteredFetch };
  const sessions = new RedisSessionMemoryService(cfg);
  const user = `grow-${Date.now()}`;
  const appends: { sessionLength: number; requests: number; requestBytes: number; responseBytes: number; calls: string[] }[] = [];
  const validation: (ValidationRow & { sessionLength: number })[] = [];
  const s = await sessions.createSession({ appName: APP, userId: user, sessionId: 'grow' });
  let count = 0;
  for (const length of [10, 100, 1000]) {
    while (count < length - 1) await sessions.appendEvent({ session: s, event: makeEvent(`g-${count}`, count++) });
    const { meter: m } = await measure(() => sessions.appendEvent({ session: s, event: makeEvent(`g-${count}`, count++) }));
    appends.push({
      sessionLength: length,
      requests: m.requests,
      requestBytes: m.requestBytes,
      responseBytes: m.responseBytes,
      calls: m.urls.map((u) => u.split('?')[0]!.replace(/[0-9a-f-]{20,}/g, '…')),
    });
    if (length === 100) continue;
    const captured: CapturedBody[] = [];
    const reader = new RedisSessionMemoryService({ ...cfg, fetch: capturingFetch(captured) });
    await reader.getSession({ appName: APP, userId: user, sessionId: 'grow' });
    validation.push({ sessionLength: count, ...timeValidation(generatedCheck, captured) });
  }
  const { result, meter: m } = await measure(() => sessions.getSession({ appName: APP, userId: user, sessionId: 'grow', config: { numRecentEvents: 10 } }));
  const tenEventsBytes = Buffer.byteLength(JSON.stringify(result!.events));
  return {
    appends,
    validation,
    recent10: {
      sessionLength: count,
      requests: m.requests,
      responseBytes: m.responseBytes,
      bytesOfThe10Events: tenEventsBytes,
      ratio: m.responseBytes / tenEventsBytes,
    },
  };
}

/**
 * getSession of one session as it grows to 10, 1000 and 10 000 events: by a new service instance
 * (cold) and by one that read it just before (warm), in requests and response bytes.
 */
async function longSessions(backend: Backend) {
  const isRam = backend === 'redis-agent-memory';
  const cfg = isRam
    ? { backend, apiBaseUrl: info.ram.url, apiKey: info.ram.apiKey, storeId: info.ram.storeId, fetch: meteredFetch }
    : { backend, apiBaseUrl: info.ams.url, fetch: meteredFetch };
  const writer = new RedisSessionMemoryService(cfg);
  const user = `long-${Date.now()}`;
  const key = { appName: APP, userId: user, sessionId: 'long' };
  const s = await writer.createSession(key);
  const rows: { backend: Backend; sessionLength: number; warm: boolean; requests: number; responseBytes: number }[] = [];
  let count = 0;
  for (const length of [10, 1000, 10_000]) {
    while (count < length) await writer.appendEvent({ session: s, event: makeEvent(`l-${count}`, count++) });
    const reader = new RedisSessionMemoryService(cfg);
    for (const warm of [false, true]) {
      const { meter: m } = await measure(() => reader.getSession(key));
      rows.push({ backend, sessionLength: length, warm, requests: m.requests, responseBytes: m.responseBytes });
    }
    process.stdout.write(` ${length}`);
  }
  return rows;
}

/** appendEvent of 400 kB tool results as the session fills with them, then getSession of the session. */
async function largeGrowth(backend: Backend) {
  const isRam = backend === 'redis-agent-memory';
  const cfg = isRam
    ? { backend, apiBaseUrl: info.ram.url, apiKey: info.ram.apiKey, storeId: info.ram.storeId, fetch: meteredFetch }
    : { backend, apiBaseUrl: info.ams.url, fetch: meteredFetch };
  const sessions = new RedisSessionMemoryService(cfg);
  const user = `large-${Date.now()}`;
  const s = await sessions.createSession({ appName: APP, userId: user, sessionId: 'pages' });
  const appends: { backend: Backend; sessionLength: number; eventBytes: number; requestBytes: number; requests: number; wallMs: number }[] = [];
  const last = LARGE_MEASURED.at(-1)!;
  for (let n = 1; n <= last; n++) {
    const event = largeToolResult(`page-${n}`, n);
    const t = performance.now();
    const { meter: m } = await measure(() => sessions.appendEvent({ session: s, event }));
    if ((LARGE_MEASURED as readonly number[]).includes(n))
      appends.push({
        backend,
        sessionLength: n,
        eventBytes: eventBytes(event),
        requestBytes: m.requestBytes,
        requests: m.requests,
        wallMs: performance.now() - t,
      });
  }
  const reader = new RedisSessionMemoryService(cfg);
  const t = performance.now();
  const { result, meter: m } = await measure(() => reader.getSession({ appName: APP, userId: user, sessionId: 'pages' }));
  return {
    appends,
    getSession: { backend, sessionLength: result!.events.length, requests: m.requests, responseBytes: m.responseBytes, wallMs: performance.now() - t },
  };
}

async function listing(backend: Backend) {
  const isRam = backend === 'redis-agent-memory';
  const cfg = isRam
    ? { backend, apiBaseUrl: info.ram.url, apiKey: info.ram.apiKey, storeId: info.ram.storeId, fetch: meteredFetch }
    : { backend, apiBaseUrl: info.ams.url, fetch: meteredFetch };
  const sessions = new RedisSessionMemoryService(cfg);
  const app = `list-app-${Date.now()}`;
  const started = performance.now();
  const jobs = Array.from({ length: 10_000 }, (_, i) => ({ user: `user-${i % 100}`, id: `s-${i}` }));
  await mapLimit(jobs, 32, (j) => sessions.createSession({ appName: app, userId: j.user, sessionId: j.id }));
  const seedSeconds = (performance.now() - started) / 1000;
  const { result, meter: m } = await measure(() => sessions.listSessions({ appName: app, userId: 'user-7' }));
  // Every request must concern user-7: the owner filter or user_id, or one of user-7's own sessions.
  const own = new Set(result.sessions.map((s) => s.id));
  const ownKeys = new Set([...own].map((id) => (isRam ? `/session-memory/${id}` : `/v1/working-memory/${encodeURIComponent(id)}?`)));
  // user-7's own bookkeeping: each session's journal, and the app's and user-7's state (hashed ids, not naming the user).
  const scopeOf = (sessionId: string) => ({ namespace: app, appName: app, userId: 'user-7', sessionId });
  const bookkeeping = isRam
    ? [ramIds.appState(app, app), ramIds.userState(app, app, 'user-7')].map((id) => `/session-memory/${id}`)
    : [
        ...[...own].map((id) => amsKeys.journal(scopeOf(id)).namespace),
        amsKeys.appState(app, app).namespace,
        amsKeys.userState(app, app, 'user-7').namespace,
      ].map((ns) => `namespace=${ns}`);
  for (const k of bookkeeping) ownKeys.add(k);
  const foreign = m.urls.filter((u) => {
    if (isRam) return !u.includes('filterOwnerId=user-7&') && !u.endsWith('filterOwnerId=user-7') && ![...ownKeys].some((k) => u.includes(k));
    return !u.includes('user_id=user-7') && ![...ownKeys].some((k) => u.includes(k));
  });
  return {
    sessionsInStore: 10_000,
    users: 100,
    sessionsOfUser: result.sessions.length,
    requests: m.requests,
    responseBytes: m.responseBytes,
    requestsTouchingOtherUsers: foreign.length,
    seedSeconds,
  };
}

// ---------------------------------------------------------------- run and report
const t0 = performance.now();
const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  iterations: ITERATIONS,
};
console.log(
  `adk-redis bench — ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}; reference servers in a separate process on loopback${LATENCY_MS ? `, ${LATENCY_MS} ms per round trip` : ''}`,
);
const resultsFile = path.join(here, 'results.json');
// Each mode rewrites its own part of results.json and keeps the other's.
const results: Record<string, unknown> = JSON.parse(await readFile(resultsFile, 'utf8').catch(() => '{}'));
try {
  if (process.argv.includes('--recall')) {
    stopServers();
    const datasetArg = process.argv.indexOf('--dataset');
    const datasetFile = datasetArg >= 0 ? path.resolve(process.argv[datasetArg + 1] ?? '') : path.join(here, 'recall', 'dataset.json');
    const recall = await recallBench((line) => console.log(`• ${line}`), datasetFile);
    printRecall(recall);
    const { rows, ...run } = recall;
    results.recall = rows;
    results.recallRun = {
      machine,
      date: new Date().toISOString(),
      ...run,
      dataset: { ...run.dataset, file: path.relative(path.resolve(here, '..'), run.dataset.file) },
      seconds: (performance.now() - t0) / 1000,
    };
  } else if (process.argv.includes('--real') && process.argv.includes('--only') && process.argv[process.argv.indexOf('--only') + 1] === 'turns') {
    stopServers();
    const turns = await realTurnsBench((line) => console.log(`• ${line}`));
    printTurns(turns.turns);
    printRequestClasses(turns.requestClasses);
    // Kept apart from `real`, whose other tables come from another run.
    results.realTurns = { machine, date: new Date().toISOString(), ...turns, seconds: (performance.now() - t0) / 1000 };
  } else if (process.argv.includes('--real')) {
    stopServers();
    const real = await realBench((line) => console.log(`• ${line}`));
    printReal(real);
    results.real = {
      machine,
      date: new Date().toISOString(),
      iterations: Number(process.env.BENCH_REAL_ITERATIONS ?? 20),
      ...real,
      seconds: (performance.now() - t0) / 1000,
    };
  } else if (process.argv.includes('--load')) {
    stopServers();
    const load = await loadBench((line) => console.log(`• ${line}`));
    printLoad(load);
    results.load = { machine, date: new Date().toISOString(), ...load, seconds: (performance.now() - t0) / 1000 };
  } else if (process.argv.includes('--telemetry')) {
    await telemetryTable(results);
  } else if (LATENCY_MS > 0) {
    const configFor = (backend: Backend, f: (req: Request) => Promise<Response>) =>
      backend === 'redis-agent-memory'
        ? { backend, apiBaseUrl: info.ram.url, apiKey: info.ram.apiKey, storeId: info.ram.storeId, fetch: f }
        : { backend, apiBaseUrl: info.ams.url, fetch: f };
    const rows = await distance(configFor, LATENCY_MS);
    console.log(`\n\n5. Every operation at ${LATENCY_MS} ms per round trip: sequential round trips against the API's minimum`);
    console.log('| backend | operation | wall ms | wall ÷ latency | sequential requests | API minimum | requests | why that minimum |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const r of rows)
      console.log(`| ${r.backend} | ${r.operation} | ${r.wallMs.toFixed(1)} | ${r.roundTrips} | ${r.chain} | ${r.minimum} | ${r.requests} | ${r.why} |`);
    results.distance = { latencyMs: LATENCY_MS, machine, date: new Date().toISOString(), rows, seconds: (performance.now() - t0) / 1000 };
  } else {
    Object.assign(results, { machine, date: new Date().toISOString() });
    await loopback(results);
    results.seconds = (performance.now() - t0) / 1000;
  }
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote bench/results.json in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  // The performance guide's charts follow the results they draw.
  const charts = await writeCharts(path.resolve(here, '..'));
  console.log(`wrote ${charts.map((f) => `docs/charts/${f}`).join(', ')}`);
} finally {
  stopServers();
}

async function loopback(results: Record<string, unknown>): Promise<void> {
  // First, while the heap is small (fewer GC pauses in the µs figures).
  const work = await clientWork();
  const rows: Row[] = [];
  for (const b of ['redis-agent-memory', 'opensource-agent-memory'] as Backend[]) rows.push(...(await latency(b)));
  console.log('\n\n1. Latency: SDK call vs the same job as raw fetch, interleaved (ms)');
  console.log('| backend | operation | SDK median | SDK p95 | raw median | raw p95 | ratio (median) |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.backend} | ${r.operation} | ${r.sdkMedianMs.toFixed(3)} | ${r.sdkP95Ms.toFixed(3)} | ${r.rawMedianMs.toFixed(3)} | ${r.rawP95Ms.toFixed(3)} | ${r.ratio.toFixed(2)} |`,
    );
  results.latency = rows;

  const grow: Record<string, Awaited<ReturnType<typeof growth>>> = {};
  const lists: Record<string, Awaited<ReturnType<typeof listing>>> = {};
  const large: Awaited<ReturnType<typeof largeGrowth>>[] = [];
  const long: Awaited<ReturnType<typeof longSessions>> = [];
  for (const b of ['redis-agent-memory', 'opensource-agent-memory'] as Backend[]) {
    process.stdout.write(`\n• ${b}: growing a session to 1000 events...`);
    grow[b] = await growth(b);
    process.stdout.write(`\n• ${b}: appending 100 tool results of 400 kB...`);
    large.push(await largeGrowth(b));
    process.stdout.write(`\n• ${b}: getSession of a session growing to 10 000 events...`);
    long.push(...(await longSessions(b)));
    process.stdout.write(`\n• ${b}: seeding 10 000 sessions of 100 users...`);
    lists[b] = await listing(b);
  }
  console.log('\n\n2. appendEvent cost as the session grows');
  console.log('| backend | session length | requests | request bytes | requests made |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const [b, g] of Object.entries(grow))
    for (const a of g.appends) console.log(`| ${b} | ${a.sessionLength} | ${a.requests} | ${a.requestBytes} | ${a.calls.join(', ')} |`);
  console.log('\n2b. appendEvent of a 400 kB tool result as the n-th such event of the session, and getSession of the 100');
  console.log('| backend | n-th large event | event bytes | requests | request bytes | request bytes ÷ event bytes | wall ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const a of large.flatMap((l) => l.appends))
    console.log(
      `| ${a.backend} | ${a.sessionLength} | ${a.eventBytes} | ${a.requests} | ${a.requestBytes} | ${(a.requestBytes / a.eventBytes).toFixed(3)} | ${a.wallMs.toFixed(1)} |`,
    );
  for (const { getSession: g } of large)
    console.log(`| ${g.backend} | getSession (${g.sessionLength} events) | — | ${g.requests} | response ${g.responseBytes} | — | ${g.wallMs.toFixed(1)} |`);
  console.log('\n2c. getSession of a long session: a new service instance (cold), and the same instance reading it again (warm)');
  console.log('| backend | session length | instance | requests | response bytes |');
  console.log('| --- | ---: | --- | ---: | ---: |');
  for (const r of long) console.log(`| ${r.backend} | ${r.sessionLength} | ${r.warm ? 'warm' : 'cold'} | ${r.requests} | ${r.responseBytes} |`);
  console.log('\n3. getSession({ numRecentEvents: 10 }) on a 1000-event session');
  console.log('| backend | requests | response bytes | bytes of the 10 events | ratio |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [b, g] of Object.entries(grow))
    console.log(`| ${b} | ${g.recent10.requests} | ${g.recent10.responseBytes} | ${g.recent10.bytesOfThe10Events} | ${g.recent10.ratio.toFixed(1)} |`);
  console.log('\n4. listSessions for one user in a store of 10 000 sessions of 100 users');
  console.log('| backend | sessions of the user | requests | response bytes | requests touching other users |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [b, l] of Object.entries(lists))
    console.log(`| ${b} | ${l.sessionsOfUser} | ${l.requests} | ${l.responseBytes} | ${l.requestsTouchingOtherUsers} |`);
  console.log('\n6. Checking response bodies against the spec (generated validators): getSession of 10 and 1000 events');
  console.log('| backend | session length | responses | response bytes | µs for all | µs per response | µs for the largest |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [b, g] of Object.entries(grow)) {
    for (const v of g.validation)
      console.log(
        `| ${b} | ${v.sessionLength} | ${v.responses} | ${v.bytes} | ${v.totalUs.toFixed(1)} | ${v.perResponseUs.toFixed(1)} | ${v.largestUs.toFixed(1)} |`,
      );
  }
  console.log('\n7. Client work per request (µs per call against an in-process server answering at once)');
  console.log('| call | plain fetch | fetch + AbortController and timer | SDK | SDK over plain fetch | SDK over cancellable fetch |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const w of work)
    console.log(
      `| ${w.call} | ${w.rawUs.toFixed(1)} | ${w.rawCancellableUs.toFixed(1)} | ${w.sdkUs.toFixed(1)} | ${w.overRawUs.toFixed(1)} | ${w.overCancellableUs.toFixed(1)} |`,
    );
  results.clientWork = work;
  results.validation = Object.fromEntries(Object.entries(grow).map(([b, g]) => [b, g.validation]));
  results.appendGrowth = {
    ...Object.fromEntries(Object.entries(grow).map(([b, g]) => [b, g.appends])),
    largeEvents: large.flatMap((l) => l.appends),
    largeEventsGetSession: large.map((l) => l.getSession),
  };
  results.longSessions = long;
  results.recentEvents = Object.fromEntries(Object.entries(grow).map(([b, g]) => [b, g.recent10]));
  results.listSessions = lists;

  await telemetryTable(results);
}

/** Table 12, also alone with `npm run bench -- --telemetry`. */
async function telemetryTable(results: Record<string, unknown>): Promise<void> {
  process.stdout.write('\n• telemetry: the same calls with and without an OpenTelemetry SDK registered...');
  const telemetry = await telemetryOverhead((backend) =>
    backend === 'redis-agent-memory'
      ? { backend, apiBaseUrl: info.ram.url, apiKey: info.ram.apiKey, storeId: info.ram.storeId }
      : { backend, apiBaseUrl: info.ams.url },
  );
  printTelemetry(telemetry);
  results.telemetry = { machine, date: new Date().toISOString(), ...telemetry };
}
