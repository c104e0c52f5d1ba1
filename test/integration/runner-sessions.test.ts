import { FunctionTool, LlmAgent, Runner, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
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
});
