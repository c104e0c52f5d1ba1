import { createEvent } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryWriteError } from '../../src/backends/memory-write-error.js';
import { InvalidInputError } from '../../src/clients/errors.js';
import type { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { REAL_AMS, backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
const fact = (text: string, extra: Record<string, unknown> = {}) => ({ content: { role: 'user', parts: [{ text }] }, ...extra });
const texts = (r: { memories: { content: { parts?: { text?: string }[] } }[] }) => r.memories.map((m) => m.content.parts?.[0]?.text);

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))('memory conformance: %s', (backend) => {
  let target: Target;
  let mem: RedisLongTermMemoryService;
  beforeAll(async () => {
    target = await backendTarget(backend);
    mem = target.memory!();
  });
  afterAll(() => closeIfStarted(target));

  it('finds a stored fact by meaning, with id, type, topics and score', async () => {
    const app = uid('app');
    await mem.addMemory({
      appName: app,
      userId: 'u1',
      memories: [fact('User prefers window seats', { topics: ['travel'] }), fact('User is training for a marathon')],
    });
    await target.settle();
    const res = await mem.searchMemory({ appName: app, userId: 'u1', query: 'Which seat does the user like?' });
    expect(texts(res)[0]).toBe('User prefers window seats');
    const top = res.memories[0]!;
    expect(top).toMatchObject({ memoryType: 'semantic', topics: ['travel'] });
    expect(top.id).toMatch(/^m-[0-9a-f]{40}$/);
    expect(typeof top.timestamp).toBe('string');
    if (backend === 'opensource-agent-memory') expect(top.score).toBeGreaterThan(0);
    else expect(top.score).toBeUndefined();
  });

  it("never returns another user's, app's or namespace's memories", async () => {
    const app = uid('app');
    const other = uid('app');
    await mem.addMemory({ appName: app, userId: 'alice', memories: [fact('Alice prefers window seats')] });
    await mem.addMemory({ appName: other, userId: 'bob', memories: [fact('Bob prefers window seats')] });
    const tenant = target.memory!({ defaultNamespace: 'tenant-x' });
    await tenant.addMemory({ appName: app, userId: 'bob', memories: [fact('Tenant Bob prefers window seats')] });
    await target.settle();
    expect(texts(await mem.searchMemory({ appName: app, userId: 'bob', query: 'window seats' }))).toEqual([]);
    expect(texts(await mem.searchMemory({ appName: other, userId: 'alice', query: 'window seats' }))).toEqual([]);
    expect(texts(await tenant.searchMemory({ appName: app, userId: 'alice', query: 'window seats' }))).toEqual([]);
    expect(texts(await tenant.searchMemory({ appName: app, userId: 'bob', query: 'window seats' }))).toEqual(['Tenant Bob prefers window seats']);
    expect(texts(await mem.searchMemory({ appName: app, userId: 'alice', query: 'window seats' }))).toEqual(['Alice prefers window seats']);
  });

  it('stores the same fact, session or events once however often they are added', async () => {
    const app = uid('app');
    const first = await mem.addMemory({ appName: app, userId: 'u1', memories: [fact('User likes oat milk')] });
    const again = await mem.addMemory({ appName: app, userId: 'u1', memories: [fact('User likes oat milk')] });
    expect(again.ids).toEqual(first.ids);
    const session = {
      id: 's1',
      appName: app,
      userId: 'u1',
      state: {},
      lastUpdateTime: 3,
      events: [
        createEvent({ id: 'e1', author: 'user', timestamp: 1, content: { role: 'user', parts: [{ text: 'I swim on Mondays' }] } }),
        createEvent({ id: 'e2', author: 'coach', timestamp: 2, content: { role: 'model', parts: [{ functionCall: { name: 'lookup', args: {} } }] } }),
        createEvent({ id: 'e3', author: 'coach', timestamp: 3, content: { role: 'model', parts: [{ text: 'Noted, swimming on Mondays' }] } }),
      ],
    };
    await mem.addSessionToMemory(session);
    await mem.addSessionToMemory(session);
    await mem.addEventsToMemory({ appName: app, userId: 'u1', sessionId: 's1', events: session.events });
    await target.settle();
    const oat = await mem.searchMemory({ appName: app, userId: 'u1', query: 'oat milk' });
    expect(texts(oat).filter((t) => t === 'User likes oat milk')).toHaveLength(1);
    const swim = await mem.searchMemory({ appName: app, userId: 'u1', query: 'swim swimming Mondays' });
    const messages = swim.memories.filter((m) => m.memoryType === 'message');
    expect(messages.map((m) => `${m.author}|${m.content.parts?.[0]?.text}`).sort()).toEqual(['coach|Noted, swimming on Mondays', 'user|I swim on Mondays']);
    expect(messages.find((m) => m.author === 'user')!.content.role).toBe('user');
  });

  it('applies similarityThreshold and searchTopK, best first', async () => {
    const app = uid('app');
    const facts = Array.from({ length: 15 }, (_, i) => fact(`Fact ${i}: user enjoys cycling route number ${i}`));
    await mem.addMemory({ appName: app, userId: 'u1', memories: [...facts, fact('User prefers window seats')] });
    await target.settle();
    const top3 = target.memory!({ searchTopK: 3 });
    const res = await top3.searchMemory({ appName: app, userId: 'u1', query: 'cycling route' });
    expect(res.memories).toHaveLength(3);
    for (const t of texts(res)) expect(t).toContain('cycling');
    if (backend === 'opensource-agent-memory') {
      // Scores are vector similarities. Fused search (the default) reorders by the question's words
      // too, so only a semantic search's scores fall all the way down.
      const scores = res.memories.map((m) => m.score!);
      for (const s of scores) expect(s).toBeGreaterThanOrEqual(0);
      const semantic = (
        await target.memory!({ searchTopK: 3, searchMode: 'semantic' }).searchMemory({ appName: app, userId: 'u1', query: 'cycling route' })
      ).memories.map((m) => m.score!);
      expect([...semantic].sort((a, b) => b - a)).toEqual(semantic);
    }
    const strict = target.memory!({ similarityThreshold: 0.95 });
    expect(texts(await strict.searchMemory({ appName: app, userId: 'u1', query: 'Which seat does the user like?' }))).toEqual([]);
    const loose = target.memory!({ similarityThreshold: 0.05 });
    expect(texts(await loose.searchMemory({ appName: app, userId: 'u1', query: 'Which seat does the user like?' }))[0]).toBe('User prefers window seats');
  });

  it("writes more than one bulk call's worth (100) of memories", async () => {
    const app = uid('app');
    const many = Array.from({ length: 250 }, (_, i) =>
      fact(`Workout log entry ${i}`, { id: `log-${i}`, memoryType: 'episodic', eventDate: '2026-03-01T08:00:00Z' }),
    );
    const { ids } = await mem.addMemory({ appName: app, userId: 'u1', memories: many });
    expect(new Set(ids).size).toBe(250);
    await target.settle();
    const got = await mem.getMemory({ appName: app, userId: 'u1', id: 'log-249' });
    expect(got).toMatchObject({ memoryType: 'episodic', id: ids[249] });
    expect(got!.content.parts?.[0]?.text).toBe('Workout log entry 249');
  });

  it("updates and deletes only the calling user's memories", async () => {
    const app = uid('app');
    const { ids } = await mem.addMemory({ appName: app, userId: 'u1', memories: [fact('User runs 20 km a week', { id: 'weekly' })] });
    await target.settle();
    const updated = await mem.updateMemory({ appName: app, userId: 'u1', id: 'weekly', text: 'User runs 30 km a week', topics: ['running'] });
    expect(updated).toMatchObject({ id: ids[0], topics: ['running'] });
    expect(texts(await mem.searchMemory({ appName: app, userId: 'u1', query: 'km week' }))).toEqual(['User runs 30 km a week']);
    await expect(mem.updateMemory({ appName: app, userId: 'intruder', id: ids[0]!, text: 'hacked' })).rejects.toThrow(/no memory/);
    expect(await mem.deleteMemory({ appName: app, userId: 'intruder', ids: [ids[0]!] })).toEqual({ deleted: [] });
    expect(await mem.getMemory({ appName: app, userId: 'u1', id: 'weekly' })).toBeDefined();
    expect(await mem.deleteMemory({ appName: app, userId: 'u1', ids: ['weekly', 'never-existed'] })).toEqual({ deleted: [ids[0]] });
    expect(await mem.getMemory({ appName: app, userId: 'u1', id: 'weekly' })).toBeUndefined();
  });

  it('rejects bad memories before sending, and treats an empty query as finding nothing', async () => {
    const app = uid('app');
    await expect(mem.addMemory({ appName: app, userId: 'u1', memories: [fact('   ')] })).rejects.toThrow(/memories\[0\].text must contain text/);
    await expect(mem.addMemory({ appName: app, userId: 'u1', memories: [fact('x'.repeat(50_001))] })).rejects.toThrow(/the limit is 50000/);
    await expect(
      mem.addMemory({ appName: app, userId: 'u1', memories: [fact('ok', { topics: Array.from({ length: 51 }, (_, i) => `t${i}`) })] }),
    ).rejects.toThrow(/limit is 50/);
    await expect(mem.addMemory({ appName: app, userId: 'u1', memories: [fact('ok', { memoryType: 'fact' })] })).rejects.toBeInstanceOf(InvalidInputError);
    expect(await mem.searchMemory({ appName: app, userId: 'u1', query: '   ' })).toEqual({ memories: [] });
  });
});

// Reference-server only: the real-server run covers Agent Memory Server.
if (!REAL_AMS)
  describe('Redis Agent Memory bulk responses', () => {
    let target: Target;
    beforeAll(async () => {
      target = await backendTarget('redis-agent-memory', { viaPrism: false });
    });
    afterAll(() => closeIfStarted(target));

    it('raises per-record errors of a bulk create instead of dropping them', async () => {
      const calls: number[] = [];
      const mem = target.memory!({
        fetch: async (req) => {
          const res = await fetch(req);
          if (!req.url.endsWith('/long-term-memory') || req.method !== 'POST') return res;
          const body = (await res.json()) as { created: string[] };
          calls.push(body.created.length);
          // The backend refuses the first record of each batch.
          const [rejected, ...created] = body.created;
          return new Response(JSON.stringify({ created, errors: [{ id: rejected, error: 'quota exceeded' }] }), {
            status: 201,
            headers: { 'content-type': 'application/json' },
          });
        },
      });
      const many = Array.from({ length: 150 }, (_, i) => fact(`memory ${i}`));
      const err = await mem.addMemory({ appName: uid('app'), userId: 'u1', memories: many }).catch((e: unknown) => e);
      expect(calls).toEqual([100, 50]);
      expect(err).toBeInstanceOf(MemoryWriteError);
      expect((err as MemoryWriteError).failed).toHaveLength(2);
      expect((err as Error).message).toContain('stored 148 of 150');
      expect((err as Error).message).toContain('quota exceeded');
    });
  });
