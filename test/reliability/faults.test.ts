import { createEvent } from '@google/adk';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AgentMemoryError,
  AuthenticationError,
  ConnectionError,
  InvalidInputError,
  InvalidResponseError,
  RateLimitError,
  RequestAbortedError,
  RequestTimeoutError,
  ServerError,
} from '../../src/clients/errors.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startReferenceServer, type FaultRule, type ReferenceServer } from '../../src/testing/index.js';
import { closeIfStarted } from '../helpers/started.js';

const USER = 'u1';
const AMS_SEARCH_PATH = '/v1/long-term-memory/search';
let seq = 0;
const fresh = () => `app-${++seq}`;
const event = (id: string) => createEvent({ id, author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text: `text of ${id}` }] } });
const fact = (text: string) => ({ content: { role: 'user', parts: [{ text }] } });

interface Ctx {
  sessions: RedisSessionMemoryService;
  memory: RedisLongTermMemoryService;
}

/** A service operation: `prepare` runs without faults, `run` under the fault, `stored` tells whether its write is there. */
interface Operation {
  prepare?(c: Ctx, app: string): Promise<void>;
  run(c: Ctx, app: string): Promise<unknown>;
  /** After a successful run: the effect is there exactly once. */
  verify(c: Ctx, app: string): Promise<void>;
  /** For writes: whether the write is present (used after a failure that did not reach the handler). */
  present?(c: Ctx, app: string): Promise<boolean>;
}

const OPERATIONS: Record<string, Operation> = {
  createSession: {
    run: (c, app) => c.sessions.createSession({ appName: app, userId: USER, sessionId: 's', state: { k: 1 } }),
    verify: async (c, app) => expect((await c.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))?.state).toEqual({ k: 1 }),
    present: async (c, app) => (await c.sessions.getSession({ appName: app, userId: USER, sessionId: 's' })) !== undefined,
  },
  getSession: {
    prepare: async (c, app) => {
      const s = await c.sessions.createSession({ appName: app, userId: USER, sessionId: 's' });
      await c.sessions.appendEvent({ session: s, event: event('e0') });
    },
    run: async (c, app) => expect((await c.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))!.events.map((e) => e.id)).toEqual(['e0']),
    verify: async () => {},
  },
  listSessions: {
    prepare: async (c, app) => void (await c.sessions.createSession({ appName: app, userId: USER, sessionId: 's' })),
    run: async (c, app) => expect((await c.sessions.listSessions({ appName: app, userId: USER })).sessions.map((s) => s.id)).toEqual(['s']),
    verify: async () => {},
  },
  deleteSession: {
    prepare: async (c, app) => void (await c.sessions.createSession({ appName: app, userId: USER, sessionId: 's' })),
    run: (c, app) => c.sessions.deleteSession({ appName: app, userId: USER, sessionId: 's' }),
    verify: async (c, app) => expect(await c.sessions.getSession({ appName: app, userId: USER, sessionId: 's' })).toBeUndefined(),
  },
  appendEvent: {
    prepare: async (c, app) => void (await c.sessions.createSession({ appName: app, userId: USER, sessionId: 's' })),
    run: async (c, app) => {
      const s = (await c.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))!;
      await c.sessions.appendEvent({ session: s, event: event('e1') });
    },
    verify: async (c, app) => expect((await c.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))!.events.map((e) => e.id)).toEqual(['e1']),
    present: async (c, app) => ((await c.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))?.events.length ?? 0) > 0,
  },
  addMemory: {
    run: (c, app) => c.memory.addMemory({ appName: app, userId: USER, memories: [fact('User swims on Fridays')] }),
    verify: async (c, app) => expect((await c.memory.searchMemory({ appName: app, userId: USER, query: 'swims Fridays' })).memories).toHaveLength(1),
    present: async (c, app) => (await c.memory.searchMemory({ appName: app, userId: USER, query: 'swims Fridays' })).memories.length > 0,
  },
  searchMemory: {
    prepare: async (c, app) => void (await c.memory.addMemory({ appName: app, userId: USER, memories: [fact('User swims on Fridays')] })),
    run: async (c, app) => expect((await c.memory.searchMemory({ appName: app, userId: USER, query: 'swims Fridays' })).memories).toHaveLength(1),
    verify: async () => {},
  },
  deleteMemory: {
    prepare: async (c, app) => void (await c.memory.addMemory({ appName: app, userId: USER, memories: [fact('User swims on Fridays')] })),
    run: async (c, app) => {
      const [m] = (await c.memory.searchMemory({ appName: app, userId: USER, query: 'swims Fridays' })).memories;
      await c.memory.deleteMemory({ appName: app, userId: USER, ids: [m!.id] });
    },
    verify: async (c, app) => expect((await c.memory.searchMemory({ appName: app, userId: USER, query: 'swims Fridays' })).memories).toEqual([]),
  },
};

/** Each fault, and the typed error an operation must end with when the fault never stops. */
const FAULTS: [string, Omit<FaultRule, 'times'>, new (...a: never[]) => AgentMemoryError][] = [
  ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: 0 }, RateLimitError],
  ['500', { kind: 'status', status: 500 }, ServerError],
  ['502', { kind: 'status', status: 502 }, ServerError],
  ['503', { kind: 'status', status: 503 }, ServerError],
  ['hang past the timeout', { kind: 'hang' }, RequestTimeoutError],
  ['reset before the request reached the server', { kind: 'reset-before' }, ConnectionError],
  ['reset after the server processed it', { kind: 'reset-after' }, ConnectionError],
  ['malformed body', { kind: 'malformed' }, InvalidResponseError],
  ['spec-violating body', { kind: 'invalid-body' }, InvalidResponseError],
];

/** Faults where the server never acted, so a failed write must not be there. */
const NOT_PROCESSED = new Set(['status', 'hang', 'reset-before']);

describe.each(['redis-agent-memory', 'opensource-agent-memory'] as const)('faults on %s', (backend) => {
  let server: ReferenceServer;
  let ctx: Ctx;
  beforeAll(async () => {
    server = await startReferenceServer({ backend });
    const config = { backend, apiBaseUrl: server.url, apiKey: server.apiKey, storeId: server.storeId, timeout: 0.25, maxRetries: 2, retryBaseDelay: 0.005 };
    ctx = { sessions: new RedisSessionMemoryService(config), memory: new RedisLongTermMemoryService(config) };
  });
  afterAll(() => closeIfStarted(server));
  beforeEach(() => server.faults.clear());

  describe.each(FAULTS)('%s', (_name, fault, ErrorClass) => {
    it.each(Object.keys(OPERATIONS))('%s: retried to success once, stored exactly once', async (name) => {
      const op = OPERATIONS[name]!;
      const app = fresh();
      await op.prepare?.(ctx, app);
      server.faults.add({ ...fault, times: 1 });
      await op.run(ctx, app);
      server.faults.clear();
      expect(server.faults.log.some((l) => l.fault === fault.kind)).toBe(true);
      await op.verify(ctx, app);
    });

    it.each(Object.keys(OPERATIONS))(`%s: fails with ${ErrorClass.name} when it persists, after at most 1 + maxRetries attempts`, async (name) => {
      const op = OPERATIONS[name]!;
      const app = fresh();
      await op.prepare?.(ctx, app);
      const before = server.faults.log.length;
      server.faults.add({ ...fault });
      const err = await op.run(ctx, app).then(
        () => undefined,
        (e: unknown) => e,
      );
      server.faults.clear();
      expect(err).toBeInstanceOf(ErrorClass);
      // Requests of one call: each is retried at most maxRetries times before giving up.
      const attempts = server.faults.log.slice(before).filter((l) => l.fault);
      const perPath = new Map<string, number>();
      for (const a of attempts) perPath.set(`${a.method} ${a.url}`, (perPath.get(`${a.method} ${a.url}`) ?? 0) + 1);
      // A fused memory search (the default on Agent Memory Server) sends two searches to one path at once.
      for (const [key, n] of perPath) expect(n, key).toBeLessThanOrEqual(3 * (key.startsWith('POST ') && key.includes(AMS_SEARCH_PATH) ? 2 : 1));
      if (NOT_PROCESSED.has(fault.kind) && op.present) expect(await op.present(ctx, app)).toBe(false);
    });
  });

  it('does not retry a non-retryable failure (400) and says what was wrong', async () => {
    const app = fresh();
    const before = server.faults.log.length;
    server.faults.add({ kind: 'status', status: 400 });
    const err = await ctx.sessions.createSession({ appName: app, userId: USER }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentMemoryError);
    expect((err as AgentMemoryError).status).toBe(400);
    expect((err as AgentMemoryError).detail).toBe('injected HTTP 400');
    // Each request was refused once and not repeated.
    const refused = server.faults.log
      .slice(before)
      .filter((l) => l.fault)
      .map((l) => `${l.method} ${l.url}`);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused).size).toBe(refused.length);
  });

  it('aborts in-flight requests when the caller signal fires', async () => {
    const app = fresh();
    await ctx.sessions.createSession({ appName: app, userId: USER, sessionId: 's' });
    const session = (await ctx.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))!;
    server.faults.add({ kind: 'hang' });
    const slow = new RedisSessionMemoryService({ backend, apiBaseUrl: server.url, apiKey: server.apiKey, storeId: server.storeId, timeout: 30 });
    for (const call of [
      (signal: AbortSignal) => slow.getSession({ appName: app, userId: USER, sessionId: 's', signal }),
      (signal: AbortSignal) => slow.appendEvent({ session, event: event('never'), signal }),
      (signal: AbortSignal) =>
        new RedisLongTermMemoryService({ backend, apiBaseUrl: server.url, apiKey: server.apiKey, storeId: server.storeId, timeout: 30 }).searchMemory({
          appName: app,
          userId: USER,
          query: 'x',
          signal,
        }),
    ]) {
      // Aborted, not timed out: a call that waited for its 30 s timeout would be a RequestTimeoutError.
      const err = await call(AbortSignal.timeout(100)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestAbortedError);
    }
  });

  it('rejects an oversized event before sending, naming the limit, and leaves the session intact', async () => {
    const app = fresh();
    await ctx.sessions.createSession({ appName: app, userId: USER, sessionId: 's' });
    const session = (await ctx.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))!;
    await ctx.sessions.appendEvent({ session, event: event('small') });
    const before = server.faults.log.length;
    const big = createEvent({ id: 'big', author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text: 'x'.repeat(1024 * 1024) }] } });
    const err = await ctx.sessions.appendEvent({ session, event: big }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/the limit \(maxEventBytes\) is 1048576/);
    expect(server.faults.log.length).toBe(before);
    expect((await ctx.sessions.getSession({ appName: app, userId: USER, sessionId: 's' }))!.events.map((e) => e.id)).toEqual(['small']);
  });
});

describe('secrets', () => {
  it('never puts the API key in errors thrown by the services', async () => {
    const SECRET = 'sk-live-reliability-secret-000';
    const server = await startReferenceServer({ backend: 'redis-agent-memory', apiKey: 'the-right-key' });
    try {
      const cfg = { apiBaseUrl: server.url, apiKey: SECRET, storeId: server.storeId, maxRetries: 0 };
      const errors = [
        await new RedisSessionMemoryService(cfg).createSession({ appName: 'a', userId: 'u' }).catch((e: unknown) => e),
        await new RedisLongTermMemoryService(cfg).searchMemory({ appName: 'a', userId: 'u', query: 'q' }).catch((e: unknown) => e),
      ];
      server.faults.add({ kind: 'reset-before' });
      errors.push(
        await new RedisSessionMemoryService({ ...cfg, apiKey: server.apiKey! + SECRET }).listSessions({ appName: 'a', userId: 'u' }).catch((e: unknown) => e),
      );
      expect(errors[0]).toBeInstanceOf(AuthenticationError);
      expect(errors[2]).toBeInstanceOf(ConnectionError);
      for (const e of errors) {
        for (const text of [String(e), (e as Error).stack ?? '', JSON.stringify(e), inspect(e, { depth: 10, showHidden: true })])
          expect(text).not.toContain(SECRET);
      }
    } finally {
      await server.close();
    }
  });
});
