import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createEvent, createEventActions, isCompactedEvent, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalStore, SEGMENT_BYTES, SEGMENT_ITEMS, measure } from '../../src/backends/ams-journal.js';
import { amsKeys } from '../../src/backends/ams-sessions.js';
import { eventsSize } from '../../src/backends/ams-session-events.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import { eventually } from '../helpers/eventually.js';
import { latch } from '../helpers/latch.js';
import { closeIfStarted } from '../helpers/started.js';

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
      puts.push({
        id: decodeURIComponent(new URL(req.url).pathname.split('/').pop()!),
        namespace: body.namespace,
        messages: body.messages.length,
        items: (adk?.events ?? adk?.items ?? []).length,
      });
    }
    return fetch(req);
  };
}

/** An event of the coach with text, and one of its tool calls (no text). */
const said = (id: string, at: number) =>
  createEvent({ id, invocationId: 'i', author: 'coach', timestamp: at, content: { role: 'model', parts: [{ text: id }] } });
const call = (id: string, at: number) =>
  createEvent({
    id,
    invocationId: 'i',
    author: 'coach',
    timestamp: at,
    content: { role: 'model', parts: [{ functionCall: { id, name: 'log_run', args: {} } }] },
  });

/** Agent Memory Server journals: a writer's document is bounded, holds no messages, and a long session still reads back whole. */
describe('Agent Memory Server journal documents', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await startReferenceServer({ backend: 'opensource-agent-memory', backgroundTasks: 'manual' });
  });
  afterAll(() => closeIfStarted(server));

  it('starts a new document when the current one is full, also after its cached copy was evicted', async () => {
    const puts: Put[] = [];
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url, fetch: countingFetch(puts) });
    // Cache of one journal, three items per document: every other write evicts the first journal.
    const store = new JournalStore(client, 1, { items: 3, bytes: 1 << 20 });
    const key = { namespace: 'journal-test-a' };
    const other = { namespace: 'journal-test-b' };
    const empty = () => ({ items: [] as number[] });
    const size = (p: { items: number[] }) => measure(p, p.items.length);
    for (let i = 0; i < 8; i++) {
      await store.update(key, empty, (p) => ({ items: [...p.items, i] }), size);
      await store.update(
        other,
        empty,
        () => ({ items: [i] }),
        () => ({ items: 0, bytes: 0 }),
      );
    }
    const keyPuts = puts.filter((p) => p.namespace === key.namespace);
    expect(keyPuts.map((p) => p.items)).toEqual([1, 2, 3, 1, 2, 3, 1, 2]);
    expect(new Set(keyPuts.map((p) => p.id)).size).toBe(3);
    // Journal documents carry no messages, so the server never summarises or extracts from them.
    expect(puts.every((p) => p.messages === 0)).toBe(true);

    const docs = await store.readAll(key);
    const read = JournalStore.byWriter(
      docs,
      (v): v is { items: number[] } => typeof v === 'object' && v !== null && Array.isArray((v as { items?: unknown }).items),
    );
    expect(read).toHaveLength(1);
    expect(read[0]!.writer).toBe(store.writerId);
    expect(read[0]!.payloads.map((p) => p.items)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);

    await store.removeAll(key);
    expect(await store.readAll(key)).toEqual([]);
  });

  it('takes a listing without its current document for a deletion only when none of its writes landed while the listing was asked for', async () => {
    // The listing is answered before the writer's next document exists, and arrives after it does.
    const answered = latch();
    const released = latch();
    let holdListing = false;
    const holding = async (req: Request): Promise<Response> => {
      const listing = req.method === 'GET' && new URL(req.url).pathname === '/v1/working-memory/';
      const res = await fetch(req);
      if (listing && holdListing) {
        answered.open();
        await released.reached;
      }
      return res;
    };
    const store = new JournalStore(createAgentMemoryServerClient({ apiBaseUrl: server.url, fetch: holding }), 10, { items: 2, bytes: 1 << 20 });
    const key = { namespace: 'journal-listing-race' };
    const empty = () => ({ items: [] as number[] });
    const size = (p: { items: number[] }) => measure(p, p.items.length);
    const add = (n: number) => store.update(key, empty, (p) => ({ items: [...p.items, n] }), size);
    await add(1);
    await add(2);
    holdListing = true;
    const listed = store.list(key);
    await answered.reached;
    // Two items per document: this write starts the writer's second document.
    const second = await add(3);
    released.open();
    expect(await listed).not.toContain(second.id);
    await add(4);
    // The second document kept what the write before the listing's arrival put there.
    expect(await store.fetch(key, second.id)).toEqual({ items: [3, 4] });
  });

  it("takes no copy on the strength of a listing of several pages: their order is not one moment's", async () => {
    const key = { namespace: 'journal-anchor-pages' };
    const empty = () => ({ items: [] as string[] });
    const size = (p: { items: string[] }) => measure(p, p.items.length);
    const raw = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    // One item per document: each write of the filler starts a new document.
    const filler = new JournalStore(raw, 10, { items: 1, bytes: 1 << 20 });
    const other = new JournalStore(raw);
    const fill = async (n: number) => {
      for (let i = 0; i < n; i++) await filler.update(key, empty, (p) => ({ items: [...p.items, `f${i}`] }), size);
    };
    await fill(50);
    await other.update(key, empty, () => ({ items: ['before'] }), size);
    await fill(55);
    let holdPages = false;
    const gate = latch();
    const firstPage = latch();
    // Holds the second page of a listing (from offset 100) until released, and tells when the first is answered.
    const holding = async (req: Request): Promise<Response> => {
      const url = new URL(req.url);
      const page = holdPages && req.method === 'GET' && url.pathname === '/v1/working-memory/' ? url.searchParams.get('offset') : null;
      if (page === '100') await gate.reached;
      const res = await fetch(req);
      if (page === '0') firstPage.open();
      return res;
    };
    const reader = new JournalStore(createAgentMemoryServerClient({ apiBaseUrl: server.url, fetch: holding }));
    await reader.writeAnchor(key);
    const payloadOf = (docs: { id: string; payload: unknown }[]) => docs.find((d) => d.id === other.currentDocument(key))?.payload;
    // Read after the anchor was written, and listed before it.
    expect(payloadOf(await reader.readAll(key))).toEqual({ items: ['before'] });
    holdPages = true;
    const reading = reader.readAll(key);
    // The first page is answered with the document in its old place; then it is written again, and
    // the second page (everything after it moved up one) no longer shows it before the anchor.
    await firstPage.reached;
    await other.update(key, empty, () => ({ items: ['after'] }), size);
    gate.open();
    expect(payloadOf(await reading)).toEqual({ items: ['after'] });
  });

  it('measures an events document after an append by what the append added, to the byte of a whole measure', () => {
    type Payload = Parameters<typeof eventsSize>[0];
    const events: Payload['events'] = [
      { id: 'a', text: 'plain' },
      { id: 'b', text: 'ünïcödé ✓ 🏃' },
      { id: 'c', nested: { list: [1, 2.5, null, true] } },
    ];
    let before = { payload: { v: 1, kind: 'events', events: [] } as Payload, size: measure({ v: 1, kind: 'events', events: [] }, 0) };
    for (const added of [[events[0]!], [events[1]!, events[2]!], [{ id: 'd', text: '' }]]) {
      const next: Payload = { ...before.payload, events: [...before.payload.events, ...added] };
      const size = eventsSize(next, before);
      expect(size).toEqual(measure(next, next.events.length));
      before = { payload: next, size };
    }
    // A replaced event is not an append: measured whole.
    const replaced: Payload = {
      ...before.payload,
      events: before.payload.events.map((e, i) => (i === 1 ? { id: 'b', text: 'a much longer replacement text' } : e)),
    };
    expect(eventsSize(replaced, before)).toEqual(measure(replaced, replaced.events.length));
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
      const event = createEvent({
        id: `e${i}`,
        invocationId: `inv${i}`,
        author: 'user',
        timestamp: t++,
        content: { role: 'user', parts: [{ text: `step ${i}` }] },
        actions: createEventActions({ stateDelta: { last: i } }),
      });
      await writer.appendEvent({ session, event });
      appended.push(event);
    }
    const journal = puts.filter((p) => p.namespace === amsKeys.journal(scope).namespace && !p.id.startsWith('c-'));
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

  /** Counts the bytes of every request body sent through it. */
  function byteCounter() {
    const counter = {
      bytes: 0,
      fetch: async (req: Request): Promise<Response> => {
        const size = req.body ? (await req.clone().arrayBuffer()).byteLength : 0;
        counter.bytes += size;
        return fetch(req);
      },
    };
    return counter;
  }

  /** A tool result event carrying `bytes` of fetched text. */
  const toolResult = (i: number, bytes: number, t: number) =>
    createEvent({
      id: `r${i}`,
      invocationId: `inv${i}`,
      author: 'fetcher',
      timestamp: t,
      content: { role: 'user', parts: [{ functionResponse: { id: `c${i}`, name: 'fetch_page', response: { page: `${i}:`.padEnd(bytes, 'p') } } }] },
    });

  it('sends at most the event plus one bounded segment per append, however many 400 kB events came before', async () => {
    const counter = byteCounter();
    const svc = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, fetch: counter.fetch });
    const session = await svc.createSession({ appName: 'large-app', userId: 'u', sessionId: 'pages' });
    const sent: number[] = [];
    const eventBytes: number[] = [];
    const t = Date.now();
    for (let i = 0; i < 100; i++) {
      const event = toolResult(i, 400_000, t + i);
      counter.bytes = 0;
      await svc.appendEvent({ session, event });
      sent.push(counter.bytes);
      eventBytes.push(Buffer.byteLength(JSON.stringify(event)));
    }
    for (const n of [0, 9, 29, 99]) expect(sent[n]!).toBeLessThanOrEqual(eventBytes[n]! + SEGMENT_BYTES);
    expect(sent[99]! / sent[0]!).toBeLessThan(1.2);
    const read = await new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url }).getSession({
      appName: 'large-app',
      userId: 'u',
      sessionId: 'pages',
    });
    expect(read!.events.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    expect(
      read!.events.every((e, i) => (e.content!.parts![0]!.functionResponse!.response as { page: string }).page.length === 400_000 && e.id === `r${i}`),
    ).toBe(true);
  }, 120_000);

  it('keeps small events together and gives an event past the bound a document of its own', async () => {
    const puts: Put[] = [];
    const svc = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, fetch: countingFetch(puts) });
    const scope = { namespace: 'mixed-app', appName: 'mixed-app', userId: 'u', sessionId: 'mix' };
    const session = await svc.createSession({ appName: scope.appName, userId: 'u', sessionId: 'mix' });
    const t = Date.now();
    const sizes = [10, 10, 100_000, 10, 10, 10];
    for (const [i, size] of sizes.entries()) await svc.appendEvent({ session, event: toolResult(i, size, t + i) });
    const journal = puts.filter((p) => p.namespace === amsKeys.journal(scope).namespace && !p.id.startsWith('c-'));
    // Two small events share a document; the large one gets the next; the small ones after it the one after that.
    expect(journal.map((p) => [p.id.split('.')[1] ?? '0', p.items])).toEqual([
      ['0', 1],
      ['0', 2],
      ['000001', 1],
      ['000002', 1],
      ['000002', 2],
      ['000002', 3],
    ]);
  });

  it("reads a session of small and large events written by two processes at once, whole and in each writer's order", async () => {
    const config = { backend: 'opensource-agent-memory' as const, apiBaseUrl: server.url, maxRetries: 2 };
    const scope = ['mixed-app', 'u', `two-${Date.now()}`] as const;
    await new RedisSessionMemoryService(config).createSession({ appName: scope[0], userId: scope[1], sessionId: scope[2] });
    const root = path.resolve(import.meta.dirname, '../..');
    const worker = (tag: string) =>
      promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'test/reliability/append-worker.ts')], {
        cwd: root,
        env: {
          ...process.env,
          WORKER_CONFIG: JSON.stringify(config),
          WORKER_SCOPE: JSON.stringify(scope),
          WORKER_TAG: tag,
          WORKER_COUNT: '60',
          WORKER_LARGE_EVERY: '4',
          WORKER_LARGE_BYTES: '150000',
        },
        timeout: 120_000,
        maxBuffer: 1 << 20,
      }).then(({ stdout }) => JSON.parse(stdout) as { resolved: string[]; rejected: string[] });
    const [a, b] = await Promise.all([worker('A'), worker('B')]);
    expect([...a.rejected, ...b.rejected]).toEqual([]);
    const read = (await new RedisSessionMemoryService(config).getSession({ appName: scope[0], userId: scope[1], sessionId: scope[2] }))!;
    // The server summarised the long conversation: its summary comes first, as a CompactedEvent.
    const events = read.events.filter((e) => !isCompactedEvent(e));
    const ids = events.map((e) => e.id);
    expect(ids).toHaveLength(120);
    expect(ids.filter((id) => id.startsWith('A-'))).toEqual(a.resolved);
    expect(ids.filter((id) => id.startsWith('B-'))).toEqual(b.resolved);
    const large = events.filter((e) => (e.content?.parts?.[0]?.text ?? '').length === 150_000);
    expect(large).toHaveLength(30);
  }, 120_000);

  it('reads a session stored in the earlier layout (a head document and 100-event journal documents) unchanged', async () => {
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    const scope = { namespace: 'old-app', appName: 'old-app', userId: 'u', sessionId: 'old' };
    const journal = amsKeys.journal(scope).namespace;
    const t = 1_760_000_000_000;
    const events = Array.from({ length: 150 }, (_, i) => ({
      id: `o${i}`,
      invocationId: 'inv',
      author: i % 2 ? 'coach' : 'user',
      timestamp: t + i,
      content: { role: i % 2 ? 'model' : 'user', parts: [{ text: `old ${i}` }] },
      actions: { stateDelta: i === 149 ? { done: true } : {} },
    }));
    const put = (id: string, adk: unknown, namespace = journal) => client.putWorkingMemory(id, { messages: [], data: { adk } as never, namespace });
    // Exactly what the earlier release wrote: the head, one writer's two documents, and the native view.
    await put('head', { v: 1, kind: 'session', appName: scope.appName, userId: 'u', sessionId: 'old', createdAt: t - 1, state: { plan: 'base' } });
    await put('w-11111111-1111-4111-8111-111111111111', { v: 1, kind: 'events', events: events.slice(0, 100) });
    await put('w-11111111-1111-4111-8111-111111111111.000001', { v: 1, kind: 'events', events: events.slice(100) });
    await client.putWorkingMemory('old', {
      namespace: 'old-app',
      user_id: 'u',
      messages: events.map((e) => ({
        id: e.id,
        role: e.author === 'user' ? 'user' : 'assistant',
        content: e.content.parts[0]!.text,
        created_at: new Date(e.timestamp).toISOString(),
      })),
      data: { adk: { v: 1, appName: 'old-app', lastUpdateTime: t + 149 } },
    });
    const svc = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    const read = (await svc.getSession({ appName: 'old-app', userId: 'u', sessionId: 'old' }))!;
    expect(read.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(read.state).toEqual({ plan: 'base', done: true });
    // It goes on in the new layout beside the old documents, and still reads whole.
    await svc.appendEvent({
      session: read,
      event: createEvent({ id: 'n1', author: 'user', timestamp: t + 200, content: { role: 'user', parts: [{ text: 'new' }] } }),
    });
    await expect(svc.createSession({ appName: 'old-app', userId: 'u', sessionId: 'old' })).rejects.toThrow(/already exists/);
    const again = (await new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url }).getSession({
      appName: 'old-app',
      userId: 'u',
      sessionId: 'old',
    }))!;
    expect(again.events.map((e) => e.id)).toEqual([...events.map((e) => e.id), 'n1']);
  });

  it('writes only the journal for an event that adds no text; its line reaches the conversation with the next write, or a reader restores it', async () => {
    const puts: Put[] = [];
    const service = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, fetch: countingFetch(puts) });
    const sessionId = 'text-free';
    const session = await service.createSession({ appName: 'text-free', userId: 'u', sessionId });
    const t = 1_790_000_000_000;
    const said = (id: string, at: number) =>
      createEvent({ id, invocationId: 'i', author: 'coach', timestamp: at, content: { role: 'model', parts: [{ text: id }] } });
    const call = createEvent({
      id: 'call',
      invocationId: 'i',
      author: 'coach',
      timestamp: t + 1,
      content: { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'log_run', args: { km: 10 } } }] },
    });
    const result = createEvent({
      id: 'result',
      invocationId: 'i',
      author: 'coach',
      timestamp: t + 2,
      content: { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'log_run', response: { ok: true } } }] },
    });
    await service.appendEvent({ session, event: said('question', t) });
    puts.length = 0;
    await service.appendEvent({ session, event: call });
    await service.appendEvent({ session, event: result });
    // Two journal writes, no conversation write.
    expect(puts.map((p) => p.namespace === 'text-free')).toEqual([false, false]);
    const native = async () =>
      (
        (await createAgentMemoryServerClient({ apiBaseUrl: server.url }).getWorkingMemory(sessionId, { namespace: 'text-free', user_id: 'u' })).messages ?? []
      ).map((m) => m.id);
    expect(await native()).toEqual(['question']);
    // Every reader has the events, and the listing their time.
    const fresh = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    expect((await fresh.getSession({ appName: 'text-free', userId: 'u', sessionId }))!.events.map((e) => e.id)).toEqual(['question', 'call', 'result']);
    expect((await fresh.listSessions({ appName: 'text-free', userId: 'u' })).sessions[0]!.lastUpdateTime).toBe(t + 2);
    // The next write of the conversation carries their lines, in place.
    await service.appendEvent({ session, event: said('answer', t + 3) });
    expect(await native()).toEqual(['question', 'call', 'result', 'answer']);
    // Another instance that read the session restores them too, when the lines are missing.
    await service.appendEvent({ session, event: { ...call, id: 'call-2', timestamp: t + 4 } });
    await fresh.getSession({ appName: 'text-free', userId: 'u', sessionId });
    const again = (await fresh.getSession({ appName: 'text-free', userId: 'u', sessionId }))!;
    await fresh.appendEvent({ session: again, event: said('later', t + 5) });
    expect(await native()).toEqual(['question', 'call', 'result', 'answer', 'call-2', 'later']);
  });

  it("reads only the latest message before an event that adds no text, and the whole document when that message is another client's or the session has a TTL", async () => {
    /** The reads of the session's own document, by whether they asked for the latest message only. */
    const reads: ('latest' | 'whole')[] = [];
    const recording = async (req: Request): Promise<Response> => {
      const url = new URL(req.url);
      if (req.method === 'GET' && /\/v1\/working-memory\/light[^/]*$/.test(url.pathname)) {
        reads.push(url.searchParams.get('recent_messages_limit') === '1' ? 'latest' : 'whole');
      }
      return fetch(req);
    };
    const t = 1_790_000_000_000;
    const raw = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    const key = { namespace: 'light', user_id: 'u' };
    const ids = async (sessionId: string) => ((await raw.getWorkingMemory(sessionId, key)).messages ?? []).map((m) => m.id);

    const service = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, fetch: recording });
    const session = await service.createSession({ appName: 'light', userId: 'u', sessionId: 'light' });
    await service.appendEvent({ session, event: said('question', t) });
    reads.length = 0;
    await service.appendEvent({ session, event: call('call-1', t + 1) });
    await service.appendEvent({ session, event: said('answer', t + 2) });
    expect(reads).toEqual(['latest', 'whole']);

    // Another client adds two messages; its latest is not this package's: the document is read
    // whole, so both join the record and the conversation keeps both.
    const doc = await raw.getWorkingMemory('light', key);
    const theirs = (id: string, at: number) => ({ id, role: 'user' as const, content: id, created_at: new Date(at).toISOString() });
    await raw.putWorkingMemory('light', { ...doc, messages: [...(doc.messages ?? []), theirs('theirs-1', t + 3), theirs('theirs-2', t + 4)] });
    reads.length = 0;
    await service.appendEvent({ session, event: call('call-2', t + 5) });
    expect(reads).toEqual(['latest', 'whole']);
    expect(await ids('light')).toEqual(['question', 'call-1', 'answer', 'theirs-1', 'theirs-2', 'call-2']);
    // A stale write of another client drops them from the conversation: the record still has them.
    await raw.putWorkingMemory('light', { ...doc });
    const fresh = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    expect((await fresh.getSession({ appName: 'light', userId: 'u', sessionId: 'light' }))!.events.map((e) => e.id)).toEqual(
      expect.arrayContaining(['theirs-1', 'theirs-2', 'call-2']),
    );

    // A session with a TTL reads whole before every append (each one writes the view, which renews it).
    const expiring = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, fetch: recording, sessionTtlSeconds: 600 });
    const timed = await expiring.createSession({ appName: 'light', userId: 'u', sessionId: 'light-ttl' });
    reads.length = 0;
    await expiring.appendEvent({ session: timed, event: said('question', t) });
    await expiring.appendEvent({ session: timed, event: call('call-1', t + 1) });
    expect(reads).toEqual(['whole', 'whole']);
    // One whose TTL another client set after this instance last saw it without one (with a message
    // dated before this package's latest): the read of the latest message shows the TTL, so the
    // document is read whole, and the view written from it renews the TTL and keeps their message.
    const later = await service.createSession({ appName: 'light', userId: 'u', sessionId: 'light-ttl-later' });
    await service.appendEvent({ session: later, event: said('question', t) });
    const untimed = await raw.getWorkingMemory('light-ttl-later', key);
    await raw.putWorkingMemory('light-ttl-later', { ...untimed, messages: [theirs('theirs-early', t - 1), ...(untimed.messages ?? [])], ttl_seconds: 600 });
    reads.length = 0;
    await service.appendEvent({ session: later, event: call('call-1', t + 1) });
    expect(reads).toEqual(['latest', 'whole']);
    expect(await ids('light-ttl-later')).toEqual(['theirs-early', 'question', 'call-1']);
  });

  it('writes the journal of an event that adds no text beside the read; takes it back when the session is gone, and what a crash left never comes back', async () => {
    /** The order in which requests to the session's own document and to the journal started and ended. */
    const order: string[] = [];
    const tracing = async (req: Request): Promise<Response> => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      const what = `${req.method} ${/\/w-[^/]*$/.test(path) ? 'journal' : path.endsWith('/gone') ? 'view' : 'other'}`;
      order.push(`start ${what}`);
      try {
        return await fetch(req);
      } finally {
        order.push(`end ${what}`);
      }
    };
    const t = 1_790_000_000_000;
    const scope = { appName: 'gone', userId: 'u', sessionId: 'gone' };
    const client = createAgentMemoryServerClient({ apiBaseUrl: server.url });
    const journal = new JournalStore(client);
    const listed = () => journal.list(amsKeys.journal({ namespace: 'gone', ...scope }));

    const writer = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, fetch: tracing });
    const other = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    const session = await writer.createSession(scope);
    await writer.appendEvent({ session, event: said('question', t) });
    // One round trip: the journal write starts before the read has answered.
    order.length = 0;
    await writer.appendEvent({ session, event: call('call-1', t + 1) });
    expect(order.filter((x) => x.startsWith('start'))).toEqual(['start GET view', 'start PUT journal']);
    expect(order.indexOf('start PUT journal')).toBeLessThan(order.indexOf('end GET view'));
    expect((await other.getSession(scope))!.events.map((e) => e.id)).toEqual(['question', 'call-1']);

    // Another instance deletes the session: the append rejects, and what it wrote is taken back.
    await other.deleteSession(scope);
    await expect(writer.appendEvent({ session, event: call('call-2', t + 2) })).rejects.toThrow(/not found/i);
    expect(await listed()).toEqual([]);

    // The same, where the process dies before taking its write back (here: the delete never lands).
    const again = await writer.createSession(scope);
    await writer.appendEvent({ session: again, event: said('question-2', t + 3) });
    await other.deleteSession(scope);
    server.faults.add({ kind: 'reset-before', method: 'DELETE', path: /\/v1\/working-memory\/w-/ });
    await expect(writer.appendEvent({ session: again, event: call('call-3', t + 4) })).rejects.toThrow();
    server.faults.clear();
    expect((await listed()).filter((id) => id.startsWith('w-'))).toHaveLength(1);
    // What is left holds no session: reads find none, an append rejects.
    const fresh = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    expect(await fresh.getSession(scope)).toBeUndefined();
    await expect(fresh.appendEvent({ session: again, event: call('call-4', t + 5) })).rejects.toThrow(/not found/i);
    // A session created afresh under the id starts empty, and what was left is gone.
    const third = await other.createSession(scope);
    expect((await fresh.getSession(scope))!.events).toEqual([]);
    expect((await listed()).filter((id) => id.startsWith('w-'))).toEqual([]);
    await other.appendEvent({ session: third, event: said('question-3', t + 6) });
    expect((await fresh.getSession(scope))!.events.map((e) => e.id)).toEqual(['question-3']);
  });

  it("reads another writer's document again only once it changed: a copy read after this writer's anchor serves while the listing puts the document before the anchor", async () => {
    /** The journal documents of other writers each read fetched. */
    const fetched: string[] = [];
    const counting = async (req: Request): Promise<Response> => {
      const id = decodeURIComponent(new URL(req.url).pathname).split('/').pop()!;
      if (req.method === 'GET' && /^w-/.test(id)) fetched.push(id);
      return fetch(req);
    };
    const t = 1_790_000_000_000;
    const scope = { appName: 'anchored', userId: 'u', sessionId: 'anchored' };
    const config = { backend: 'opensource-agent-memory', apiBaseUrl: server.url } as const;
    const seeder = new RedisSessionMemoryService(config);
    const others = [new RedisSessionMemoryService(config), new RedisSessionMemoryService(config)];
    const session = await seeder.createSession(scope);
    await seeder.appendEvent({ session, event: said('seed', t) });
    for (const [i, o] of others.entries()) await o.appendEvent({ session: (await o.getSession(scope))!, event: said(`other-${i}`, t + 1 + i) });
    const warm = new RedisSessionMemoryService({ ...config, fetch: counting });
    let last: Awaited<ReturnType<typeof warm.getSession>>;
    const read = async () => {
      fetched.length = 0;
      last = await warm.getSession(scope);
      return last!.events.map((e) => e.id);
    };
    // Two reads that each fetch other writers' open documents: the next append writes the anchor (after one read it would not).
    for (let i = 0; i < 2; i++) {
      expect(await read()).toEqual(['seed', 'other-0', 'other-1']);
      expect(fetched).toHaveLength(3);
    }
    // Changed after those reads, before the anchor: last written before the anchor, yet not as read.
    await others[0]!.appendEvent({ session: (await others[0]!.getSession(scope))!, event: said('other-0-again', t + 3) });
    // This append writes the anchor; the read after it reads the three documents once more, then none.
    await warm.appendEvent({ session: last!, event: said('warm', t + 4) });
    const all = ['seed', 'other-0', 'other-1', 'other-0-again', 'warm'];
    expect(await read()).toEqual(all);
    expect(fetched).toHaveLength(3);
    expect(await read()).toEqual(all);
    expect(fetched).toEqual([]);
    // A writer that appends again is read again, and only it.
    await others[1]!.appendEvent({ session: (await others[1]!.getSession(scope))!, event: said('other-1-again', t + 6) });
    expect(await read()).toEqual([...all, 'other-1-again']);
    expect(fetched).toHaveLength(1);
    // Deleted and created afresh: the anchor went with it, so nothing read before is taken.
    await seeder.deleteSession(scope);
    const again = await seeder.createSession(scope);
    await seeder.appendEvent({ session: again, event: said('seed-2', t + 7) });
    expect(await read()).toEqual(['seed-2']);
    expect(fetched).toHaveLength(1);
  });

  it('keeps what it appended to a session created afresh under the id when a read of the earlier session answers after that append', async () => {
    let holdCreationReads = false;
    const answered = latch();
    const released = latch();
    // Answers a read of a creation record at once and hands the answer over only once released.
    const holding = async (req: Request): Promise<Response> => {
      const held = holdCreationReads && req.method === 'GET' && /\/c-[^/]*$/.test(decodeURIComponent(new URL(req.url).pathname));
      const res = await fetch(req);
      if (held) {
        answered.open();
        await released.reached;
      }
      return res;
    };
    const t = 1_790_000_000_000;
    const scope = { appName: 'late-read', userId: 'u', sessionId: 'late-read' };
    const writer = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, fetch: holding });
    const other = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
    const earlier = await writer.createSession(scope);
    await writer.appendEvent({ session: earlier, event: said('old', t) });
    holdCreationReads = true;
    const late = writer.getSession(scope);
    await answered.reached;
    holdCreationReads = false;
    await other.deleteSession(scope);
    await other.createSession(scope);
    // This append finds the session created afresh (its conversation names another creation).
    await writer.appendEvent({ session: earlier, event: said('new-1', t + 1) });
    released.open();
    expect((await late)!.events.map((e) => e.id)).toEqual(['old']);
    // The late read names the earlier session: an append after it still writes into the new one, keeping new-1.
    await writer.appendEvent({ session: earlier, event: call('new-2', t + 2) });
    // Nor does the conversation written next take the earlier session's lines back from that read.
    await writer.appendEvent({ session: earlier, event: said('new-3', t + 3) });
    // As appended (not a copy taken back from the conversation, which would be another client's message).
    const events = (await other.getSession(scope))!.events;
    expect(events.map((e) => `${e.id} by ${e.author}${e.customMetadata ? ' (copied)' : ''}`)).toEqual(['new-1 by coach', 'new-2 by coach', 'new-3 by coach']);
  });

  it.each([
    ['its first journal write', 0, false],
    ['a later journal write', 2, false],
    ['its journal and conversation writes', 2, true],
  ])(
    "keeps an event whose writes were stored but their answers lost (%s): the next append neither writes back an older copy nor takes the event for another client's message",
    async (_name, before, view) => {
      const service = new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url, maxRetries: 0 });
      const sessionId = `lost-${before}-${view ? 'both' : 'journal'}`;
      const session = await service.createSession({ appName: 'lost-answer', userId: 'u', sessionId });
      let t = 1_790_000_000_000;
      const say = (id: string) => createEvent({ id, invocationId: 'i', author: 'coach', timestamp: t++, content: { role: 'model', parts: [{ text: id }] } });
      for (let i = 0; i < before; i++) await service.appendEvent({ session, event: say(`early-${i}`) });
      const call = createEvent({
        id: 'call',
        invocationId: 'i',
        author: 'coach',
        timestamp: t++,
        // With text, so that it writes the conversation too (a call alone writes its journal only).
        content: { role: 'model', parts: [...(view ? [{ text: 'Logging it.' }] : []), { functionCall: { id: 'c1', name: 'log_run', args: { km: 10 } } }] },
        actions: createEventActions({ stateDelta: { logged: 10 } }),
      });
      // The journal document is stored, then the connection drops: the call rejects.
      server.faults.add({ kind: 'reset-after', method: 'PUT', path: /\/v1\/working-memory\/w-/, times: 1 });
      if (view) server.faults.add({ kind: 'reset-after', method: 'PUT', path: `/v1/working-memory/${sessionId}`, times: 1 });
      await expect(service.appendEvent({ session, event: call })).rejects.toThrow();
      await service.appendEvent({ session, event: say('next') });
      const read = await service.getSession({ appName: 'lost-answer', userId: 'u', sessionId });
      const stored = read!.events.find((e) => e.id === 'call')!;
      expect(stored.author).toBe('coach');
      expect(stored.content?.parts?.at(-1)?.functionCall).toEqual({ id: 'c1', name: 'log_run', args: { km: 10 } });
      expect(read!.state).toMatchObject({ logged: 10 });
      expect(read!.events.map((e) => e.id)).toEqual([...Array.from({ length: before }, (_, i) => `early-${i}`), 'call', 'next']);
    },
  );

  it("records a journal document's expiry from before the conversation write it goes with, also when the journal write waits on a read", async () => {
    // An expired session's leftovers are the documents whose recorded expiry says they were written
    // with its working memory: one that seemed to outlive it would be read into a session created
    // afresh under the same id.
    const ttl = 60;
    let viewSentAt: number | undefined;
    const journals: { sentAt: number; expiresAt: number }[] = [];
    const service = new RedisSessionMemoryService({
      backend: 'opensource-agent-memory',
      apiBaseUrl: server.url,
      maxRetries: 0,
      sessionTtlSeconds: ttl,
      fetch: async (req: Request): Promise<Response> => {
        const id = decodeURIComponent(new URL(req.url).pathname.split('/').pop()!);
        if (req.method === 'PUT' && id === 'expiring') viewSentAt = Date.now();
        if (req.method === 'PUT' && id.startsWith('w-')) {
          const body = (await req.clone().json()) as { data: { expiresAt: number } };
          journals.push({ sentAt: Date.now(), expiresAt: body.data.expiresAt });
        }
        if (req.method === 'GET' && id.startsWith('w-') && viewSentAt !== undefined) {
          // The writer reads its own document back (its last write's answer was lost) while the
          // view's PUT is out: the journal's PUT goes later, on a clock that has moved on.
          const sent = viewSentAt;
          await eventually('the clock has moved past the view write', () => Promise.resolve(Date.now() > sent + 5), { everyMs: 1 });
        }
        return fetch(req);
      },
    });
    const session = await service.createSession({ appName: 'expiry-from', userId: 'u', sessionId: 'expiring' });
    const say = (id: string) =>
      createEvent({ id, invocationId: 'i', author: 'coach', timestamp: Date.now(), content: { role: 'model', parts: [{ text: id }] } });
    server.faults.add({ kind: 'reset-after', method: 'PUT', path: /\/v1\/working-memory\/w-/, times: 1 });
    await expect(service.appendEvent({ session, event: say('lost') })).rejects.toThrow();
    viewSentAt = undefined;
    journals.length = 0;
    await service.appendEvent({ session, event: say('next') });
    expect(viewSentAt).toBeDefined();
    expect(journals).toHaveLength(1);
    // The PUT did go after the view's: the recorded expiry does not count from it.
    expect(journals[0]!.sentAt).toBeGreaterThan(viewSentAt!);
    expect(journals[0]!.expiresAt).toBeLessThanOrEqual(viewSentAt! + 2 * ttl * 1000);
  });
});
