import { createEvent, LlmAgent, LoadMemoryTool, PreloadMemoryTool, Runner, type Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryTools } from '../../src/tools/memory-tools.js';
import { ScriptedLlm, lastContent, lastUserText } from '../helpers/scripted-llm.js';
import { backendTarget, suiteBackends, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

async function run(runner: Runner, userId: string, sessionId: string, text: string): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of runner.runAsync({ userId, sessionId, newMessage: { role: 'user', parts: [{ text }] } })) out.push(e);
  return out;
}

const finalText = (events: Event[]) =>
  events
    .flatMap((e) => e.content?.parts ?? [])
    .map((p) => p.text)
    .filter(Boolean)
    .at(-1);

describe.each(suiteBackends(['redis-agent-memory', 'opensource-agent-memory'] as const))('Runner with RedisLongTermMemoryService on %s', (backend) => {
  let target: Target;
  beforeAll(async () => {
    // Exact memory sets are asserted: the server's own extraction from the conversation runs only when asked.
    target = await backendTarget(backend, { server: { backgroundTasks: 'manual' } });
  });
  afterAll(() => closeIfStarted(target));

  it('LoadMemoryTool recalls in session B a fact stored from session A', async () => {
    const appName = 'travel-assistant';
    const sessionService = target.service();
    const memoryService = target.memory!();
    // The model: asked a question, it first loads memory; given memories, it answers from them.
    const model = new ScriptedLlm((req) => {
      const response = lastContent(req)?.parts?.find((p) => p.functionResponse)?.functionResponse;
      if (response) {
        const found = (response.response as { memories: { content: string }[] }).memories.map((m) => m.content);
        return { content: { role: 'model', parts: [{ text: found.length ? `From memory: ${found[0]}` : 'I do not know yet.' }] } };
      }
      const text = lastUserText(req);
      if (text.endsWith('?')) return { content: { role: 'model', parts: [{ functionCall: { name: 'load_memory', args: { query: text } } }] } };
      return { content: { role: 'model', parts: [{ text: 'Noted.' }] } };
    });
    const agent = new LlmAgent({ name: 'assistant', model, instruction: 'Help the user.', tools: [new LoadMemoryTool()] });
    const runner = new Runner({ appName, agent, sessionService, memoryService });

    const a = await sessionService.createSession({ appName, userId: 'alice' });
    await run(runner, 'alice', a.id, 'I always prefer window seats on flights.');
    await memoryService.addSessionToMemory((await sessionService.getSession({ appName, userId: 'alice', sessionId: a.id }))!);
    await target.settle();

    const b = await sessionService.createSession({ appName, userId: 'alice' });
    const answer = await run(runner, 'alice', b.id, 'Which seat do I like?');
    expect(answer.some((e) => e.content?.parts?.some((p) => p.functionCall?.name === 'load_memory'))).toBe(true);
    expect(finalText(answer)).toBe('From memory: I always prefer window seats on flights.');

    // Another user asking the same question finds nothing of Alice's.
    const c = await sessionService.createSession({ appName, userId: 'bob' });
    expect(finalText(await run(runner, 'bob', c.id, 'Which seat do I like?'))).toBe('I do not know yet.');
  });

  it("PreloadMemoryTool puts the user's memories into the prompt", async () => {
    const appName = 'preload-app';
    const sessionService = target.service();
    const memoryService = target.memory!();
    await memoryService.addMemory({ appName, userId: 'alice', memories: [{ content: { parts: [{ text: 'User is allergic to peanuts' }] } }] });
    await target.settle();
    const model = new ScriptedLlm((req) => {
      const instructions = JSON.stringify(req.config?.systemInstruction ?? '');
      return { content: { role: 'model', parts: [{ text: instructions.includes('allergic to peanuts') ? 'Avoiding peanuts.' : 'No memory.' }] } };
    });
    const agent = new LlmAgent({ name: 'chef', model, instruction: 'Cook.', tools: [new PreloadMemoryTool()] });
    const runner = new Runner({ appName, agent, sessionService, memoryService });
    const s = await sessionService.createSession({ appName, userId: 'alice' });
    expect(finalText(await run(runner, 'alice', s.id, 'What about peanuts and allergies for dinner'))).toBe('Avoiding peanuts.');
  });

  it("memoryPrompt gives the summary, the recent conversation, only this user's memories, then the query", async () => {
    const appName = `prompt-${backend}`;
    // A session the backend has summarised: Agent Memory Server summarises inside PUT for a small
    // window; Redis Agent Memory summarises in its background work.
    const sessionService = target.service(backend === 'opensource-agent-memory' ? { contextWindowMax: 400 } : {});
    const memoryService = target.memory!();
    await memoryService.addMemory({ appName, userId: 'alice', memories: [{ content: { parts: [{ text: 'User is allergic to peanuts' }] } }] });
    await memoryService.addMemory({ appName, userId: 'bob', memories: [{ content: { parts: [{ text: 'User loves peanut butter' }] } }] });
    const s = await sessionService.createSession({ appName, userId: 'alice' });
    for (let i = 0; i < 24; i++) {
      const text = `Turn ${i}: ${'we talked about meal plans, snacks and recovery food '.repeat(2)}`;
      await sessionService.appendEvent({
        session: s,
        event: createEvent({
          id: `t${i}`,
          author: i % 2 ? 'chef' : 'user',
          timestamp: Date.now() + i,
          content: { role: i % 2 ? 'model' : 'user', parts: [{ text }] },
        }),
      });
    }
    await target.server!.runBackgroundTasks();
    const session = (await sessionService.getSession({ appName, userId: 'alice', sessionId: s.id }))!;
    const { messages } = await memoryService.memoryPrompt({ appName, userId: 'alice', query: 'Any peanut allergies?', session });
    const texts = messages.map((m) => `${m.role}: ${m.content.text}`);
    expect(texts[0]).toMatch(/^system: ## A summary of the conversation so far:\n/);
    // Summarised turns appear only in the summary (the store may also have extracted them as memories).
    expect(texts.filter((t) => !t.startsWith('system:')).some((t) => t.includes('Turn 0:'))).toBe(false);
    expect(texts.some((t) => t.startsWith('assistant: Turn 23:'))).toBe(true);
    const memories = texts.find((t) => t.startsWith("system: ## Long term memories related to the user's query"))!;
    expect(memories).toContain('User is allergic to peanuts');
    expect(memories).not.toContain('peanut butter');
    expect(texts.at(-1)).toBe('user: Any peanut allergies?');
  });

  it("the memory_prompt tool answers for the calling session's user, whatever the model passes", async () => {
    const appName = `prompt-tool-${backend}`;
    const sessionService = target.service();
    const memoryService = target.memory!();
    await memoryService.addMemory({ appName, userId: 'alice', memories: [{ content: { parts: [{ text: 'User runs trails on Sundays' }] } }] });
    await memoryService.addMemory({ appName, userId: 'bob', memories: [{ content: { parts: [{ text: 'User runs trails on Mondays' }] } }] });
    await target.settle();
    let result: unknown;
    const model = new ScriptedLlm((req) => {
      const response = lastContent(req)?.parts?.find((p) => p.functionResponse)?.functionResponse;
      if (response) {
        result = response.response;
        return { content: { role: 'model', parts: [{ text: 'done' }] } };
      }
      return {
        content: {
          role: 'model',
          parts: [{ functionCall: { name: 'memory_prompt', args: { query: 'trail running day', user_id: 'bob', namespace: 'other' } } }],
        },
      };
    });
    const agent = new LlmAgent({ name: 'coach', model, instruction: 'Coach.', tools: createMemoryTools(memoryService, { include: ['memory_prompt'] }) });
    const runner = new Runner({ appName, agent, sessionService, memoryService });
    const s = await sessionService.createSession({ appName, userId: 'alice' });
    await run(runner, 'alice', s.id, 'When do I run trails?');
    const texts = (result as { messages: { role: string; text: string }[] }).messages.map((m) => m.text).join('\n');
    expect(texts).toContain('User runs trails on Sundays');
    expect(texts).not.toContain('Mondays');
    expect(texts).toContain('When do I run trails?');
  });

  it("memory tools let an agent create, search, update and delete the current user's memories", async () => {
    const appName = 'coach-tools';
    const sessionService = target.service();
    const memoryService = target.memory!();
    let lastResult: unknown;
    // Each user message names a tool call as JSON; the model makes that call, then reports the result.
    const model = new ScriptedLlm((req) => {
      const response = lastContent(req)?.parts?.find((p) => p.functionResponse)?.functionResponse;
      if (response) {
        lastResult = response.response;
        return { content: { role: 'model', parts: [{ text: 'done' }] } };
      }
      const call = JSON.parse(lastUserText(req)) as { name: string; args: Record<string, unknown> };
      return { content: { role: 'model', parts: [{ functionCall: call }] } };
    });
    const agent = new LlmAgent({ name: 'coach', model, instruction: 'Coach.', tools: createMemoryTools(memoryService) });
    const runner = new Runner({ appName, agent, sessionService, memoryService });
    const s = await sessionService.createSession({ appName, userId: 'alice' });
    const call = async (name: string, args: Record<string, unknown>) => {
      await run(runner, 'alice', s.id, JSON.stringify({ name, args }));
      return lastResult as Record<string, unknown>;
    };

    const created = await call('create_memory', { text: 'User wants to run a marathon in April', topics: ['running', 'goals'] });
    expect(created).toMatchObject({ stored: true });
    await target.settle();
    const found = await call('search_memory', { query: 'marathon running goal' });
    const memories = found.memories as { id: string; text: string; topics: string[] }[];
    expect(memories[0]).toMatchObject({ id: created.id, text: 'User wants to run a marathon in April', topics: ['running', 'goals'] });
    const updated = await call('update_memory', { id: created.id, text: 'User wants to run a marathon in May' });
    expect(updated).toMatchObject({ text: 'User wants to run a marathon in May' });
    const bad = await call('update_memory', { id: 'no-such-memory', text: 'x' });
    expect(bad.error).toMatch(/no memory/);
    expect(await call('delete_memory', { ids: [created.id] })).toEqual({ deleted: [created.id] });
    expect((await call('search_memory', { query: 'marathon' })).memories).toEqual([]);

    // Scoped to the calling user: Bob's session cannot see or delete Alice's memories.
    await memoryService.addMemory({ appName, userId: 'alice', memories: [{ id: 'secret', content: { parts: [{ text: 'Alice secret marathon plan' }] } }] });
    await target.settle();
    expect((await memoryService.searchMemory({ appName, userId: 'alice', query: 'marathon plan' })).memories).toHaveLength(1);
    const bobSession = await sessionService.createSession({ appName, userId: 'bob' });
    await run(runner, 'bob', bobSession.id, JSON.stringify({ name: 'search_memory', args: { query: 'marathon plan' } }));
    expect((lastResult as { memories: unknown[] }).memories).toEqual([]);
  });
});
