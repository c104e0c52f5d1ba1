import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(root, 'node_modules', '.bin', 'tsx');
const PER_WRITER = 200;

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))('two processes appending to one session on %s', (backend) => {
  let target: Target;
  beforeAll(async () => {
    // Every one of 400 events is read back, so the store must not summarise and clean up old ones
    // (Agent Memory Server's write-back may run: the session's record does not depend on the view).
    target = await backendTarget(backend, { viaPrism: false, server: { backgroundTasks: backend === 'redis-agent-memory' ? 'manual' : 'auto' } });
  });
  afterAll(() => closeIfStarted(target));

  it(`keeps every resolved append of 2 × ${PER_WRITER} concurrent appends, exactly once, in each writer's order`, async () => {
    const config = target.config({ maxRetries: 2 });
    const svc = new RedisSessionMemoryService(config);
    const scope = ['race-app', 'u1', `race-${Date.now()}`] as const;
    await svc.createSession({ appName: scope[0], userId: scope[1], sessionId: scope[2] });
    const worker = (tag: string) =>
      run(TSX, [path.join(import.meta.dirname, 'append-worker.ts')], {
        cwd: root,
        env: { ...process.env, WORKER_CONFIG: JSON.stringify(config), WORKER_SCOPE: JSON.stringify(scope), WORKER_TAG: tag, WORKER_COUNT: String(PER_WRITER) },
        timeout: 120_000,
      }).then(({ stdout }) => JSON.parse(stdout) as { resolved: string[]; rejected: string[] });
    const [a, b] = await Promise.all([worker('A'), worker('B')]);
    const read = (await svc.getSession({ appName: scope[0], userId: scope[1], sessionId: scope[2] }))!;
    const ids = read.events.map((e) => e.id);
    console.log(
      `${backend}: resolved A=${a.resolved.length} B=${b.resolved.length}, rejected A=${a.rejected.length} B=${b.rejected.length}, read back ${ids.length}`,
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...a.resolved, ...b.resolved].sort());
    for (const w of [a, b]) {
      const own = ids.filter((id) => w.resolved.includes(id));
      expect(own).toEqual(w.resolved);
    }
    // Nothing was refused and nothing was lost.
    expect(a.rejected.concat(b.rejected)).toEqual([]);
    expect(ids).toHaveLength(2 * PER_WRITER);
  }, 180_000);
});
