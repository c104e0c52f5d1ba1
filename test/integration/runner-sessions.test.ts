import { FunctionTool, LlmAgent, Runner, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classify, REQUEST_CLASSES, type RequestClass } from '../../bench/request-classes.js';
import { createAgentMemoryServerClient } from '../../src/clients/agent-memory-server.js';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { ScriptedLlm, lastContent, lastUserText } from '../helpers/scripted-llm.js';
import { closeIfStarted } from '../helpers/started.js';

/** A coach that records a goal with a tool when told one, and otherwise answers from state. */
function coach() {
  const model = new ScriptedLlm((req) => {
    const last = lastContent(req);
    const response = last?.parts?.find((p) => p.functionResponse)?.functionResponse;
    if (response) return { content: { role: 'model', parts: [{ text: `Saved: ${JSON.stringify(response.response)}` }] } };
    const text = lastUserText(req);
    const goal = /my goal is (.+)/i.exec(text)?.[1];
    if (goal) return { content: { role: 'model', parts: [{ functionCall: { name: 'save_goal', args: { goal } } }] } };
    return { content: { role: 'model', parts: [{ text: `You said: ${text}` }] } };
  });
  const saveGoal = new FunctionTool({
    name: 'save_goal',
    description: 'Records the user goal in session state.',
    parameters: z.object({ goal: z.string() }),
    execute: ({ goal }, ctx) => {
      ctx?.state.set('goal', goal);
      ctx?.state.set('user:latest_goal', goal);
      return Promise.resolve({ saved: goal });
    },
  });
  return new LlmAgent({ name: 'coach', model, instruction: 'Be a coach.', tools: [saveGoal] });
}

/** The class of a request as the turn bench sorts them (bench/request-classes.ts). */
async function classOf(req: Request): Promise<RequestClass> {
  return classify({ method: req.method, url: req.url, body: req.method === 'PUT' ? await req.clone().text() : undefined });
}

async function turn(runner: Runner, userId: string, sessionId: string, text: string): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of runner.runAsync({ userId, sessionId, newMessage: { role: 'user', parts: [{ text }] } })) out.push(e);
  return out;
}

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))('Runner with RedisSessionMemoryService on %s', (backend) => {
  let target: Target;
  beforeAll(async () => {
    target = await backendTarget(backend);
  });
  afterAll(() => closeIfStarted(target));

  it('persists several turns with a tool call; a fresh instance reads the session back unchanged', async () => {
    const appName = 'fitness-coach';
    const service = target.service();
    const runner = new Runner({ appName, agent: coach(), sessionService: service });
    const session = await service.createSession({ appName, userId: 'alice', state: { plan: 'base' } });
    const yielded: Event[] = [];
    yielded.push(...(await turn(runner, 'alice', session.id, 'Hello coach')));
    yielded.push(...(await turn(runner, 'alice', session.id, 'My goal is a sub-50 10k')));
    yielded.push(...(await turn(runner, 'alice', session.id, 'What next?')));

    const calls = yielded.flatMap((e) => e.content?.parts ?? []).filter((p) => p.functionCall);
    expect(calls.map((p) => p.functionCall!.name)).toEqual(['save_goal']);

    const fresh = target.service();
    const read = await fresh.getSession({ appName, userId: 'alice', sessionId: session.id });
    expect(read).toBeDefined();
    // Every turn persisted: 3 user messages + the agent's events, in order, equal to what ran.
    const texts = read!.events.flatMap((e) => e.content?.parts ?? []).map((p) => p.text ?? p.functionCall?.name ?? p.functionResponse?.name);
    expect(texts).toEqual([
      'Hello coach',
      'You said: Hello coach',
      'My goal is a sub-50 10k',
      'save_goal',
      'save_goal',
      'Saved: {"saved":"a sub-50 10k"}',
      'What next?',
      'You said: What next?',
    ]);
    const ran = (await service.getSession({ appName, userId: 'alice', sessionId: session.id }))!;
    expect(JSON.parse(JSON.stringify(read!.events))).toEqual(JSON.parse(JSON.stringify(ran.events)));
    for (const e of yielded) expect(read!.events.some((r) => r.id === e.id)).toBe(true);
    expect(read!.state).toEqual({ plan: 'base', goal: 'a sub-50 10k', 'user:latest_goal': 'a sub-50 10k' });

    // The user: state reaches the same user's other sessions.
    const next = await fresh.createSession({ appName, userId: 'alice' });
    expect(next.state).toEqual({ 'user:latest_goal': 'a sub-50 10k' });
  });

  it.skipIf(backend !== 'opensource-agent-memory').each([
    // getSession: the conversation and three listings (the session's journal, app and user state);
    // then four appends, each a read and a journal write, one more journal write for the tool's
    // `user:` state, and the conversation written once or twice.
    ['per-event', { requests: 15, 'full working-memory PUT': 2, 'journal PUT': 5, 'working-memory GET': 5, 'journal GET': 0, listing: 3, other: 0 }],
    ['per-invocation', { requests: 14, 'full working-memory PUT': 1, 'journal PUT': 5, 'working-memory GET': 5, 'journal GET': 0, listing: 3, other: 0 }],
  ] as const)('a warm Runner turn with a tool call, conversationWrites %s: its requests by class', async (mode, expected) => {
    const appName = `turn-cost-${mode}`;
    let counting = false;
    const sent: RequestClass[] = [];
    const service = target.service({
      conversationWrites: mode,
      fetch: async (req: Request) => {
        if (counting) sent.push(await classOf(req));
        return fetch(req);
      },
    });
    const runner = new Runner({ appName, agent: coach(), sessionService: service });
    const session = await service.createSession({ appName, userId: 'alice' });
    await turn(runner, 'alice', session.id, 'Hello coach');
    counting = true;
    const events = await turn(runner, 'alice', session.id, 'My goal is a sub-50 10k');
    counting = false;
    expect(events.filter((e) => e.content?.parts?.some((p) => p.functionCall || p.functionResponse))).toHaveLength(2);
    const byClass = Object.fromEntries(REQUEST_CLASSES.map((c) => [c, sent.filter((x) => x === c).length]));
    expect({ requests: sent.length, ...byClass }).toEqual(expected);
  });

  it.skipIf(backend !== 'opensource-agent-memory')(
    'conversationWrites "per-invocation": one conversation write per turn; the record holds every event after each turn, the conversation all but the last turn\'s replies, and any instance\'s next turn brings it up to date',
    async () => {
      const appName = 'per-invocation';
      const userId = 'alice';
      /** Writes of the session's conversation (its working memory), by turn. */
      let conversationWrites = 0;
      const counting = async (req: Request): Promise<Response> => {
        if ((await classOf(req)) === 'full working-memory PUT') conversationWrites++;
        return fetch(req);
      };
      const service = target.service({ conversationWrites: 'per-invocation', fetch: counting });
      const runner = new Runner({ appName, agent: coach(), sessionService: service });
      const session = await service.createSession({ appName, userId });
      const raw = createAgentMemoryServerClient({ apiBaseUrl: target.directUrl! });
      const conversation = async () => ((await raw.getWorkingMemory(session.id, { namespace: appName, user_id: userId })).messages ?? []).map((m) => m.id);
      const record = async () => (await target.service().getSession({ appName, userId, sessionId: session.id }))!.events.map((e) => e.id);

      const ran: Event[][] = [];
      for (const text of ['Hello coach', 'My goal is a sub-50 10k']) {
        conversationWrites = 0;
        const before = await record();
        const events = await turn(runner, userId, session.id, text);
        ran.push(events);
        expect(conversationWrites, text).toBe(1);
        // The record has the whole turn at once; the conversation has everything up to this turn's message.
        const after = await record();
        expect(after).toEqual([...before, ...after.slice(before.length)]);
        expect(after.length).toBe(before.length + 1 + events.length);
        expect(await conversation()).toEqual(after.slice(0, before.length + 1));
      }
      // The tool call and its result were among the replies left to the next turn's write.
      expect(ran[1]!.filter((e) => e.content?.parts?.some((p) => p.functionCall || p.functionResponse))).toHaveLength(2);

      // Another instance (writing per event) takes the next turn: its first write restores every line.
      const other = target.service();
      await turn(new Runner({ appName, agent: coach(), sessionService: other }), userId, session.id, 'What next?');
      expect(await conversation()).toEqual(await record());
    },
  );
});
