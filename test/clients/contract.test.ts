import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMemoryServerClient, createRedisAgentMemoryClient, BadRequestError, AuthenticationError } from '../../src/clients/index.js';
import { startPrism, type PrismHandle } from '../helpers/prism.js';
import { closeIfStarted } from '../helpers/started.js';

// Prism (`mock --errors`) rejects any request that breaks the spec, so each call resolving
// proves the client builds spec-conformant paths, parameters, headers and bodies.

describe('Redis Agent Memory client against a Prism mock of the spec', () => {
  let prism: PrismHandle;
  beforeAll(async () => {
    prism = await startPrism('redis-agent-memory');
  });
  afterAll(() => closeIfStarted(prism));

  const client = () => createRedisAgentMemoryClient({ apiBaseUrl: prism.url, apiKey: 'test-key', storeId: 'store-1', maxRetries: 0 });
  const now = new Date('2026-01-02T03:04:05.000Z').toISOString();
  const eventId = 'a'.repeat(32);

  it('calls all 20 operations (14 of the official document, 6 of SDK 0.4.1) with valid inputs', async () => {
    const c = client();
    const results = {
      health: await c.health(),
      storeHealth: await c.storeHealth(),
      listSessions: await c.listSessions({ filterOwnerId: 'user-1', limit: 50 }),
      listAll: await c.listSessions({ includeAll: true }),
      addSessionEvent: await c.addSessionEvent({
        sessionId: 'session-1',
        actorId: 'user-1',
        namespace: 'app-1',
        role: 'USER',
        content: [{ text: 'hello' }],
        createdAt: now,
        metadata: { adk: { any: ['json', 1, true, null] } },
      }),
      getSessionMemory: await c.getSessionMemory('session-1', { includeSummarisedEvents: false }),
      deleteSessionMemory: await c.deleteSessionMemory('session-1'),
      getSessionEvent: await c.getSessionEvent('session-1', eventId),
      deleteSessionEvent: await c.deleteSessionEvent('session-1', eventId),
      bulkCreate: await c.bulkCreateLongTermMemories({
        memories: [{ id: 'm-1', ownerId: 'user-1', text: 'User prefers window seats', memoryType: 'semantic', topics: ['travel'], namespace: 'app-1' }],
      }),
      bulkDelete: await c.bulkDeleteLongTermMemories({ memoryIds: ['m-1'] }),
      search: await c.searchLongTermMemory({
        text: 'seat preference',
        similarityThreshold: 0.5,
        limit: 5,
        filter: { ownerId: { eq: 'user-1' }, namespace: { eq: 'app-1' }, memoryType: { in: ['semantic'] } },
        filterOp: 'all',
      }),
      getMemory: await c.getLongTermMemory('m-1'),
      update: await c.updateLongTermMemory('m-1', { text: 'User prefers aisle seats', topics: ['travel'] }),
      updateFields: await c.updateLongTermMemoryFields('m-1', { memoryType: 'preference', text: 'x' }),
      // Beyond the official document: what the SDK 0.4.1 overlay adds.
      move: await c.moveLongTermMemories({ memoryIds: ['m-1'], namespaceRef: { namespaceId: 'ns-1' } }),
      listNamespaces: await c.listNamespaces({ scope: 'SHARED', limit: 10 }),
      createNamespace: await c.createNamespace({ name: 'coach', scope: 'SHARED' }),
      getNamespace: await c.getNamespace('ns-1'),
      updateNamespace: await c.updateNamespace('ns-1', { state: 'ARCHIVED' }),
      deleteNamespace: await c.deleteNamespace('ns-1'),
      placed: await c.addSessionEvent({
        sessionId: 'session-2',
        actorId: 'user-1',
        namespaceRef: { namespaceId: 'ns-1' },
        role: 'USER',
        content: [{ text: 'hi' }],
        createdAt: now,
      }),
      searchPlaced: await c.searchLongTermMemory({ text: 'x', filter: { ownerId: { eq: 'user-1' }, namespaceRef: { eq: 'ns-1' } } }),
    };
    expect(results.health.status).toBe('healthy');
    expect(['healthy', 'degraded', 'unavailable']).toContain(results.storeHealth.status);
    expect(Array.isArray(results.listSessions.items)).toBe(true);
    expect(results.addSessionEvent.event.eventId).toHaveLength(32);
    expect(Array.isArray(results.getSessionMemory.events)).toBe(true);
    expect(results.deleteSessionMemory).toBeUndefined();
    expect(typeof results.getSessionEvent.event.createdAt).toBe('string');
    expect(Array.isArray(results.bulkCreate.created)).toBe(true);
    expect(Array.isArray(results.bulkDelete.deleted)).toBe(true);
    expect(Array.isArray(results.search.items)).toBe(true);
    expect(typeof results.getMemory.id).toBe('string');
    expect(typeof results.update.updatedAt).toBe('string');
    expect(Array.isArray(results.move.moved)).toBe(true);
    expect(Array.isArray(results.listNamespaces.items)).toBe(true);
    expect(['ACTIVE', 'ARCHIVED']).toContain(results.createNamespace.namespace.state);
    expect(typeof results.getNamespace.namespace.path).toBe('string');
    expect(typeof results.updateNamespace.namespace.revision).toBe('number');
    expect(results.deleteNamespace).toBeUndefined();
    expect(results.placed.event.eventId).toHaveLength(32);
    expect(Array.isArray(results.searchPlaced.items)).toBe(true);
  });

  it('surfaces a spec violation as a BadRequestError naming the operation', async () => {
    const err = await client()
      .addSessionEvent({ actorId: 'not valid!', role: 'USER', content: [{ text: 'x' }], createdAt: now })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, operation: 'AddSessionEvent', type: '/errors/invalid-data', retryable: false });
  });

  it('sends the API key as a Bearer token (Prism answers 401 without one)', async () => {
    const noAuth = createRedisAgentMemoryClient({
      apiBaseUrl: prism.url,
      apiKey: 'k',
      storeId: 's',
      maxRetries: 0,
      fetch: (req) => {
        const headers = new Headers(req.headers);
        headers.delete('authorization');
        return fetch(new Request(req, { headers }));
      },
    });
    await expect(noAuth.storeHealth()).rejects.toBeInstanceOf(AuthenticationError);
    await expect(client().storeHealth()).resolves.toBeDefined();
  });
});

describe('Agent Memory Server client against a Prism mock of the spec', () => {
  let prism: PrismHandle;
  // The server's own document puts HTTPBearer on every operation but the health check (a server
  // with auth disabled, its default, ignores the token), so a client of the document sends one.
  const apiKey = 'any-token';
  beforeAll(async () => {
    prism = await startPrism('agent-memory-server');
  });
  afterAll(() => closeIfStarted(prism));

  it('calls every operation with valid inputs', async () => {
    const c = createAgentMemoryServerClient({ apiBaseUrl: prism.url, apiKey, maxRetries: 0 });
    const now = new Date('2026-01-02T03:04:05.000Z').toISOString();
    const health = await c.health();
    const list = await c.listSessions({ limit: 10, offset: 0, namespace: 'app', user_id: 'u1' });
    const put = await c.putWorkingMemory('s1', {
      messages: [{ role: 'user', content: 'hello', id: 'e1', created_at: now }],
      data: { adk: { state: { k: 1 } } },
      user_id: 'u1',
      namespace: 'app',
    });
    const get = await c.getWorkingMemory('s1', { user_id: 'u1', namespace: 'app', recent_messages_limit: 10 });
    const del = await c.deleteWorkingMemory('s1', { user_id: 'u1', namespace: 'app' });
    const create = await c.createLongTermMemories({
      memories: [{ id: 'm1', text: 'User prefers window seats', user_id: 'u1', namespace: 'app', memory_type: 'semantic', topics: ['travel'] }],
      deduplicate: true,
    });
    const search = await c.searchLongTermMemory({
      text: 'seat',
      user_id: { eq: 'u1' },
      namespace: { eq: 'app' },
      memory_type: { any: ['semantic', 'episodic'] },
      distance_threshold: 0.5,
      limit: 5,
    });
    const getMem = await c.getLongTermMemory('m1');
    const patch = await c.updateLongTermMemory('m1', { text: 'User prefers aisle seats' });
    const delMem = await c.deleteLongTermMemories(['m1', 'm2']);
    const prompt = await c.memoryPrompt({
      query: 'what seat?',
      session: { session_id: 's1', user_id: 'u1', namespace: 'app' },
      long_term_search: { text: 'seat' },
    });

    expect(typeof health.now).toBe('number');
    expect(Array.isArray(list.sessions)).toBe(true);
    expect(typeof put.session_id).toBe('string');
    expect(Array.isArray(get.messages ?? [])).toBe(true);
    expect(typeof del.status).toBe('string');
    expect(typeof create.status).toBe('string');
    expect(Array.isArray(search.memories)).toBe(true);
    expect(typeof getMem.id).toBe('string');
    expect(typeof patch.text).toBe('string');
    expect(typeof delMem.status).toBe('string');
    expect(Array.isArray(prompt.messages)).toBe(true);
  });

  it('calls the administrative, summary-view and task operations with valid inputs', async () => {
    const c = createAgentMemoryServerClient({ apiBaseUrl: prism.url, apiKey, maxRetries: 0 });
    const forget = await c.forgetLongTermMemories(
      { policy: { max_age_days: 30 }, pinned_ids: ['keep-1'] },
      { namespace: 'app', user_id: 'u1', limit: 100, dry_run: true },
    );
    const compact = await c.compactLongTermMemories({ namespace: 'app', user_id: 'u1' });
    const view = await c.createSummaryView({
      name: 'per user',
      source: 'long_term',
      group_by: ['user_id'],
      filters: { memory_type: 'semantic' },
      time_window_days: 7,
      continuous: false,
    });
    const views = await c.listSummaryViews();
    const one = await c.getSummaryView('view-1');
    const partition = await c.runSummaryViewPartition('view-1', { group: { user_id: 'u1' } });
    const partitions = await c.listSummaryViewPartitions('view-1', { user_id: 'u1', namespace: 'app' });
    const task = await c.runSummaryView('view-1', { task_id: 'task-1' });
    const status = await c.getTask('task-1');
    const deleted = await c.deleteSummaryView('view-1');

    // The server's own document gives this response no schema: any JSON.
    expect(forget).toBeDefined();
    expect(typeof compact.status).toBe('string');
    expect(typeof view.id).toBe('string');
    expect(Array.isArray(views)).toBe(true);
    expect(typeof one.source).toBe('string');
    expect(typeof partition.summary).toBe('string');
    expect(Array.isArray(partitions)).toBe(true);
    expect(typeof task.id).toBe('string');
    expect(['pending', 'running', 'success', 'failed']).toContain(status.status ?? 'pending');
    expect(typeof deleted.status).toBe('string');
  });

  it('maps a 422 validation error into fields', async () => {
    const c = createAgentMemoryServerClient({ apiBaseUrl: prism.url, apiKey, maxRetries: 0 });
    // limit above 100 breaks the spec; Prism answers with the 422 shape.
    const err = await c.listSessions({ limit: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 422, operation: 'list_sessions' });
  });
});
