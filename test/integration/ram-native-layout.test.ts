import { createEvent, createEventActions, isCompactedEvent, type CompactedEvent, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';
import { rawStore } from '../helpers/raw-store.js';

type Stored = {
  sessionId: string;
  ownerId: string;
  namespace?: string;
  events: { eventId: string; role: string; createdAt: string; content: { text: string }[] }[];
  summary?: { text: string; summarizedUpToEventId: string };
};

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
let clock = 1_770_000_000_000;
const say = (id: string, author: string, text: string, delta?: Record<string, unknown>): Event =>
  createEvent({
    id,
    invocationId: 'inv',
    author,
    timestamp: clock++,
    content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] },
    ...(delta ? { actions: createEventActions({ stateDelta: delta }) } : {}),
  });

describe("Redis Agent Memory: readable ids, and sessions that survive the store's own summarisation and cleanup", () => {
  let target: Target;
  /** Plays another client of the store, or its own tools: raw HTTP straight to the reference server. */
  const raw = (method: string, path: string, body?: unknown) => rawStore(target, method, path, body);
  const stored = async (id: string, include = false) =>
    (await raw('GET', `/session-memory/${id}${include ? '?includeSummarisedEvents=true' : ''}`)).json as Stored;

  beforeAll(async () => {
    // Behind `prism proxy --errors` with the official document; summarise after 20 events, keep 5.
    target = await backendTarget('redis-agent-memory', { server: { backgroundTasks: 'manual', summarizeAfterEvents: 20, keepEvents: 5 } });
  });
  afterAll(() => closeIfStarted(target));

  it('uses the ADK ids where they fit: owner = user, namespace = app, session id = ADK session id', async () => {
    const app = uid('travel');
    const svc = target.service();
    const s = await svc.createSession({ appName: app, userId: 'alice', state: { seat: 'window' } });
    await svc.appendEvent({ session: s, event: say('e1', 'user', 'Hello') });
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
    const record = await stored(s.id);
    expect(record).toMatchObject({ sessionId: s.id, ownerId: 'alice', namespace: app });
    // The store's own listing by owner finds exactly the user's sessions, no bookkeeping.
    const mine = await svc.createSession({ appName: app, userId: 'alice', sessionId: 'second-trip' });
    const listed = (await raw('GET', '/session-memory?filterOwnerId=alice&limit=1000')).json as { items: string[] };
    expect(listed.items.filter((id) => id === s.id || id === mine.id).sort()).toEqual([s.id, 'second-trip'].sort());
    expect(listed.items.every((id) => !id.startsWith('x-'))).toBe(true);

    // Ids that break the rule are encoded, and still work end to end.
    const odd = await svc.createSession({ appName: app, userId: 'bob@example.com', sessionId: 'trip/1' });
    await svc.appendEvent({ session: odd, event: say('o1', 'user', 'Hi') });
    expect((await svc.getSession({ appName: app, userId: 'bob@example.com', sessionId: 'trip/1' }))!.events.map((e) => e.id)).toEqual(['o1']);
  });

  it('never lets two scopes share a record: the same session id under two users, also created at once', async () => {
    const app = uid('travel');
    const svc = target.service();
    const [a, b] = await Promise.all([
      svc.createSession({ appName: app, userId: 'ann', sessionId: 'main', state: { who: 'ann' } }),
      target.service().createSession({ appName: app, userId: 'ben', sessionId: 'main', state: { who: 'ben' } }),
    ]);
    await svc.appendEvent({ session: a, event: say('a1', 'user', 'from ann') });
    await svc.appendEvent({ session: b, event: say('b1', 'user', 'from ben') });
    const fresh = target.service();
    const readA = (await fresh.getSession({ appName: app, userId: 'ann', sessionId: 'main' }))!;
    const readB = (await fresh.getSession({ appName: app, userId: 'ben', sessionId: 'main' }))!;
    expect([readA.state, readA.events.map((e) => e.id)]).toEqual([{ who: 'ann' }, ['a1']]);
    expect([readB.state, readB.events.map((e) => e.id)]).toEqual([{ who: 'ben' }, ['b1']]);
    // One of them holds the readable id; the other a scoped one. Neither record mixes the two.
    const readable = await stored('main');
    expect(readable.events.every((e) => e.content[0]!.text !== (readable.ownerId === 'ann' ? 'from ben' : 'from ann'))).toBe(true);
    await expect(svc.createSession({ appName: app, userId: 'ann', sessionId: 'main' })).rejects.toThrow(/already exists/);

    // A race: ben's check finds 'race' free, then ann's session lands before ben's first write.
    let raced = false;
    const racing = async (req: Request): Promise<Response> => {
      if (
        !raced &&
        req.method === 'POST' &&
        req.url.endsWith('/session-memory/events') &&
        ((await req.clone().json()) as { sessionId: string }).sessionId === 'race'
      ) {
        raced = true;
        await svc.createSession({ appName: app, userId: 'ann', sessionId: 'race', state: { who: 'ann' } });
      }
      return fetch(req);
    };
    const late = await new RedisSessionMemoryService(target.config({ fetch: racing })).createSession({
      appName: app,
      userId: 'ben',
      sessionId: 'race',
      state: { who: 'ben' },
    });
    expect(raced).toBe(true);
    await target.service().appendEvent({ session: late, event: say('r1', 'user', 'ben in the race') });
    expect((await stored('race')).events.map((e) => e.content[0]!.text)).toEqual(['[session created]']);
    expect((await fresh.getSession({ appName: app, userId: 'ann', sessionId: 'race' }))!.state).toEqual({ who: 'ann' });
    const benRace = (await fresh.getSession({ appName: app, userId: 'ben', sessionId: 'race' }))!;
    expect([benRace.state, benRace.events.map((e) => e.id)]).toEqual([{ who: 'ben' }, ['r1']]);

    // One after the other: the second user finds the readable id taken and gets a record of its own.
    const first = await svc.createSession({ appName: app, userId: 'cleo', sessionId: 'solo', state: { who: 'cleo' } });
    const second = await target.service().createSession({ appName: app, userId: 'dirk', sessionId: 'solo', state: { who: 'dirk' } });
    await svc.appendEvent({ session: second, event: say('d1', 'user', 'from dirk') });
    expect((await stored('solo')).ownerId).toBe('cleo');
    expect((await stored('solo')).events.map((e) => e.content[0]!.text)).toEqual(['[session created]']);
    expect((await fresh.getSession({ appName: app, userId: 'cleo', sessionId: 'solo' }))!.state).toEqual(first.state);
    expect((await fresh.getSession({ appName: app, userId: 'dirk', sessionId: 'solo' }))!.events.map((e) => e.id)).toEqual(['d1']);
  });

  it('creates the session when the marker was stored twice by a retry whose first response was lost', async () => {
    const app = uid('travel');
    // The first append (the marker) is stored, then its response is lost; the service retries it.
    target.server!.faults.add({ kind: 'reset-after', method: 'POST', path: '/session-memory/events', times: 1 });
    const svc = new RedisSessionMemoryService(target.config({ maxRetries: 1, retryBaseDelay: 0.01 }));
    await svc.createSession({ appName: app, userId: 'ivy', sessionId: 'replayed', state: { a: 1 } });
    target.server!.faults.clear();
    expect((await stored('replayed')).events.map((e) => e.content[0]!.text)).toEqual(['[session created]']);
    expect((await target.service().getSession({ appName: app, userId: 'ivy', sessionId: 'replayed' }))!.state).toEqual({ a: 1 });
  });

  it('reads back session, app: and user: state identical after the store summarised and cleaned up every session involved', async () => {
    const app = uid('coach');
    const svc = target.service();
    const session = await svc.createSession({
      appName: app,
      userId: 'cara',
      sessionId: 'long',
      state: { level: 'beginner', 'app:units': 'km', 'user:name': 'Cara' },
    });
    for (let i = 0; i < 30; i++) {
      await svc.appendEvent({
        session,
        event: say(`e${i}`, i % 2 ? 'coach' : 'user', `turn ${i}`, { [`k${i % 7}`]: i, 'app:round': i, 'user:streak': i, ...(i === 3 ? { goal: '10k' } : {}) }),
      });
    }
    const before = (await svc.getSession({ appName: app, userId: 'cara', sessionId: 'long' }))!;
    expect(before.state).toMatchObject({ level: 'beginner', goal: '10k', 'app:units': 'km', 'app:round': 29, 'user:name': 'Cara', 'user:streak': 29 });

    await target.server!.runBackgroundTasks();
    // Cleanup really happened: the store keeps only the newest 5 events of the session, and it summarised.
    const after = await stored('long', true);
    expect(after.events).toHaveLength(5);
    expect(after.summary?.text).toBeTruthy();

    const fresh = target.service();
    const read = (await fresh.getSession({ appName: app, userId: 'cara', sessionId: 'long' }))!;
    expect(read.state).toEqual(before.state);
    const other = await fresh.createSession({ appName: app, userId: 'cara', sessionId: 'next' });
    expect(other.state).toEqual({ 'app:units': 'km', 'app:round': 29, 'user:name': 'Cara', 'user:streak': 29 });
  });

  it('returns the store summary as a CompactedEvent before the retained events, with no event twice', async () => {
    const app = uid('coach');
    const svc = target.service();
    const session = await svc.createSession({ appName: app, userId: 'dev', sessionId: 's' });
    const appended: Event[] = [];
    for (let i = 0; i < 24; i++) {
      const e = say(`m${i}`, i % 2 ? 'coach' : 'user', `message ${i}`);
      appended.push(e);
      await svc.appendEvent({ session, event: e });
    }
    // Summarised, not yet cleaned up: the store still returns them with includeSummarisedEvents.
    await target.server!.runBackgroundTasks({ cleanup: false });
    const record = await stored('s');
    const summarisedCount = appended.length - 5;
    let read = (await svc.getSession({ appName: app, userId: 'dev', sessionId: 's' }))!;
    expect(read.events.filter((e) => !isCompactedEvent(e)).map((e) => e.id)).toEqual(appended.map((e) => e.id));
    let summary = read.events.find(isCompactedEvent) as CompactedEvent;
    expect(summary.compactedContent).toBe(record.summary!.text);
    expect(read.events.indexOf(summary)).toBe(summarisedCount);
    expect(summary.endTime).toBe(appended[summarisedCount - 1]!.timestamp);
    expect(summary.startTime).toBe(appended[0]!.timestamp);

    // After cleanup only the retained events are left; the summary still leads them.
    await target.server!.runBackgroundTasks();
    read = (await svc.getSession({ appName: app, userId: 'dev', sessionId: 's' }))!;
    summary = read.events[0] as CompactedEvent;
    expect(isCompactedEvent(summary)).toBe(true);
    expect(read.events.slice(1).map((e) => e.id)).toEqual(appended.slice(summarisedCount).map((e) => e.id));
    expect(summary.endTime).toBeLessThan(appended[summarisedCount]!.timestamp);
  });

  it('reads, lists and appends to a session another client wrote', async () => {
    const app = uid('coach');
    const t0 = Date.now() - 60_000;
    for (const [i, role, text] of [
      [0, 'USER', 'I swim twice a week'],
      [1, 'ASSISTANT', 'Good base!'],
    ] as const) {
      const res = await raw('POST', '/session-memory/events', {
        sessionId: 'chat-9',
        actorId: role === 'USER' ? 'eve' : 'swim-bot',
        namespace: app,
        role,
        content: [{ text }],
        createdAt: new Date(t0 + i * 1000).toISOString(),
      });
      expect(res.status).toBe(201);
    }
    const svc = target.service();
    const read = (await svc.getSession({ appName: app, userId: 'eve', sessionId: 'chat-9' }))!;
    expect(read.events.map((e) => [e.author, e.content?.parts?.[0]?.text, e.timestamp])).toEqual([
      ['user', 'I swim twice a week', t0],
      ['swim-bot', 'Good base!', t0 + 1000],
    ]);
    expect(read.events.every((e) => /^[a-zA-Z0-9]{32}$/.test(e.id))).toBe(true);
    expect((await svc.listSessions({ appName: app, userId: 'eve' })).sessions.map((s) => s.id)).toEqual(['chat-9']);
    // After the other client's events in time: a session's events read back in time order.
    await svc.appendEvent({ session: read, event: { ...say('mine', 'user', 'Plan my swims', { pool: '25m' }), timestamp: t0 + 2000 } });
    const again = (await target.service().getSession({ appName: app, userId: 'eve', sessionId: 'chat-9' }))!;
    expect(again.events.map((e) => e.content?.parts?.[0]?.text)).toEqual(['I swim twice a week', 'Good base!', 'Plan my swims']);
    expect(again.state).toEqual({ pool: '25m' });
    // Another user of the same id is not this session's owner.
    expect(await svc.getSession({ appName: app, userId: 'mallory', sessionId: 'chat-9' })).toBeUndefined();
  });

  it('finds memories the store extracts from an ADK session for that app and user only', async () => {
    const app = uid('coach');
    const svc = target.service();
    const session = await svc.createSession({ appName: app, userId: 'finn', sessionId: 'x' });
    await svc.appendEvent({ session, event: say('u1', 'user', 'I prefer running on trails, never on roads') });
    await svc.appendEvent({ session, event: say('u2', 'coach', 'Trails it is.') });
    await target.server!.runBackgroundTasks();
    const memory = target.memory!();
    const found = await memory.searchMemory({ appName: app, userId: 'finn', query: 'trail running' });
    expect(found.memories.map((m) => m.content.parts?.[0]?.text)).toContain('I prefer running on trails, never on roads');
    expect((await memory.searchMemory({ appName: app, userId: 'gwen', query: 'trail running' })).memories).toEqual([]);
    expect((await memory.searchMemory({ appName: uid('elsewhere'), userId: 'finn', query: 'trail running' })).memories).toEqual([]);
  });
});
