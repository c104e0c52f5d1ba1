import { createEvent, type Event, type Session } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryWriteError } from '../../src/index.js';
import type { RealAgentMemoryServer } from '../../src/testing/index.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
const say = (id: string, text: string): Event =>
  createEvent({ id, invocationId: 'inv', author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text }] } });

/**
 * Agent Memory Server answers a long-term write with 200 and indexes the records afterwards; when
 * that indexing fails (its embedding model down, over its rate limit, a reset connection) the
 * records are gone and the client was told nothing. The package reads its records back, sends the
 * missing ones again, and rejects when the server still has not got them. On the reference server
 * the indexing is lost by a fault; on the real server v0.15.2 (`npm run test:real`) its embedding
 * model fails the requests (three in a row: the server tries each embedding three times).
 */
describe('Agent Memory Server: a write is confirmed once the server has indexed it', () => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory');
  });
  afterAll(() => closeIfStarted(target));

  /** Makes the server lose the indexing of the next `writes` long-term writes, after answering them. */
  const loseIndexing = (writes: number) => {
    if (target.real) (target.server as RealAgentMemoryServer).model.failEmbeddings(3 * writes);
    else target.server!.faults.add({ kind: 'lose-after-work', method: 'POST', path: /^\/v1\/long-term-memory\/?$/, times: writes });
  };
  /** Makes the server lose every write's indexing until `keepIndexing`. */
  const loseAllIndexing = () => {
    if (target.real) (target.server as RealAgentMemoryServer).model.failEmbeddings(Number.MAX_SAFE_INTEGER);
    else target.server!.faults.add({ kind: 'lose-after-work', method: 'POST', path: /^\/v1\/long-term-memory\/?$/ });
  };
  const keepIndexing = () => {
    if (target.real) (target.server as RealAgentMemoryServer).model.failEmbeddings(0);
    else target.server!.faults.clear();
  };
  const session = async (app: string, user: string, texts: string[]): Promise<Session> => {
    const sessions = target.service();
    const s = await sessions.createSession({ appName: app, userId: user });
    for (const [i, text] of texts.entries()) await sessions.appendEvent({ session: s, event: say(`e${i}`, text) });
    // What the server does after those writes (indexing, promotion in its task worker) is done before the failures are armed.
    await target.server!.runBackgroundTasks();
    return (await sessions.getSession({ appName: app, userId: user, sessionId: s.id }))!;
  };
  /** The texts of the package's message records the server has now, read directly. */
  const stored = async (app: string, user: string) => {
    const res = await fetch(`${target.directUrl}/v1/long-term-memory/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: { eq: app }, user_id: { eq: user }, memory_type: { eq: 'message' }, limit: 100, recency_boost: false }),
    });
    // The package's records read `(day) user: text`; the real server also promotes the session's
    // messages to long-term records of their own, with the bare text.
    return ((await res.json()) as { memories: { text: string }[] }).memories
      .filter((m) => /^\([^)]*\) user: /.test(m.text))
      .map((m) => m.text.replace(/^\([^)]*\) user: /, ''))
      .sort();
  };
  const texts = ['My sister lives in Lisbon', 'I am allergic to peanuts'];

  it('shows the server losing a write it answered 200 to, when confirmation is off', async () => {
    const [app, user] = [uid('lost'), uid('u')];
    const memory = target.memory!({ confirmIndexed: false });
    const s = await session(app, user, texts);
    loseIndexing(1);
    await memory.addSessionToMemory(s);
    await target.settle();
    expect(await stored(app, user)).toEqual([]);
  });

  it('sends records the server accepted and did not index again, and resolves only once it has them', async () => {
    const [app, user] = [uid('resent'), uid('u')];
    // The first wait always runs out (those records never come); the second is the server indexing them.
    const memory = target.memory!({ confirmIndexed: { timeoutMs: 3_000 } });
    const s = await session(app, user, texts);
    loseIndexing(1);
    await memory.addSessionToMemory(s);
    // No settling: the call resolved, so the records are there now.
    expect(await stored(app, user)).toEqual([...texts].sort());
    if (!target.real) {
      const posts = target.server!.faults.log.filter((r) => r.method === 'POST' && /^\/v1\/long-term-memory\/?$/.test(r.path));
      expect(posts.slice(-2).map((r) => r.fault ?? 'indexed')).toEqual(['lose-after-work', 'indexed']);
    }
  });

  it('rejects with a MemoryWriteError naming the records the server still has not indexed after they were sent again', async () => {
    const [app, user] = [uid('failed'), uid('u')];
    const memory = target.memory!({ confirmIndexed: { timeoutMs: 500 } });
    const s = await session(app, user, texts);
    loseAllIndexing();
    try {
      const posted = target.real ? 0 : target.server!.faults.log.length;
      const err = await memory.addSessionToMemory(s).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MemoryWriteError);
      const failed = err as MemoryWriteError;
      expect(failed.type).toBe('not-indexed');
      expect(failed.retryable).toBe(true);
      expect(failed.failed).toHaveLength(2);
      for (const { id } of failed.failed) expect(failed.message).toContain(id);
      expect(await stored(app, user)).toEqual([]);
      // Sent once, then once again: no more.
      if (!target.real)
        expect(target.server!.faults.log.slice(posted).filter((r) => r.method === 'POST' && /^\/v1\/long-term-memory\/?$/.test(r.path))).toHaveLength(2);
    } finally {
      keepIndexing();
    }
  });

  it('reads a record again when a read-back fails in a way worth retrying, instead of failing the write', async () => {
    if (target.real) return; // a fault only the reference server can inject
    const [app, user] = [uid('reread'), uid('u')];
    const memory = target.memory!({ confirmIndexed: { timeoutMs: 5_000 } });
    const s = await session(app, user, texts);
    // The service makes no retries of its own here (maxRetries 0): the confirmation reads again.
    target.server!.faults.add({ kind: 'status', status: 500, method: 'GET', path: /^\/v1\/long-term-memory\/m-/, times: 2 });
    await memory.addSessionToMemory(s);
    expect(await stored(app, user)).toEqual([...texts].sort());
    const reads = target.server!.faults.log.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/long-term-memory/m-'));
    expect(reads.filter((r) => r.fault === 'status')).toHaveLength(2);
  });

  it('reads back only what a write adds: a session sent again re-checks its new turn, not the ones already confirmed', async () => {
    const [app, user] = [uid('again'), uid('u')];
    const memory = target.memory!({ confirmIndexed: { timeoutMs: 1_000 } });
    const sessions = target.service();
    const s = await session(app, user, texts);
    await memory.addSessionToMemory(s);
    await sessions.appendEvent({ session: s, event: say('e9', 'I moved to Porto last spring') });
    await target.server!.runBackgroundTasks();
    const logged = target.real ? 0 : target.server!.faults.log.length;
    loseIndexing(1);
    await memory.addSessionToMemory((await sessions.getSession({ appName: app, userId: user, sessionId: s.id }))!);
    expect((await stored(app, user)).length).toBe(3);
    if (target.real) return; // the real server's requests are not logged
    // The new record was read until the wait ran out, and again after it was sent again; the two
    // records confirmed by the first call were not read at all.
    const reads = target.server!.faults.log.slice(logged).filter((r) => r.method === 'GET' && r.path.startsWith('/v1/long-term-memory/'));
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(new Set(reads.map((r) => r.path)).size).toBe(1);
  });
});
