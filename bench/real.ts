// `npm run bench -- --real`: this package, the raw-HTTP floor of the same job in its layout, and the
// Python adk-redis in its own layout, operation by operation on one real Agent Memory Server
// v0.15.2; the server's CPU and Redis commands per append and read; Redis memory per stored event.
// A measurement script, not a test: it asserts nothing.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Event, type Session } from '@google/adk';
import { SEGMENT_BYTES, SEGMENT_ITEMS, documentId, listAllSessionIds } from '../src/backends/ams-journal.js';
import { amsKeys } from '../src/backends/ams-sessions.js';
import { toMessage } from '../src/backends/ams-view.js';
import { createAgentMemoryServerClient } from '../src/clients/agent-memory-server.js';
import { eventToJson } from '../src/codec/events.js';
import { RedisLongTermMemoryService } from '../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../src/services/session-service.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../src/testing/index.js';
import { cpuUs, meteringFetch, newMeter, redisCalls, type Meter } from './meter.js';
import { printRequestClasses, type RequestClassRow } from './request-classes.js';
import { printTurns, turnBench, type TurnRow } from './turns.js';
import { message, toolPair } from './events.js';
import { ensureInteropEnvironment, interopVersions, startPythonDriver, type PythonDriver } from '../test/helpers/python-interop.js';

const ITERATIONS = Number(process.env.BENCH_REAL_ITERATIONS ?? 20);
const APP = 'bench-real';

export interface RealRow {
  operation: string;
  sdkMs: number;
  rawMs: number;
  pythonMs: number;
  ratioToRaw: number;
  ratioToPython: number;
  requests: number;
  pythonRequests: number;
  sdkBytes: { sent: number; received: number };
  pythonBytes: { sent: number; received: number };
}
export interface ServerCpuRow {
  operation: string;
  sdkUs: number;
  pythonUs: number;
  sdkRedisCalls: number;
  pythonRedisCalls: number;
}
export interface StorageRow {
  events: 'text' | 'tool';
  sdkBytesPerEvent: number;
  pythonBytesPerEvent: number;
  sdkKeyBytesPerEvent: number;
  pythonKeyBytesPerEvent: number;
  sdkKeys: number;
  pythonKeys: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Message `i` of the conversation: the user's at even numbers, the coach's at odd. */
const say = (i: number): Event => message(i, i % 2 === 0);

async function usedMemory(server: RealAgentMemoryServer): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await server.redisCli('INFO', 'memory'))?.[1] ?? 0);
}

/** MEMORY USAGE of every key matching these patterns, and how many keys. */
async function keyBytes(server: RealAgentMemoryServer, patterns: string[]): Promise<{ bytes: number; keys: number }> {
  let bytes = 0;
  let keys = 0;
  for (const pattern of patterns) {
    const found = (await server.redisCli('--scan', '--pattern', pattern)).split('\n').filter(Boolean);
    for (const k of found) {
      bytes += Number((await server.redisCli('MEMORY', 'USAGE', k, 'SAMPLES', '0')).trim()) || 0;
      keys++;
    }
  }
  return { bytes, keys };
}

/** Plain HTTP against the server, as the raw floor uses it. */
function rawHttp(base: string) {
  return async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : undefined;
  };
}

export async function realBench(log: (line: string) => void): Promise<{
  rows: RealRow[];
  serverCpu: ServerCpuRow[];
  storage: StorageRow[];
  turns: TurnRow[];
  requestClasses: RequestClassRow[];
  versions: Record<string, unknown>;
}> {
  const server = await startRealAgentMemoryServer({ backgroundTasks: 'manual' });
  let py: PythonDriver | undefined;
  try {
    py = await startPythonDriver(await ensureInteropEnvironment(log));
    const url = server.url;
    const raw = rawHttp(url);
    const client = createAgentMemoryServerClient({ apiBaseUrl: url });
    const sdk = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: url });
    const memory = new RedisLongTermMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: url });
    let meter: Meter | undefined;
    const metered = meteringFetch(() => meter);
    const sdkMetered = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: url, fetch: metered });
    const memoryMetered = new RedisLongTermMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: url, fetch: metered });
    const pyConn = { backend: 'opensource-agent-memory', url, app: APP };
    const run = randomUUID().slice(0, 8);

    // ---- seeding: one writer each, as a Runner appends
    log('seeding sessions of 10, 100 and 1000 events on both sides');
    const sdkSessions: Record<number, Session> = {};
    const rawSessions: Record<
      number,
      { scope: { namespace: string; appName: string; userId: string; sessionId: string }; events: unknown[]; segment: number; writer: string; bytes: number }
    > = {};
    const storage: StorageRow[] = [];
    for (const n of [10, 100, 1000, 50]) {
      const sid = `sdk-${run}-${n}`;
      const before = await usedMemory(server);
      const s = await sdk.createSession({ appName: APP, userId: 'sdk', sessionId: sid });
      for (let i = 0; i < (n === 50 ? 50 : n - 1); i++) await sdk.appendEvent({ session: s, event: say(i) });
      sdkSessions[n] = s;
      await server.settled();
      const sdkUsed = (await usedMemory(server)) - before;
      // The raw floor appends to the same sessions, as a writer of its own.
      if (n !== 50)
        rawSessions[n] = {
          scope: { namespace: APP, appName: APP, userId: 'sdk', sessionId: s.id },
          events: [],
          segment: 0,
          writer: `w-raw-${randomUUID()}`,
          bytes: 0,
        };
      const before2 = await usedMemory(server);
      await py.call('bench_seed', { ...pyConn, user: 'py', session: `py-${run}-${n}`, events: n === 50 ? 50 : n - 1 });
      await server.settled();
      if (n === 1000) {
        const pyUsed = (await usedMemory(server)) - before2;
        const sdkKeys = await keyBytes(server, [
          `working_memory:${APP}:sdk:${sid}`,
          `working_memory:${amsKeys.journal({ namespace: APP, appName: APP, userId: 'sdk', sessionId: sid }).namespace}:*`,
        ]);
        const pyKeys = await keyBytes(server, [`working_memory:${APP}:py:py-${run}-${n}`]);
        storage.push({
          events: 'text',
          sdkBytesPerEvent: sdkUsed / 999,
          pythonBytesPerEvent: pyUsed / 999,
          sdkKeyBytesPerEvent: sdkKeys.bytes / 999,
          pythonKeyBytesPerEvent: pyKeys.bytes / 999,
          sdkKeys: sdkKeys.keys,
          pythonKeys: pyKeys.keys,
        });
      }
    }
    for (let i = 0; i < 100; i++) {
      await sdk.createSession({ appName: APP, userId: `sdk-lister-${run}`, sessionId: `l${i}` });
      await py.call('bench_seed', { ...pyConn, user: `py-lister-${run}`, session: `l${i}`, events: 0 });
    }

    // ---- raw floors of each job, in this package's layout
    const native = (s: { sessionId: string; userId: string }) =>
      `/v1/working-memory/${encodeURIComponent(s.sessionId)}?namespace=${APP}&user_id=${encodeURIComponent(s.userId)}`;
    const readJournal = async (ns: string) => {
      const ids = await listAllSessionIds(client, ns, undefined);
      await Promise.all(ids.map((id) => raw('GET', `/v1/working-memory/${id}?namespace=${ns}`)));
    };
    const rawOps: Record<string, (i: number, n?: number) => Promise<unknown>> = {
      createSession: async (i) => {
        const scope = { namespace: APP, appName: APP, userId: 'raw', sessionId: `rc-${run}-${i}` };
        const j = amsKeys.journal(scope).namespace;
        const record = `c-${randomUUID()}`;
        await Promise.all([
          raw('GET', native(scope)).catch(() => undefined),
          raw('PUT', `/v1/working-memory/${record}`, {
            messages: [],
            namespace: j,
            data: { adk: { v: 1, kind: 'creation', appName: APP, userId: 'raw', sessionId: scope.sessionId, createdAt: Date.now(), state: {} } },
          }),
          readJournal(amsKeys.appState(APP, APP).namespace),
          readJournal(amsKeys.userState(APP, APP, 'raw').namespace),
        ]);
        await Promise.all([
          raw('GET', `/v1/working-memory/?namespace=${j}&limit=100&offset=0`),
          raw('PUT', `/v1/working-memory/${encodeURIComponent(scope.sessionId)}`, {
            messages: [],
            namespace: APP,
            user_id: 'raw',
            data: { adk: { v: 1, appName: APP, lastUpdateTime: Date.now(), creation: record } },
          }),
          raw('PUT', `/v1/working-memory/raw`, { messages: [], namespace: amsKeys.users(APP).namespace, data: { adk: { v: 1, kind: 'user', userId: 'raw' } } }),
        ]);
      },
      appendEvent: async (i, n) => {
        const r = rawSessions[n!]!;
        const e = say(20_000 + i);
        const json = eventToJson(e, 'bench');
        const size = Buffer.byteLength(JSON.stringify(json));
        if (r.events.length >= SEGMENT_ITEMS || (r.events.length && r.bytes + size > SEGMENT_BYTES)) {
          r.events = [];
          r.bytes = 0;
          r.segment++;
        }
        r.events.push(json);
        r.bytes += size;
        const fresh = (await raw('GET', native(r.scope))) as { messages: { id: string }[]; data: Record<string, unknown> } & Record<string, unknown>;
        const { session_id: _s, context_percentage_total_used: _a, context_percentage_until_summarization: _b, ...body } = fresh;
        const messages = [...fresh.messages, toMessage(e)];
        await Promise.all([
          raw('PUT', `/v1/working-memory/${documentId(r.writer, r.segment)}`, {
            messages: [],
            namespace: amsKeys.journal(r.scope).namespace,
            data: { adk: { v: 1, kind: 'events', events: r.events } },
          }),
          raw('PUT', `/v1/working-memory/${encodeURIComponent(r.scope.sessionId)}`, {
            ...body,
            messages,
            data: { ...fresh.data, adk: { v: 1, appName: APP, lastUpdateTime: e.timestamp, ids: messages.map((m) => m!.id) } },
          }),
        ]);
      },
      getSession: async (_i, n) => {
        const scope = { namespace: APP, appName: APP, userId: 'sdk', sessionId: sdkSessions[n!]!.id };
        await Promise.all([
          raw('GET', native(scope)),
          readJournal(amsKeys.journal(scope).namespace),
          readJournal(amsKeys.appState(APP, APP).namespace),
          readJournal(amsKeys.userState(APP, APP, 'sdk').namespace),
        ]);
      },
      // The same job on the same layout: each session's working memory (its app, last update) and
      // journal (its state), the app's and the user's state beside the listing.
      listSessions: async () => {
        const user = `sdk-lister-${run}`;
        const list = async () => {
          const ids = await listAllSessionIds(client, APP, user);
          await Promise.all(
            ids.map((id) => {
              const scope = { namespace: APP, appName: APP, userId: user, sessionId: id };
              return Promise.all([raw('GET', native(scope)), readJournal(amsKeys.journal(scope).namespace)]);
            }),
          );
        };
        await Promise.all([list(), readJournal(amsKeys.appState(APP, APP).namespace), readJournal(amsKeys.userState(APP, APP, user).namespace)]);
      },
      addMemory: (i) =>
        raw('POST', '/v1/long-term-memory/', {
          memories: [{ id: `raw-${run}-${i}`, text: `Raw fact ${run} ${i}: likes tempo runs`, user_id: 'sdk', namespace: APP, memory_type: 'semantic' }],
          deduplicate: false,
        }),
      // The default (fused) search's one request: by meaning, five times as deep as the answer of 10.
      searchMemory: () =>
        raw('POST', '/v1/long-term-memory/search', {
          text: 'what runs does the user like?',
          search_mode: 'semantic',
          user_id: { eq: 'sdk' },
          namespace: { eq: APP },
          limit: 50,
        }),
      addSessionToMemory: (i) =>
        raw('POST', '/v1/long-term-memory/', {
          // Each event's text and time, as ADK's memory services keep them.
          memories: sdkSessions[50]!.events.map((e, k) => ({
            id: `raws-${run}-${i}-${k}`,
            text: `${e.author}: ${e.content?.parts?.map((p) => p.text ?? '').join('') ?? ''}`,
            user_id: 'sdk',
            namespace: APP,
            memory_type: 'message',
            session_id: sdkSessions[50]!.id,
            event_date: new Date(e.timestamp).toISOString(),
            created_at: new Date(e.timestamp).toISOString(),
          })),
          deduplicate: false,
        }),
    };

    // ---- this package's jobs
    const sdkOps: Record<string, (svc: RedisSessionMemoryService, mem: RedisLongTermMemoryService, i: number, n?: number) => Promise<unknown>> = {
      createSession: (svc, _m, i) => svc.createSession({ appName: APP, userId: 'sdk', sessionId: `sc-${run}-${i}-${randomUUID().slice(0, 4)}` }),
      appendEvent: (svc, _m, i, n) => svc.appendEvent({ session: sdkSessions[n!]!, event: say(30_000 + i) }),
      getSession: (svc, _m, _i, n) => svc.getSession({ appName: APP, userId: 'sdk', sessionId: sdkSessions[n!]!.id }),
      listSessions: (svc) => svc.listSessions({ appName: APP, userId: `sdk-lister-${run}` }),
      addMemory: (_s, mem, i) =>
        mem.addMemory({ appName: APP, userId: 'sdk', memories: [{ content: { parts: [{ text: `SDK fact ${run} ${i}: likes tempo runs` }] } }] }),
      searchMemory: (_s, mem) => mem.searchMemory({ appName: APP, userId: 'sdk', query: 'what runs does the user like?' }),
      // Deterministic ids: each call writes the same 50 records again (the server overwrites them).
      addSessionToMemory: (_s, mem) => mem.addSessionToMemory(sdkSessions[50]!),
    };

    const plan: [string, string, number | undefined][] = [
      ['createSession', 'createSession', undefined],
      ['appendEvent', 'appendEvent (10 events)', 10],
      ['appendEvent', 'appendEvent (100 events)', 100],
      ['appendEvent', 'appendEvent (1000 events)', 1000],
      ['getSession', 'getSession (10 events)', 10],
      ['getSession', 'getSession (100 events)', 100],
      ['getSession', 'getSession (1000 events)', 1000],
      ['listSessions', 'listSessions (100 sessions of the user)', undefined],
      ['addMemory', 'addMemory', undefined],
      ['searchMemory', 'searchMemory', undefined],
      ['addSessionToMemory', 'addSessionToMemory (50 events)', undefined],
    ];
    const rows: RealRow[] = [];
    const serverCpu: ServerCpuRow[] = [];
    for (const [op, label, n] of plan) {
      log(label);
      const pyArgs = {
        ...pyConn,
        op,
        iterations: ITERATIONS,
        prefix: `${run}-${label.length}`,
        user: op === 'listSessions' ? `py-lister-${run}` : 'py',
        session: `py-${run}-${n ?? 50}`,
      };
      // Interleaved call by call (the order rotating), so the server's background work after each
      // call weighs on all three alike. This package with its default transport; the raw floor with
      // fetch; the Python adk-redis timed inside Python. Server CPU and Redis commands are counted
      // per side over its own calls.
      for (let w = 0; w < 2; w++) {
        await sdkOps[op]!(sdk, memory, -1 - w, n);
        await rawOps[op]!(-1 - w, n);
      }
      await py.call('bench_run', { ...pyArgs, iterations: 1, warmup: 1, prefix: `${pyArgs.prefix}-w` });
      const sdkTimes: number[] = [];
      const rawTimes: number[] = [];
      const pyTimes: number[] = [];
      let sdkCpuTotal = 0;
      let sdkCallsTotal = 0;
      let pyCpuTotal = 0;
      let pyCallsTotal = 0;
      let pyRequests = 0;
      let pySent = 0;
      let pyReceived = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const sides = [
          async () => {
            const cpu = cpuUs(server.pids.api);
            const calls = await redisCalls(server);
            const t = performance.now();
            await sdkOps[op]!(sdk, memory, i, n);
            sdkTimes.push(performance.now() - t);
            await server.settled();
            sdkCpuTotal += cpuUs(server.pids.api) - cpu;
            sdkCallsTotal += (await redisCalls(server)) - calls - 1;
          },
          async () => {
            const t = performance.now();
            await rawOps[op]!(i, n);
            rawTimes.push(performance.now() - t);
            await server.settled();
          },
          async () => {
            const cpu = cpuUs(server.pids.api);
            const calls = await redisCalls(server);
            const r = await py!.call<{ ms: number[]; requests: number; sent: number; received: number }>('bench_run', {
              ...pyArgs,
              iterations: 1,
              warmup: 0,
              prefix: `${pyArgs.prefix}-${i}`,
            });
            pyTimes.push(r.ms[0]!);
            await server.settled();
            pyCpuTotal += cpuUs(server.pids.api) - cpu;
            pyCallsTotal += (await redisCalls(server)) - calls - 1;
            pyRequests += r.requests;
            pySent += r.sent;
            pyReceived += r.received;
          },
        ];
        for (let k = 0; k < 3; k++) await sides[(i + k) % 3]!();
      }
      const sdkMeter = (meter = newMeter());
      await sdkOps[op]!(sdkMetered, memoryMetered, 1000 + ITERATIONS, n);
      meter = undefined;
      const sdkCpu = sdkCpuTotal / ITERATIONS;
      const sdkCalls = sdkCallsTotal / ITERATIONS;
      const pyCpu = pyCpuTotal / ITERATIONS;
      const pyCalls = pyCallsTotal / ITERATIONS;
      const pyResult = { ms: pyTimes, requests: pyRequests / ITERATIONS, sent: pySent / ITERATIONS, received: pyReceived / ITERATIONS };
      const sdkMs = median(sdkTimes);
      const rawMs = median(rawTimes);
      const pythonMs = median(pyResult.ms);
      rows.push({
        operation: label,
        sdkMs,
        rawMs,
        pythonMs,
        ratioToRaw: sdkMs / rawMs,
        ratioToPython: sdkMs / pythonMs,
        requests: sdkMeter.requests,
        pythonRequests: pyResult.requests,
        sdkBytes: { sent: sdkMeter.requestBytes, received: sdkMeter.responseBytes },
        pythonBytes: { sent: pyResult.sent, received: pyResult.received },
      });
      if (op === 'appendEvent' || op === 'getSession')
        serverCpu.push({ operation: label, sdkUs: sdkCpu, pythonUs: pyCpu, sdkRedisCalls: sdkCalls, pythonRedisCalls: pyCalls });
    }

    // ---- Redis memory per stored event: text events were measured while seeding; now tool calls.
    {
      const kind = 'tool' as const;
      log('Redis memory of 1000 tool events (500 calls and their results) on each side');
      const sid = `mem-${kind}-${run}`;
      const before = await usedMemory(server);
      const s = await sdk.createSession({ appName: APP, userId: 'mem', sessionId: sid });
      for (let i = 0; i < 1000;) {
        for (const e of toolPair(i)) {
          await sdk.appendEvent({ session: s, event: e });
          i++;
        }
      }
      await server.settled();
      const sdkUsed = (await usedMemory(server)) - before;
      const sdkKeys = await keyBytes(server, [
        `working_memory:${APP}:mem:${sid}`,
        `working_memory:${amsKeys.journal({ namespace: APP, appName: APP, userId: 'mem', sessionId: sid }).namespace}:*`,
      ]);
      const before2 = await usedMemory(server);
      await py.call('bench_seed', { ...pyConn, user: 'mem', session: `py-${sid}`, events: 1000, tool: true });
      await server.settled();
      const pyUsed = (await usedMemory(server)) - before2;
      const pyKeys = await keyBytes(server, [`working_memory:${APP}:mem:py-${sid}`]);
      storage.push({
        events: kind,
        sdkBytesPerEvent: sdkUsed / 1000,
        pythonBytesPerEvent: pyUsed / 1000,
        sdkKeyBytesPerEvent: sdkKeys.bytes / 1000,
        pythonKeyBytesPerEvent: pyKeys.bytes / 1000,
        sdkKeys: sdkKeys.keys,
        pythonKeys: pyKeys.keys,
      });
    }
    const { turns, requestClasses } = await turnBench(server, py, APP, log);
    return { rows, serverCpu, storage, turns, requestClasses, versions: { server: server.versions, python: interopVersions() } };
  } finally {
    await py?.close();
    await server.close();
  }
}

/** The tables of `npm run bench -- --real`, as docs/performance.md shows them. */
export function printReal(r: Awaited<ReturnType<typeof realBench>>): void {
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(
    `\n8. The real Agent Memory Server ${JSON.stringify(r.versions)}: this package, the raw floor in its layout, and the Python adk-redis in its own (median ms)`,
  );
  console.log(
    '| operation | this package | raw floor | Python adk-redis | ÷ raw | ÷ Python | requests | Python requests | bytes sent / received | Python bytes sent / received |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const x of r.rows)
    console.log(
      `| ${x.operation} | ${f(x.sdkMs)} | ${f(x.rawMs)} | ${f(x.pythonMs)} | ${f(x.ratioToRaw)} | ${f(x.ratioToPython)} | ${x.requests} | ${f(x.pythonRequests, 1)} | ${x.sdkBytes.sent} / ${x.sdkBytes.received} | ${f(x.pythonBytes.sent, 0)} / ${f(x.pythonBytes.received, 0)} |`,
    );
  console.log("\n9. The server's work per call: API process CPU (µs) and Redis commands");
  console.log('| operation | this package CPU µs | Python CPU µs | ratio | this package Redis calls | Python Redis calls |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const x of r.serverCpu)
    console.log(
      `| ${x.operation} | ${f(x.sdkUs, 0)} | ${f(x.pythonUs, 0)} | ${f(x.sdkUs / x.pythonUs)} | ${f(x.sdkRedisCalls, 1)} | ${f(x.pythonRedisCalls, 1)} |`,
    );
  console.log("\n10. Redis memory per stored event (1000 events): used_memory delta, and MEMORY USAGE of the session's keys");
  console.log('| events | this package B/event | Python B/event | ratio | this package keys B/event (keys) | Python keys B/event (keys) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const x of r.storage)
    console.log(
      `| ${x.events} | ${f(x.sdkBytesPerEvent, 0)} | ${f(x.pythonBytesPerEvent, 0)} | ${f(x.sdkBytesPerEvent / x.pythonBytesPerEvent)} | ${f(x.sdkKeyBytesPerEvent, 0)} (${x.sdkKeys}) | ${f(x.pythonKeyBytesPerEvent, 0)} (${x.pythonKeys}) |`,
    );
  printTurns(r.turns);
  printRequestClasses(r.requestClasses);
}

/**
 * `npm run bench -- --real --only turns`: the Runner-turn tables alone (11 and 12), both sides in
 * one run, in minutes where the whole `--real` run takes most of an hour.
 */
export async function realTurnsBench(
  log: (line: string) => void,
): Promise<{ turns: TurnRow[]; requestClasses: RequestClassRow[]; versions: Record<string, unknown> }> {
  const server = await startRealAgentMemoryServer({ backgroundTasks: 'manual' });
  let py: PythonDriver | undefined;
  try {
    py = await startPythonDriver(await ensureInteropEnvironment(log));
    const { turns, requestClasses } = await turnBench(server, py, APP, log);
    return { turns, requestClasses, versions: { server: server.versions, python: interopVersions() } };
  } finally {
    await py?.close();
    await server.close();
  }
}
