import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMemoryServerClient, type AgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { NotFoundError } from '../../src/clients/errors.js';
import { startRealAgentMemoryServer, startReferenceServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { alive } from '../helpers/alive.js';
import { closeIfStarted } from '../helpers/started.js';

/**
 * Every operation of the typed client against the real server: each response is checked by the
 * validators generated from the server's own OpenAPI document, so a response outside its schema
 * fails here as an InvalidResponseError.
 */
describe('the Agent Memory Server client against the real server, every operation', () => {
  let server: RealAgentMemoryServer;
  let c: AgentMemoryServerClient;
  const now = () => new Date().toISOString();
  beforeAll(async () => {
    server = await startRealAgentMemoryServer({ backgroundTasks: 'auto' });
    c = createAgentMemoryServerClient({ apiBaseUrl: server.url, maxRetries: 0 });
  });
  afterAll(() => closeIfStarted(server));

  it('working memory: health, put, get, list, delete', async () => {
    expect((await c.health()).now).toBeGreaterThan(0);
    const put = await c.putWorkingMemory(
      's1',
      { messages: [{ role: 'user', content: 'hello', id: 'e1', created_at: now() }], data: { adk: { k: 1 } }, user_id: 'u1', namespace: 'app' },
      { context_window_max: 1000 },
    );
    expect(put).toMatchObject({ session_id: 's1', user_id: 'u1', namespace: 'app', messages: [{ id: 'e1', content: 'hello' }] });
    const got = await c.getWorkingMemory('s1', { user_id: 'u1', namespace: 'app', recent_messages_limit: 10 });
    expect(got.messages?.map((m) => m.id)).toEqual(['e1']);
    expect(await c.listSessions({ namespace: 'app', user_id: 'u1', limit: 10, offset: 0 })).toEqual({ sessions: ['s1'], total: 1 });
    expect(await c.deleteWorkingMemory('s1', { user_id: 'u1', namespace: 'app' })).toEqual({ status: 'ok' });
    await expect(c.getWorkingMemory('s1', { user_id: 'u1', namespace: 'app' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a read of the latest message only: the newest by created_at, with the data, TTL and summary whole, on the real and the reference server', async () => {
    // What an append of an event with no text relies on (its read before the journal write).
    const reference = await startReferenceServer({ backend: 'opensource-agent-memory' });
    try {
      for (const url of [server.url, reference.url]) {
        const client = createAgentMemoryServerClient({ apiBaseUrl: url, maxRetries: 0 });
        const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 10, 0, s)).toISOString();
        await client.putWorkingMemory('latest-only', {
          messages: [
            { role: 'user', content: 'first', id: 'm1', created_at: at(1) },
            { role: 'assistant', content: 'newest, written before the third', id: 'm3', created_at: at(3) },
            { role: 'user', content: 'second', id: 'm2', created_at: at(2) },
          ],
          context: 'a summary',
          data: { adk: { marker: true } },
          ttl_seconds: 600,
          user_id: 'u1',
          namespace: 'app',
        });
        const got = await client.getWorkingMemory('latest-only', { user_id: 'u1', namespace: 'app', recent_messages_limit: 1 });
        expect(
          got.messages?.map((m) => m.id),
          url,
        ).toEqual(['m3']);
        expect({ data: got.data, ttl: got.ttl_seconds, context: got.context }, url).toEqual({
          data: { adk: { marker: true } },
          ttl: 600,
          context: 'a summary',
        });
        // The stored document is whole.
        expect(
          (await client.getWorkingMemory('latest-only', { user_id: 'u1', namespace: 'app' })).messages?.map((m) => m.id),
          url,
        ).toEqual(['m1', 'm3', 'm2']);
      }
    } finally {
      await reference.close();
    }
  });

  it('a namespace lists its documents in the order they were last written, on the real and the reference server', async () => {
    // What creation relies on: the first creation record listed was written first, and events
    // documents listed before a new session's record were last written before it (see createAt).
    // And what a writer's anchor relies on: a document listed before it was last written before it,
    // and reading a document leaves its place alone (see JournalStore.readSome).
    const reference = await startReferenceServer({ backend: 'opensource-agent-memory' });
    try {
      for (const url of [server.url, reference.url]) {
        const client = createAgentMemoryServerClient({ apiBaseUrl: url, maxRetries: 0 });
        const write = (id: string, n: number) => client.putWorkingMemory(id, { messages: [], data: { adk: { n } }, namespace: 'listing-order' });
        await write('w-a', 1);
        await write('c-b', 1);
        await write('w-c', 1);
        const listed = async () => (await client.listSessions({ namespace: 'listing-order', limit: 10, offset: 0 })).sessions;
        expect(await listed(), url).toEqual(['w-a', 'c-b', 'w-c']);
        await write('w-a', 2);
        expect(await listed(), url).toEqual(['c-b', 'w-c', 'w-a']);
        for (const id of ['c-b', 'w-c']) await client.getWorkingMemory(id, { namespace: 'listing-order' });
        expect(await listed(), url).toEqual(['c-b', 'w-c', 'w-a']);
      }
    } finally {
      await reference.close();
    }
  });

  it('long-term memory: create, search, get, update, delete, memory prompt', async () => {
    expect(
      await c.createLongTermMemories({
        memories: [{ id: 'm1', text: 'User prefers window seats', user_id: 'u1', namespace: 'app', memory_type: 'semantic', topics: ['travel'] }],
        deduplicate: false,
      }),
    ).toEqual({ status: 'ok' });
    await server.settled();
    const found = await c.searchLongTermMemory({ text: 'seat', user_id: { eq: 'u1' }, namespace: { eq: 'app' }, limit: 5, distance_threshold: 0.9 });
    expect(found.memories.map((m) => m.id)).toEqual(['m1']);
    expect((await c.getLongTermMemory('m1')).text).toBe('User prefers window seats');
    expect((await c.updateLongTermMemory('m1', { text: 'User prefers aisle seats' })).text).toBe('User prefers aisle seats');
    const prompt = await c.memoryPrompt({ query: 'what seat?', long_term_search: { text: 'seat', user_id: { eq: 'u1' }, namespace: { eq: 'app' } } });
    expect(prompt.messages.at(-1)).toMatchObject({ role: 'user', content: { type: 'text', text: 'what seat?' } });
    expect(await c.deleteLongTermMemories(['m1', 'm2'])).toEqual({ status: 'ok, deleted 1 memories' });
  });

  it.each(['keyword', 'hybrid'] as const)('long-term memory: %s search answers on the pinned redisvl, and Redis stays up', async (mode) => {
    const ns = `modes-${mode}`;
    await c.createLongTermMemories({
      memories: [
        { id: `${mode}-1`, text: 'Nate adopted a turtle named Shelly', user_id: 'u1', namespace: ns, memory_type: 'semantic' },
        { id: `${mode}-2`, text: 'Joanna writes screenplays at night', user_id: 'u1', namespace: ns, memory_type: 'semantic' },
      ],
      deduplicate: false,
    });
    await server.settled();
    const found = await c.searchLongTermMemory({
      text: 'turtle',
      search_mode: mode,
      ...(mode === 'hybrid' ? { hybrid_alpha: 0.5 } : {}),
      user_id: { eq: 'u1' },
      namespace: { eq: ns },
      limit: 5,
    });
    const ids = found.memories.map((m) => m.id);
    // Keyword search finds the one record with the word; hybrid mixes in vector similarity, which
    // with the stand-in model's hashed vectors ranks unrelated text too, so only that it is found.
    if (mode === 'keyword') expect(ids).toEqual(['keyword-1']);
    else expect(ids).toContain('hybrid-1');
    // The server's Redis answered, and still runs.
    expect(alive(server.parts().redis)).toBe(true);
    expect((await c.health()).now).toBeGreaterThan(0);
  });

  it('administration: forget (dry run) and compact', async () => {
    // Ages are explicit: one memory created years ago, one created now, and a 30-day policy. The
    // outcome depends on no clock arithmetic finer than days (the server compares created_at with now).
    const yearsAgo = '2020-01-01T00:00:00Z';
    await c.createLongTermMemories({
      memories: [
        {
          id: 'old-1',
          text: 'User once lived in Oslo',
          user_id: 'u2',
          namespace: 'app',
          memory_type: 'episodic',
          created_at: yearsAgo,
          last_accessed: yearsAgo,
        },
        { id: 'new-1', text: 'User now lives in Bergen', user_id: 'u2', namespace: 'app', memory_type: 'episodic', created_at: now(), last_accessed: now() },
      ],
      deduplicate: false,
    });
    await server.settled();
    const forget = await c.forgetLongTermMemories({ policy: { max_age_days: 30 } }, { namespace: 'app', user_id: 'u2', limit: 10, dry_run: true });
    // A dry run reports what it would delete (the old memory only), and deletes nothing.
    expect(forget).toEqual({ scanned: 2, deleted: 1, deleted_ids: ['old-1'], dry_run: true });
    expect((await c.getLongTermMemory('old-1')).id).toBe('old-1');
    expect((await c.getLongTermMemory('new-1')).id).toBe('new-1');
    expect((await c.compactLongTermMemories({ namespace: 'app', user_id: 'u2' })).status).toMatch(/^ok/);
  });

  it('summary views and tasks', async () => {
    const view = await c.createSummaryView({ name: 'per user', source: 'long_term', group_by: ['user_id'], time_window_days: 7, continuous: false });
    expect((await c.listSummaryViews()).map((v) => v.id)).toContain(view.id);
    expect((await c.getSummaryView(view.id)).name).toBe('per user');
    const partition = await c.runSummaryViewPartition(view.id, { group: { user_id: 'u2' } });
    expect(partition).toMatchObject({ view_id: view.id, group: { user_id: 'u2' } });
    expect(Array.isArray(await c.listSummaryViewPartitions(view.id, { user_id: 'u2' }))).toBe(true);
    const task = await c.runSummaryView(view.id, { task_id: 'task-1' });
    expect(task.id).toBe('task-1');
    expect(['pending', 'running', 'success', 'failed']).toContain((await c.getTask('task-1')).status);
    expect((await c.deleteSummaryView(view.id)).status).toBe('ok');
  });
});
