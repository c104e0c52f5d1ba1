import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentMemoryError,
  ConfigurationError,
  ConnectionError,
  InvalidResponseError,
  ConflictError,
  DependencyUnavailableError,
  NotFoundError,
  RateLimitError,
  ResourceSuspendedError,
  RequestAbortedError,
  RequestTimeoutError,
  ServerError,
  createAgentMemoryServerClient,
  createRedisAgentMemoryClient,
} from '../../src/clients/index.js';
import { startPrism, type PrismHandle } from '../helpers/prism.js';
import { sendJson, startStub } from '../helpers/stub-server.js';
import { eventually } from '../helpers/eventually.js';
import { closeIfStarted } from '../helpers/started.js';

const SECRET = 'sk-live-DO-NOT-LEAK-1234567890';
const now = '2026-01-02T03:04:05.000Z';
const event = { actorId: 'u1', role: 'USER' as const, content: [{ text: 'hi' }], createdAt: now };

describe('error mapping and retries against Prism (Prefer: code=...)', () => {
  let prism: PrismHandle;
  beforeAll(async () => {
    prism = await startPrism('redis-agent-memory');
  });
  afterAll(() => closeIfStarted(prism));

  /** A client that asks Prism for a given status and counts attempts. */
  function preferring(code: number) {
    const counter = { attempts: 0 };
    const client = createRedisAgentMemoryClient({
      apiBaseUrl: prism.url,
      apiKey: SECRET,
      storeId: 'store-1',
      maxRetries: 2,
      retryBaseDelay: 0.01,
      fetch: (req) => {
        counter.attempts++;
        const headers = new Headers(req.headers);
        headers.set('prefer', `code=${code}`);
        return fetch(new Request(req, { headers }));
      },
    });
    return { client, counter };
  }

  it('retries a 429 up to maxRetries, then throws RateLimitError', async () => {
    const { client, counter } = preferring(429);
    const err = await client.getSessionMemory('s1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ status: 429, retryable: true, type: '/errors/too-many-requests', operation: 'GetSessionMemory' });
    expect(counter.attempts).toBe(3);
  });

  it('retries a 429 even for a non-idempotent append (the server did not act on it)', async () => {
    const { client, counter } = preferring(429);
    await expect(client.addSessionEvent(event)).rejects.toBeInstanceOf(RateLimitError);
    expect(counter.attempts).toBe(3);
  });

  it('retries a 500 on reads but not on a non-idempotent append unless replay is allowed', async () => {
    const read = preferring(500);
    await expect(read.client.getLongTermMemory('m1')).rejects.toBeInstanceOf(ServerError);
    expect(read.counter.attempts).toBe(3);

    const append = preferring(500);
    await expect(append.client.addSessionEvent(event)).rejects.toBeInstanceOf(ServerError);
    expect(append.counter.attempts).toBe(1);

    const replay = preferring(500);
    await expect(replay.client.addSessionEvent(event, { allowReplay: true })).rejects.toBeInstanceOf(ServerError);
    expect(replay.counter.attempts).toBe(3);
  });

  it('does not retry a 404 and maps it to NotFoundError', async () => {
    const { client, counter } = preferring(404);
    const err = await client.getSessionMemory('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, retryable: false });
    expect(counter.attempts).toBe(1);
  });

  it.each([
    [400, 'BadRequestError'],
    [401, 'AuthenticationError'],
    [403, 'PermissionDeniedError'],
    [408, 'RequestTimeoutError'],
    [413, 'PayloadTooLargeError'],
    [424, 'DependencyUnavailableError'],
    [423, 'ResourceSuspendedError'],
  ])('maps HTTP %i to %s', async (code, name) => {
    const { client } = preferring(code);
    const err = await client.searchLongTermMemory({ text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentMemoryError);
    expect((err as Error).name).toBe(name);
    expect((err as AgentMemoryError).status).toBe(code);
  });
});

describe('timeouts, resets, malformed bodies and cancellation against a local server', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function stub(handler: Parameters<typeof startStub>[0]) {
    const s = await startStub(handler);
    servers.push(s);
    return s;
  }

  /** A Redis Agent Memory client on a stub that answers every attempt with this problem. */
  async function answering(status: number, type: string) {
    const s = await stub((_req, res) => sendJson(res, status, { title: 'no', status, type }));
    return { s, c: createRedisAgentMemoryClient({ apiBaseUrl: s.url, apiKey: SECRET, storeId: 'store-1', maxRetries: 2, retryBaseDelay: 0.001 }) };
  }

  it('does not retry a suspended store (423): ResourceSuspendedError after one attempt', async () => {
    const { s, c } = await answering(423, '/errors/resource-suspended');
    const err = await c.searchLongTermMemory({ text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceSuspendedError);
    expect(err).toMatchObject({ status: 423, retryable: false, type: '/errors/resource-suspended' });
    expect(s.hits).toBe(1);
  });

  it.each(['/errors/invalid-model-credentials', '/errors/model-quota-exceeded'])('does not retry a 424 %s: no retry heals it', async (type) => {
    const { s, c } = await answering(424, type);
    const err = await c.bulkCreateLongTermMemories({ memories: [{ id: 'm1', ownerId: 'u1', text: 't' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err).toMatchObject({ status: 424, retryable: false, type });
    expect(s.hits).toBe(1);
  });

  it('retries a 424 whose dependency may come back (resource-unavailable)', async () => {
    const { s, c } = await answering(424, '/errors/resource-unavailable');
    const err = await c.searchLongTermMemory({ text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 424, retryable: true });
    expect(s.hits).toBe(3);
  });

  it('maps a 409 on namespace operations to ConflictError, not retried', async () => {
    const { s, c } = await answering(409, '/errors/conflict');
    await expect(c.createNamespace({ name: 'taken' })).rejects.toBeInstanceOf(ConflictError);
    await expect(c.deleteNamespace('ns-1')).rejects.toMatchObject({ status: 409, retryable: false, operation: 'DeleteNamespace' });
    await expect(c.moveLongTermMemories({ memoryIds: ['m1'], namespaceRef: { namespaceId: 'ns-1' } })).rejects.toBeInstanceOf(ConflictError);
    expect(s.hits).toBe(3);
  });

  it('honours Retry-After before retrying', async () => {
    const s = await stub((_req, res, attempt) => {
      if (attempt === 1) sendJson(res, 429, { title: 'slow down', status: 429, type: '/errors/too-many-requests' }, { 'retry-after': '1' });
      else sendJson(res, 200, { now: 1 });
    });
    const c = createAgentMemoryServerClient({ apiBaseUrl: s.url, retryBaseDelay: 0 });
    const started = Date.now();
    await expect(c.health()).resolves.toEqual({ now: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.hits).toBe(2);
  });

  it('times out each attempt and gives up with RequestTimeoutError after the retries', async () => {
    const s = await stub(() => {
      /* never answers */
    });
    const c = createAgentMemoryServerClient({ apiBaseUrl: s.url, timeout: 0.2, maxRetries: 1, retryBaseDelay: 0.01 });
    const err = await c.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(err).toMatchObject({ operation: 'get_health', retryable: true });
    expect(s.hits).toBe(2);
  });

  it('retries a connection reset and then succeeds', async () => {
    const s = await stub((req, res, attempt) => {
      if (attempt === 1) req.socket.destroy();
      else sendJson(res, 200, { sessions: ['a'], total: 1 });
    });
    const c = createAgentMemoryServerClient({ apiBaseUrl: s.url, retryBaseDelay: 0.01 });
    await expect(c.listSessions()).resolves.toEqual({ sessions: ['a'], total: 1 });
    expect(s.hits).toBe(2);
  });

  it('reports a persistent reset as ConnectionError', async () => {
    const s = await stub((req) => req.socket.destroy());
    const c = createAgentMemoryServerClient({ apiBaseUrl: s.url, maxRetries: 1, retryBaseDelay: 0.01 });
    await expect(c.listSessions()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('reports a body that is not JSON as InvalidResponseError', async () => {
    const s = await stub((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"sessions": [');
    });
    const c = createAgentMemoryServerClient({ apiBaseUrl: s.url, maxRetries: 0 });
    await expect(c.listSessions()).rejects.toBeInstanceOf(InvalidResponseError);
  });

  it('aborts an in-flight request when the caller signal fires', async () => {
    const s = await stub(() => {
      /* never answers */
    });
    const c = createAgentMemoryServerClient({ apiBaseUrl: s.url, timeout: 30 });
    const controller = new AbortController();
    const call = c.health({ signal: controller.signal }).catch((e: unknown) => e);
    // Aborted once the request is at the server, which would keep it forever (the timeout is 30 s).
    await eventually('the request has reached the server', () => s.hits === 1);
    controller.abort();
    expect(await call).toBeInstanceOf(RequestAbortedError);
    expect(s.hits).toBe(1);
  });

  it('aborts the wait before a retry when the caller signal fires', async () => {
    const s = await stub((_req, res) => sendJson(res, 429, { title: 'slow down', status: 429, type: '/errors/too-many-requests' }, { 'retry-after': '20' }));
    const c = createAgentMemoryServerClient({ apiBaseUrl: s.url, maxRetries: 2 });
    const started = Date.now();
    const err = await c.health({ signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestAbortedError);
    // Aborted during the 20 s Retry-After wait, after the first attempt only.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.hits).toBe(1);
  });

  it('never exposes the API key in errors, however they are printed', async () => {
    const s = await stub((req, res) => {
      expect(req.headers.authorization).toBe(`Bearer ${SECRET}`);
      sendJson(res, 401, { title: 'bad key', status: 401, type: '/errors/authentication-failed', detail: 'invalid credentials' });
    });
    const c = createRedisAgentMemoryClient({ apiBaseUrl: s.url, apiKey: SECRET, storeId: 'st' });
    const err = await c.storeHealth().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentMemoryError);
    for (const text of [String(err), (err as Error).stack ?? '', JSON.stringify(err), inspect(err, { depth: 10, showHidden: true })]) {
      expect(text).not.toContain(SECRET);
    }
    const timeoutServer = await stub(() => {});
    const t = createRedisAgentMemoryClient({ apiBaseUrl: timeoutServer.url, apiKey: SECRET, storeId: 'st', timeout: 0.1, maxRetries: 0 });
    const terr = await t.storeHealth().catch((e: unknown) => e);
    expect(inspect(terr, { depth: 10, showHidden: true })).not.toContain(SECRET);
  });
});

describe('client configuration is validated before anything is sent', () => {
  const ok = { apiBaseUrl: 'http://localhost:8000', apiKey: 'k', storeId: 'store-1' };
  it.each([
    [{ ...ok, timeout: 0 }, 'timeout', 'greater than 0'],
    [{ ...ok, timeout: 'soon' }, 'timeout', 'number of seconds'],
    [{ ...ok, storeId: 'bad store!' }, 'storeId', '^[a-zA-Z0-9-]+$'],
    [{ ...ok, storeId: 'x'.repeat(65) }, 'storeId', 'at most 64'],
    [{ apiBaseUrl: ok.apiBaseUrl, storeId: 's' }, 'apiKey', 'AGENT_MEMORY_API_KEY'],
    [{ ...ok, apiBaseUrl: 'localhost:8000' }, 'apiBaseUrl', 'absolute http(s) URL'],
    [{ ...ok, maxRetries: -1 }, 'maxRetries', '0 or more'],
    [{ ...ok, retries: 3 }, 'retries', 'unknown option'],
  ])('rejects %j naming "%s"', (options, option, rule) => {
    let err: unknown;
    try {
      createRedisAgentMemoryClient(options as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe(option);
    expect((err as ConfigurationError).message).toContain(rule);
    expect((err as ConfigurationError).message).toContain(`"${option}"`);
  });

  it('does not echo a secret given in the wrong place', () => {
    expect(() => createAgentMemoryServerClient({ apiBaseUrl: 'http://x', apiKey: '' })).toThrow(/apiKey/);
    try {
      createRedisAgentMemoryClient({ ...ok, storeId: SECRET + '!' });
    } catch (e) {
      expect(String(e)).not.toContain(SECRET);
    }
  });
});
