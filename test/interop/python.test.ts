import { FunctionTool, LlmAgent, Runner, createEvent, type BaseSessionService, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureInteropEnvironment, interopVersions, startPythonDriver, type PythonDriver } from '../helpers/python-interop.js';
import { ScriptedLlm, lastContent } from '../helpers/scripted-llm.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

type PyEvent = { id: string; author: string; text: string; calls: string[]; responses: string[] };
type PySession = { id: string; events: PyEvent[]; state: Record<string, unknown> } | null;

let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

/** A TypeScript Runner turn with a tool call; `duringTool` runs while the tool executes. */
async function tsTurn(
  service: BaseSessionService,
  app: string,
  user: string,
  sessionId: string,
  text: string,
  duringTool?: () => Promise<void>,
): Promise<Event[]> {
  const model = new ScriptedLlm((req) =>
    lastContent(req)?.parts?.some((p) => p.functionResponse)
      ? { content: { role: 'model', parts: [{ text: 'Logged your run, nice work.' }] } }
      : { content: { role: 'model', parts: [{ functionCall: { name: 'log_run', args: { km: 10 } } }] } },
  );
  const tool = new FunctionTool({
    name: 'log_run',
    description: 'Logs a run.',
    parameters: z.object({ km: z.number() }),
    execute: async ({ km }) => {
      await duringTool?.();
      return { logged_km: km };
    },
  });
  const runner = new Runner({ appName: app, agent: new LlmAgent({ name: 'coach', model, instruction: 'Log runs.', tools: [tool] }), sessionService: service });
  const out: Event[] = [];
  for await (const e of runner.runAsync({ userId: user, sessionId, newMessage: { role: 'user', parts: [{ text }] } })) out.push(e);
  return out;
}

const textOf = (e: Event) => (e.content?.parts ?? []).map((p) => p.text ?? '').join('');

describe('interop with the Python ecosystem', () => {
  let py: PythonDriver;
  beforeAll(async () => {
    py = await startPythonDriver(await ensureInteropEnvironment((l) => process.stderr.write(`interop: ${l}\n`)));
    process.stderr.write(`interop: Python packages ${JSON.stringify(interopVersions())}\n`);
  }, 600_000);
  afterAll(() => closeIfStarted(py));

  describe('Agent Memory Server (the real server v0.15.2)', () => {
    let target: Target;
    let url: string;
    const ams = (a: Record<string, unknown>) => ({ backend: 'opensource-agent-memory', url, ...a });
    beforeAll(async () => {
      target = await backendTarget('opensource-agent-memory', { viaPrism: false });
      expect(target.real).toBe(true);
      url = target.directUrl!;
    }, 240_000);
    afterAll(() => closeIfStarted(target));

    it('reads a Python adk-redis Runner turn (with a tool call): each message in order, with its author, and its initial state', async () => {
      const app = uid('interop');
      await py.call('runner_turn', ams({ app, user: 'alice', session: 'py-1', text: 'I ran 10 km today', state: { plan: 'base' } }));
      const pySide = await py.call<PySession>('get_session', ams({ app, user: 'alice', session: 'py-1' }));
      const read = (await target.service().getSession({ appName: app, userId: 'alice', sessionId: 'py-1' }))!;
      // The Python package stores text only: the user's message and the agent's answer.
      expect(read.events.map((e) => [e.author, textOf(e)])).toEqual([
        ['user', 'I ran 10 km today'],
        [app, 'Logged your run, nice work.'],
      ]);
      expect(pySide!.events.map((e) => [e.author, e.text])).toEqual(read.events.map((e) => [e.author, textOf(e)]));
      expect(read.state).toEqual({ plan: 'base' });
    }, 60_000);

    it('a 100 kB message the Python adk-redis appends reads back whole here', async () => {
      const app = uid('interop');
      const svc = target.service();
      await svc.createSession({ appName: app, userId: 'alice', sessionId: 'long' });
      // Longer than a line of asyncio's default reader limit (64 KiB): the driver takes it all the same.
      const text = 'A long training note. '.repeat(4_600);
      await py.call('append_text', ams({ app, user: 'alice', session: 'long', author: 'user', text, eventId: 'py-long' }));
      const read = (await svc.getSession({ appName: app, userId: 'alice', sessionId: 'long' }))!;
      expect(read.events.map(textOf)).toEqual([text]);
    }, 60_000);

    it('a TypeScript Runner turn is read by the Python adk-redis and by agent-memory-client, message by message', async () => {
      const app = uid('interop');
      const svc = target.service();
      const session = await svc.createSession({ appName: app, userId: 'alice', sessionId: 'ts-1' });
      await tsTurn(svc, app, 'alice', session.id, 'I ran 10 km today');
      const ours = (await svc.getSession({ appName: app, userId: 'alice', sessionId: 'ts-1' }))!;
      const wm = await py.call<{ messages: { id: string; role: string; content: string }[] }>('amc_get_working_memory', {
        url,
        session: 'ts-1',
        namespace: app,
        user: 'alice',
      });
      const withText = ours.events.filter((e) => e.content?.parts?.length);
      expect(wm.messages.map((m) => m.id)).toEqual(withText.map((e) => e.id));
      expect(wm.messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'I ran 10 km today'],
        ['assistant', '[call log_run({"km":10})]'],
        ['assistant', '[result of log_run: {"logged_km":10}]'],
        ['assistant', 'Logged your run, nice work.'],
      ]);
      const pySide = (await py.call<PySession>('get_session', ams({ app, user: 'alice', session: 'ts-1' })))!;
      expect(pySide.events.map((e) => [e.author, e.text])).toEqual([
        ['user', 'I ran 10 km today'],
        [app, '[call log_run({"km":10})]'],
        [app, '[result of log_run: {"logged_km":10}]'],
        [app, 'Logged your run, nice work.'],
      ]);
      expect(await py.call('list_sessions', ams({ app, user: 'alice' }))).toEqual(['ts-1']);
    }, 60_000);

    it('agent-memory-client appending during a TypeScript turn, and the Python adk-redis appending after it, lose nothing', async () => {
      const app = uid('interop');
      const svc = target.service();
      const session = await svc.createSession({ appName: app, userId: 'alice', sessionId: 'shared' });
      let during = '';
      const yielded = await tsTurn(svc, app, 'alice', session.id, 'I ran 10 km today', async () => {
        during = await py.call<string>('amc_append_message', {
          url,
          session: 'shared',
          namespace: app,
          user: 'alice',
          role: 'user',
          content: 'Also: my knee hurts',
        });
      });
      const pyEvent = await py.call<string>(
        'append_text',
        ams({ app, user: 'alice', session: 'shared', author: 'user', text: 'From the Python agent', eventId: 'py-e1' }),
      );
      await tsTurn(svc, app, 'alice', session.id, 'Second run: 5 km');
      const read = (await target.service().getSession({ appName: app, userId: 'alice', sessionId: 'shared' }))!;
      const ids = read.events.map((e) => e.id);
      for (const id of [during, ...yielded.map((e) => e.id)]) expect(ids).toContain(id);
      expect(read.events.map(textOf)).toContain('Also: my knee hurts');
      expect(read.events.map(textOf)).toContain('From the Python agent');
      const wm = await py.call<{ messages: { id: string; content: string }[] }>('amc_get_working_memory', {
        url,
        session: 'shared',
        namespace: app,
        user: 'alice',
      });
      expect(wm.messages.map((m) => m.content)).toEqual(expect.arrayContaining(['Also: my knee hurts', 'From the Python agent', 'Second run: 5 km']));
      expect(pyEvent).toBe('py-e1');
    }, 60_000);

    it("memories written by each side are found by the other's search, for the same user only", async () => {
      const app = uid('interop');
      const memory = target.memory!();
      await memory.addMemory({ appName: app, userId: 'alice', memories: [{ content: { parts: [{ text: 'Alice trains for a marathon in May' }] } }] });
      await py.call('add_memory', ams({ app, user: 'bob', text: 'Bob swims three times a week' }));
      await target.settle();
      expect(await py.call('search_memory', ams({ app, user: 'alice', query: 'marathon training' }))).toContain('Alice trains for a marathon in May');
      expect(await py.call('search_memory', ams({ app, user: 'bob', query: 'marathon training' }))).not.toContain('Alice trains for a marathon in May');
      expect(await py.call('amc_search', { url, namespace: app, user: 'alice', query: 'marathon' })).toContain('Alice trains for a marathon in May');
      const texts = async (user: string) =>
        (await memory.searchMemory({ appName: app, userId: user, query: 'swimming' })).memories.map((m) => textOf(m as unknown as Event));
      expect(await texts('bob')).toContain('Bob swims three times a week');
      expect(await texts('alice')).not.toContain('Bob swims three times a week');
    }, 60_000);
  });

  describe("Redis Agent Memory (the reference server behind the spec's Prism proxy)", () => {
    let target: Target;
    let conn: Record<string, unknown>;
    beforeAll(async () => {
      target = await backendTarget('redis-agent-memory');
      const cfg = target.config();
      conn = { backend: 'redis-agent-memory', url: cfg.apiBaseUrl, apiKey: cfg.apiKey, storeId: cfg.storeId };
    }, 120_000);
    afterAll(() => closeIfStarted(target));

    it('the official Python SDK performs every operation this package uses, with no error and no validation failure on either side', async () => {
      const outcomes = await py.call<Record<string, string>>('sdk_operations', { ...conn, user: 'sdk-user', namespace: 'interop' });
      expect(Object.keys(outcomes).sort()).toEqual(
        [
          'health',
          'store_health',
          'add_session_event',
          'get_session_memory',
          'list_sessions',
          'get_session_event',
          'delete_session_event',
          'delete_session_memory',
          'bulk_create_long_term_memories',
          'search_long_term_memory',
          'get_long_term_memory',
          'update_long_term_memory',
          'bulk_delete_long_term_memories',
        ].sort(),
      );
      expect(Object.entries(outcomes).filter(([, v]) => v !== 'ok')).toEqual([]);
    }, 60_000);

    it('reads a session the Python adk-redis wrote whole, and the Python adk-redis reads what this package appends to it', async () => {
      const app = uid('interop');
      await py.call('runner_turn', { ...conn, app, user: 'alice', session: 'py-ram', text: 'I ran 10 km today' });
      const pySide = (await py.call<PySession>('get_session', { ...conn, app, user: 'alice', session: 'py-ram' }))!;
      const svc = target.service();
      const read = (await svc.getSession({ appName: app, userId: 'alice', sessionId: 'py-ram' }))!;
      expect(read.events.map((e) => [e.id, e.author, textOf(e)])).toEqual(pySide.events.map((e) => [e.id, e.author, e.text]));
      expect(read.events.map(textOf)).toEqual(['I ran 10 km today', 'Logged your run, nice work.']);
      // This package appends to the Python package's session, where it keeps it.
      const e = createEvent({ id: 'ts-e1', author: 'coach', timestamp: Date.now(), content: { role: 'model', parts: [{ text: 'Rest tomorrow.' }] } });
      await svc.appendEvent({ session: read, event: e });
      const after = (await py.call<PySession>('get_session', { ...conn, app, user: 'alice', session: 'py-ram' }))!;
      expect(after.events.map((x) => [x.id, x.author, x.text]).at(-1)).toEqual(['ts-e1', 'coach', 'Rest tomorrow.']);
      expect((await svc.listSessions({ appName: app, userId: 'alice' })).sessions.map((s) => s.id)).toEqual(['py-ram']);
      await expect(svc.createSession({ appName: app, userId: 'alice', sessionId: 'py-ram' })).rejects.toThrow(/already exists/);
    }, 60_000);

    it('a session this package starts lives at its readable id, which the Python adk-redis 0.0.10 does not look up', async () => {
      const app = uid('interop');
      const svc = target.service();
      const s = await svc.createSession({ appName: app, userId: 'alice', sessionId: 'ts-ram' });
      await svc.appendEvent({
        session: s,
        event: createEvent({ id: 'e1', author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text: 'hello' }] } }),
      });
      expect((await py.call<PySession>('get_session', { ...conn, app, user: 'alice', session: 'ts-ram' }))!.events).toEqual([]);
    }, 60_000);

    it("memories written by each side are found by the other's search, for the same user only", async () => {
      const app = uid('interop');
      const memory = target.memory!();
      await memory.addMemory({ appName: app, userId: 'alice', memories: [{ content: { parts: [{ text: 'Alice trains for a marathon in May' }] } }] });
      await py.call('add_memory', { ...conn, app, user: 'bob', text: 'Bob swims three times a week' });
      expect(await py.call('search_memory', { ...conn, app, user: 'alice', query: 'marathon training' })).toContain('Alice trains for a marathon in May');
      expect(await py.call('search_memory', { ...conn, app, user: 'bob', query: 'marathon training' })).not.toContain('Alice trains for a marathon in May');
      const texts = async (user: string) =>
        (await memory.searchMemory({ appName: app, userId: user, query: 'swimming' })).memories.map((m) => textOf(m as unknown as Event));
      expect(await texts('bob')).toContain('Bob swims three times a week');
      expect(await texts('alice')).not.toContain('Bob swims three times a week');
    }, 60_000);

    describe('namespace objects of the official SDK 0.4.1', () => {
      type SdkRead = {
        session: { ownerId: string; namespace: string | null; namespaceRef: { namespaceId: string; name: string } | null; texts: string[] };
        memories: { text: string; namespace: string | null; namespaceId: string | null }[];
      };

      it('the SDK places a session and memories in a namespace it creates; this package, with namespaceId, reads and searches them', async () => {
        const app = uid('interop');
        const session = uid('sdk-ns');
        const { namespaceId } = await py.call<{ namespaceId: string }>('sdk_namespace_write', {
          ...conn,
          name: uid('sdk-coach'),
          user: 'erin',
          session,
          texts: ['I ran 5 km', 'Then 8 km'],
          memories: ['Erin runs in the morning'],
        });
        const svc = target.service({ namespaceId });
        const read = await svc.getSession({ appName: app, userId: 'erin', sessionId: session });
        expect(read?.events.map((e) => textOf(e))).toEqual(['I ran 5 km', 'Then 8 km']);
        const found = await target.memory!({ namespaceId }).searchMemory({ appName: app, userId: 'erin', query: 'morning runs' });
        expect(found.memories.map((m) => textOf(m as unknown as Event))).toEqual(['Erin runs in the morning']);
      }, 60_000);

      it('the SDK reads what this package writes in that namespace: the session with its namespaceRef and no label, and the memories by namespaceRef', async () => {
        const app = uid('interop');
        const { namespaceId } = await py.call<{ namespaceId: string }>('sdk_namespace_write', {
          ...conn,
          name: uid('ts-coach'),
          user: 'finn',
          session: uid('seed'),
          texts: ['seed'],
          memories: [],
        });
        const svc = target.service({ namespaceId });
        const s = await svc.createSession({ appName: app, userId: 'finn', sessionId: uid('ts-ns') });
        await svc.appendEvent({
          session: s,
          event: createEvent({ id: 'e1', author: 'user', timestamp: Date.now(), content: { role: 'user', parts: [{ text: 'Plan a 10k' }] } }),
        });
        await target.memory!({ namespaceId }).addMemory({
          appName: app,
          userId: 'finn',
          memories: [{ content: { parts: [{ text: 'Finn wants a 10k plan' }] } }],
        });
        const seen = await py.call<SdkRead>('sdk_namespace_read', { ...conn, session: s.id, user: 'finn', namespaceId, query: '10k plan' });
        expect(seen.session).toMatchObject({ ownerId: 'finn', namespace: null, namespaceRef: { namespaceId } });
        expect(seen.session.texts.at(-1)).toBe('Plan a 10k');
        expect(seen.memories).toEqual([{ text: 'Finn wants a 10k plan', namespace: null, namespaceId }]);
      }, 60_000);

      it('a service on the label namespace sees none of it', async () => {
        const app = uid('interop');
        const session = uid('sdk-hidden');
        await py.call('sdk_namespace_write', {
          ...conn,
          name: uid('hidden'),
          user: 'gail',
          session,
          texts: ['secret plan'],
          memories: ['Gail hides her plan'],
        });
        const labelled = target.service();
        expect(await labelled.getSession({ appName: app, userId: 'gail', sessionId: session })).toBeUndefined();
        expect((await labelled.listSessions({ appName: app, userId: 'gail' })).sessions).toEqual([]);
        expect((await target.memory!().searchMemory({ appName: app, userId: 'gail', query: 'plan' })).memories).toEqual([]);
      }, 60_000);

      // The SDK raises a 409 as ConflictErrorResponseContent: its model of the problem body, so the body parsed.
      it('the SDK performs every namespace operation on the reference server, with its 409s where the rules refuse', async () => {
        const outcomes = await py.call<Record<string, string>>('sdk_namespace_operations', { ...conn, name: uid('ops'), user: 'hana' });
        expect(outcomes).toEqual({
          create_namespace: 'ok',
          create_child: 'ok',
          create_taken: 'ConflictErrorResponseContent',
          list_namespaces: 'ok',
          get_namespace: 'ok',
          rename_namespace: 'ok',
          move_long_term_memories: 'ok',
          delete_non_empty: 'ConflictErrorResponseContent',
          archive_namespace: 'ok',
          move_to_archived: 'ConflictErrorResponseContent',
          delete_namespace: 'ok',
        });
      }, 60_000);
    });
  });
});
