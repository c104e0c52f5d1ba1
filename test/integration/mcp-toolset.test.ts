import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LlmAgent, Runner, type Event } from '@google/adk';
import type { FunctionDeclaration } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMemoryMcpToolset, type AgentMemoryMcpToolset } from '../../src/mcp/toolset.js';
import { ScriptedLlm, lastContent, lastUserText } from '../helpers/scripted-llm.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

const APP = 'fitness';

/** The user's message "CALL name {json}" makes the model call that tool; its result comes back as the answer text. */
const model = () =>
  new ScriptedLlm((req) => {
    const response = lastContent(req)?.parts?.find((p) => p.functionResponse)?.functionResponse;
    if (response) return { content: { role: 'model', parts: [{ text: JSON.stringify(response.response) }] } };
    const m = /^CALL (\S+) (.*)$/s.exec(lastUserText(req));
    if (!m) return { content: { role: 'model', parts: [{ text: 'ok' }] } };
    return { content: { role: 'model', parts: [{ functionCall: { name: m[1]!, args: JSON.parse(m[2]!) } }] } };
  });

async function call(
  runner: Runner,
  userId: string,
  sessionId: string,
  tool: string,
  args: unknown,
): Promise<{ text: string; value: unknown; isError: boolean }> {
  const events: Event[] = [];
  for await (const e of runner.runAsync({ userId, sessionId, newMessage: { role: 'user', parts: [{ text: `CALL ${tool} ${JSON.stringify(args)}` }] } }))
    events.push(e);
  const answer = events
    .flatMap((e) => e.content?.parts ?? [])
    .map((p) => p.text)
    .filter(Boolean)
    .at(-1)!;
  const result = JSON.parse(answer) as { content?: { text: string }[]; isError?: boolean };
  const text = result.content?.[0]?.text ?? '';
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { text, value, isError: result.isError === true };
}

describe("createAgentMemoryMcpToolset against the Agent Memory Server's own MCP endpoint", () => {
  let target: Target;
  let toolset: AgentMemoryMcpToolset;
  let runner: Runner;
  let llm: ScriptedLlm;
  beforeAll(async () => {
    target = await backendTarget('opensource-agent-memory', { viaPrism: false, mcp: true, server: { backgroundTasks: 'manual' } });
    toolset = createAgentMemoryMcpToolset({ url: target.server!.mcpUrl! });
    llm = model();
    const agent = new LlmAgent({ name: 'coach', model: llm, instruction: 'Coach.', tools: [toolset] });
    runner = new Runner({ appName: APP, agent, sessionService: target.service(), memoryService: target.memory!() });
  });
  afterAll(async () => {
    await closeIfStarted(toolset);
    await closeIfStarted(target);
  });

  it('shows the model no user_id, namespace or session_id', async () => {
    const s = await runner.sessionService.createSession({ appName: APP, userId: 'alice' });
    await call(runner, 'alice', s.id, 'get_current_datetime', {});
    const declarations = (llm.requests.at(-1)!.config?.tools ?? []).flatMap(
      (t) => (t as { functionDeclarations?: FunctionDeclaration[] }).functionDeclarations ?? [],
    );
    const byName = new Map(declarations.map((d) => [d.name, d]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'create_long_term_memories',
        'delete_long_term_memories',
        'edit_long_term_memory',
        'get_current_datetime',
        'get_long_term_memory',
        'get_working_memory',
        'memory_prompt',
        'search_long_term_memory',
      ].sort(),
    );
    const names = (d: FunctionDeclaration | undefined) => Object.keys(d?.parameters?.properties ?? {});
    expect(names(byName.get('search_long_term_memory'))).toContain('text');
    for (const tool of ['search_long_term_memory', 'memory_prompt', 'get_working_memory', 'edit_long_term_memory']) {
      expect(names(byName.get(tool)), tool).not.toEqual(expect.arrayContaining(['user_id']));
      expect(
        names(byName.get(tool)).filter((n) => ['user_id', 'namespace', 'session_id'].includes(n)),
        tool,
      ).toEqual([]);
    }
    const item = byName.get('create_long_term_memories')?.parameters?.properties?.memories?.items;
    expect(Object.keys(item?.properties ?? {})).toContain('text');
    expect(Object.keys(item?.properties ?? {}).filter((n) => ['user_id', 'namespace', 'session_id'].includes(n))).toEqual([]);
  });

  it("writes and reads alice's memories only, whatever user the model names", async () => {
    const memory = target.memory!();
    const {
      ids: [bobsId],
    } = await memory.addMemory({ appName: APP, userId: 'bob', memories: [{ content: { parts: [{ text: 'Bob loves peanut butter' }] } }] });
    await target.settle();
    const s = await runner.sessionService.createSession({ appName: APP, userId: 'alice' });

    const created = await call(runner, 'alice', s.id, 'create_long_term_memories', {
      memories: [{ text: 'Alice runs tempo on Tuesdays', user_id: 'bob', namespace: 'elsewhere', session_id: 'x' }],
    });
    expect(created.isError).toBe(false);
    await target.server!.runBackgroundTasks();
    const alices = await memory.searchMemory({ appName: APP, userId: 'alice', query: 'tempo Tuesdays' });
    expect(alices.memories.map((m) => m.content.parts?.[0]?.text)).toContain('Alice runs tempo on Tuesdays');
    const bobs = await memory.searchMemory({ appName: APP, userId: 'bob', query: 'tempo Tuesdays' });
    expect(bobs.memories.map((m) => m.content.parts?.[0]?.text)).not.toContain('Alice runs tempo on Tuesdays');

    const search = await call(runner, 'alice', s.id, 'search_long_term_memory', {
      text: 'peanut butter tempo',
      user_id: { eq: 'bob' },
      namespace: { eq: APP },
    });
    const found = (search.value as { memories: { text: string; user_id: string }[] }).memories;
    expect(found.map((m) => m.text)).toContain('Alice runs tempo on Tuesdays');
    expect(found.every((m) => m.user_id === 'alice')).toBe(true);

    // By id: bob's memory is neither read, edited nor deleted from alice's session.
    expect(await call(runner, 'alice', s.id, 'get_long_term_memory', { memory_id: bobsId })).toMatchObject({ isError: true });
    expect(await call(runner, 'alice', s.id, 'edit_long_term_memory', { memory_id: bobsId, text: 'Bob hates peanuts', user_id: 'alice' })).toMatchObject({
      isError: true,
    });
    expect(await call(runner, 'alice', s.id, 'delete_long_term_memories', { memory_ids: [bobsId] })).toMatchObject({ isError: true });
    const stillBobs = await memory.searchMemory({ appName: APP, userId: 'bob', query: 'peanut butter' });
    expect(stillBobs.memories.map((m) => m.content.parts?.[0]?.text)).toContain('Bob loves peanut butter');

    // Her own memory she can edit, and the edit cannot hand it to bob.
    const mine = found.find((m) => m.text === 'Alice runs tempo on Tuesdays') as unknown as { id: string };
    const edited = await call(runner, 'alice', s.id, 'edit_long_term_memory', { memory_id: mine.id, text: 'Alice runs tempo on Wednesdays', user_id: 'bob' });
    expect(edited.isError).toBe(false);
    expect(edited.value).toMatchObject({ text: 'Alice runs tempo on Wednesdays', user_id: 'alice' });
    expect((await call(runner, 'alice', s.id, 'get_long_term_memory', { memory_id: mine.id })).value).toMatchObject({
      id: mine.id,
      text: 'Alice runs tempo on Wednesdays',
    });
  });

  it("keeps each app's memories to that app when apps share a namespace, as the memory service does", async () => {
    const namespace = `shared-${Date.now()}`;
    const shared = createAgentMemoryMcpToolset({ url: target.server!.mcpUrl!, defaultNamespace: namespace });
    try {
      const runnerOf = (app: string) =>
        new Runner({
          appName: app,
          agent: new LlmAgent({ name: 'coach', model: model(), instruction: 'Coach.', tools: [shared] }),
          sessionService: target.service({ defaultNamespace: namespace }),
        });
      const [a, b] = [runnerOf('app-a'), runnerOf('app-b')];
      const sa = await a.sessionService.createSession({ appName: 'app-a', userId: 'alice' });
      const sb = await b.sessionService.createSession({ appName: 'app-b', userId: 'alice' });
      const created = await call(a, 'alice', sa.id, 'create_long_term_memories', { memories: [{ text: 'Alice swims at dawn', topics: ['swim'] }] });
      expect(created.isError).toBe(false);
      await target.server!.runBackgroundTasks();
      const memoryOf = (app: string) => async () =>
        (await target.memory!({ defaultNamespace: namespace }).searchMemory({ appName: app, userId: 'alice', query: 'swims at dawn' })).memories;
      const [mine] = await memoryOf('app-a')();
      expect(mine?.content.parts?.[0]?.text).toBe('Alice swims at dawn');
      expect(mine?.topics).toEqual(['swim']);
      expect(await memoryOf('app-b')()).toEqual([]);
      const texts = async (runner: Runner, session: string, args: unknown) =>
        ((await call(runner, 'alice', session, 'search_long_term_memory', args)).value as { memories: { text: string }[] }).memories.map((m) => m.text);
      expect(await texts(a, sa.id, { text: 'swims at dawn' })).toEqual(['Alice swims at dawn']);
      expect(await texts(a, sa.id, { text: 'swims at dawn', topics: { eq: 'swim' } })).toEqual(['Alice swims at dawn']);
      expect(await texts(b, sb.id, { text: 'swims at dawn' })).toEqual([]);
      // The server's soft-filter fallback widens a search that found nothing: what it finds is checked again.
      const promptB = (await call(b, 'alice', sb.id, 'memory_prompt', { query: 'swims at dawn' })).text;
      expect(promptB).not.toContain('Alice swims at dawn');
      expect((await call(a, 'alice', sa.id, 'memory_prompt', { query: 'swims at dawn' })).text).toContain('Alice swims at dawn');
      expect(await call(b, 'alice', sb.id, 'get_long_term_memory', { memory_id: mine!.id })).toMatchObject({ isError: true });
      expect(await call(b, 'alice', sb.id, 'delete_long_term_memories', { memory_ids: [mine!.id] })).toMatchObject({ isError: true });
    } finally {
      await shared.close();
    }
  });

  it('memory_prompt and get_working_memory answer from the calling session of the calling user', async () => {
    const sessions = runner.sessionService;
    const memory = target.memory!();
    await memory.addMemory({ appName: APP, userId: 'bob', memories: [{ content: { parts: [{ text: 'Bob trains for a marathon in May' }] } }] });
    await memory.addMemory({ appName: APP, userId: 'alice', memories: [{ content: { parts: [{ text: 'Alice trains for a 10k in May' }] } }] });
    await target.settle();
    const bobSession = await sessions.createSession({ appName: APP, userId: 'bob' });
    const s = await sessions.createSession({ appName: APP, userId: 'alice' });
    await call(runner, 'alice', s.id, 'get_current_datetime', {});

    const prompt = await call(runner, 'alice', s.id, 'memory_prompt', {
      query: 'what am I training for in May?',
      user_id: { eq: 'bob' },
      session_id: { eq: bobSession.id },
    });
    const text = JSON.stringify(prompt.value);
    expect(text).toContain('Alice trains for a 10k in May');
    expect(text).not.toContain('Bob trains');
    expect(text).toContain('CALL get_current_datetime');

    const wm = await call(runner, 'alice', s.id, 'get_working_memory', { session_id: bobSession.id, user_id: 'bob' });
    expect(wm.value).toMatchObject({ session_id: s.id, user_id: 'alice', namespace: APP });
  });

  it('serves the same tools as mcp.py at /mcp and /{namespace}/mcp, over the REST state', async () => {
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${target.server!.mcpUrl}/${APP}/mcp`)));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(
        [
          'compact_long_term_memories',
          'create_long_term_memories',
          'delete_long_term_memories',
          'edit_long_term_memory',
          'get_current_datetime',
          'get_long_term_memory',
          'get_working_memory',
          'memory_prompt',
          'search_long_term_memory',
          'set_working_memory',
        ].sort(),
      );
      // Parameter names and required ones as in mcp.py's tool signatures at v0.15.2.
      const recency = [
        'recency_boost',
        'recency_semantic_weight',
        'recency_recency_weight',
        'recency_freshness_weight',
        'recency_novelty_weight',
        'recency_half_life_last_access_days',
        'recency_half_life_created_days',
        'server_side_recency',
      ];
      const filters = [
        'namespace',
        'topics',
        'entities',
        'created_at',
        'last_accessed',
        'user_id',
        'memory_type',
        'event_date',
        'distance_threshold',
        'search_mode',
        'limit',
        'offset',
        'optimize_query',
        ...recency,
      ];
      const signatures: Record<string, [string[], string[]]> = {
        get_current_datetime: [[], []],
        create_long_term_memories: [['memories'], ['memories']],
        search_long_term_memory: [['text', 'session_id', ...filters], ['text']],
        memory_prompt: [['query', 'session_id', 'model_name', 'context_window_max', 'include_long_term_search', ...filters], ['query']],
        set_working_memory: [
          ['session_id', 'memories', 'messages', 'context', 'data', 'namespace', 'user_id', 'ttl_seconds', 'long_term_memory_strategy'],
          ['session_id'],
        ],
        get_working_memory: [['session_id', 'user_id', 'namespace', 'recent_messages_limit'], ['session_id']],
        get_long_term_memory: [['memory_id'], ['memory_id']],
        edit_long_term_memory: [
          ['memory_id', 'text', 'topics', 'entities', 'memory_type', 'namespace', 'user_id', 'session_id', 'event_date', 'pinned'],
          ['memory_id'],
        ],
        delete_long_term_memories: [['memory_ids'], ['memory_ids']],
        compact_long_term_memories: [['namespace', 'user_id', 'session_id'], []],
      };
      for (const t of tools) {
        const [names, required] = signatures[t.name]!;
        expect(Object.keys(t.inputSchema.properties ?? {}).sort(), t.name).toEqual([...names].sort());
        expect([...(t.inputSchema.required ?? [])].sort(), t.name).toEqual([...required].sort());
      }
      // A working memory set over MCP (namespace from the path) is the session getSession reads.
      const session = await runner.sessionService.createSession({ appName: APP, userId: 'carol' });
      const set = await client.callTool({
        name: 'set_working_memory',
        arguments: { session_id: session.id, user_id: 'carol', messages: [{ role: 'user', content: 'Set over MCP: I swim on Fridays', id: 'm-mcp-1' }] },
      });
      expect(set.isError).toBeFalsy();
      const read = await runner.sessionService.getSession({ appName: APP, userId: 'carol', sessionId: session.id });
      expect(read!.events.map((e) => e.content?.parts?.[0]?.text)).toContain('Set over MCP: I swim on Fridays');
    } finally {
      await client.close();
    }
    const root = new Client({ name: 'test', version: '1' });
    await root.connect(new StreamableHTTPClientTransport(new URL(`${target.server!.mcpUrl}/mcp`)));
    try {
      expect((await root.listTools()).tools).toHaveLength(10);
    } finally {
      await root.close();
    }
  });

  it('rejects a bad configuration before connecting', () => {
    expect(() => createAgentMemoryMcpToolset({ url: 'localhost:9000' })).toThrow(/"url": must be the http\(s\) URL/);
    expect(() => createAgentMemoryMcpToolset({ url: 'http://x', include: ['search_memory' as never] })).toThrow(/"include": unknown tools search_memory/);
  });
});
