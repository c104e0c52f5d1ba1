import { randomUUID } from 'node:crypto';
import { FunctionTool, LlmAgent, Runner, createEvent, type AppendEventRequest, type Event, type LlmRequest, type LlmResponse } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JournalStore } from '../../src/backends/ams-journal.js';
import { appendToJournal } from '../../src/backends/ams-session-events.js';
import { amsKeys } from '../../src/backends/ams-sessions.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { eventToJson } from '../../src/codec/events.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { ScriptedLlm, lastContent } from '../helpers/scripted-llm.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

type Message = { id: string; role: string; content: string; created_at?: string };
type Doc = { session_id: string; namespace: string; user_id: string; messages: Message[]; data?: unknown; context?: string | null } & Record<string, unknown>;

let seq = 0;
const uid = (p: string) => `${p}-${process.pid}-${++seq}`;
const say = (id: string, author: string, text: string): Event =>
  createEvent({ id, invocationId: 'inv', author, timestamp: Date.now(), content: { role: author === 'user' ? 'user' : 'model', parts: [{ text }] } });
/** The coach's tool call: an event with no text, so no line of its own in the conversation until the next text. */
const call = (id: string): Event =>
  createEvent({
    id,
    invocationId: 'inv',
    author: 'coach',
    timestamp: Date.now(),
    content: { role: 'model', parts: [{ functionCall: { id, name: 'log_run', args: {} } }] },
  });

/** A session service that runs `before` ahead of each append: where another client gets in. */
class HookedService extends RedisSessionMemoryService {
  before?: (event: Event) => Promise<void>;
  override async appendEvent(request: AppendEventRequest): Promise<Event> {
    await this.before?.(request.event);
    return super.appendEvent(request);
  }
}

/** A scripted model that runs `during` while each call is in flight: where another client gets in. */
class SlowLlm extends ScriptedLlm {
  during?: (call: number) => Promise<void>;
  private calls = 0;
  override async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    await this.during?.(++this.calls);
    yield* super.generateContentAsync(request);
  }
}

/**
 * Another client appending to an ADK session on Agent Memory Server: it reads the working memory,
 * adds a message and PUTs the document back, the way the server's own clients append (on the
 * reference server or the real server v0.15.2).
 */
describe("Agent Memory Server: shared sessions lose no other client's message", () => {
  let target: Target;
  const key = (app: string, user: string, session: string) =>
    `${encodeURIComponent(session)}?namespace=${encodeURIComponent(app)}&user_id=${encodeURIComponent(user)}`;
  const read = async (app: string, user: string, session: string): Promise<Doc> => {
    const res = await fetch(`${target.directUrl}/v1/working-memory/${key(app, user, session)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Doc;
  };
  const put = async (doc: Doc): Promise<void> => {
    const { session_id, context_percentage_total_used: _a, context_percentage_until_summarization: _b, ...body } = doc;
    const res = await fetch(`${target.directUrl}/v1/working-memory/${encodeURIComponent(session_id)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  /** The other client's append; returns its message's id. */
  const foreignAppend = async (app: string, user: string, session: string, content: string): Promise<string> => {
    const doc = await read(app, user, session);
    const id = `x-${randomUUID()}`;
    await put({ ...doc, messages: [...doc.messages, { id, role: 'user', content, created_at: new Date().toISOString() }] });
    return id;
  };

  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory', { viaPrism: false });
  });
  afterAll(() => closeIfStarted(target));

  it('leaves nothing behind when a session is deleted under an append: neither the write the append takes back nor one a crash left', async () => {
    const app = uid('deleted-under');
    const scope = { appName: app, userId: 'u', sessionId: uid('s') };
    const writer = new RedisSessionMemoryService(target.config());
    const other = new RedisSessionMemoryService(target.config());
    const session = await writer.createSession(scope);
    await writer.appendEvent({ session, event: say(uid('q'), 'user', 'Log my run.') });
    await writer.appendEvent({ session, event: call(uid('call')) });
    await other.deleteSession(scope);
    // An event that adds no text writes its journal beside the read that finds the session gone.
    await expect(writer.appendEvent({ session, event: call(uid('call')) })).rejects.toThrow(/not found/i);
    const journal = amsKeys.journal({ namespace: app, ...scope });
    const store = new JournalStore(createAgentMemoryServerClient({ apiBaseUrl: target.directUrl! }));
    expect(await store.list(journal)).toEqual([]);
    // What a writer that died before taking its write back leaves: its events, no creation record.
    await appendToJournal(store, journal, [eventToJson(call(uid('left')), 'appendEvent')], undefined);
    const fresh = new RedisSessionMemoryService(target.config());
    expect(await fresh.getSession(scope)).toBeUndefined();
    await expect(fresh.appendEvent({ session, event: call(uid('call')) })).rejects.toThrow(/not found/i);
    // Created afresh under the id, the session starts empty, and what was left is deleted.
    const again = await other.createSession(scope);
    expect((await fresh.getSession(scope))!.events).toEqual([]);
    expect((await store.list(journal)).filter((id) => id.startsWith('w-'))).toEqual([]);
    const next = say(uid('q'), 'user', 'Log another.');
    await other.appendEvent({ session: again, event: next });
    expect((await fresh.getSession(scope))!.events.map((e) => e.id)).toEqual([next.id]);
  });

  describe("a session deleted and created afresh under its id by another instance holds none of the earlier one's events", () => {
    const make = { 'a message': (id: string) => say(id, 'user', 'Log another.'), 'a tool call': call };
    const recreated = async () => {
      const app = uid('recreated');
      const scope = { appName: app, userId: 'u', sessionId: uid('s') };
      const writer = new RedisSessionMemoryService(target.config());
      const other = new RedisSessionMemoryService(target.config());
      const old = await writer.createSession(scope);
      await writer.appendEvent({ session: old, event: say(uid('old'), 'user', 'Log my run.') });
      await writer.appendEvent({ session: old, event: call(uid('old-call')) });
      await other.deleteSession(scope);
      await other.createSession(scope);
      return { app, scope, writer, old };
    };

    it('appended to after a read of the new session: from empty, not from its copy of the earlier one', async () => {
      const { scope, writer } = await recreated();
      const again = (await writer.getSession(scope))!;
      expect(again.events).toEqual([]);
      const next = say(uid('new'), 'user', 'Log another.');
      await writer.appendEvent({ session: again, event: next });
      expect((await new RedisSessionMemoryService(target.config()).getSession(scope))!.events.map((e) => e.id)).toEqual([next.id]);
    });

    it.each(Object.keys(make) as (keyof typeof make)[])(
      'appended to with a Session read before: only the new event, %s, in its record and its conversation',
      async (kind) => {
        const { app, scope, writer, old } = await recreated();
        const next = make[kind](uid('new'));
        await writer.appendEvent({ session: old, event: next });
        const fresh = new RedisSessionMemoryService(target.config());
        expect((await fresh.getSession(scope))!.events.map((e) => e.id)).toEqual([next.id]);
        expect((await read(app, 'u', scope.sessionId)).messages.map((m) => m.id)).toEqual(kind === 'a message' ? [next.id] : []);
      },
    );

    it('appended to with a Session read before, twice at once: both events', async () => {
      const { scope, writer, old } = await recreated();
      const [a, b] = [call(uid('new-a')), call(uid('new-b'))];
      await Promise.all([writer.appendEvent({ session: old, event: a }), writer.appendEvent({ session: old, event: b })]);
      const fresh = new RedisSessionMemoryService(target.config());
      expect((await fresh.getSession(scope))!.events.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
    });

    it("reads none of the earlier session's events a writer left before it learnt of the deletion", async () => {
      const { app, scope, writer } = await recreated();
      const journal = amsKeys.journal({ namespace: app, ...scope });
      const store = new JournalStore(createAgentMemoryServerClient({ apiBaseUrl: target.directUrl! }));
      // What such a writer's journal write (beside its read) leaves when it dies before writing again.
      await appendToJournal(store, journal, [eventToJson(call(uid('left')), 'appendEvent')], 'c-earlier-session');
      const now = (await writer.getSession(scope))!;
      expect(now.events).toEqual([]);
      const next = say(uid('new'), 'user', 'Log another.');
      await writer.appendEvent({ session: now, event: next });
      expect((await new RedisSessionMemoryService(target.config()).getSession(scope))!.events.map((e) => e.id)).toEqual([next.id]);
    });
  });

  it('keeps every event when the conversation names a creator that lost the race to create the session (the same session: its own record still listed)', async () => {
    const app = uid('lost-creator');
    const scope = { appName: app, userId: 'u', sessionId: uid('s') };
    const writer = new RedisSessionMemoryService(target.config());
    const session = await writer.createSession(scope);
    const first = say(uid('q'), 'user', 'Log my run.');
    await writer.appendEvent({ session, event: first });
    // Every racing creator writes the empty conversation with its own record's name; the last one landed stays.
    const doc = await read(app, 'u', scope.sessionId);
    const adk = (doc.data as { adk: Record<string, unknown> }).adk;
    await put({ ...doc, data: { ...(doc.data as object), adk: { ...adk, creation: 'c-lost-creator' } } });
    const tool = createEvent({
      id: uid('call'),
      invocationId: 'inv',
      author: 'coach',
      timestamp: Date.now(),
      content: { role: 'model', parts: [{ functionCall: { name: 'log_run', args: {} } }] },
    });
    const answer = say(uid('a'), 'coach', 'Logged.');
    for (const event of [tool, answer]) await writer.appendEvent({ session, event });
    const ids = [first.id, tool.id, answer.id];
    expect((await new RedisSessionMemoryService(target.config()).getSession(scope))!.events.map((e) => e.id)).toEqual(ids);
    const after = await read(app, 'u', scope.sessionId);
    expect(after.messages.map((m) => m.id)).toEqual(ids);
    // The append wrote the session's own name back.
    expect((after.data as { adk: { creation?: string } }).adk.creation).toMatch(/^c-(?!lost-creator)/);
  });

  it('reads what other instances appended since its last read, and what they had before, however often it reads', async () => {
    const app = uid('anchored');
    const scope = { appName: app, userId: 'u', sessionId: uid('s') };
    const [seeder, other, reader] = [0, 1, 2].map(() => new RedisSessionMemoryService(target.config()));
    const session = await seeder!.createSession(scope);
    await seeder!.appendEvent({ session, event: say(uid('seed'), 'user', 'Log my run.') });
    await other!.appendEvent({ session: (await other!.getSession(scope))!, event: say(uid('other'), 'coach', 'Which run?') });
    // As appended, not copies taken back from the conversation (another client's messages).
    const ids = (events: Event[]) => events.map((e) => `${e.id}${e.customMetadata ? ' (copied)' : ''}`);
    const expected = ids((await seeder!.getSession(scope))!.events);
    // An append after its second read anchors it in the journal; later reads take unchanged documents from memory.
    for (const text of ['The long one.', 'Yes, that one.']) {
      const mine = say(uid('mine'), 'user', text);
      await reader!.appendEvent({ session: (await reader!.getSession(scope))!, event: mine });
      expected.push(`${mine.id}`);
    }
    for (let turn = 0; turn < 3; turn++) {
      expect(ids((await reader!.getSession(scope))!.events)).toEqual(expected);
      const writer = turn % 2 ? seeder! : other!;
      // A tool call: no line in the conversation to read it from.
      const id = uid(`more-${turn}`);
      const next = call(id);
      await writer.appendEvent({ session: (await writer.getSession(scope))!, event: next });
      expected.push(next.id);
    }
    expect(ids((await reader!.getSession(scope))!.events)).toEqual(expected);
  });

  it('keeps a message added between two appends of an instance that read the session before it', async () => {
    const app = uid('app');
    const svc = target.service();
    const session = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
    await svc.appendEvent({ session, event: say('e1', 'user', 'first') });
    await svc.getSession({ appName: app, userId: 'u', sessionId: 's' });
    const m = await foreignAppend(app, 'u', 's', 'from another client');
    await svc.appendEvent({ session, event: say('e2', 'agent', 'second') });
    expect((await read(app, 'u', 's')).messages.map((x) => x.id)).toEqual(['e1', m, 'e2']);
    const back = await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' });
    expect(back!.events.map((e) => e.id)).toEqual(['e1', m, 'e2']);
    expect(back!.events[1]!.content?.parts?.[0]?.text).toBe('from another client');
    expect(back!.events[1]!.author).toBe('user');
  });

  /** A Runner turn with a tool call; `at` says where the other client appends. */
  async function turnWithForeignAppend(at: 'before the user event' | 'during the model call' | 'between tool events') {
    const app = uid('app');
    const svc = new HookedService(target.config());
    const foreign: string[] = [];
    const other = (text: string) => foreignAppend(app, 'u', 's', text).then((id) => void foreign.push(id));
    const model = new SlowLlm((req) => {
      const response = lastContent(req)?.parts?.find((p) => p.functionResponse);
      if (response) return { content: { role: 'model', parts: [{ text: 'Logged.' }] } };
      return { content: { role: 'model', parts: [{ functionCall: { name: 'log_run', args: { km: 10 } } }] } };
    });
    const tool = new FunctionTool({
      name: 'log_run',
      description: 'Logs a run.',
      parameters: z.object({ km: z.number() }),
      execute: ({ km }) => Promise.resolve({ logged: km }),
    });
    const runner = new Runner({ appName: app, agent: new LlmAgent({ name: 'coach', model, instruction: 'Log runs.', tools: [tool] }), sessionService: svc });
    await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
    if (at === 'before the user event')
      svc.before = async (e) => (e.author === 'user' && !e.content?.parts?.[0]?.functionResponse ? other('before the user event') : undefined);
    if (at === 'during the model call') model.during = (call) => other(`during model call ${call}`);
    if (at === 'between tool events') svc.before = async (e) => (e.content?.parts?.some((p) => p.functionResponse) ? other('between tool events') : undefined);
    const yielded: Event[] = [];
    for await (const e of runner.runAsync({ userId: 'u', sessionId: 's', newMessage: { role: 'user', parts: [{ text: 'I ran 10 km' }] } })) yielded.push(e);
    return { app, svc, foreign, yielded };
  }

  it.each(['before the user event', 'during the model call', 'between tool events'] as const)(
    'keeps a message another client adds %s of a Runner turn',
    async (at) => {
      const { app, foreign, yielded } = await turnWithForeignAppend(at);
      expect(foreign.length).toBeGreaterThan(0);
      const back = (await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
      const ids = back.events.map((e) => e.id);
      // Every ADK event of the turn and every foreign message, each once.
      for (const id of [...yielded.map((e) => e.id), ...foreign]) expect(ids.filter((x) => x === id)).toHaveLength(1);
      expect(ids).toHaveLength(1 + yielded.length + foreign.length);
      // ADK's own order is kept (the user's event, then the turn's), and the working memory still holds every foreign message.
      const own = back.events.filter((e) => !foreign.includes(e.id));
      expect(own[0]!.content?.parts?.[0]?.text).toBe('I ran 10 km');
      expect(own.slice(1).map((e) => e.id)).toEqual(yielded.map((e) => e.id));
      const stored = (await read(app, 'u', 's')).messages.map((m) => m.id);
      for (const id of foreign) expect(stored).toContain(id);
    },
  );

  it('keeps a message that a stale write-back removed after this package read it, and puts it back on the next append', async () => {
    const app = uid('app');
    const svc = target.service();
    const session = await svc.createSession({ appName: app, userId: 'u', sessionId: 's' });
    await svc.appendEvent({ session, event: say('e1', 'user', 'first') });
    // The server's background work read the document now (extraction reads, calls the model, writes back).
    const stale = await read(app, 'u', 's');
    const m = await foreignAppend(app, 'u', 's', 'added meanwhile');
    // This package reads the session while the message is there: it joins the session's record.
    expect((await svc.getSession({ appName: app, userId: 'u', sessionId: 's' }))!.events.map((e) => e.id)).toEqual(['e1', m]);
    await put(stale);
    expect((await read(app, 'u', 's')).messages.map((x) => x.id)).toEqual(['e1']);
    expect((await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' }))!.events.map((e) => e.id)).toEqual(['e1', m]);
    await svc.appendEvent({ session, event: say('e2', 'agent', 'second') });
    expect((await read(app, 'u', 's')).messages.map((x) => x.id)).toEqual(['e1', m, 'e2']);
  });

  it('keeps every append of two ADK instances and another client, interleaved, in order', async () => {
    const app = uid('app');
    const a = target.service();
    const b = target.service();
    const sa = await a.createSession({ appName: app, userId: 'u', sessionId: 's' });
    await a.appendEvent({ session: sa, event: say('a1', 'user', 'a one') });
    const sb = (await b.getSession({ appName: app, userId: 'u', sessionId: 's' }))!;
    await b.appendEvent({ session: sb, event: say('b1', 'agent', 'b one') });
    const m = await foreignAppend(app, 'u', 's', 'other client');
    await a.appendEvent({ session: sa, event: say('a2', 'user', 'a two') });
    await b.appendEvent({ session: sb, event: say('b2', 'agent', 'b two') });
    const expected = ['a1', 'b1', m, 'a2', 'b2'];
    expect((await read(app, 'u', 's')).messages.map((x) => x.id)).toEqual(expected);
    expect((await target.service().getSession({ appName: app, userId: 'u', sessionId: 's' }))!.events.map((e) => e.id)).toEqual(expected);
  });
});
