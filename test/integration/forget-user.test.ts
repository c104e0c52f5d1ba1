import { createEvent, createEventActions, InMemorySessionService, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetUser } from '../../src/index.js';
import type { RealAgentMemoryServer } from '../../src/testing/index.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';
import { rawStore } from '../helpers/raw-store.js';
import { createAgentMemoryServerClient } from '../../src/clients/index.js';
import { amsKeys } from '../../src/backends/ams-sessions.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
const say = (author: string, text: string, delta?: Record<string, unknown>): Event =>
  createEvent({
    id: uid('e'),
    invocationId: 'inv',
    author,
    timestamp: Date.now(),
    content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] },
    ...(delta ? { actions: createEventActions({ stateDelta: delta }) } : {}),
  });

/**
 * What the Agent Memory Server reference server holds of a user, through its API: working memories
 * of every namespace listed by the user's id, the user's state journal and the users registry of
 * the app's namespace, and long-term memories found by the user's id.
 */
async function amsHolds(target: Target, appName: string, user: string): Promise<string> {
  const client = createAgentMemoryServerClient({ apiBaseUrl: target.directUrl! });
  const lists = await Promise.all([
    client.listSessions({ user_id: user, limit: 100 }),
    client.listSessions({ namespace: amsKeys.userState(appName, appName, user).namespace, limit: 100 }),
    client.listSessions({ namespace: amsKeys.users(appName).namespace, limit: 100 }),
  ]);
  const memories = await client.searchLongTermMemory({ user_id: { eq: user }, limit: 100 });
  return JSON.stringify([lists.map((l) => l.sessions), memories.memories.map((m) => [m.user_id, m.text])]);
}

/** Everything the store holds, as raw text: every key and value of the real server's Redis, or every session and record of the Redis Agent Memory store. */
async function everything(target: Target, appName: string, user: string): Promise<string> {
  if (target.real) {
    const redis = target.server as RealAgentMemoryServer;
    const all = (await redis.redisCli('--scan')).split('\n').filter(Boolean);
    // The server's own records of its background tasks (Docket runs and results, with the task's
    // arguments) are not data anyone keeps: the server lets them expire (15 minutes). They are
    // left out, once shown to expire.
    const tasks = all.filter((k) => /^memory-server:(runs|results):/.test(k));
    for (const k of tasks) expect(Number(await redis.redisCli('TTL', k))).toBeGreaterThan(0);
    const keys = all.filter((k) => !tasks.includes(k));
    const values = await Promise.all(
      keys.map(async (k) => {
        const type = (await redis.redisCli('TYPE', k)).trim();
        const read =
          type === 'hash'
            ? ['HGETALL', k]
            : type === 'ReJSON-RL'
              ? ['JSON.GET', k]
              : type === 'string'
                ? ['GET', k]
                : type === 'set'
                  ? ['SMEMBERS', k]
                  : type === 'zset'
                    ? ['ZRANGE', k, '0', '-1']
                    : type === 'list'
                      ? ['LRANGE', k, '0', '-1']
                      : undefined;
        return `${k} ${read ? await redis.redisCli(...read) : type}`;
      }),
    );
    return values.join('\n');
  }
  if (target.backend === 'opensource-agent-memory') return amsHolds(target, appName, user);
  const ids = ((await rawStore(target, 'GET', '/session-memory?includeAll=true&limit=1000')).json as { items: string[] }).items;
  const sessions = await Promise.all(
    ids.map(async (id) => JSON.stringify((await rawStore(target, 'GET', `/session-memory/${id}?includeSummarisedEvents=true`)).json)),
  );
  const records = (await rawStore(target, 'POST', '/long-term-memory/search', { limit: 100 })).json;
  return [...sessions, JSON.stringify(records)].join('\n');
}

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))('forgetUser on %s', (backend) => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget(backend, { server: { backgroundTasks: 'manual' } });
  }, 240_000);
  afterAll(() => closeIfStarted(target));

  it("erases the user's sessions, user state and every memory (extracted ones too), and nothing of anyone else", async () => {
    const appName = uid('coach');
    const gone = uid('forget-me');
    const kept = uid('keep-me');
    const sessions = target.service();
    const memory = target.memory!();
    for (const user of [gone, kept]) {
      for (const n of [1, 2]) {
        const s = await sessions.createSession({ appName, userId: user, state: { 'user:units': `km-${user}`, plan: n } });
        await sessions.appendEvent({ session: s, event: say('user', `I am ${user} and I run on day ${n}`, { 'user:level': `advanced-${user}` }) });
        await sessions.appendEvent({ session: s, event: say('coach', `Noted for ${user}`) });
        await memory.addSessionToMemory((await sessions.getSession({ appName, userId: user, sessionId: s.id }))!);
      }
      await memory.addMemory({
        appName,
        userId: user,
        memories: [{ content: { parts: [{ text: `${user} prefers trails` }] } }],
        customMetadata: { about: user },
      });
    }
    // The backend's own work: summaries, extraction of memories from the sessions.
    await target.server!.runBackgroundTasks();
    await target.settle();
    const before = await everything(target, appName, gone);
    expect(before).toContain(gone);
    const found = async (user: string) => (await memory.searchMemory({ appName, userId: user, query: 'runs trails day' })).memories.length;
    expect(await found(gone)).toBeGreaterThan(0);

    const report = await forgetUser({ sessionService: sessions, memoryService: memory, appName, userId: gone });
    expect(report.sessions).toHaveLength(2);
    expect(report.userState).toBe(true);
    expect(report.memories).toBeGreaterThanOrEqual(3);
    await target.settle();

    expect(await everything(target, appName, gone)).not.toContain(gone);
    expect(await everything(target, appName, kept)).toContain(kept);
    expect((await sessions.listSessions({ appName, userId: gone })).sessions).toEqual([]);
    expect(await found(gone)).toBe(0);
    // A fresh session of the same user starts with no user state.
    expect((await target.service().createSession({ appName, userId: gone, sessionId: uid('again') })).state).toEqual({});
    await target.service().deleteSession({ appName, userId: gone, sessionId: (await sessions.listSessions({ appName, userId: gone })).sessions[0]!.id });

    const others = await sessions.listSessions({ appName });
    expect(others.sessions.map((s) => s.userId)).toEqual([kept, kept]);
    expect(others.sessions.every((s) => s.state['user:level'] === `advanced-${kept}`)).toBe(true);
    expect(await found(kept)).toBeGreaterThanOrEqual(3);
    for (const s of others.sessions) expect((await sessions.getSession({ appName, userId: kept, sessionId: s.id }))?.events).toHaveLength(2);
  }, 120_000);
});

describe('forgetUser with one of ADK own session services', () => {
  it('deletes the sessions and says the user state could not be reached', async () => {
    const service = new InMemorySessionService();
    await service.createSession({ appName: 'a', userId: 'u', sessionId: 's1', state: { 'user:x': 1 } });
    await service.createSession({ appName: 'a', userId: 'v', sessionId: 's2' });
    expect(await forgetUser({ sessionService: service, appName: 'a', userId: 'u' })).toEqual({ sessions: ['s1'], userState: false, memories: 0 });
    expect((await service.listSessions({ appName: 'a' })).sessions.map((s) => s.userId)).toEqual(['v']);
    expect(service instanceof RedisSessionMemoryService).toBe(false);
  });
});
