// `npm run bench -- --load`: many agents on one real Agent Memory Server deployed as in production
// (2 API processes behind a balancer, 2 task workers, background extraction on). R replica
// processes each serve S sessions at once for T turns (getSession, the user's message, a tool call
// and its result, the answer; searchMemory and addSessionToMemory every few turns), by this package
// and then by the Python adk-redis 0.0.10. Afterwards a checker reads every session and compares it
// with every event a replica saw acknowledged. A measurement, not a test: it asserts nothing.
import { randomUUID } from 'node:crypto';
import { RedisSessionMemoryService } from '../src/services/session-service.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../src/testing/index.js';
import { ensureInteropEnvironment, startPythonDriver, type PythonDriver } from '../test/helpers/python-interop.js';
import { checkSession, startReplica, type Replica } from '../test/helpers/replicas.js';
import { cpuUs } from './meter.js';

const REPLICAS = Number(process.env.BENCH_LOAD_REPLICAS ?? 4);
const SESSIONS = Number(process.env.BENCH_LOAD_SESSIONS ?? 25);
const TURNS = Number(process.env.BENCH_LOAD_TURNS ?? 10);
const API_PROCESSES = 2;
const TASK_WORKERS = 2;
/** searchMemory at every 3rd turn of a session, addSessionToMemory after every 5th. */
const SEARCH_EVERY = 3;
const MEMORY_EVERY = 5;

export interface LoadSide {
  turnsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  lost: number;
  duplicated: number;
  /** CPU of the API processes and task workers (background work included) per completed turn. */
  serverCpuPerTurnUs: number;
}

export interface LoadResult {
  replicas: number;
  sessionsPerReplica: number;
  turns: number;
  apiProcesses: number;
  taskWorkers: number;
  sdk: LoadSide;
  python: LoadSide;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const serverCpu = (server: RealAgentMemoryServer) => {
  const { api, taskWorkers } = server.parts();
  return [...api, ...taskWorkers].reduce((n, pid) => n + cpuUs(pid), 0);
};

interface RunOutcome {
  wallMs: number;
  turnMs: number[];
  errors: number;
  acked: Map<string, string[]>;
}

/** Turns done so far, every few seconds, until `done` settles. */
function progress(label: string, total: number, done: () => number, log: (line: string) => void): () => void {
  const timer = setInterval(() => log(`${label}: ${done()} of ${total} turns`), 5000);
  return () => clearInterval(timer);
}

async function side(
  server: RealAgentMemoryServer,
  run: () => Promise<RunOutcome>,
  read: (acked: Map<string, string[]>) => Promise<{ lost: number; duplicated: number }>,
): Promise<LoadSide> {
  await server.runBackgroundTasks();
  const cpu = serverCpu(server);
  const outcome = await run();
  // The work the run queued (promotion, extraction) is part of what it cost the server.
  await server.runBackgroundTasks();
  const cpuUsed = serverCpu(server) - cpu;
  const sorted = [...outcome.turnMs].sort((a, b) => a - b);
  return {
    turnsPerSecond: outcome.turnMs.length / (outcome.wallMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors: outcome.errors,
    ...(await read(outcome.acked)),
    serverCpuPerTurnUs: outcome.turnMs.length ? cpuUsed / outcome.turnMs.length : 0,
  };
}

export async function loadBench(log: (line: string) => void): Promise<LoadResult> {
  const server = await startRealAgentMemoryServer({ apiProcesses: API_PROCESSES, taskWorkers: TASK_WORKERS });
  const drivers: PythonDriver[] = [];
  const replicas: Replica[] = [];
  const total = REPLICAS * SESSIONS * TURNS;
  const runId = randomUUID().slice(0, 8);
  const sessionIds = (r: number) => Array.from({ length: SESSIONS }, (_, s) => `load-${runId}-${r}-${s}`);
  const user = (r: number) => `user-${r}`;
  try {
    log(`load: ${REPLICAS} replicas × ${SESSIONS} sessions × ${TURNS} turns on ${API_PROCESSES} API processes and ${TASK_WORKERS} task workers`);
    const sdkApp = `load-sdk-${runId}`;
    const connection = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url };
    const sdk = await side(
      server,
      async () => {
        for (let r = 0; r < REPLICAS; r++) {
          replicas.push(
            startReplica({
              service: connection,
              memory: connection,
              app: sdkApp,
              user: user(r),
              sessions: sessionIds(r),
              turns: TURNS,
              create: true,
              memoryEvery: MEMORY_EVERY,
              searchEvery: SEARCH_EVERY,
              startOnGo: true,
            }),
          );
        }
        await Promise.all(
          replicas.map((r) => Promise.race([r.ready, r.finished.then((why) => Promise.reject(new Error(`a replica ended before it was ready: ${why}`)))])),
        );
        const stop = progress('this package', total, () => replicas.reduce((n, r) => n + r.turnMs.length, 0), log);
        const started = performance.now();
        for (const r of replicas) r.go();
        await Promise.all(replicas.map((r) => r.finished));
        const wallMs = performance.now() - started;
        stop();
        const acked = new Map<string, string[]>();
        replicas.forEach((r, i) => {
          for (const [s, ids] of r.acked) acked.set(`${i}/${s}`, ids);
        });
        return { wallMs, turnMs: replicas.flatMap((r) => r.turnMs), errors: replicas.reduce((n, r) => n + r.errors.length, 0), acked };
      },
      async (acked) => {
        log('this package: reading every session back');
        const reader = new RedisSessionMemoryService(connection);
        let lost = 0;
        let duplicated = 0;
        for (const [key, ids] of acked) {
          const [r, sessionId] = key.split('/') as [string, string];
          const session = await reader.getSession({ appName: sdkApp, userId: user(Number(r)), sessionId });
          const check = checkSession(ids, session?.events ?? []);
          lost += check.lost.length;
          duplicated += check.duplicated.length;
        }
        return { lost, duplicated };
      },
    );

    const pyApp = `load-py-${runId}`;
    const python = await ensureInteropEnvironment(log);
    for (let r = 0; r < REPLICAS; r++) drivers.push(await startPythonDriver(python));
    const pyConn = { backend: 'opensource-agent-memory', url: server.url, app: pyApp };
    const py = await side(
      server,
      async () => {
        // Each driver prints "load-progress n" (its turns done so far) on stderr.
        const doneBy = (d: PythonDriver) => Number([...d.stderr().matchAll(/load-progress (\d+)/g)].at(-1)?.[1] ?? 0);
        const stop = progress('Python adk-redis', total, () => drivers.reduce((n, d) => n + doneBy(d), 0), log);
        const started = performance.now();
        const outcomes = await Promise.all(
          drivers.map((d, r) =>
            d.call<{ acked: Record<string, string[]>; turnMs: number[]; errors: unknown[] }>('load_replica', {
              ...pyConn,
              user: user(r),
              sessions: sessionIds(r),
              turns: TURNS,
              memoryEvery: MEMORY_EVERY,
              searchEvery: SEARCH_EVERY,
            }),
          ),
        );
        const wallMs = performance.now() - started;
        stop();
        const acked = new Map<string, string[]>();
        outcomes.forEach((o, r) => {
          for (const [s, ids] of Object.entries(o.acked)) acked.set(`${r}/${s}`, ids);
        });
        return { wallMs, turnMs: outcomes.flatMap((o) => o.turnMs), errors: outcomes.reduce((n, o) => n + o.errors.length, 0), acked };
      },
      async (acked) => {
        log('Python adk-redis: reading every session back');
        let lost = 0;
        let duplicated = 0;
        for (const [key, ids] of acked) {
          const [r, sessionId] = key.split('/') as [string, string];
          // The Python adk-redis keeps no event ids: events are told apart by what it keeps of them.
          const events = await drivers[0]!.call<string[] | null>('session_event_keys', { ...pyConn, user: user(Number(r)), session: sessionId });
          const check = checkSession(
            ids,
            (events ?? []).map((id) => ({ id })),
          );
          lost += check.lost.length;
          duplicated += check.duplicated.length;
        }
        return { lost, duplicated };
      },
    );
    return { replicas: REPLICAS, sessionsPerReplica: SESSIONS, turns: TURNS, apiProcesses: API_PROCESSES, taskWorkers: TASK_WORKERS, sdk, python: py };
  } finally {
    for (const r of replicas) r.kill();
    await Promise.all(drivers.map((d) => d.close()));
    await server.close();
  }
}

export function printLoad(load: LoadResult): void {
  console.log(
    `\n13. Load: ${load.replicas} agent replicas × ${load.sessionsPerReplica} sessions × ${load.turns} turns on one real Agent Memory Server (${load.apiProcesses} API processes, ${load.taskWorkers} task workers)`,
  );
  console.log('| client | turns/s | p50 ms | p99 ms | errors | lost | duplicated | server CPU µs per turn |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, s] of [
    ['this package', load.sdk],
    ['Python adk-redis 0.0.10', load.python],
  ] as const) {
    console.log(
      `| ${name} | ${s.turnsPerSecond.toFixed(1)} | ${s.p50Ms.toFixed(0)} | ${s.p99Ms.toFixed(0)} | ${s.errors} | ${s.lost} | ${s.duplicated} | ${s.serverCpuPerTurnUs.toFixed(0)} |`,
    );
  }
}
