// An agent replica, as one process of a horizontally deployed ADK agent: it serves its sessions
// turn after turn (getSession, the user's message, a tool call and its result, the answer; every
// few turns addSessionToMemory or searchMemory) through one session service and one memory
// service, for the load bench and the production drills. It prints one JSON line per fact:
//   {"ack": [sessionId, eventId]}  an append that resolved (the event is stored)
//   {"turn": ms}                    a turn that completed, and how long it took
//   {"error": {...}}                a call that rejected: which, the error's class and message
//   {"midTurn": sessionId}          the user's message of a turn is stored, the rest is to come
//   {"ready": true}                 loaded, waiting for "go" (with startOnGo)
//   {"stats": {...}}                requests sent, and attempts that failed (5xx, no answer): each
//                                   was retried unless its call is among the errors
//   {"done": true}                  every turn asked for has run (or "stop" arrived on stdin)
import { createInterface } from 'node:readline';
import { RedisLongTermMemoryService, type RedisLongTermMemoryServiceConfig } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import type { RedisSessionMemoryServiceConfig } from '../../src/services/session-service.js';
import { message, toolPair } from '../../bench/events.js';

export interface ReplicaConfig {
  service: RedisSessionMemoryServiceConfig;
  memory: RedisLongTermMemoryServiceConfig;
  app: string;
  user: string;
  sessions: string[];
  /** Turns per session; 0: until "stop" arrives on stdin. */
  turns: number;
  /** Create the sessions first (else they exist). */
  create: boolean;
  /** addSessionToMemory after every n-th turn of a session (0: never). */
  memoryEvery: number;
  /** searchMemory at every n-th turn of a session (0: never). */
  searchEvery: number;
  /** Numbers this replica's turns apart from another's on the same session. */
  turnBase?: number;
  /** Print {"ready": true} once loaded and wait for "go" on stdin before serving (a bench starts all replicas at once). */
  startOnGo?: boolean;
  /** SIGKILL itself as soon as the answer to its n-th request has arrived, before its caller sees it. */
  killAfterRequests?: number;
  /** The events of a turn share one invocation id, as a Runner's do (else each message has its own). */
  oneInvocationPerTurn?: boolean;
}

const config = JSON.parse(process.env.REPLICA_CONFIG!) as ReplicaConfig;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const stats = { requests: 0, failedAttempts: 0, failedBy: {} as Record<string, number> };
const failed = (why: string) => {
  stats.failedAttempts++;
  stats.failedBy[why] = (stats.failedBy[why] ?? 0) + 1;
};
const counted = async (req: Request): Promise<Response> => {
  const n = ++stats.requests;
  try {
    const res = await fetch(req);
    if (n === config.killAfterRequests) process.kill(process.pid, 'SIGKILL');
    if (res.status >= 500) failed(String(res.status));
    return res;
  } catch (e) {
    failed((e as Error).name);
    throw e;
  }
};
const sessions = new RedisSessionMemoryService({ ...config.service, fetch: counted });
const memory = new RedisLongTermMemoryService({ ...config.memory, fetch: counted });
let stopping = false;
let go!: () => void;
const went = new Promise<void>((resolve) => (go = resolve));
// "stop", or the parent gone (stdin closed): finish the turns in hand and end.
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() === 'stop') stopping = true;
    if (line.trim() === 'go') go();
  })
  .on('close', () => (stopping = true));

const attempt = async <T>(op: string, work: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await work();
  } catch (e) {
    const err = e as Error;
    say({ error: { op, name: err.name, message: err.message.slice(0, 300) } });
    return undefined;
  }
};

async function serve(sessionId: string): Promise<void> {
  const scope = { appName: config.app, userId: config.user, sessionId };
  if (config.create && !(await attempt('createSession', () => sessions.createSession(scope)))) return;
  for (let t = 0; (config.turns === 0 || t < config.turns) && !stopping; t++) {
    const started = performance.now();
    const n = (config.turnBase ?? 0) + t;
    const session = await attempt('getSession', () => sessions.getSession(scope));
    if (!session) continue;
    const turnEvents = [message(2 * n, true), ...toolPair(n), message(2 * n + 1, false)];
    const events = config.oneInvocationPerTurn ? turnEvents.map((e) => ({ ...e, invocationId: `inv-${n}` })) : turnEvents;
    let ok = true;
    for (const [i, event] of events.entries()) {
      if (!(await attempt('appendEvent', () => sessions.appendEvent({ session, event })))) {
        ok = false;
        break;
      }
      say({ ack: [sessionId, event.id] });
      if (i === 0) say({ midTurn: sessionId });
    }
    if (ok && config.searchEvery && t % config.searchEvery === config.searchEvery - 1) {
      ok =
        (await attempt('searchMemory', () => memory.searchMemory({ appName: config.app, userId: config.user, query: 'how was the tempo run?' }))) !== undefined;
    }
    if (ok && config.memoryEvery && t % config.memoryEvery === config.memoryEvery - 1) {
      ok = (await attempt('addSessionToMemory', () => memory.addSessionToMemory(session).then(() => true))) !== undefined;
    }
    if (ok) say({ turn: performance.now() - started });
  }
}

if (config.startOnGo) {
  say({ ready: true });
  await went;
}
await Promise.all(config.sessions.map(serve));
say({ stats });
say({ done: true });
process.exit(0);
