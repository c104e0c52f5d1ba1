import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';

const root = path.resolve(import.meta.dirname, '../..');
const APP = 'coach-app';
/** The bin from source (npm test builds dist too; the package-install test covers the packed bin). */
const cli = ['--import', 'tsx', path.join(root, 'src/mcp/cli.ts')];

const backendArgs = (server: ReferenceServer) => [
  '--backend',
  server.backend,
  '--url',
  server.url,
  '--app',
  APP,
  ...(server.apiKey ? ['--api-key', server.apiKey] : []),
  ...(server.storeId ? ['--store-id', server.storeId] : []),
];

function value(result: unknown): unknown {
  const text = (result as { content: { text: string }[] }).content[0]!.text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

describe.each(['redis-agent-memory', 'opensource-agent-memory'] as const)('adk-redis-mcp over stdio on %s', (backend) => {
  let server: ReferenceServer;
  let client: Client;
  let sessions: RedisSessionMemoryService;
  let memory: RedisLongTermMemoryService;
  beforeAll(async () => {
    server = await startReferenceServer({ backend, backgroundTasks: 'manual' });
    const config = { backend, apiBaseUrl: server.url, ...(server.apiKey ? { apiKey: server.apiKey } : {}), ...(server.storeId ? { storeId: server.storeId } : {}) };
    sessions = new RedisSessionMemoryService(config);
    memory = new RedisLongTermMemoryService(config);
    client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [...cli, ...backendArgs(server), '--user', 'alice'], cwd: root, stderr: 'pipe' }));
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('offers the memory and conversation tools, none of which takes a user', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['add_session_message', 'create_memory', 'delete_memory', 'get_session', 'list_sessions', 'memory_prompt', 'search_memory', 'update_memory']);
    for (const t of tools) expect(Object.keys(t.inputSchema.properties ?? {}).filter((k) => /user/i.test(k)), t.name).toEqual([]);
  });

  it("creates, finds, updates and deletes the configured user's memories only", async () => {
    const { ids: [bobsId] } = await memory.addMemory({ appName: APP, userId: 'bob', memories: [{ content: { parts: [{ text: 'Bob swims at dawn' }] } }] });
    const created = value(await client.callTool({ name: 'create_memory', arguments: { text: 'Alice swims on Fridays', topics: ['swimming'], userId: 'bob', user_id: 'bob' } })) as { id: string };
    expect(created.id).toBeTruthy();
    await server.runBackgroundTasks();
    expect((await memory.searchMemory({ appName: APP, userId: 'alice', query: 'swims' })).memories.map((m) => m.content.parts?.[0]?.text)).toContain('Alice swims on Fridays');
    expect((await memory.searchMemory({ appName: APP, userId: 'bob', query: 'swims' })).memories.map((m) => m.content.parts?.[0]?.text)).not.toContain('Alice swims on Fridays');

    const found = value(await client.callTool({ name: 'search_memory', arguments: { query: 'who swims when', user_id: 'bob' } })) as { memories: { id: string; text: string }[] };
    expect(found.memories.map((m) => m.text)).toContain('Alice swims on Fridays');
    expect(found.memories.map((m) => m.text)).not.toContain('Bob swims at dawn');

    const updated = value(await client.callTool({ name: 'update_memory', arguments: { id: created.id, text: 'Alice swims on Saturdays' } })) as { text: string };
    expect(updated.text).toBe('Alice swims on Saturdays');
    // Another user's id deletes nothing.
    expect(value(await client.callTool({ name: 'delete_memory', arguments: { ids: [bobsId] } }))).toEqual({ deleted: [] });
    expect((await memory.searchMemory({ appName: APP, userId: 'bob', query: 'swims' })).memories.map((m) => m.content.parts?.[0]?.text)).toContain('Bob swims at dawn');
    expect(value(await client.callTool({ name: 'delete_memory', arguments: { ids: [created.id] } }))).toEqual({ deleted: [created.id] });
  });

  it('writes conversations the session service reads, and reads them back with memory context', async () => {
    await client.callTool({ name: 'add_session_message', arguments: { session_id: 'chat-1', role: 'user', text: 'I want to run a 10k in May' } });
    await client.callTool({ name: 'add_session_message', arguments: { session_id: 'chat-1', role: 'assistant', text: 'Then we start with base miles' } });
    const session = await sessions.getSession({ appName: APP, userId: 'alice', sessionId: 'chat-1' });
    expect(session!.events.map((e) => e.content?.parts?.[0]?.text)).toEqual(['I want to run a 10k in May', 'Then we start with base miles']);
    expect(await sessions.getSession({ appName: APP, userId: 'bob', sessionId: 'chat-1' })).toBeUndefined();

    const read = value(await client.callTool({ name: 'get_session', arguments: { session_id: 'chat-1' } })) as { messages: { author: string; text: string }[] };
    expect(read.messages.map((m) => [m.author, m.text])).toEqual([
      ['user', 'I want to run a 10k in May'],
      [APP, 'Then we start with base miles'],
    ]);
    const listed = value(await client.callTool({ name: 'list_sessions', arguments: {} })) as { sessions: { session_id: string }[] };
    expect(listed.sessions.map((s) => s.session_id)).toContain('chat-1');

    await memory.addMemory({ appName: APP, userId: 'alice', memories: [{ content: { parts: [{ text: 'Alice has a sore left knee' }] } }] });
    const prompt = JSON.stringify(value(await client.callTool({ name: 'memory_prompt', arguments: { query: 'how should my knee affect the 10k plan?', session_id: 'chat-1' } })));
    expect(prompt).toContain('Alice has a sore left knee');
    expect(prompt).toContain('Then we start with base miles');
  });
});

describe('adk-redis-mcp over streamable HTTP', () => {
  let server: ReferenceServer;
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    server = await startReferenceServer({ backend: 'opensource-agent-memory', backgroundTasks: 'manual' });
    child = spawn(process.execPath, [...cli, ...backendArgs(server), '--http', '0'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`adk-redis-mcp exited with ${code}`)));
      createInterface({ input: child.stderr! }).on('line', (line) => {
        const m = /(http:\/\/\S+\/mcp)/.exec(line);
        if (m) resolve(m[1]!);
      });
    });
  });
  afterAll(async () => {
    child?.kill();
    await server?.close();
  });

  const connect = async (user?: string) => {
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: user ? { 'x-user-id': user } : {} } }));
    return client;
  };

  it("acts for the user the request names, and refuses a request that names none", async () => {
    const alice = await connect('alice');
    const anonymous = await connect();
    try {
      await alice.callTool({ name: 'create_memory', arguments: { text: 'Alice prefers trail runs' } });
      await server.runBackgroundTasks();
      const memory = new RedisLongTermMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
      expect((await memory.searchMemory({ appName: APP, userId: 'alice', query: 'trail' })).memories.map((m) => m.content.parts?.[0]?.text)).toContain('Alice prefers trail runs');
      const refused = await anonymous.callTool({ name: 'search_memory', arguments: { query: 'trail' } });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('X-User-Id');
    } finally {
      await alice.close();
      await anonymous.close();
    }
  });
});

describe('adk-redis-mcp configuration errors', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [...cli, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  it('names the missing or wrong option and exits 2', async () => {
    expect(await run(['--backend', 'redis', '--url', 'http://x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--backend must be one of redis-agent-memory, opensource-agent-memory') });
    expect(await run(['--backend', 'opensource-agent-memory', '--url', 'http://x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--user is required with stdio') });
    expect(await run(['--backend', 'redis-agent-memory', '--url', 'http://x', '--user', 'a'])).toMatchObject({ code: 2, stderr: expect.stringContaining('"apiKey": is required') });
  });
});
