import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../../src/clients/errors.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import type { ReplicaConfig } from '../helpers/agent-replica.js';
import { alive } from '../helpers/alive.js';
import { eventually } from '../helpers/eventually.js';
import { checkSession, startReplica, type Replica } from '../helpers/replicas.js';
import { closeIfStarted } from '../helpers/started.js';

/** The errors this package promises a caller: the typed ones of adk-redis/clients. */
const TYPED = new Set(
  Object.values(errors)
    .filter((v): v is typeof errors.AgentMemoryError => typeof v === 'function' && v.prototype instanceof errors.AgentMemoryError)
    .map((c) => c.name),
);
const EXTRACTION_KINDS = ['discrete', 'summary', 'preferences', 'custom'];
/** Acknowledged appends a replica makes between two looks, so that "it went on" means turns, not a lucky call. */
const PROGRESS = 8;

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
const acked = (r: Replica) => [...r.acked.values()].reduce((n, ids) => n + ids.length, 0);

/**
 * Production drills: the server deployed as in production (two API processes behind a balancer,
 * two task workers, Redis with an append-only file), agent replicas appending and searching, and
 * a part of the deployment failing under them. Every wait is on what the drill observes (acks,
 * the server's task queue, the model's calls), bounded; none on time.
 */
describe('production drills on the real Agent Memory Server', () => {
  let server: RealAgentMemoryServer;
  let service: ReplicaConfig['service'];
  let memory: ReplicaConfig['memory'];
  const figures: Record<string, unknown>[] = [];

  beforeAll(async () => {
    server = await startRealAgentMemoryServer({ apiProcesses: 2, taskWorkers: 2, redisPersistence: 'aof', redeliveryTimeoutSeconds: 5 });
    // Retries that outlast a restart of Redis or of an API process (base 0.2 s, doubling: about 6 s in all).
    const connection = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, timeout: 10, maxRetries: 5, retryBaseDelay: 0.2 };
    service = connection;
    memory = connection;
  }, 240_000);
  afterAll(async () => {
    if (figures.length) console.log(`drill figures:\n${figures.map((f) => JSON.stringify(f)).join('\n')}`);
    await closeIfStarted(server);
  });

  const replicaFor = (app: string, r: number, sessions: string[], extra: Partial<ReplicaConfig> = {}) =>
    startReplica({ service, memory, app, user: `user-${r}`, sessions, turns: 0, create: true, memoryEvery: 3, searchEvery: 2, ...extra });

  /** What every drill checks once the load has stopped: nothing acknowledged lost or doubled, only typed errors, the background work done. */
  async function verify(app: string, replicas: Replica[], name: string, faultMs: number, restartsBefore: number) {
    const ends = await Promise.all(replicas.map((r) => r.finished));
    expect(ends).toEqual(replicas.map(() => '0'));
    const reader = new RedisSessionMemoryService(service);
    let lost = 0;
    let duplicated = 0;
    for (const [r, replica] of replicas.entries()) {
      for (const [sessionId, ids] of replica.acked) {
        const session = await reader.getSession({ appName: app, userId: `user-${r}`, sessionId });
        const check = checkSession(ids, session?.events ?? []);
        expect(check, `${name}: session ${sessionId}`).toEqual({ lost: [], duplicated: [] });
        lost += check.lost.length;
        duplicated += check.duplicated.length;
      }
    }
    const failed = replicas.flatMap((r) => r.errors);
    expect(failed.filter((e) => !TYPED.has(e.name))).toEqual([]);
    // The replicas' retries (about 6 s) outlast each fault as callers meet it (a Redis restart is
    // about a second; the balancer hides an API process): no call fails at all.
    expect(failed).toEqual([]);
    // The work the load queued (promotion, extraction, indexing) runs to its end.
    await server.runBackgroundTasks();
    figures.push({
      drill: name,
      faultMs,
      turns: replicas.reduce((n, r) => n + r.turnMs.length, 0),
      callsFailed: failed.length,
      failedByType: Object.fromEntries(
        [...new Set(failed.map((e) => `${e.op}:${e.name}`))].map((k) => [k, failed.filter((e) => `${e.op}:${e.name}` === k).length]),
      ),
      attemptsRetried: replicas.reduce((n, r) => n + r.stats.failedAttempts, 0) - failed.length,
      failedAttemptsBy: replicas.reduce<Record<string, number>>((all, r) => {
        for (const [k, n] of Object.entries(r.stats.failedBy)) all[k] = (all[k] ?? 0) + n;
        return all;
      }, {}),
      lost,
      duplicated,
      supervisorRestarts: server.supervisorRestarts().length - restartsBefore,
    });
  }

  /** Two replicas under load; `fault` runs once both serve; both must then serve more turns with the same service instances. */
  async function drill(name: string, fault: () => Promise<void>) {
    const app = uid(name);
    const replicas = [0, 1].map((r) => replicaFor(app, r, [`${name}-${r}-a`, `${name}-${r}-b`]));
    const restartsBefore = server.supervisorRestarts().length;
    try {
      await eventually('both replicas serve turns', () => replicas.every((r) => acked(r) >= PROGRESS), { withinMs: 120_000 });
      const before = replicas.map(acked);
      const started = Date.now();
      await fault();
      const faultMs = Date.now() - started;
      await eventually(
        'both replicas serve turns after the fault, with the same service instances',
        () => replicas.every((r, i) => acked(r) >= before[i]! + PROGRESS),
        {
          withinMs: 120_000,
        },
      );
      for (const r of replicas) r.stop();
      await verify(app, replicas, name, faultMs, restartsBefore);
    } finally {
      for (const r of replicas) r.kill();
    }
  }

  it('restarts an API process under load', async () => {
    const before = server.parts().api[0];
    await drill('restart-api', () => server.restart('api', { index: 0 }));
    expect(server.parts().api[0]).not.toBe(before);
  }, 400_000);

  it('loses one of two API processes for good (SIGKILL): the other serves every call', async () => {
    await drill('kill-api', () => server.kill('api', { index: 1 }));
    // Whole again for the drills after this one.
    await server.restart('api', { index: 1 });
  }, 400_000);

  it('loses a task worker in the middle of an extraction (SIGKILL), then starts one: the extraction runs again to its end', async () => {
    const extractions = () => EXTRACTION_KINDS.reduce((n, k) => n + (server.model.calls[k] ?? 0), 0);
    let killedPid = 0;
    let callsWhenKilled = 0;
    await drill('kill-task-worker', async () => {
      // The model holds extractions: one is then running on a worker, between its read and its write-back.
      const release = server.model.hold(() => undefined);
      try {
        await eventually('an extraction waits at the model', () => server.model.held() > 0, { withinMs: 120_000 });
        const { runningOn } = await server.backgroundTaskCounts();
        const workers = server.parts().taskWorkers;
        const index = workers.findIndex((pid) => (runningOn[String(pid)] ?? 0) > 0);
        expect(index).toBeGreaterThanOrEqual(0);
        killedPid = workers[index]!;
        callsWhenKilled = extractions();
        await server.kill('task-worker', { index });
        await server.restart('task-worker', { index });
      } finally {
        release();
      }
    });
    // Docket gives the dead worker's task to a live one once its redelivery timeout has passed.
    await eventually(
      "the killed worker's extraction has run again and nothing is left in the queue",
      async () => {
        const counts = await server.backgroundTaskCounts();
        return !counts.runningOn[String(killedPid)] && !Object.keys(counts.running).length && !counts.waiting.run_delayed_extraction;
      },
      { withinMs: 120_000 },
    );
    expect(extractions()).toBeGreaterThan(callsWhenKilled);
  }, 400_000);

  it("restarts Redis (SIGKILL, append-only file): nothing acknowledged is lost and the server's clients reconnect", async () => {
    await drill('restart-redis', () => server.restart('redis'));
    // The server's task workers can end when Redis drops their connection (here at least one did
    // in every run so far, not always both): whatever ended was started again, and the load's
    // background work ran to its end on the workers there are now (the drill waited on it).
    // A worker can end after the drill's last look; the supervisor starts it again meanwhile.
    await eventually('every task worker is alive', () => server.parts().taskWorkers.every(alive), { withinMs: 120_000 });
  }, 400_000);

  it('starts again a task worker that ends on its own, as a deployment supervisor does', async () => {
    await eventually('every task worker is alive', () => server.parts().taskWorkers.every(alive), { withinMs: 120_000 });
    const before = server.supervisorRestarts().length;
    const [victim] = server.parts().taskWorkers;
    // Not through kill(): the harness must take it as a process that died.
    process.kill(victim!, 'SIGKILL');
    await eventually('the supervisor has started the worker again', () => server.parts().taskWorkers[0] !== victim, { withinMs: 120_000 });
    expect(server.supervisorRestarts().slice(before)).toEqual([{ part: 'task-worker', index: 0, exit: 'SIGKILL' }]);
    // Started again means its heartbeat reached Docket: the queue is served again.
    await server.runBackgroundTasks();
  }, 400_000);

  it('loses an agent replica in the middle of a Runner turn (SIGKILL): another replica serves the next turn of that session', async () => {
    const app = uid('kill-replica');
    const sessionId = 'handed-over';
    await drill('kill-replica', async () => {
      const first = replicaFor(app, 7, [sessionId]);
      try {
        await eventually('the first replica serves turns', () => acked(first) >= PROGRESS, { withinMs: 120_000 });
        await first.midTurn(sessionId);
        first.kill();
        await first.finished;
      } finally {
        first.kill();
      }
      const next = replicaFor(app, 7, [sessionId], { create: false, turns: 1, turnBase: 10_000 });
      expect(await next.finished).toBe('0');
      expect(next.errors).toEqual([]);
      expect(next.turnMs).toHaveLength(1);
      const session = await new RedisSessionMemoryService(service).getSession({ appName: app, userId: 'user-7', sessionId });
      const ids = [...(first.acked.get(sessionId) ?? []), ...(next.acked.get(sessionId) ?? [])];
      expect(checkSession(ids, session!.events)).toEqual({ lost: [], duplicated: [] });
      // The next turn's four events follow what the first replica stored.
      expect(session!.events.slice(-4).map((e) => e.id)).toEqual(next.acked.get(sessionId));
    });
  }, 400_000);
});
