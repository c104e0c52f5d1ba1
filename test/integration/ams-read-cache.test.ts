import { randomUUID } from 'node:crypto';
import { createEvent, createEventActions, isCompactedEvent, type Event, type Session } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectEvents } from '../../src/codec/events.js';
import { eventually } from '../helpers/eventually.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
let clock = Date.now();
/** Distinct, increasing event times: windows by time then have one answer. */
const tick = () => (clock = Math.max(clock + 1, Date.now()));
const say = (id: string, text: string, author = 'user', stateDelta?: Record<string, unknown>): Event =>
  createEvent({
    id,
    invocationId: 'inv',
    author,
    timestamp: tick(),
    content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] },
    ...(stateDelta ? { actions: createEventActions({ stateDelta }) } : {}),
  });
/** A tool result of 70 kB: past the journal's 64 KiB bound, so every such append closes a journal document. */
const page = (id: string) =>
  createEvent({
    id,
    invocationId: 'inv',
    author: 'coach',
    timestamp: tick(),
    content: { role: 'user', parts: [{ functionResponse: { id: `c-${id}`, name: 'fetch', response: { page: `${id} `.padEnd(70_000, 'words ') } } }] },
  });

/** An event with no conversational content (a state change): no message in the working memory tells of it. */
const quiet = (id: string, stateDelta: Record<string, unknown>): Event =>
  createEvent({ id, invocationId: 'inv', author: 'coach', timestamp: tick(), actions: createEventActions({ stateDelta }) });

/** What a service sent: each request's method, path and query, and the bytes of its response. */
interface Sent {
  method: string;
  url: URL;
  bytes: number;
}
function counting(log: Sent[]) {
  return async (req: Request): Promise<Response> => {
    const res = await fetch(req);
    const body = await res.clone().arrayBuffer();
    log.push({ method: req.method, url: new URL(req.url), bytes: body.byteLength });
    return res;
  };
}
/** Requests for the journal documents (namespaces of their own, `adk-j…`), not the working memory or state. */
const journalReads = (log: Sent[]) => log.filter((r) => r.method === 'GET' && (r.url.searchParams.get('namespace') ?? '').startsWith('adk-j'));
const documentReads = (log: Sent[]) => journalReads(log).filter((r) => !r.url.pathname.endsWith('/working-memory/'));
const ids = (s: Session | undefined) => s?.events.map((e) => e.id);

/**
 * Agent Memory Server: a session read again reads only what may have changed since (journal
 * documents that can no longer change are kept in memory), and a window reads only the documents
 * that hold it, yet every change anyone made shows on the next read. On the reference server, and
 * on the real server v0.15.2 in `npm run test:real`.
 */
describe('Agent Memory Server: reading again reads only what may have changed, never a stale view', () => {
  let target: Target;
  const raw = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${target.directUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as Record<string, unknown> };
  };

  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory', { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  it("a warm read fetches the working memory, the listings and each writer's open document only, however long the session", async () => {
    const app = uid('warm');
    const writer = target.service();
    const warmRequests: number[] = [];
    for (const pages of [1, 6]) {
      const s = await writer.createSession({ appName: app, userId: 'u', sessionId: `s${pages}` });
      for (let i = 0; i < pages; i++) await writer.appendEvent({ session: s, event: page(`p${pages}-${i}`) });
      await writer.appendEvent({ session: s, event: say(`last-${pages}`, 'and now?') });
      const log: Sent[] = [];
      const reader = target.service({ fetch: counting(log) });
      const cold = await reader.getSession({ appName: app, userId: 'u', sessionId: `s${pages}` });
      expect(cold?.events).toHaveLength(pages + 1);
      const coldDocs = documentReads(log).length;
      log.length = 0;
      const warm = await reader.getSession({ appName: app, userId: 'u', sessionId: `s${pages}` });
      expect(ids(warm)).toEqual(ids(cold));
      // Cold: the creation record and every events document. Warm: the open document only.
      expect(coldDocs).toBe(pages + 2);
      expect(documentReads(log)).toHaveLength(1);
      warmRequests.push(log.length);
    }
    expect(warmRequests[1]).toBe(warmRequests[0]);
  });

  it("shows another replica's appends, to its open document and to new ones", async () => {
    const app = uid('replica');
    const a = target.service();
    const b = target.service();
    const s = await b.createSession({ appName: app, userId: 'u', sessionId: 's' });
    await b.appendEvent({ session: s, event: say('b1', 'one') });
    expect(ids(await a.getSession({ appName: app, userId: 'u', sessionId: 's' }))).toEqual(['b1']);
    // Rewrites the document a has read: it is still open, so a must read it again. The event has no
    // message, so only the journal tells of it.
    await b.appendEvent({ session: s, event: quiet('b2', { step: 2 }) });
    const read = await a.getSession({ appName: app, userId: 'u', sessionId: 's' });
    expect(ids(read)).toEqual(['b1', 'b2']);
    expect(read!.state).toEqual({ step: 2 });
    await b.appendEvent({ session: s, event: page('b3') });
    await b.appendEvent({ session: s, event: say('b4', 'four') });
    expect(ids(await a.getSession({ appName: app, userId: 'u', sessionId: 's' }))).toEqual(['b1', 'b2', 'b3', 'b4']);
    await a.appendEvent({ session: s, event: say('a5', 'five', 'coach') });
    expect(ids(await b.getSession({ appName: app, userId: 'u', sessionId: 's' }))).toEqual(['b1', 'b2', 'b3', 'b4', 'a5']);
  });

  it("shows another client's PUT of the working memory", async () => {
    const app = uid('client');
    const svc = target.service();
    const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
    for (let i = 0; i < 3; i++) await svc.appendEvent({ session: s, event: page(`p${i}`) });
    await svc.getSession({ appName: app, userId: 'u', sessionId: 's' });
    const path = `/v1/working-memory/s?namespace=${app}&user_id=u`;
    const doc = (await raw('GET', path)).json;
    const { session_id: _s, context_percentage_total_used: _a, context_percentage_until_summarization: _b, ...body } = doc;
    const message = { id: `x-${randomUUID()}`, role: 'user', content: 'from another client', created_at: new Date(tick()).toISOString() };
    expect((await raw('PUT', '/v1/working-memory/s', { ...body, messages: [...(doc.messages as unknown[]), message] })).status).toBe(200);
    const read = await svc.getSession({ appName: app, userId: 'u', sessionId: 's' });
    expect(ids(read)).toEqual(['p0', 'p1', 'p2', message.id]);
    expect(read!.events.at(-1)!.content?.parts?.[0]?.text).toBe('from another client');
  });

  it("shows the server's summary written after the instance's last read", async () => {
    const app = uid('summary');
    const reader = target.service();
    const writer = target.service({ contextWindowMax: 400 });
    const s = await writer.createSession({ appName: app, userId: 'u', sessionId: 's' });
    await writer.appendEvent({ session: s, event: say('t0', 'Message 0: intervals') });
    const before = await reader.getSession({ appName: app, userId: 'u', sessionId: 's' });
    expect(before!.events.some(isCompactedEvent)).toBe(false);
    for (let i = 1; i < 20; i++) await writer.appendEvent({ session: s, event: say(`t${i}`, `Message ${i}: ${'tempo runs and recovery days '.repeat(4)}`) });
    await target.settle();
    const context = async () => (await raw('GET', `/v1/working-memory/s?namespace=${app}&user_id=u`)).json.context;
    await eventually('the server has summarised the conversation', async () => Boolean(await context()));
    const after = (await reader.getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
    const compacted = after.events.filter(isCompactedEvent);
    expect(compacted.map((c) => c.compactedContent)).toEqual([await context()]);
    expect(after.events.filter((e) => !isCompactedEvent(e))).toHaveLength(20);
  });

  it('reads a session deleted by another instance as missing, and one created again under its id afresh', async () => {
    const app = uid('delete');
    const a = target.service();
    const b = target.service();
    const s = await a.createSession({ appName: app, userId: 'u', sessionId: 's' });
    for (let i = 0; i < 4; i++) await a.appendEvent({ session: s, event: page(`old${i}`) });
    await a.appendEvent({ session: s, event: quiet('old-last', { plan: 'old' }) });
    expect(await b.getSession({ appName: app, userId: 'u', sessionId: 's' })).toBeDefined();
    await a.deleteSession({ appName: app, userId: 'u', sessionId: 's' });
    expect(await b.getSession({ appName: app, userId: 'u', sessionId: 's' })).toBeUndefined();
    // The same instance creates it again: its next document starts empty, not from what was deleted.
    const again = await a.createSession({ appName: app, userId: 'u', sessionId: 's' });
    await a.appendEvent({ session: again, event: say('new1', 'fresh start') });
    await a.appendEvent({ session: again, event: page('new2') });
    await a.appendEvent({ session: again, event: say('new3', 'and more') });
    const fresh = await b.getSession({ appName: app, userId: 'u', sessionId: 's' });
    expect(ids(fresh)).toEqual(['new1', 'new2', 'new3']);
    expect(fresh!.state).toEqual({});
    expect(ids(await a.getSession({ appName: app, userId: 'u', sessionId: 's' }))).toEqual(['new1', 'new2', 'new3']);
  });

  it("keeps one session's documents apart from another's of the same writer", async () => {
    const app = uid('apart');
    const writer = target.service();
    const reader = target.service();
    for (const sid of ['s1', 's2']) {
      const s = await writer.createSession({ appName: app, userId: 'u', sessionId: sid });
      for (let i = 0; i < 3; i++) await writer.appendEvent({ session: s, event: page(`${sid}-p${i}`) });
    }
    expect(ids(await reader.getSession({ appName: app, userId: 'u', sessionId: 's1' }))).toEqual(['s1-p0', 's1-p1', 's1-p2']);
    expect(ids(await reader.getSession({ appName: app, userId: 'u', sessionId: 's2' }))).toEqual(['s2-p0', 's2-p1', 's2-p2']);
  });

  it('reads a session that expired after its last read as missing', async () => {
    const app = uid('expiry');
    const svc = target.service({ sessionTtlSeconds: 2 });
    const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
    for (let i = 0; i < 3; i++) await svc.appendEvent({ session: s, event: page(`p${i}`) });
    expect(await svc.getSession({ appName: app, userId: 'u', sessionId: 's' })).toBeDefined();
    await target.settle();
    await eventually('the working memory has expired', async () => (await raw('GET', `/v1/working-memory/s?namespace=${app}&user_id=u`)).status === 404, {
      everyMs: 200,
    });
    expect(await svc.getSession({ appName: app, userId: 'u', sessionId: 's' })).toBeUndefined();
  });

  describe('windows', () => {
    /** Two writers taking turns, closing documents as they go, with state set along the way. */
    async function interleaved(app: string) {
      const a = target.service();
      const b = target.service();
      const s = await a.createSession({ appName: app, userId: 'u', sessionId: 's', state: { phase: 'start' } });
      for (let i = 0; i < 12; i++) {
        const svc = i % 3 === 2 ? b : a;
        const event = i % 4 === 1 ? page(`e${i}`) : say(`e${i}`, `turn ${i}`, i % 2 ? 'coach' : 'user', { phase: `p${i}`, [`k${i % 3}`]: i });
        await svc.appendEvent({ session: s, event });
      }
      return target.service();
    }

    it('answers numRecentEvents and afterTimestamp as a whole read would, with the whole state', async () => {
      const app = uid('window');
      const reader = await interleaved(app);
      const whole = (await reader.getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      expect(whole.events).toHaveLength(12);
      const times = whole.events.map((e) => e.timestamp);
      const windows = [
        { numRecentEvents: 0 },
        { numRecentEvents: 1 },
        { numRecentEvents: 3 },
        { numRecentEvents: 7 },
        { numRecentEvents: 50 },
        { afterTimestamp: times[9]! },
        { afterTimestamp: times[2]! },
        { afterTimestamp: times[0]! - 1 },
        { afterTimestamp: times[4]!, numRecentEvents: 2 },
      ];
      for (const config of windows) {
        // A new instance each time: nothing kept from an earlier read.
        const fresh = target.service();
        const read = (await fresh.getSession({ appName: app, userId: 'u', sessionId: 's', config }))!;
        expect({ config, ids: ids(read) }).toEqual({ config, ids: selectEvents(whole.events, config).map((e) => e.id) });
        expect(read.state).toEqual(whole.state);
        expect(read.lastUpdateTime).toBe(whole.lastUpdateTime);
      }
      expect(whole.state).toMatchObject({ phase: 'p11', k0: 6, k1: 10, k2: 11 });
    });

    it('answers a window of a session the server has summarised as a whole read would, the summary in its place', async () => {
      const app = uid('window-summary');
      const writer = target.service({ contextWindowMax: 400 });
      const s = await writer.createSession({ appName: app, userId: 'u', sessionId: 's' });
      // More than a journal document holds, so a window has older documents to leave unread.
      for (let i = 0; i < 130; i++) await writer.appendEvent({ session: s, event: say(`t${i}`, `Message ${i}: tempo runs and recovery days`) });
      await target.settle();
      const context = async () => (await raw('GET', `/v1/working-memory/s?namespace=${app}&user_id=u`)).json.context;
      await eventually('the server has summarised the conversation', async () => Boolean(await context()));
      const whole = (await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      expect(whole.events.filter(isCompactedEvent)).toHaveLength(1);
      const times = whole.events.map((e) => e.timestamp);
      const summaryAt = whole.events.findIndex(isCompactedEvent);
      const windows = [
        { numRecentEvents: 2 },
        { numRecentEvents: whole.events.length - summaryAt - 1 },
        { numRecentEvents: whole.events.length - summaryAt },
        { numRecentEvents: 125 },
        { afterTimestamp: times.at(-3)! },
        { afterTimestamp: times[summaryAt - 1]! - 1 },
        { afterTimestamp: times[5]! },
      ];
      for (const config of windows) {
        const read = (await target.service().getSession({ appName: app, userId: 'u', sessionId: 's', config }))!;
        expect({ config, ids: ids(read) }).toEqual({ config, ids: selectEvents(whole.events, config).map((e) => e.id) });
      }
    });

    it('reads only the documents that hold the window', async () => {
      const app = uid('window-cost');
      const writer = target.service();
      const s = await writer.createSession({ appName: app, userId: 'u', sessionId: 's' });
      for (let i = 0; i < 8; i++) await writer.appendEvent({ session: s, event: page(`p${i}`) });
      await writer.appendEvent({ session: s, event: say('q', 'what did the pages say?') });
      const log: Sent[] = [];
      const read = (await target.service({ fetch: counting(log) }).getSession({ appName: app, userId: 'u', sessionId: 's', config: { numRecentEvents: 2 } }))!;
      expect(ids(read)).toEqual(['p7', 'q']);
      // The creation record, the open document (q), the one before it (p7): not the seven older pages.
      expect(documentReads(log)).toHaveLength(3);
      const windowBytes = journalReads(log).reduce((n, r) => n + r.bytes, 0);
      log.length = 0;
      await target.service({ fetch: counting(log) }).getSession({ appName: app, userId: 'u', sessionId: 's' });
      const wholeBytes = journalReads(log).reduce((n, r) => n + r.bytes, 0);
      expect(windowBytes).toBeLessThan(wholeBytes / 3);
    });

    it('reads the whole journal when the conversation holds a message no record has yet, and adopts it', async () => {
      const app = uid('window-foreign');
      const svc = target.service();
      const s = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
      for (let i = 0; i < 4; i++) await svc.appendEvent({ session: s, event: page(`p${i}`) });
      const path = `/v1/working-memory/s?namespace=${app}&user_id=u`;
      const doc = (await raw('GET', path)).json;
      const { session_id: _s, context_percentage_total_used: _a, context_percentage_until_summarization: _b, ...body } = doc;
      const message = { id: `x-${randomUUID()}`, role: 'user', content: 'from another client', created_at: new Date(tick()).toISOString() };
      await raw('PUT', '/v1/working-memory/s', { ...body, messages: [...(doc.messages as unknown[]), message] });
      const read = await target.service().getSession({ appName: app, userId: 'u', sessionId: 's', config: { numRecentEvents: 2 } });
      expect(ids(read)).toEqual(['p3', message.id]);
      expect(ids(await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' }))).toEqual(['p0', 'p1', 'p2', 'p3', message.id]);
    });
  });
});
