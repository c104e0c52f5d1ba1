import { createEvent, createEventActions, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalStore, SEGMENT_MESSAGES } from '../../src/backends/ams-journal.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';

/** Agent Memory Server journals: a writer's document is bounded, and a long session still reads back whole. */
describe('Agent Memory Server journal documents', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await startReferenceServer({ backend: 'opensource-agent-memory' });
  });
  afterAll(async () => server?.close());

  /** Records the message count of every working-memory PUT. */
  function countingFetch(puts: { id: string; messages: number }[]) {
    return async (req: Request): Promise<Response> => {
      if (req.method === 'PUT') {
        const body = (await req.clone().json()) as { messages: unknown[] };
        puts.push({ id: decodeURIComponent(new URL(req.url).pathname.split('/').pop()!), messages: body.messages.length });
      }
      return fetch(req);
    };
  }

  it('starts a new document when the current one is full, also after its cached copy was evicted', async () => {
    const puts: { id: string; messages: number }[] = [];
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url, fetch: countingFetch(puts) });
    // Cache of one journal, three messages per document: every other write evicts the first journal.
    const store = new JournalStore(client, 1, 3);
    const key = { namespace: 'journal-test-a', userId: 'u1' };
    const other = { namespace: 'journal-test-b', userId: 'u1' };
    const empty = () => ({ items: [] as number[] });
    for (let i = 0; i < 8; i++) {
      await store.update(key, empty, (doc) => ({ messages: [...doc.messages, { role: 'user', content: `m${i}` }], payload: { items: [...doc.payload.items, i] } }));
      await store.update(other, empty, (doc) => ({ messages: doc.messages, payload: { items: [i] } }));
    }
    const keyPuts = puts.filter((p) => p.messages > 0);
    expect(keyPuts.map((p) => p.messages)).toEqual([1, 2, 3, 1, 2, 3, 1, 2]);
    expect(new Set(keyPuts.map((p) => p.id)).size).toBe(3);

    const read = await store.readAll(key, (v): v is { items: number[] } => typeof v === 'object' && v !== null && Array.isArray((v as { items?: unknown }).items));
    expect(read).toHaveLength(1);
    expect(read[0]!.writer).toBe(store.writerId);
    expect(read[0]!.payloads.map((p) => p.items)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);

    await store.removeAll(key);
    expect(await store.readAll(key, (v): v is unknown => true)).toEqual([]);
  });

  it('keeps a 250-event session whole across documents and writers, with bounded writes', async () => {
    const puts: { id: string; messages: number }[] = [];
    const config = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, fetch: countingFetch(puts) };
    const a = new RedisSessionMemoryService(config);
    const b = new RedisSessionMemoryService(config);
    const appName = 'long-app';
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
    expect(Math.max(...puts.map((p) => p.messages))).toBe(SEGMENT_MESSAGES);
    // Writer a wrote 225 events: three documents; writer b wrote 25: one.
    const journalDocs = new Set(puts.filter((p) => p.messages > 0).map((p) => p.id));
    expect(journalDocs.size).toBe(4);

    const fresh = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    const read = await fresh.getSession({ appName, userId: 'runner', sessionId: 'long' });
    expect(read!.events.map((e) => e.id)).toEqual(appended.map((e) => e.id));
    expect(read!.state.last).toBe(249);
    const recent = await fresh.getSession({ appName, userId: 'runner', sessionId: 'long', config: { numRecentEvents: 3 } });
    expect(recent!.events.map((e) => e.id)).toEqual(['e247', 'e248', 'e249']);

    await fresh.deleteSession({ appName, userId: 'runner', sessionId: 'long' });
    expect(await fresh.getSession({ appName, userId: 'runner', sessionId: 'long' })).toBeUndefined();
  });
});
