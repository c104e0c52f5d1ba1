// Runner turns on the real Agent Memory Server: getSession, the user's message, a tool call, its
// result and the answer, on sessions of 10 to 5000 events, by this package (a new service
// instance: cold; one that has read the session before: warm) and by the Python adk-redis. What
// each costs the server's API process (CPU), and the requests and bytes it takes.
import { randomUUID } from 'node:crypto';
import type { ConversationWrites } from '../src/backends/ams-sessions.js';
import { RedisSessionMemoryService } from '../src/services/session-service.js';
import type { RealAgentMemoryServer } from '../src/testing/index.js';
import type { PythonDriver } from '../test/helpers/python-interop.js';
import { message, toolPair } from './events.js';
import { cpuUs, meteringFetch, newMeter, type Meter } from './meter.js';
import { measureClasses, type RecordedRequest, type RequestClassRow } from './request-classes.js';

/**
 * Both sides ask the server to summarise for a window of this many tokens, as a long session is
 * (the working memory then stays bounded, and seeding 5000 events takes minutes, not hours).
 */
const CONTEXT_WINDOW_MAX = 8000;
export const TURN_LENGTHS = (process.env.BENCH_TURN_LENGTHS ?? '10,100,1000,5000').split(',').map(Number);
const TURNS = Number(process.env.BENCH_TURNS ?? 5);
/** Times each recorded request of a class is sent again (CPU is read in 10 ms ticks). */
const CLASS_REPEATS = Number(process.env.BENCH_CLASS_REPEATS ?? 20);
/**
 * Turns a warm instance serves before those measured, so they are a long-lived instance's: one
 * that read another writer's open document on two reads in a row anchors in the session's journal
 * with its next append, and from the read after that takes such documents from memory while they
 * are unchanged (`JournalStore.anchorWanted`). Until then a turn reads them all, plus one anchor PUT.
 */
const WARM_UP_TURNS = 3;
/** Session lengths whose turns are measured by request class. */
const CLASS_LENGTHS = new Set([10, 100, 1000]);

export interface TurnRow {
  sessionLength: number;
  warm: boolean;
  sdkServerCpuUs: number;
  pythonServerCpuUs: number;
  sdkRequests: number;
  pythonRequests: number;
  /** Bytes sent and received per turn. */
  sdkBytes: number;
  pythonBytes: number;
  /** This package with `conversationWrites: 'per-invocation'` (the conversation written once per turn). */
  perInvocationServerCpuUs: number;
  perInvocationRequests: number;
  perInvocationBytes: number;
}

/** One Runner turn through a service: the session read, then four appends to it, of one invocation as the Runner's are. */
async function turn(svc: RedisSessionMemoryService, app: string, user: string, sessionId: string, i: number): Promise<void> {
  const session = await svc.getSession({ appName: app, userId: user, sessionId });
  if (!session) throw new Error(`bench: session ${sessionId} is missing`);
  for (const event of [message(2 * i, true), ...toolPair(i), message(2 * i + 1, false)]) {
    await svc.appendEvent({ session, event: { ...event, invocationId: `inv-${i}` } });
  }
}

export async function turnBench(
  server: RealAgentMemoryServer,
  py: PythonDriver,
  app: string,
  log: (line: string) => void,
): Promise<{ turns: TurnRow[]; requestClasses: RequestClassRow[] }> {
  const url = server.url;
  const run = randomUUID().slice(0, 8);
  let meter: Meter | undefined;
  const metered = meteringFetch(() => meter);
  const service = (conversationWrites: ConversationWrites = 'per-event') =>
    new RedisSessionMemoryService({
      backend: 'opensource-agent-memory',
      apiBaseUrl: url,
      fetch: metered,
      contextWindowMax: CONTEXT_WINDOW_MAX,
      conversationWrites,
    });
  const rows: TurnRow[] = [];
  const requestClasses: RequestClassRow[] = [];
  for (const n of TURN_LENGTHS) {
    log(`Runner turns on sessions of ${n} events: seeding both sides`);
    const sid = `turn-${run}-${n}`;
    const seeder = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: url, contextWindowMax: CONTEXT_WINDOW_MAX });
    const s = await seeder.createSession({ appName: app, userId: 'sdk', sessionId: sid });
    for (let i = 0; i < n; i += 2) {
      await seeder.appendEvent({ session: s, event: message(i, true) });
      await seeder.appendEvent({ session: s, event: message(i + 1, false) });
    }
    await py.call('bench_seed', {
      backend: 'opensource-agent-memory',
      url,
      app,
      user: 'py',
      session: `py-${sid}`,
      events: n,
      contextWindowMax: CONTEXT_WINDOW_MAX,
    });
    await server.settled();

    /** One Runner turn of the Python adk-redis on its session of this length (`record`: its requests as sent). */
    const pythonTurn = (prefix: string, record = false) =>
      py.call<{ requests: number; sent: number; received: number; recorded?: RecordedRequest[] }>('bench_run', {
        backend: 'opensource-agent-memory',
        url,
        app,
        op: 'turn',
        contextWindowMax: CONTEXT_WINDOW_MAX,
        user: 'py',
        session: `py-${sid}`,
        iterations: 1,
        warmup: 0,
        prefix,
        ...(record ? { record: true } : {}),
      });
    /** The server's CPU, requests and bytes of `turns` turns, each measured alone. */
    const measureSdk = async (warm: boolean, mode: ConversationWrites = 'per-event') => {
      const kept = service(mode);
      if (warm) for (let t = 0; t < WARM_UP_TURNS; t++) await turn(kept, app, 'sdk', sid, -10 - t);
      await server.settled();
      let cpu = 0;
      const m = (meter = newMeter());
      for (let t = 0; t < TURNS; t++) {
        const before = cpuUs(server.pids.api);
        await turn(warm ? kept : service(mode), app, 'sdk', sid, 1000 * t);
        await server.settled();
        cpu += cpuUs(server.pids.api) - before;
      }
      meter = undefined;
      return { cpu: cpu / TURNS, requests: m.requests / TURNS, bytes: (m.requestBytes + m.responseBytes) / TURNS };
    };
    const measurePython = async () => {
      await server.settled();
      let cpu = 0;
      let requests = 0;
      let bytes = 0;
      for (let t = 0; t < TURNS; t++) {
        const before = cpuUs(server.pids.api);
        const r = await pythonTurn(`${run}-${n}-${t}`);
        await server.settled();
        cpu += cpuUs(server.pids.api) - before;
        requests += r.requests;
        bytes += r.sent + r.received;
      }
      return { cpu: cpu / TURNS, requests: requests / TURNS, bytes: bytes / TURNS };
    };
    // Warm first: every cold turn is a new instance, so a new writer whose open document later readers read too.
    for (const warm of [true, false]) {
      log(`Runner turns on sessions of ${n} events: ${warm ? 'warm' : 'cold'}`);
      const sdk = await measureSdk(warm);
      // The Python adk-redis keeps nothing between reads: its cold and warm turns are the same work.
      const python = await measurePython();
      const perInvocation = await measureSdk(warm, 'per-invocation');
      rows.push({
        sessionLength: n,
        warm,
        sdkServerCpuUs: sdk.cpu,
        pythonServerCpuUs: python.cpu,
        sdkRequests: sdk.requests,
        pythonRequests: python.requests,
        sdkBytes: sdk.bytes,
        pythonBytes: python.bytes,
        perInvocationServerCpuUs: perInvocation.cpu,
        perInvocationRequests: perInvocation.requests,
        perInvocationBytes: perInvocation.bytes,
      });
    }
    if (CLASS_LENGTHS.has(n)) {
      log(`Runner turns on sessions of ${n} events: by request class`);
      const kept = service();
      for (let t = 0; t < WARM_UP_TURNS; t++) await turn(kept, app, 'sdk', sid, -20 - t);
      const m = (meter = { ...newMeter(), recorded: [] as RecordedRequest[] });
      await turn(kept, app, 'sdk', sid, 5000);
      meter = undefined;
      await server.settled();
      const r = await pythonTurn(`${run}-${n}-classes`, true);
      await server.settled();
      requestClasses.push(...(await measureClasses(server, 'adk-redis', n, m.recorded, CLASS_REPEATS)));
      requestClasses.push(...(await measureClasses(server, 'python', n, r.recorded ?? [], CLASS_REPEATS)));
    }
  }
  return { turns: rows, requestClasses };
}

export function printTurns(rows: TurnRow[]): void {
  const f = (x: number, d = 0) => x.toFixed(d);
  console.log(
    `\n11. A Runner turn (getSession, user message, tool call, tool result, answer), both sides with contextWindowMax ${CONTEXT_WINDOW_MAX}: the server's API CPU, requests and bytes per turn`,
  );
  console.log(
    '| session length | instance | this package CPU µs | Python CPU µs | ratio | requests | Python requests | bytes | Python bytes | per-invocation CPU µs | ratio | requests |',
  );
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.sessionLength} | ${r.warm ? 'warm' : 'cold'} | ${f(r.sdkServerCpuUs)} | ${f(r.pythonServerCpuUs)} | ${f(r.sdkServerCpuUs / r.pythonServerCpuUs, 2)} | ${f(r.sdkRequests, 1)} | ${f(r.pythonRequests, 1)} | ${f(r.sdkBytes)} | ${f(r.pythonBytes)} | ${f(r.perInvocationServerCpuUs)} | ${f(r.perInvocationServerCpuUs / r.pythonServerCpuUs, 2)} | ${f(r.perInvocationRequests, 1)} |`,
    );
}
