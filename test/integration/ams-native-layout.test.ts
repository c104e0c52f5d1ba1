import { LlmAgent, Runner, createEvent, createEventActions, isCompactedEvent, type CompactedEvent, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { ScriptedLlm } from '../helpers/scripted-llm.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

type Message = { id: string; role: string; content: string; created_at: string; discrete_memory_extracted: string };
type Doc = { session_id: string; namespace: string; user_id: string; messages: Message[]; context: string | null };

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
let clock = 1_760_000_000_000;
const say = (id: string, author: string, text: string): Event =>
  createEvent({ id, invocationId: 'inv', author, timestamp: clock++, content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] } });

/** What ADK's getActiveEvents hands the model: the latest CompactedEvent and the events after its endTime. */
function activeEvents(events: Event[]): Event[] {
  const latest = events.filter(isCompactedEvent).pop();
  return latest ? [latest, ...events.filter((e) => !isCompactedEvent(e) && e.timestamp > latest.endTime)] : events;
}

describe("Agent Memory Server: the ADK session is the server's own working memory", () => {
  let target: Target;
  /** Plays another client of the server: raw HTTP straight to the reference server. */
  const raw = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${target.directUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  const doc = async (app: string, user: string, session: string) =>
    (await raw('GET', `/v1/working-memory/${encodeURIComponent(session)}?namespace=${encodeURIComponent(app)}&user_id=${encodeURIComponent(user)}`))
      .json as Doc;

  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory', { server: { backgroundTasks: 'manual' } });
  });
  afterAll(() => closeIfStarted(target));

  it('stores the conversation as the working memory other clients read: ADK ids, one message per event with content', async () => {
    const app = uid('app');
    const svc = target.service();
    const session = await svc.createSession({ appName: app, userId: 'alice@example.com', sessionId: 'trip/1' });
    await svc.appendEvent({ session, event: say('e1', 'user', 'Book me a flight') });
    await svc.appendEvent({
      session,
      event: createEvent({
        id: 'e2',
        author: 'travel',
        timestamp: clock++,
        content: { role: 'model', parts: [{ functionCall: { name: 'book', args: { to: 'Oslo' } } }] },
      }),
    });
    await svc.appendEvent({
      session,
      event: createEvent({ id: 'e3', author: 'travel', timestamp: clock++, actions: createEventActions({ stateDelta: { booked: true } }) }),
    });
    await svc.appendEvent({ session, event: say('e4', 'travel', 'Booked to Oslo.') });

    // The server cannot take `/` in its URL path: that id is stored with `/` escaped as `%2F`.
    const stored = await doc(app, 'alice@example.com', 'trip%2F1');
    expect(stored).toMatchObject({ session_id: 'trip%2F1', namespace: app, user_id: 'alice@example.com' });
    expect(stored.messages.map((m) => [m.id, m.role, m.content])).toEqual([
      ['e1', 'user', 'Book me a flight'],
      ['e2', 'assistant', '[call book({"to":"Oslo"})]'],
      ['e4', 'assistant', 'Booked to Oslo.'],
    ]);
    const read = await svc.getSession({ appName: app, userId: 'alice@example.com', sessionId: 'trip/1' });
    expect(stored.messages.map((m) => Date.parse(m.created_at))).toEqual(read!.events.filter((e) => e.id !== 'e3').map((e) => e.timestamp));
    const listed = (await raw('GET', `/v1/working-memory/?namespace=${app}&user_id=alice%40example.com`)).json as { sessions: string[] };
    expect(listed.sessions).toEqual(['trip%2F1']);
    expect((await svc.listSessions({ appName: app, userId: 'alice@example.com' })).sessions.map((x) => x.id)).toEqual(['trip/1']);
  });

  it('reads, lists and extends a session another client wrote, dropping none of its messages', async () => {
    const app = uid('app');
    const t0 = new Date(Date.now() - 60_000);
    const at = (s: number) => new Date(t0.getTime() + s * 1000).toISOString();
    const put = await raw('PUT', `/v1/working-memory/chat-7`, {
      namespace: app,
      user_id: 'bob',
      messages: [
        { id: 'm1', role: 'user', content: 'I run every morning', created_at: at(0) },
        { id: 'm2', role: 'assistant', content: 'Nice habit!', created_at: at(1) },
      ],
    });
    expect(put.status).toBe(200);
    const svc = target.service();
    const read = await svc.getSession({ appName: app, userId: 'bob', sessionId: 'chat-7' });
    expect(read!.events.map((e) => [e.id, e.author, e.content?.parts?.[0]?.text, e.timestamp])).toEqual([
      ['m1', 'user', 'I run every morning', Date.parse(at(0))],
      ['m2', app, 'Nice habit!', Date.parse(at(1))],
    ]);
    expect((await svc.listSessions({ appName: app, userId: 'bob' })).sessions.map((s) => s.id)).toEqual(['chat-7']);

    await svc.appendEvent({
      session: read!,
      event: createEvent({ id: 'e3', author: 'user', timestamp: Date.parse(at(2)), content: { role: 'user', parts: [{ text: 'Plan my week' }] } }),
    });
    const stored = await doc(app, 'bob', 'chat-7');
    expect(stored.messages.map((m) => [m.id, m.content])).toEqual([
      ['m1', 'I run every morning'],
      ['m2', 'Nice habit!'],
      ['e3', 'Plan my week'],
    ]);
    const again = await target.service().getSession({ appName: app, userId: 'bob', sessionId: 'chat-7' });
    expect(again!.events.map((e) => e.id)).toEqual(['m1', 'm2', 'e3']);
  });

  it('loses no acknowledged append when the server writes back a stale copy, and repairs the view', async () => {
    const app = uid('app');
    const svc = target.service();
    const session = await svc.createSession({ appName: app, userId: 'carol', sessionId: 's' });
    await svc.appendEvent({ session, event: say('e1', 'user', 'I always ask for a window seat') });
    await svc.appendEvent({ session, event: say('e2', 'agent', 'Noted.') });
    // The server reads the document, extracts (LLM call), and meanwhile the next turn is appended.
    await target.server!.runBackgroundTasks({ during: () => svc.appendEvent({ session, event: say('e3', 'user', 'And I am vegetarian') }) });
    const overwritten = await doc(app, 'carol', 's');
    expect(overwritten.messages.map((m) => m.id)).toEqual(['e1', 'e2']);

    const read = await svc.getSession({ appName: app, userId: 'carol', sessionId: 's' });
    expect(read!.events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    await svc.appendEvent({ session: read!, event: say('e4', 'agent', 'Noted too.') });
    const repaired = await doc(app, 'carol', 's');
    expect(repaired.messages.map((m) => [m.id, m.discrete_memory_extracted])).toEqual([
      ['e1', 't'],
      ['e2', 't'],
      ['e3', 'f'],
      ['e4', 'f'],
    ]);
    // The extraction marks were kept, so the next run extracts only the new message: no duplicate memory.
    await target.server!.runBackgroundTasks();
    const memory = target.memory!();
    const window = await memory.searchMemory({ appName: app, userId: 'carol', query: 'window seat' });
    expect(window.memories.filter((m) => m.content.parts?.[0]?.text === 'I always ask for a window seat')).toHaveLength(1);
    const veg = await memory.searchMemory({ appName: app, userId: 'carol', query: 'vegetarian' });
    expect(veg.memories.map((m) => m.content.parts?.[0]?.text)).toContain('And I am vegetarian');
  });

  it('finds memories the server extracts from an ADK session for that app and user only', async () => {
    const app = uid('app');
    const svc = target.service();
    const session = await svc.createSession({ appName: app, userId: 'dana', sessionId: 'extract' });
    await svc.appendEvent({ session, event: say('x1', 'user', 'I always book aisle seats on long flights') });
    await target.server!.runBackgroundTasks();
    const memory = target.memory!();
    const found = await memory.searchMemory({ appName: app, userId: 'dana', query: 'aisle seats' });
    expect(found.memories.map((m) => m.content.parts?.[0]?.text)).toContain('I always book aisle seats on long flights');
    expect((await memory.searchMemory({ appName: app, userId: 'erin', query: 'aisle seats' })).memories).toEqual([]);
    expect((await memory.searchMemory({ appName: uid('other'), userId: 'dana', query: 'aisle seats' })).memories).toEqual([]);
  });

  describe('server summarisation', () => {
    /** Records the native document's PUTs: the query, the message ids sent, and those the server kept. */
    const puts: { url: string; sent: string[]; kept: string[]; context: string | null }[] = [];
    const recording = async (req: Request): Promise<Response> => {
      const sent = req.method === 'PUT' ? ((await req.clone().json()) as { messages: { id: string }[] }) : undefined;
      const res = await fetch(req);
      if (sent) {
        const kept = (await res.clone().json()) as { messages: { id: string }[]; context: string | null };
        if (sent.messages.length)
          puts.push({ url: req.url, sent: sent.messages.map((m) => m.id), kept: kept.messages.map((m) => m.id), context: kept.context });
      }
      return res;
    };
    const long = (i: number) => `Message number ${i}: ${'about intervals, tempo runs and recovery days '.repeat(2)}`;

    it('comes back as a CompactedEvent before the retained events; trimmed messages are never sent again', async () => {
      const app = uid('app');
      // The server's default window is 16 000 tokens; the service asks for 400, so 20 turns are summarised.
      const svc = new RedisSessionMemoryService(target.config({ contextWindowMax: 400, fetch: recording }));
      const session = await svc.createSession({ appName: app, userId: 'fay', sessionId: 's' });
      const appended: Event[] = [];
      for (let i = 0; i < 20; i++) {
        const e = say(`t${i}`, i % 2 ? 'coach' : 'user', long(i));
        appended.push(e);
        await svc.appendEvent({ session, event: e });
      }
      expect(puts.every((p) => p.url.includes('context_window_max=400'))).toBe(true);
      const trimmed = new Set<string>();
      for (const p of puts) {
        for (const id of p.sent) expect(trimmed.has(id)).toBe(false);
        for (const id of p.sent) if (!p.kept.includes(id)) trimmed.add(id);
      }
      expect(trimmed.size).toBeGreaterThan(0);
      // Summarising again on every append would change the context on every PUT.
      const summarisations = puts.filter((p, i) => p.context !== (puts[i - 1]?.context ?? null)).length;
      expect(summarisations).toBeLessThan(puts.length / 2);

      const stored = await doc(app, 'fay', 's');
      expect(stored.context).toBeTruthy();
      const read = (await svc.getSession({ appName: app, userId: 'fay', sessionId: 's' }))!;
      // Lossless: every appended event is still in the session, with one CompactedEvent among them.
      expect(read.events.filter((e) => !isCompactedEvent(e)).map((e) => e.id)).toEqual(appended.map((e) => e.id));
      const compacted: CompactedEvent[] = read.events.filter(isCompactedEvent);
      expect(compacted).toHaveLength(1);
      const summary = compacted[0]!;
      expect(summary.compactedContent).toBe(stored.context);
      const firstRetained = stored.messages[0]!.id;
      expect(read.events[read.events.indexOf(summary) + 1]!.id).toBe(firstRetained);
      const summarised = appended.slice(
        0,
        appended.findIndex((e) => e.id === firstRetained),
      );
      expect(summary.startTime).toBe(summarised[0]!.timestamp);
      expect(summary.endTime).toBe(summarised.at(-1)!.timestamp);
      expect(activeEvents(read.events).map((e) => e.id)).toEqual([summary.id, ...stored.messages.map((m) => m.id)]);
    });

    it('reaches the model through getActiveEvents when a Runner uses the session', async () => {
      const app = uid('app');
      const svc = new RedisSessionMemoryService(target.config({ contextWindowMax: 400 }));
      const session = await svc.createSession({ appName: app, userId: 'gil', sessionId: 's' });
      for (let i = 0; i < 20; i++) await svc.appendEvent({ session, event: say(`r${i}`, i % 2 ? 'coach' : 'user', long(i)) });
      const model = new ScriptedLlm(() => ({ content: { role: 'model', parts: [{ text: 'ok' }] } }));
      const runner = new Runner({ appName: app, agent: new LlmAgent({ name: 'coach', model, instruction: 'Coach.' }), sessionService: svc });
      for await (const _ of runner.runAsync({ userId: 'gil', sessionId: 's', newMessage: { role: 'user', parts: [{ text: 'What now?' }] } })) void _;
      const texts = model.requests[0]!.contents.flatMap((c) => c.parts ?? []).map((p) => p.text ?? '');
      expect(texts.some((t) => t.startsWith('[Previous Context Summary]') && t.includes('Summary of the conversation so far'))).toBe(true);
      // Summarised turns reach the model only inside the summary.
      expect(texts.filter((t) => !t.startsWith('[Previous Context Summary]')).some((t) => t.includes('Message number 0:'))).toBe(false);
      expect(texts.some((t) => t.includes('Message number 19:'))).toBe(true);
    });
  });

  it('keeps the same memories in long-term search as before: service-written facts stay found', async () => {
    const app = uid('app');
    const memory = new RedisLongTermMemoryService(target.config());
    await memory.addMemory({ appName: app, userId: 'hal', memories: [{ content: { role: 'user', parts: [{ text: 'User swims on Fridays' }] } }] });
    const found = await memory.searchMemory({ appName: app, userId: 'hal', query: 'swim' });
    expect(found.memories.map((m) => m.content.parts?.[0]?.text)).toEqual(['User swims on Fridays']);
  });

  it('stores each event of a session as a message memory other clients read: the day, the author and the text, its time on the record', async () => {
    const app = uid('app');
    const memory = new RedisLongTermMemoryService(target.config());
    const said = Date.parse('2023-05-08T13:56:00Z');
    const session = {
      id: 'trip',
      appName: app,
      userId: 'ines',
      state: {},
      lastUpdateTime: said + 60_000,
      events: [say('e1', 'user', 'I went to the support group yesterday'), say('e2', 'coach', 'How did it go?')].map((e, i) => ({
        ...e,
        timestamp: said + i * 60_000,
      })),
    };
    await memory.addSessionToMemory(session);
    await target.settle();
    // As the server holds them: what any client searching the user's memories reads.
    const res = await fetch(`${target.directUrl}/v1/long-term-memory/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'support group', namespace: { eq: app }, user_id: { eq: 'ines' }, limit: 10, recency_boost: false }),
    });
    const stored = ((await res.json()) as { memories: { text: string; memory_type: string; event_date: string; created_at: string }[] }).memories;
    expect(stored.map((m) => [m.memory_type, m.text]).sort()).toEqual([
      ['message', '(8 May 2023) coach: How did it go?'],
      ['message', '(8 May 2023) user: I went to the support group yesterday'],
    ]);
    const first = stored.find((m) => m.text.includes('support group'))!;
    expect([Date.parse(first.event_date), Date.parse(first.created_at)]).toEqual([said, said]);
    // Read back through the service as the event was: author, role and text apart, its time the timestamp.
    const found = await memory.searchMemory({ appName: app, userId: 'ines', query: 'support group' });
    const mine = found.memories.find((m) => m.author === 'user')!;
    expect([mine.content.role, mine.content.parts?.[0]?.text, mine.timestamp]).toEqual([
      'user',
      'I went to the support group yesterday',
      new Date(said).toISOString(),
    ]);
  });

  it('keeps two apps of one namespace apart: the same session id and user are two sessions, each the working memory of its conversation', async () => {
    // ADK's AgentTool runs its agent as another app (the agent's name) with the caller's session
    // id: with defaultNamespace set, both apps' sessions share namespace, user and id.
    const ns = uid('shared');
    const planner = target.service({ defaultNamespace: ns });
    const helper = target.service({ defaultNamespace: ns });
    const first = await planner.createSession({ appName: 'planner', userId: 'ida', sessionId: 'day-1', state: { who: 'planner' } });
    await planner.appendEvent({ session: first, event: say('p1', 'user', 'Plan my week') });
    const second = await helper.createSession({ appName: 'helper', userId: 'ida', sessionId: 'day-1', state: { who: 'helper' } });
    await helper.appendEvent({ session: second, event: say('h1', 'user', 'Check the weather') });
    await expect(helper.createSession({ appName: 'helper', userId: 'ida', sessionId: 'day-1' })).rejects.toThrow(/already exists/);
    await expect(planner.createSession({ appName: 'planner', userId: 'ida', sessionId: 'day-1' })).rejects.toThrow(/already exists/);

    // Each reads back its own, from any instance.
    const readAs = async (app: string) => (await target.service({ defaultNamespace: ns }).getSession({ appName: app, userId: 'ida', sessionId: 'day-1' }))!;
    expect((await readAs('planner')).events.map((e) => e.id)).toEqual(['p1']);
    expect((await readAs('planner')).state).toEqual({ who: 'planner' });
    expect((await readAs('helper')).events.map((e) => e.id)).toEqual(['h1']);
    expect((await readAs('helper')).state).toEqual({ who: 'helper' });
    // An instance that never read it appends to the right one.
    await target.service({ defaultNamespace: ns }).appendEvent({ session: second, event: say('h2', 'helper', 'Sunny all week') });
    expect((await readAs('helper')).events.map((e) => e.id)).toEqual(['h1', 'h2']);
    expect((await readAs('planner')).events.map((e) => e.id)).toEqual(['p1']);

    // Other clients see two working memories: the first app's at the plain id, the other's in its app slot.
    const listed = ((await raw('GET', `/v1/working-memory/?namespace=${ns}&user_id=ida`)).json as { sessions: string[] }).sessions;
    expect([...listed].sort()).toEqual(['day-1', 'day-1%7Chelper']);
    expect((await doc(ns, 'ida', 'day-1')).messages.map((m) => m.content)).toEqual(['Plan my week']);
    expect((await doc(ns, 'ida', 'day-1%7Chelper')).messages.map((m) => m.content)).toEqual(['Check the weather', 'Sunny all week']);

    // The memory prompt of a session in its app slot is built from that session's own conversation.
    const helperSession = (await target.service({ defaultNamespace: ns }).getSession({ appName: 'helper', userId: 'ida', sessionId: 'day-1' }))!;
    const prompt = await target.memory!({ defaultNamespace: ns }).memoryPrompt({
      appName: 'helper',
      userId: 'ida',
      query: 'What did I ask?',
      session: helperSession,
    });
    expect(JSON.stringify(prompt.messages)).toContain('Check the weather');
    expect(JSON.stringify(prompt.messages)).not.toContain('Plan my week');

    // Each app lists only its own, with its state.
    const list = async (app: string) =>
      (await target.service({ defaultNamespace: ns }).listSessions({ appName: app, userId: 'ida' })).sessions.map((x) => [x.id, x.state]);
    expect(await list('planner')).toEqual([['day-1', { who: 'planner' }]]);
    expect(await list('helper')).toEqual([['day-1', { who: 'helper' }]]);

    // Deleting one leaves the other whole; the deleted one can be made again.
    await target.service({ defaultNamespace: ns }).deleteSession({ appName: 'planner', userId: 'ida', sessionId: 'day-1' });
    expect(await target.service({ defaultNamespace: ns }).getSession({ appName: 'planner', userId: 'ida', sessionId: 'day-1' })).toBeUndefined();
    expect((await readAs('helper')).events.map((e) => e.id)).toEqual(['h1', 'h2']);
    expect(await list('planner')).toEqual([]);
    await target.service({ defaultNamespace: ns }).deleteSession({ appName: 'helper', userId: 'ida', sessionId: 'day-1' });
    expect(await list('helper')).toEqual([]);
    expect(((await raw('GET', `/v1/working-memory/?namespace=${ns}&user_id=ida`)).json as { sessions: string[] }).sessions).toEqual([]);
  });
});
