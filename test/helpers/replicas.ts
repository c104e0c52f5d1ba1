// The parent's side of test/helpers/agent-replica.ts: starts a replica process, collects what it
// reports, and checks sessions against every event a replica saw acknowledged.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Event } from '@google/adk';
import type { ReplicaConfig } from './agent-replica.js';

export interface ReplicaError {
  op: string;
  name: string;
  message: string;
}

export interface Replica {
  pid: number;
  /** Event ids whose append resolved, per session, in order. */
  acked: Map<string, string[]>;
  /** Milliseconds of each completed turn. */
  turnMs: number[];
  errors: ReplicaError[];
  /** Requests sent and attempts that failed, once the replica has ended on its own. */
  stats: { requests: number; failedAttempts: number; failedBy: Record<string, number> };
  /** Resolves when the replica reports the user's message of a turn of this session stored. */
  midTurn(sessionId: string): Promise<void>;
  /** Resolves when the replica has run every turn asked for (or was stopped), or has died. */
  finished: Promise<string>;
  /** Resolves once a replica started with startOnGo is loaded and waits for `go()`. */
  ready: Promise<void>;
  go(): void;
  /** Asks the replica to finish the turns it is in, then end. */
  stop(): void;
  kill(): void;
}

export function startReplica(config: ReplicaConfig): Replica {
  // Node itself with tsx's loader (not the tsx command, which runs the script in a child of its
  // own): a SIGKILL of this pid is a SIGKILL of the replica.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'agent-replica.ts')], {
    env: { ...process.env, REPLICA_CONFIG: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const acked = new Map<string, string[]>();
  const turnMs: number[] = [];
  const errors: ReplicaError[] = [];
  const stats = { requests: 0, failedAttempts: 0, failedBy: {} as Record<string, number> };
  const waiters = new Map<string, (() => void)[]>();
  let stderr = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as { ack?: [string, string]; turn?: number; error?: ReplicaError; midTurn?: string; stats?: typeof stats; ready?: boolean };
    if (msg.stats) Object.assign(stats, msg.stats);
    if (msg.ready) readyResolve();
    if (msg.ack) acked.set(msg.ack[0], [...(acked.get(msg.ack[0]) ?? []), msg.ack[1]]);
    if (msg.turn !== undefined) turnMs.push(msg.turn);
    if (msg.error) errors.push(msg.error);
    if (msg.midTurn) {
      for (const w of waiters.get(msg.midTurn) ?? []) w();
      waiters.delete(msg.midTurn);
    }
  });
  const finished = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const ws of waiters.values()) for (const w of ws) w();
      resolve(signal ?? (code === 0 ? '0' : `${code}: ${stderr}`));
    }),
  );
  return {
    pid: child.pid!,
    acked,
    turnMs,
    errors,
    stats,
    midTurn: (sessionId) => new Promise<void>((resolve) => waiters.set(sessionId, [...(waiters.get(sessionId) ?? []), resolve])),
    finished,
    ready,
    go: () => child.stdin!.write('go\n'),
    stop: () => child.stdin!.end('stop\n'),
    kill: () => child.kill('SIGKILL'),
  };
}

/** Acknowledged events missing from a session as read, and events read more than once. */
export function checkSession(acked: readonly string[], events: readonly Pick<Event, 'id'>[]): { lost: string[]; duplicated: string[] } {
  const seen = new Map<string, number>();
  for (const e of events) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  return {
    lost: acked.filter((id) => !seen.has(id)),
    duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
  };
}

/** Every session's acknowledged events, over several replicas. */
export function ackedBySession(replicas: readonly Replica[]): Map<string, string[]> {
  const all = new Map<string, string[]>();
  for (const r of replicas) for (const [s, ids] of r.acked) all.set(s, [...(all.get(s) ?? []), ...ids]);
  return all;
}
