import { createEvent, createEventActions, type BaseSessionService, type Event, type Session } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/clients/errors.js';
import { REAL_AMS, inMemoryTarget, backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

const TARGETS: [string, () => Promise<Target>][] = [
  ...(REAL_AMS ? [] : [['adk-in-memory', () => Promise.resolve(inMemoryTarget())] as [string, () => Promise<Target>]]),
  ...suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const).map((b): [string, () => Promise<Target>] => [b, () => backendTarget(b)]),
];

let seq = 0;
/** Unique ids per test so cases never see each other's data. */
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;

function richEvents(): Event[] {
  const t0 = 1_750_000_000_000;
  return [
    createEvent({ id: 'e1', invocationId: 'inv-1', author: 'user', timestamp: t0, content: { role: 'user', parts: [{ text: 'What is my goal?' }] } }),
    createEvent({
      id: 'e2',
      invocationId: 'inv-1',
      author: 'coach',
      branch: 'coach',
      timestamp: t0 + 10,
      content: {
        role: 'model',
        parts: [{ text: 'Let me check.' }, { functionCall: { id: 'call-1', name: 'lookup_goal', args: { user: 'u', nested: { deep: [1, 2, { x: null }] } } } }],
      },
      longRunningToolIds: ['call-1'],
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 },
    }),
    createEvent({
      id: 'e3',
      invocationId: 'inv-1',
      author: 'coach',
      timestamp: t0 + 20,
      content: { role: 'user', parts: [{ functionResponse: { id: 'call-1', name: 'lookup_goal', response: { goal: 'run 10k', weeks: 8 } } }] },
      actions: createEventActions({ stateDelta: { goal: 'run 10k', 'temp:scratch': 'never stored' }, artifactDelta: { 'plan.txt': 2 } }),
    }),
    createEvent({
      id: 'e4',
      invocationId: 'inv-2',
      author: 'coach',
      timestamp: t0 + 30,
      content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }, { text: 'Here is your plan.' }] },
      actions: createEventActions({ transferToAgent: 'nutritionist', escalate: true, skipSummarization: true }),
      customMetadata: { source: 'test', tags: ['a', 'b'], n: 1.5 },
      turnComplete: true,
      finishReason: 'STOP' as never,
    }),
  ];
}

/** What an event should read back as: the appended event minus `temp:` state. */
function expectedEvent(e: Event): unknown {
  const copy = JSON.parse(JSON.stringify(e));
  for (const k of Object.keys(copy.actions?.stateDelta ?? {})) if (k.startsWith('temp:')) delete copy.actions.stateDelta[k];
  return copy;
}

describe.each(TARGETS)('session conformance: %s', (_name, make) => {
  let target: Target;
  let svc: BaseSessionService;
  beforeAll(async () => {
    target = await make();
    svc = target.service();
  });
  afterAll(() => closeIfStarted(target));

  it('creates a session with the given id and initial state, and reads it back', async () => {
    const app = uid('app');
    const created = await svc.createSession({ appName: app, userId: 'u1', sessionId: 's1', state: { level: 3, tags: ['x'] } });
    expect(created).toMatchObject({ id: 's1', appName: app, userId: 'u1', events: [], state: { level: 3, tags: ['x'] } });
    const read = await svc.getSession({ appName: app, userId: 'u1', sessionId: 's1' });
    expect(read).toMatchObject({ id: 's1', appName: app, userId: 'u1', events: [], state: { level: 3, tags: ['x'] } });
    expect(typeof read!.lastUpdateTime).toBe('number');
  });

  it('generates a session id when none is given', async () => {
    const app = uid('app');
    const s = await svc.createSession({ appName: app, userId: 'u1' });
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await svc.getSession({ appName: app, userId: 'u1', sessionId: s.id })).toBeDefined();
  });

  it('returns undefined for a session that does not exist', async () => {
    expect(await svc.getSession({ appName: uid('app'), userId: 'u1', sessionId: 'nope' })).toBeUndefined();
  });

  it('round-trips every event field losslessly, in order', async () => {
    const app = uid('app');
    const session = await svc.createSession({ appName: app, userId: 'u1', sessionId: 's1' });
    const events = richEvents();
    for (const e of events) await svc.appendEvent({ session, event: e });
    const read = await svc.getSession({ appName: app, userId: 'u1', sessionId: 's1' });
    expect(read!.events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(JSON.parse(JSON.stringify(read!.events))).toEqual(richEvents().map(expectedEvent));
    expect(read!.state).toEqual({ goal: 'run 10k' });
    expect(read!.lastUpdateTime).toBe(events[3]!.timestamp);
  });

  it('skips partial events and never stores temp: state', async () => {
    const app = uid('app');
    const session = await svc.createSession({ appName: app, userId: 'u1', sessionId: 's1' });
    const partial = createEvent({ id: 'p1', author: 'coach', partial: true, timestamp: 1, content: { role: 'model', parts: [{ text: 'Hel' }] } });
    await svc.appendEvent({ session, event: partial });
    await svc.appendEvent({
      session,
      event: createEvent({
        id: 'f1',
        author: 'coach',
        timestamp: 2,
        content: { role: 'model', parts: [{ text: 'Hello' }] },
        actions: createEventActions({ stateDelta: { 'temp:t': 1, keep: 2 } }),
      }),
    });
    const read = await svc.getSession({ appName: app, userId: 'u1', sessionId: 's1' });
    expect(read!.events.map((e) => e.id)).toEqual(['f1']);
    expect(read!.state).toEqual({ keep: 2 });
    expect(read!.events[0]!.actions.stateDelta).toEqual({ keep: 2 });
  });

  it("shares app: state across the app and user: state across one user's sessions", async () => {
    const app = uid('app');
    const a = await svc.createSession({ appName: app, userId: 'alice', sessionId: 'a1' });
    await svc.createSession({ appName: app, userId: 'alice', sessionId: 'a2' });
    await svc.createSession({ appName: app, userId: 'bob', sessionId: 'b1' });
    await svc.appendEvent({
      session: a,
      event: createEvent({
        id: 'x1',
        author: 'coach',
        timestamp: 5,
        actions: createEventActions({ stateDelta: { 'app:units': 'km', 'user:name': 'Alice', own: true } }),
      }),
    });
    expect(a.state).toMatchObject({ 'app:units': 'km', 'user:name': 'Alice', own: true });
    const a2 = await svc.getSession({ appName: app, userId: 'alice', sessionId: 'a2' });
    const b1 = await svc.getSession({ appName: app, userId: 'bob', sessionId: 'b1' });
    expect(a2!.state).toEqual({ 'app:units': 'km', 'user:name': 'Alice' });
    expect(b1!.state).toEqual({ 'app:units': 'km' });
    const other = await svc.createSession({ appName: uid('other-app'), userId: 'alice' });
    expect(other.state).toEqual({});
  });

  it('honours numRecentEvents and afterTimestamp', async () => {
    const app = uid('app');
    const session = await svc.createSession({ appName: app, userId: 'u1', sessionId: 's1' });
    for (let i = 1; i <= 6; i++) {
      await svc.appendEvent({
        session,
        event: createEvent({ id: `e${i}`, author: 'user', timestamp: i * 1000, content: { role: 'user', parts: [{ text: `m${i}` }] } }),
      });
    }
    const recent = await svc.getSession({ appName: app, userId: 'u1', sessionId: 's1', config: { numRecentEvents: 2 } });
    expect(recent!.events.map((e) => e.id)).toEqual(['e5', 'e6']);
    const after = await svc.getSession({ appName: app, userId: 'u1', sessionId: 's1', config: { afterTimestamp: 3500 } });
    expect(after!.events.map((e) => e.id)).toEqual(['e4', 'e5', 'e6']);
  });

  it('lists sessions without events, per user or for the whole app, with ADK paging fields', async () => {
    const app = uid('app');
    for (const [user, id, ts] of [
      ['u1', 'a', 3],
      ['u1', 'b', 1],
      ['u1', 'c', 2],
      ['u2', 'd', 4],
    ] as const) {
      const s = await svc.createSession({ appName: app, userId: user, sessionId: id });
      await svc.appendEvent({
        session: s,
        event: createEvent({ id: `ev-${id}`, author: 'user', timestamp: 1_700_000_000_000 + ts, content: { role: 'user', parts: [{ text: id }] } }),
      });
    }
    const mine = await svc.listSessions({ appName: app, userId: 'u1' });
    expect(mine.sessions.map((s) => s.id).sort()).toEqual(['a', 'b', 'c']);
    expect(mine).toMatchObject({ page: 1, limit: 3, totalItems: 3, totalPages: 1 });
    for (const s of mine.sessions) {
      expect(s.events).toEqual([]);
      expect(s).toMatchObject({ appName: app, userId: 'u1' });
    }
    const everyone = await svc.listSessions({ appName: app });
    expect(everyone.sessions.map((s) => `${s.userId}/${s.id}`).sort()).toEqual(['u1/a', 'u1/b', 'u1/c', 'u2/d']);
    const desc = await svc.listSessions({ appName: app, userId: 'u1', order: 'desc' });
    expect(desc.sessions.map((s) => s.id)).toEqual(['a', 'c', 'b']);
    const page2 = await svc.listSessions({ appName: app, userId: 'u1', order: 'asc', limit: 2, page: 2 });
    expect(page2).toMatchObject({ page: 2, limit: 2, totalItems: 3, totalPages: 2 });
    expect(page2.sessions.map((s) => s.id)).toEqual(['a']);
    const byOffset = await svc.listSessions({ appName: app, userId: 'u1', order: 'asc', limit: 2, offset: 1 });
    expect(byOffset.sessions.map((s) => s.id)).toEqual(['c', 'a']);
    expect(await svc.listSessions({ appName: app, userId: 'nobody' })).toMatchObject({ sessions: [], totalItems: 0, totalPages: 0 });
  });

  it('deletes a session; deleting a missing one is not an error', async () => {
    const app = uid('app');
    await svc.createSession({ appName: app, userId: 'u1', sessionId: 's1' });
    await svc.deleteSession({ appName: app, userId: 'u1', sessionId: 's1' });
    expect(await svc.getSession({ appName: app, userId: 'u1', sessionId: 's1' })).toBeUndefined();
    expect((await svc.listSessions({ appName: app, userId: 'u1' })).totalItems).toBe(0);
    await expect(svc.deleteSession({ appName: app, userId: 'u1', sessionId: 's1' })).resolves.toBeUndefined();
  });

  it('isolates the same session id under two apps and two users', async () => {
    const [app1, app2] = [uid('app'), uid('app')];
    const put = async (app: string, user: string, text: string) => {
      const s = await svc.createSession({ appName: app, userId: user, sessionId: 'same', state: { owner: `${app}/${user}` } });
      await svc.appendEvent({
        session: s,
        event: createEvent({ id: 'same-event', author: 'user', timestamp: 1, content: { role: 'user', parts: [{ text }] } }),
      });
    };
    await put(app1, 'u1', 'one');
    await put(app2, 'u1', 'two');
    await put(app1, 'u2', 'three');
    const texts = await Promise.all(
      [
        [app1, 'u1'],
        [app2, 'u1'],
        [app1, 'u2'],
      ].map(async ([app, user]) => {
        const s = await svc.getSession({ appName: app!, userId: user!, sessionId: 'same' });
        return [s!.state.owner, s!.events.map((e) => e.content?.parts?.[0]?.text)];
      }),
    );
    expect(texts).toEqual([
      [`${app1}/u1`, ['one']],
      [`${app2}/u1`, ['two']],
      [`${app1}/u2`, ['three']],
    ]);
  });

  it('accepts ADK ids of any characters and length', async () => {
    const app = `app/${uid('ünï')}@x`;
    const user = `user@example.com/ü 🚀 ${'u'.repeat(120)}`;
    const sessionId = `sess:${'z'.repeat(200)}/é`;
    const s = await svc.createSession({ appName: app, userId: user, sessionId });
    await svc.appendEvent({
      session: s,
      event: createEvent({ id: 'ev/1 ü', author: 'user', timestamp: 1, content: { role: 'user', parts: [{ text: 'hi' }] } }),
    });
    const read = await svc.getSession({ appName: app, userId: user, sessionId });
    expect(read).toMatchObject({ id: sessionId, appName: app, userId: user });
    expect(read!.events.map((e) => e.id)).toEqual(['ev/1 ü']);
    const listed = await svc.listSessions({ appName: app, userId: user });
    expect(listed.sessions.map((x) => x.id)).toEqual([sessionId]);
  });

  describe('database semantics (ADK DatabaseSessionService)', () => {
    it('splits app: and user: keys of the initial state into their scopes', async (ctx) => {
      if (!target.durable) ctx.skip();
      const app = uid('app');
      await svc.createSession({ appName: app, userId: 'u1', sessionId: 's1', state: { 'app:theme': 'dark', 'user:lang': 'fr', own: 1, 'temp:x': 2 } });
      const sibling = await svc.createSession({ appName: app, userId: 'u1', sessionId: 's2' });
      expect(sibling.state).toEqual({ 'app:theme': 'dark', 'user:lang': 'fr' });
      const stranger = await svc.createSession({ appName: app, userId: 'u2', sessionId: 's3' });
      expect(stranger.state).toEqual({ 'app:theme': 'dark' });
      const first = await svc.getSession({ appName: app, userId: 'u1', sessionId: 's1' });
      expect(first!.state).toEqual({ 'app:theme': 'dark', 'user:lang': 'fr', own: 1 });
    });

    it('rejects creating a session id that already exists', async (ctx) => {
      if (!target.durable) ctx.skip();
      const app = uid('app');
      await svc.createSession({ appName: app, userId: 'u1', sessionId: 'dup' });
      await expect(svc.createSession({ appName: app, userId: 'u1', sessionId: 'dup' })).rejects.toBeInstanceOf(ConflictError);
    });

    it('a fresh service instance (another process) reads the same session back', async (ctx) => {
      if (!target.durable) ctx.skip();
      const app = uid('app');
      const s = await svc.createSession({ appName: app, userId: 'u1', sessionId: 's1', state: { a: 1 } });
      for (const e of richEvents()) await svc.appendEvent({ session: s, event: e });
      const other = target.service();
      const read = await other.getSession({ appName: app, userId: 'u1', sessionId: 's1' });
      expect(JSON.parse(JSON.stringify(read!.events))).toEqual(richEvents().map(expectedEvent));
      expect(read!.state).toEqual({ a: 1, goal: 'run 10k' });
    });

    it('keeps sessions of two namespaces apart', async (ctx) => {
      if (!target.durable) ctx.skip();
      const app = uid('app');
      const t1 = target.service({ defaultNamespace: 'tenant-1' });
      const t2 = target.service({ defaultNamespace: 'tenant-2' });
      await t1.createSession({ appName: app, userId: 'u1', sessionId: 's1', state: { tenant: 1, 'app:x': 1, 'user:y': 1 } });
      expect(await t2.getSession({ appName: app, userId: 'u1', sessionId: 's1' })).toBeUndefined();
      const s2 = await t2.createSession({ appName: app, userId: 'u1', sessionId: 's1', state: { tenant: 2 } });
      expect(s2.state).toEqual({ tenant: 2 });
      expect((await t1.listSessions({ appName: app })).totalItems).toBe(1);
    });
  });

  describe('concurrent writers', () => {
    it("keeps both writers' events when two instances append to one session", async (ctx) => {
      if (!target.durable) ctx.skip();
      const app = uid('app');
      const a = target.service();
      const b = target.service();
      await a.createSession({ appName: app, userId: 'u1', sessionId: 's1' });
      const sa = (await a.getSession({ appName: app, userId: 'u1', sessionId: 's1' }))!;
      const sb = (await b.getSession({ appName: app, userId: 'u1', sessionId: 's1' }))!;
      // B appends from a copy loaded before A's append; neither overwrites the other.
      await a.appendEvent({ session: sa, event: textEvent('from-a', 1) });
      await b.appendEvent({ session: sb, event: textEvent('from-b', 2) });
      await a.appendEvent({ session: sa, event: textEvent('from-a-2', 3) });
      const read = await b.getSession({ appName: app, userId: 'u1', sessionId: 's1' });
      expect(read!.events.map((e) => e.id)).toEqual(['from-a', 'from-b', 'from-a-2']);
    });
  });
});

function textEvent(id: string, ts: number): Event {
  return createEvent({ id, author: 'user', timestamp: ts, content: { role: 'user', parts: [{ text: id }] } });
}

export type { Session };
