import { createEvent, createEventActions, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalStore, SEGMENT_ITEMS } from '../../src/backends/ams-journal.js';
import { amsKeys } from '../../src/backends/ams-sessions.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';

interface Put {
  id: string;
  namespace: string;
  messages: number;
  items: number;
}

/** Records every working-memory PUT: which document, how many messages and journal items it carried. */
function countingFetch(puts: Put[]) {
  return async (req: Request): Promise<Response> => {
    if (req.method === 'PUT') {
      const body = (await req.clone().json()) as { messages: unknown[]; namespace: string; data?: { adk?: { events?: unknown[]; items?: unknown[] } } };
      const adk = body.data?.adk;
      puts.push({ id: decodeURIComponent(new URL(req.url).pathname.split('/').pop()!), namespace: body.namespace, messages: body.messages.length, items: (adk?.events ?? adk?.items ?? []).length });
    }
    return fetch(req);
  };
}

/** Agent Memory Server journals: a writer's document is bounded, holds no messages, and a long session still reads back whole. */
describe('Agent Memory Server journal documents', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await startReferenceServer({ backend: 'opensource-agent-memory', backgroundTasks: 'manual' });
  });
  afterAll(async () => server?.close());

  it('starts a new document when the current one is full, also after its cached copy was evicted', async () => {
    const puts: Put[] = [];
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url, fetch: countingFetch(puts) });
    // Cache of one journal, three items per document: every other write evicts the first journal.
    const store = new JournalStore(client, 1, 3);
    const key = { namespace: 'journal-test-a' };
    const other = { namespace: 'journal-test-b' };
    const empty = () => ({ items: [] as number[] });
    const size = (p: { items: number[] }) => p.items.length;
    for (let i = 0; i < 8; i++) {
      await store.update(key, empty, (p) => ({ items: [...p.items, i] }), size);
      await store.update(other, empty, () => ({ items: [i] }), () => 0);
    }
    const keyPuts = puts.filter((p) => p.namespace === key.namespace);
    expect(keyPuts.map((p) => p.items)).toEqual([1, 2, 3, 1, 2, 3, 1, 2]);
    expect(new Set(keyPuts.map((p) => p.id)).size).toBe(3);
    // Journal documents carry no messages, so the server never summarises or extracts from them.
    expect(puts.every((p) => p.messages === 0)).toBe(true);

    const read = await store.readAll(key, (v): v is { items: number[] } => typeof v === 'object' && v !== null && Array.isArray((v as { items?: unknown }).items));
    expect(read).toHaveLength(1);
    expect(read[0]!.writer).toBe(store.writerId);
    expect(read[0]!.payloads.map((p) => p.items)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);

    await store.removeAll(key);
    expect(await store.readAll(key, (v): v is unknown => true)).toEqual([]);
  });

  it('keeps a 250-event session whole across documents and writers, with bounded writes', async () => {
    const puts: Put[] = [];
    const config = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, fetch: countingFetch(puts) };
    const a = new RedisSessionMemoryService(config);
    const b = new RedisSessionMemoryService(config);
    const appName = 'long-app';
    const scope = { namespace: appName, appName, userId: 'runner', sessionId: 'long' };
    const sa = await a.createSession({ appName, userId: 'runner', sessionId: 'long' });
    const sb = await b.getSession({ appName, userId: 'runner', sessionId: 'long' });
    const appended: Event[] = [];
    let t = Date.now();
    for (let i = 0; i < 250; i++) {
      const writer = i % 10 === 9 ? b : a;
      const session = writer === b ? sb! : sa;
      const event = createEvent({ id: `e${i}`, invocationId: `inv${i}`, author: 'user', timestamp: t++, content: { role: 'user', parts: [{ text: `step ${i}` }] }, actions: createEventActions({ stateDelta: { last: i } }) });
      await writer.appendEvent({ session, event });
      appended.push(event);
    }
    const journal = puts.filter((p) => p.namespace === amsKeys.journal(scope).namespace && p.id !== 'head');
    expect(Math.max(...journal.map((p) => p.items))).toBe(SEGMENT_ITEMS);
    // Writer a wrote 225 events: three documents; writer b wrote 25: one.
    expect(new Set(journal.map((p) => p.id)).size).toBe(4);

    const fresh = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    const read = await fresh.getSession({ appName, userId: 'runner', sessionId: 'long' });
    expect(read!.events.map((e) => e.id)).toEqual(appended.map((e) => e.id));
    expect(read!.state.last).toBe(249);
    const recent = await fresh.getSession({ appName, userId: 'runner', sessionId: 'long', config: { numRecentEvents: 3 } });
    expect(recent!.events.map((e) => e.id)).toEqual(['e247', 'e248', 'e249']);

    await fresh.deleteSession({ appName, userId: 'runner', sessionId: 'long' });
    expect(await fresh.getSession({ appName, userId: 'runner', sessionId: 'long' })).toBeUndefined();
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    expect((await client.listSessions({ namespace: amsKeys.journal(scope).namespace })).total).toBe(0);
  });
});
