import { createEvent, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/clients/errors.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';
import { rawStore } from '../helpers/raw-store.js';

type Placed = { sessionId: string; ownerId: string; namespace?: string; namespaceRef?: { namespaceId: string; name: string; path: string } };
type Record_ = { id: string; ownerId?: string; namespace?: string; namespaceRef?: { namespaceId: string }; text: string };

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
let clock = 1_770_000_000_000;
const say = (id: string, author: string, text: string): Event =>
  createEvent({ id, invocationId: 'inv', author, timestamp: clock++, content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] } });

describe('Redis Agent Memory namespace objects (SDK 0.4.1): placement with namespaceId, never mixed with the label', () => {
  let target: Target;
  const raw = async (method: string, path: string, body?: unknown) => {
    const res = await rawStore(target, method, path, body);
    return { status: res.status, json: res.json as Record<string, unknown> };
  };
  const namespace = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await raw('POST', '/namespaces', { name, ...extra });
    expect(res.status).toBe(201);
    return (res.json.namespace as { namespaceId: string; path: string }).namespaceId;
  };

  beforeAll(async () => {
    target = await backendTarget('redis-agent-memory', { server: { backgroundTasks: 'manual' } });
  });
  afterAll(() => closeIfStarted(target));

  it('places sessions and the bookkeeping beside them by namespaceRef, without the label', async () => {
    const ns = await namespace(uid('coach'));
    const app = uid('app');
    const svc = target.service({ namespaceId: ns });
    const s = await svc.createSession({ appName: app, userId: 'alice', state: { goal: '10k', 'user:units': 'km' } });
    await svc.appendEvent({ session: s, event: say('e1', 'user', 'Plan my week') });
    const placed = (await raw('GET', `/session-memory/${s.id}`)).json as Placed;
    expect(placed).toMatchObject({ sessionId: s.id, ownerId: 'alice', namespaceRef: { namespaceId: ns } });
    expect(placed.namespace).toBeUndefined();
    const back = await svc.getSession({ appName: app, userId: 'alice', sessionId: s.id });
    expect(back?.events.map((e) => e.id)).toEqual(['e1']);
    expect(back?.state).toEqual({ goal: '10k', 'user:units': 'km' });
    expect((await svc.listSessions({ appName: app, userId: 'alice' })).sessions.map((x) => x.id)).toEqual([s.id]);
    // Every session this package wrote in the store is in the namespace object: none has the label.
    const all = (await raw('GET', '/session-memory?includeAll=true&limit=1000')).json as { items: string[] };
    const ours = await Promise.all(all.items.map(async (id) => (await raw('GET', `/session-memory/${id}`)).json as Placed));
    const inNs = ours.filter((m) => m.namespaceRef?.namespaceId === ns);
    expect(inNs.length).toBeGreaterThanOrEqual(3); // the session, the user state, the users registry
    expect(inNs.every((m) => m.namespace === undefined)).toBe(true);
    await svc.deleteSession({ appName: app, userId: 'alice', sessionId: s.id });
    expect(await svc.getSession({ appName: app, userId: 'alice', sessionId: s.id })).toBeUndefined();
  });

  it('never reads a namespace object session as the label namespace one, nor the other way round', async () => {
    const ns = await namespace(uid('other'));
    const app = uid('app');
    const labelled = target.service();
    const placed = target.service({ namespaceId: ns });
    // The same ADK ids in both placements are two sessions.
    const a = await labelled.createSession({ appName: app, userId: 'bob', sessionId: 'trip', state: { where: 'label' } });
    const b = await placed.createSession({ appName: app, userId: 'bob', sessionId: 'trip', state: { where: 'object' } });
    await labelled.appendEvent({ session: a, event: say('l1', 'user', 'label side') });
    await placed.appendEvent({ session: b, event: say('o1', 'user', 'object side') });
    expect((await labelled.getSession({ appName: app, userId: 'bob', sessionId: 'trip' }))?.events.map((e) => e.id)).toEqual(['l1']);
    expect((await placed.getSession({ appName: app, userId: 'bob', sessionId: 'trip' }))?.events.map((e) => e.id)).toEqual(['o1']);
    expect((await placed.getSession({ appName: app, userId: 'bob', sessionId: 'trip' }))?.state).toEqual({ where: 'object' });
    expect((await labelled.listSessions({ appName: app, userId: 'bob' })).sessions.map((x) => x.state)).toEqual([{ where: 'label' }]);
    expect((await placed.listSessions({ appName: app, userId: 'bob' })).sessions.map((x) => x.state)).toEqual([{ where: 'object' }]);
  });

  it('does not take a session another client placed by namespaceRef for a label namespace session (the planted mix-up)', async () => {
    const ns = await namespace(uid('sdk'));
    const app = uid('app');
    const sessionId = uid('sdk-session');
    // What the official SDK 0.4.1 writes: owner = user, namespaceRef, no label, no ADK envelope.
    const wrote = await raw('POST', '/session-memory/events', {
      sessionId,
      actorId: 'carol',
      namespaceRef: { namespaceId: ns },
      role: 'USER',
      content: [{ text: 'from the SDK' }],
      createdAt: new Date(clock++).toISOString(),
    });
    expect(wrote.status).toBe(201);
    expect(await target.service().getSession({ appName: app, userId: 'carol', sessionId })).toBeUndefined();
    const adopted = await target.service({ namespaceId: ns }).getSession({ appName: app, userId: 'carol', sessionId });
    expect(adopted?.events.map((e) => e.content?.parts?.[0]?.text)).toEqual(['from the SDK']);
    // ...and a labelled foreign session is not the namespace object's.
    const labelledId = uid('labelled');
    await raw('POST', '/session-memory/events', {
      sessionId: labelledId,
      actorId: 'carol',
      namespace: app,
      role: 'USER',
      content: [{ text: 'x' }],
      createdAt: new Date(clock++).toISOString(),
    });
    expect(await target.service({ namespaceId: ns }).getSession({ appName: app, userId: 'carol', sessionId: labelledId })).toBeUndefined();
    expect(await target.service().getSession({ appName: app, userId: 'carol', sessionId: labelledId })).toBeDefined();
  });

  it('writes memories by namespaceRef, searches with a namespaceRef filter and the owner, and never across placements', async () => {
    const ns = await namespace(uid('mem'));
    const app = uid('app');
    const placed = target.memory!({ namespaceId: ns });
    const labelled = target.memory!();
    const { ids } = await placed.addMemory({ appName: app, userId: 'dana', memories: [{ content: { parts: [{ text: 'Dana runs 10k on Sundays' }] } }] });
    await labelled.addMemory({ appName: app, userId: 'dana', memories: [{ content: { parts: [{ text: 'Dana runs 5k on Mondays' }] } }] });
    // Another user's record in the same namespace object, and a record another client placed for Dana.
    await raw('POST', '/long-term-memory', {
      memories: [
        { id: uid('eve'), ownerId: 'eve', text: 'Eve runs 10k on Sundays', namespaceRef: { namespaceId: ns } },
        { id: uid('sdk'), ownerId: 'dana', text: 'Dana runs 10k in the rain', namespaceRef: { namespaceId: ns } },
      ],
    });
    const record = (await raw('GET', `/long-term-memory/${ids[0]}`)).json as Record_;
    expect(record.namespaceRef?.namespaceId).toBe(ns);
    expect(record.namespace).toBeUndefined();
    const inObject = (await placed.searchMemory({ appName: app, userId: 'dana', query: 'runs 10k' })).memories.map((m) => m.content.parts?.[0]?.text);
    expect(inObject.sort()).toEqual(['Dana runs 10k in the rain', 'Dana runs 10k on Sundays']);
    const inLabel = (await labelled.searchMemory({ appName: app, userId: 'dana', query: 'runs 10k' })).memories.map((m) => m.content.parts?.[0]?.text);
    expect(inLabel).toEqual(['Dana runs 5k on Mondays']);
    expect(await labelled.getMemory({ appName: app, userId: 'dana', id: ids[0]! })).toBeUndefined();
    expect(await placed.getMemory({ appName: app, userId: 'dana', id: ids[0]! })).toBeDefined();
    // A store that ignored the placement filters: what comes back is still checked record by record.
    const unfiltered: typeof fetch = async (input, init) => {
      const req = new Request(input, init);
      if (!req.url.endsWith('/long-term-memory/search')) return fetch(req);
      const body = (await req.json()) as { filter: Record<string, unknown> };
      delete body.filter.namespace;
      delete body.filter.namespaceRef;
      return fetch(new Request(req, { body: JSON.stringify(body) }));
    };
    const texts = async (svc: typeof placed) =>
      (await svc.searchMemory({ appName: app, userId: 'dana', query: 'Dana runs' })).memories.map((m) => m.content.parts?.[0]?.text).sort();
    expect(await texts(target.memory!({ namespaceId: ns, fetch: unfiltered }))).toEqual(['Dana runs 10k in the rain', 'Dana runs 10k on Sundays']);
    expect(await texts(target.memory!({ fetch: unfiltered }))).toEqual(['Dana runs 5k on Mondays']);
  });

  it('models the namespace rules: a taken or archived location is 409, archived takes nothing new, a non-empty one cannot go', async () => {
    const name = uid('rules');
    const parent = await namespace(name);
    expect((await raw('POST', '/namespaces', { name })).status).toBe(409);
    const child = await namespace('child', { parentId: parent });
    expect(((await raw('GET', `/namespaces/${child}`)).json.namespace as { path: string }).path).toBe(`${name}/child`);
    expect(((await raw('GET', `/namespaces?parentId=${parent}`)).json.items as unknown[]).length).toBe(1);
    expect((await raw('DELETE', `/namespaces/${parent}`)).status).toBe(409);
    await raw('POST', '/long-term-memory', { memories: [{ id: uid('m'), ownerId: 'x', text: 'kept', namespaceRef: { namespaceId: child } }] });
    expect((await raw('DELETE', `/namespaces/${child}`)).status).toBe(409);
    expect((await raw('PATCH', `/namespaces/${child}`, { state: 'ARCHIVED' })).status).toBe(200);
    const archived = await raw('POST', '/long-term-memory', { memories: [{ id: uid('m'), ownerId: 'x', text: 't', namespaceRef: { namespaceId: child } }] });
    expect(archived.status).toBe(409);
    expect((await raw('POST', '/long-term-memory/move', { memoryIds: ['a1'], namespaceRef: { namespaceId: child } })).status).toBe(409);
    expect((await raw('POST', '/namespaces', { name: 'child', parentId: parent })).status).toBe(409);
    const both = await raw('POST', '/session-memory/events', {
      actorId: 'x',
      namespace: 'label',
      namespaceRef: { namespaceId: parent },
      role: 'USER',
      content: [{ text: 't' }],
      createdAt: new Date().toISOString(),
    });
    expect(both.status).toBe(400);
    const empty = await namespace(uid('empty'));
    expect((await raw('DELETE', `/namespaces/${empty}`)).status).toBe(204);
  });

  it('rejects namespaceId for Agent Memory Server, naming the option', () => {
    expect(() => new RedisSessionMemoryService({ backend: 'opensource-agent-memory', namespaceId: 'ns-1' })).toThrow(ConfigurationError);
    expect(() => new RedisSessionMemoryService({ backend: 'opensource-agent-memory', namespaceId: 'ns-1' })).toThrow(/namespaceId/);
  });
});
