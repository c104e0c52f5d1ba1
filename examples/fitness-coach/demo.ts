// npm run demo [-- --processes 2 | --mcp] [--backend redis-agent-memory|opensource-agent-memory] [--real]
//
// Plays a short conversation with the fitness coach. Session 1: the user states goals and
// constraints, which the coach stores as memories (and the session is kept as message memories).
// Session 2, with fresh service instances (as a new process would have): the coach recalls them
// through memory search. With --processes N, N worker processes take turns serving one session.
// With --mcp, the coach uses the Agent Memory Server's own MCP tools (createAgentMemoryMcpToolset)
// instead of createMemoryTools: the embedded reference server serves them, or AGENT_MEMORY_MCP_URL.
// With --backend opensource-agent-memory --real, all of it runs against the real Agent Memory
// Server v0.15.2 started here (Redis Stack, its stand-in model, its API, worker and MCP servers).
import { fork } from 'node:child_process';
import { Runner } from '@google/adk';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { exampleBackend } from './backend.js';
import { APP_NAME, createCoachAgent, createMcpCoachAgent } from './coach.js';
import { turn } from './conversation.js';

const USER = 'alice';
const progress = (line: string) => console.log(`• ${line}`);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const processes = Number(argValue('processes') ?? 1);
  if (!Number.isInteger(processes) || processes < 1) throw new Error('--processes must be a whole number >= 1');
  const mcp = process.argv.includes('--mcp');
  const chosen = argValue('backend');
  if (chosen !== undefined && chosen !== 'redis-agent-memory' && chosen !== 'opensource-agent-memory')
    throw new Error('--backend must be redis-agent-memory or opensource-agent-memory');
  const backend = await exampleBackend(progress, {
    prefer: chosen ?? (mcp ? 'opensource-agent-memory' : undefined),
    real: process.argv.includes('--real'),
    mcp,
  });
  try {
    if (mcp && backend.config.backend !== 'opensource-agent-memory') {
      throw new Error(
        "--mcp uses the Agent Memory Server's MCP tools: set AGENT_MEMORY_BACKEND=opensource-agent-memory (and AGENT_MEMORY_MCP_URL for its MCP app)",
      );
    }
    const mcpUrl = mcp ? (backend.mcpUrl ?? backend.config.apiBaseUrl!) : undefined;
    console.log(`\nadk-redis fitness-coach demo — data in ${backend.description}`);
    console.log(`model: ${process.env.GOOGLE_API_KEY ? 'Gemini' : 'offline deterministic coach (set GOOGLE_API_KEY for Gemini)'}`);
    console.log(`memory tools: ${mcpUrl ? `Agent Memory Server MCP tools at ${mcpUrl}/${APP_NAME}/mcp, pinned to the session's user` : 'createMemoryTools'}\n`);
    return processes > 1 ? await multiProcess(backend.config, processes) : await twoSessions(backend.config, mcpUrl, () => backend.settled());
  } finally {
    await backend.close();
  }
}

async function twoSessions(
  config: ConstructorParameters<typeof RedisSessionMemoryService>[0],
  mcpUrl: string | undefined,
  settled: () => Promise<void>,
): Promise<number> {
  const agentFor = (memory: RedisLongTermMemoryService) => (mcpUrl ? createMcpCoachAgent(mcpUrl) : createCoachAgent(memory));
  // --- Session 1 --------------------------------------------------------------------------
  const sessions1 = new RedisSessionMemoryService(config);
  const memory1 = new RedisLongTermMemoryService(config);
  const runner1 = new Runner({ appName: APP_NAME, agent: agentFor(memory1), sessionService: sessions1, memoryService: memory1 });
  const s1 = await sessions1.createSession({ appName: APP_NAME, userId: USER, state: { 'user:name': 'Alice' } });
  console.log(`── session 1 (${s1.id})`);
  const created: string[] = [];
  for (const text of [
    'Hi coach! My goal is to run a half marathon in under 2 hours.',
    'I can only train on Tuesdays, Thursdays and Saturdays.',
    'I have a weak left knee, so no downhill sprints.',
  ]) {
    console.log(`user: ${text}`);
    const { events, lines } = await turn(runner1, USER, s1.id, text);
    lines.forEach((l) => console.log(l));
    for (const e of events) {
      for (const p of e.content?.parts ?? []) {
        if (p.functionResponse?.name === 'create_memory') created.push(String((p.functionResponse.response as { id?: string }).id));
        if (p.functionResponse?.name === 'create_long_term_memories') created.push('(over MCP)');
      }
    }
  }
  progress('keeping the events of session 1 as message memories (addEventsToMemory)...');
  const stored1 = (await sessions1.getSession({ appName: APP_NAME, userId: USER, sessionId: s1.id }))!;
  const { ids: messageIds } = await memory1.addEventsToMemory({ appName: APP_NAME, userId: USER, sessionId: s1.id, events: stored1.events });
  // Agent Memory Server indexes what was written just after answering; a new session comes later in life.
  await settled();

  // --- Session 2, fresh instances ----------------------------------------------------------
  const sessions2 = new RedisSessionMemoryService(config);
  const memory2 = new RedisLongTermMemoryService(config);
  const runner2 = new Runner({ appName: APP_NAME, agent: agentFor(memory2), sessionService: sessions2, memoryService: memory2 });
  const s2 = await sessions2.createSession({ appName: APP_NAME, userId: USER });
  console.log(`\n── session 2 (${s2.id}), new service instances`);
  const answers: string[] = [];
  for (const text of ['What do you remember about my goal and my training days?', 'Is there an injury or knee problem I should watch?']) {
    console.log(`user: ${text}`);
    const { lines } = await turn(runner2, USER, s2.id, text);
    lines.forEach((l) => console.log(l));
    answers.push(lines.join('\n'));
  }

  // --- What was stored where -----------------------------------------------------------------
  console.log('\n── stored');
  const listed = await sessions2.listSessions({ appName: APP_NAME, userId: USER });
  for (const s of listed.sessions) {
    const full = await sessions2.getSession({ appName: APP_NAME, userId: USER, sessionId: s.id });
    console.log(`session ${s.id}: ${full!.events.length} events, state ${JSON.stringify(full!.state)}`);
  }
  console.log(`long-term memories of ${USER}: ${created.length} facts (create_memory) + ${messageIds.length} message memories`);
  if (mcpUrl) {
    // Created over MCP for the session's user: found by the memory service for that user.
    const { memories } = await memory2.searchMemory({ appName: APP_NAME, userId: USER, query: 'goal training days knee', limit: 20 });
    for (const m of memories.filter((m) => m.memoryType !== 'message'))
      console.log(`  [${m.memoryType}] ${m.content.parts?.[0]?.text}  topics=${JSON.stringify(m.topics)}`);
  } else {
    for (const id of created) {
      const m = await memory2.getMemory({ appName: APP_NAME, userId: USER, id });
      console.log(`  [${m?.memoryType}] ${m?.content.parts?.[0]?.text}  topics=${JSON.stringify(m?.topics)}`);
    }
  }
  const recalled = answers[0]!.includes('half marathon') && answers[1]!.includes('knee');
  console.log(`\nrecall across sessions: ${recalled ? 'yes' : 'NO'}`);
  return recalled ? 0 : 1;
}

async function multiProcess(config: ConstructorParameters<typeof RedisSessionMemoryService>[0], n: number): Promise<number> {
  const sessions = new RedisSessionMemoryService(config);
  const s = await sessions.createSession({ appName: APP_NAME, userId: USER });
  progress(`starting ${n} worker processes for session ${s.id}...`);
  const workers = Array.from({ length: n }, (_, i) =>
    fork(new URL('./turn-worker.ts', import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, DEMO_CONFIG: JSON.stringify(config), DEMO_SESSION: s.id, DEMO_WORKER: String(i + 1) },
    }),
  );
  const ask = (w: (typeof workers)[number], text: string) =>
    new Promise<{ pid: number; lines: string[] }>((resolve, reject) => {
      w.once('message', (m) => resolve(m as { pid: number; lines: string[] }));
      w.once('error', reject);
      w.send({ text });
    });
  const texts = [
    'My goal is to deadlift 100 kg.',
    'I can only train in the mornings.',
    'I have tight hamstrings.',
    'What do you remember about my goal?',
    'I prefer short workouts.',
    'What about my training mornings?',
  ];
  try {
    for (const [i, text] of texts.entries()) {
      const w = workers[i % n]!;
      console.log(`user → worker ${(i % n) + 1}: ${text}`);
      const { pid, lines } = await ask(w, text);
      lines.forEach((l) => console.log(`${l}   [pid ${pid}]`));
    }
  } finally {
    for (const w of workers) w.kill();
  }
  const read = (await sessions.getSession({ appName: APP_NAME, userId: USER, sessionId: s.id }))!;
  const userTurns = read.events.filter((e) => e.author === 'user').map((e) => e.content?.parts?.[0]?.text);
  const complete = texts.every((t, i) => userTurns[i] === t) && userTurns.length === texts.length;
  console.log(
    `\nsession read back: ${read.events.length} events, ${userTurns.length} user turns from ${n} processes — ${complete ? 'every turn present, in order' : 'TURNS MISSING'}`,
  );
  return complete ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exit(1);
  },
);
