import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/clients/errors.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { delayedFetch } from './delayed-fetch.js';
import { closeIfStarted } from '../helpers/started.js';

const root = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(root, 'node_modules', '.bin', 'tsx');
/** Added to every request of every replica, so their calls overlap. */
const DELAY_MS = 10;

type Outcome = { ok: true; state: Record<string, unknown>; events: string[] } | { ok: false; error: string };

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))('replicas creating one session id at once on %s', (backend) => {
  let target: Target;
  let n = 0;
  const freshScope = () => ({ appName: 'race-app', userId: 'u1', sessionId: `day-${Date.now()}-${n++}` });
  beforeAll(async () => {
    target = await backendTarget(backend, { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  const replicas = (count: number) =>
    Array.from({ length: count }, () => new RedisSessionMemoryService(target.config({ fetch: delayedFetch(DELAY_MS), maxRetries: 2 })));

  it.each([2, 4, 8])('createSession from %i services: exactly one resolves, the rest get ConflictError, and the winner is stored', async (count) => {
    const scope = freshScope();
    const outcomes = await Promise.allSettled(replicas(count).map((svc, i) => svc.createSession({ ...scope, state: { replica: i } })));
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConflictError);
    const stored = await new RedisSessionMemoryService(target.config()).getSession(scope);
    expect(stored?.state).toEqual({ replica: won[0] });
    expect(stored?.events).toEqual([]);
  });

  it.each([2, 4, 8])('getOrCreateSession from %i services: every call resolves to the one stored session', async (count) => {
    const scope = freshScope();
    const sessions = await Promise.all(replicas(count).map((svc, i) => svc.getOrCreateSession({ ...scope, state: { replica: i } })));
    const stored = (await new RedisSessionMemoryService(target.config()).getSession(scope))!;
    expect(typeof stored.state.replica).toBe('number');
    for (const s of sessions) {
      expect(s.id).toBe(scope.sessionId);
      expect(s.state).toEqual(stored.state);
      expect(s.events).toEqual(stored.events);
    }
  });

  it('an existing session: getOrCreateSession returns it with its events, createSession rejects', async () => {
    const scope = freshScope();
    const [a, b] = replicas(2);
    const created = await a!.createSession({ ...scope, state: { replica: 'a' } });
    const { createEvent } = await import('@google/adk');
    await a!.appendEvent({
      session: created,
      event: createEvent({ id: 'e1', author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text: 'hi' }] } }),
    });
    const got = await b!.getOrCreateSession({ ...scope, state: { replica: 'b' } });
    expect(got.state).toEqual({ replica: 'a' });
    expect(got.events.map((e) => e.id)).toEqual(['e1']);
    await expect(b!.createSession({ ...scope, state: { replica: 'b' } })).rejects.toBeInstanceOf(ConflictError);
  });

  describe.each(['createSession', 'getOrCreateSession'] as const)('two processes calling %s', (mode) => {
    it('agree on one session', async () => {
      const scope = freshScope();
      // Each worker loads, says it is ready, and calls when told to: both are told at once.
      const worker = (tag: string) => {
        const child = spawn(TSX, [path.join(import.meta.dirname, 'create-worker.ts')], {
          cwd: root,
          env: {
            ...process.env,
            WORKER_CONFIG: JSON.stringify(target.config({ maxRetries: 2 })),
            WORKER_SCOPE: JSON.stringify([scope.appName, scope.userId, scope.sessionId]),
            WORKER_TAG: tag,
            WORKER_MODE: mode,
            WORKER_DELAY_MS: String(DELAY_MS),
          },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        const ready = new Promise<void>((resolve) => createInterface({ input: child.stderr }).on('line', (l) => l === 'ready' && resolve()));
        const outcome = new Promise<Outcome>((resolve, reject) =>
          child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout) as Outcome) : reject(new Error(`create-worker ${tag} exited ${code}`)))),
        );
        return { ready, outcome, go: () => child.stdin.end('go\n') };
      };
      const workers = [worker('A'), worker('B')];
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const outcomes = await Promise.all(workers.map((w) => w.outcome));
      const stored = (await new RedisSessionMemoryService(target.config()).getSession(scope))!;
      expect(['A', 'B']).toContain(stored.state.replica);
      if (mode === 'createSession') {
        expect(outcomes.filter((o) => o.ok)).toEqual([{ ok: true, state: stored.state, events: [] }]);
        expect(outcomes.filter((o) => !o.ok)).toEqual([{ ok: false, error: 'ConflictError' }]);
      } else {
        expect(outcomes).toEqual([0, 1].map(() => ({ ok: true, state: stored.state, events: [] })));
      }
    }, 90_000);
  });
});
