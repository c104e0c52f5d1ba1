import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/testing/index.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { closeIfStarted } from '../helpers/started.js';

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
    const config = {
      backend,
      apiBaseUrl: server.url,
      ...(server.apiKey ? { apiKey: server.apiKey } : {}),
      ...(server.storeId ? { storeId: server.storeId } : {}),
    };
    sessions = new RedisSessionMemoryService(config);
    memory = new RedisLongTermMemoryService(config);
    client = new Client({ name: 'test', version: '1' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [...cli, ...backendArgs(server), '--user', 'alice'], cwd: root, stderr: 'pipe' }),
    );
  });
  afterAll(async () => {
    await closeIfStarted(client);
    await closeIfStarted(server);
  });

  it('offers the memory and conversation tools, none of which takes a user', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'add_session_message',
      'create_memory',
      'delete_memory',
      'get_session',
      'list_sessions',
      'memory_prompt',
      'search_memory',
      'update_memory',
    ]);
    for (const t of tools)
      expect(
        Object.keys(t.inputSchema.properties ?? {}).filter((k) => /user/i.test(k)),
        t.name,
      ).toEqual([]);
  });

  it("creates, finds, updates and deletes the configured user's memories only", async () => {
    const {
      ids: [bobsId],
    } = await memory.addMemory({ appName: APP, userId: 'bob', memories: [{ content: { parts: [{ text: 'Bob swims at dawn' }] } }] });
    const created = value(
      await client.callTool({ name: 'create_memory', arguments: { text: 'Alice swims on Fridays', topics: ['swimming'], userId: 'bob', user_id: 'bob' } }),
    ) as { id: string };
    expect(created.id).toBeTruthy();
    await server.runBackgroundTasks();
    expect((await memory.searchMemory({ appName: APP, userId: 'alice', query: 'swims' })).memories.map((m) => m.content.parts?.[0]?.text)).toContain(
      'Alice swims on Fridays',
    );
    expect((await memory.searchMemory({ appName: APP, userId: 'bob', query: 'swims' })).memories.map((m) => m.content.parts?.[0]?.text)).not.toContain(
      'Alice swims on Fridays',
    );

    const found = value(await client.callTool({ name: 'search_memory', arguments: { query: 'who swims when', user_id: 'bob' } })) as {
      memories: { id: string; text: string }[];
    };
    expect(found.memories.map((m) => m.text)).toContain('Alice swims on Fridays');
    expect(found.memories.map((m) => m.text)).not.toContain('Bob swims at dawn');

    const updated = value(await client.callTool({ name: 'update_memory', arguments: { id: created.id, text: 'Alice swims on Saturdays' } })) as {
      text: string;
    };
    expect(updated.text).toBe('Alice swims on Saturdays');
    // Another user's id deletes nothing.
    expect(value(await client.callTool({ name: 'delete_memory', arguments: { ids: [bobsId] } }))).toEqual({ deleted: [] });
    expect((await memory.searchMemory({ appName: APP, userId: 'bob', query: 'swims' })).memories.map((m) => m.content.parts?.[0]?.text)).toContain(
      'Bob swims at dawn',
    );
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
    const prompt = JSON.stringify(
      value(await client.callTool({ name: 'memory_prompt', arguments: { query: 'how should my knee affect the 10k plan?', session_id: 'chat-1' } })),
    );
    expect(prompt).toContain('Alice has a sore left knee');
    expect(prompt).toContain('Then we start with base miles');
  });
});

/** Starts adk-redis-mcp over HTTP with these arguments; resolves with its URL and everything it wrote to stderr. */
async function startHttp(server: ReferenceServer, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...cli, ...backendArgs(server), '--http', '0', ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  const stderr: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`adk-redis-mcp exited with ${code}: ${stderr.join('\n')}`)));
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr.push(line);
      const m = /(http:\/\/\S+\/mcp)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { child, url, stderr };
}

const ALICE_TOKEN = 'alice-token-0123456789abcdef';
const BOB_TOKEN = 'bob-token-0123456789abcdef';

describe('adk-redis-mcp over streamable HTTP', () => {
  let server: ReferenceServer;
  let tokensFile: string;
  const children: ChildProcess[] = [];
  const memory = () => new RedisLongTermMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url });
  const texts = async (user: string, query: string) =>
    (await memory().searchMemory({ appName: APP, userId: user, query })).memories.map((m) => m.content.parts?.[0]?.text);
  beforeAll(async () => {
    server = await startReferenceServer({ backend: 'opensource-agent-memory', backgroundTasks: 'manual' });
    tokensFile = path.join(mkdtempSync(path.join(tmpdir(), 'adk-redis-mcp-')), 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ [ALICE_TOKEN]: 'alice', [BOB_TOKEN]: 'bob' }));
  });
  afterAll(async () => {
    for (const c of children) c.kill();
    await closeIfStarted(server);
    if (tokensFile) rmSync(path.dirname(tokensFile), { recursive: true, force: true });
  });

  const connect = async (url: string, headers: Record<string, string>) => {
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
  };
  /** A raw MCP request (initialize), to see the HTTP answer itself. */
  const post = (url: string, headers: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });

  it('--tokens: answers 401 without a valid bearer token, runs no tool, and never echoes a token', async () => {
    const { child, url, stderr } = await startHttp(server, ['--tokens', tokensFile]);
    children.push(child);
    const wrong = 'not-a-known-token-0123456789';
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: `Bearer ${wrong}` },
      { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` },
      { 'x-user-id': 'alice' },
    ]) {
      const res = await post(url, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).not.toContain(wrong);
    }
    // Also every other path: nothing is served to an unauthenticated caller.
    expect((await fetch(url.replace(/\/mcp$/, '/other'))).status).toBe(401);
    await expect(connect(url, { authorization: `Bearer ${wrong}` })).rejects.toThrow();
    expect(stderr.join('\n')).not.toMatch(/alice-token|bob-token|not-a-known-token/);
  });

  it('--tokens: a token acts as its own user only, whatever header names another', async () => {
    const { child, url } = await startHttp(server, ['--tokens', tokensFile]);
    children.push(child);
    const bob = await connect(url, { authorization: `Bearer ${BOB_TOKEN}`, 'x-user-id': 'alice' });
    const alice = await connect(url, { authorization: `Bearer ${ALICE_TOKEN}` });
    try {
      await bob.callTool({ name: 'create_memory', arguments: { text: 'Bob prefers hill repeats' } });
      await alice.callTool({ name: 'create_memory', arguments: { text: 'Alice prefers trail runs' } });
      await server.runBackgroundTasks();
      expect(await texts('bob', 'prefers')).toEqual(['Bob prefers hill repeats']);
      expect(await texts('alice', 'prefers')).toEqual(['Alice prefers trail runs']);
      const found = JSON.stringify(value(await bob.callTool({ name: 'search_memory', arguments: { query: 'prefers' } })));
      expect(found).toContain('hill repeats');
      expect(found).not.toContain('trail runs');
    } finally {
      await bob.close();
      await alice.close();
    }
  });

  it('--tokens: a token added to or removed from the file takes effect without a restart', async () => {
    const file = path.join(path.dirname(tokensFile), 'rotating.json');
    writeFileSync(file, JSON.stringify({ [ALICE_TOKEN]: 'alice' }));
    const { child, url } = await startHttp(server, ['--tokens', file]);
    children.push(child);
    expect((await post(url, { authorization: `Bearer ${BOB_TOKEN}` })).status).toBe(401);
    writeFileSync(file, JSON.stringify({ [BOB_TOKEN]: 'bob' }));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await post(url, { authorization: `Bearer ${BOB_TOKEN}` })).status).toBe(200);
    expect((await post(url, { authorization: `Bearer ${ALICE_TOKEN}` })).status).toBe(401);
  });

  it('--user with ADK_REDIS_MCP_TOKEN: that token acts as that user; anything else is 401', async () => {
    const { child, url } = await startHttp(server, ['--user', 'carol'], { ADK_REDIS_MCP_TOKEN: 'carol-token-0123456789abcdef' });
    children.push(child);
    expect((await post(url, {})).status).toBe(401);
    expect((await post(url, { authorization: `Bearer ${ALICE_TOKEN}` })).status).toBe(401);
    const carol = await connect(url, { authorization: 'Bearer carol-token-0123456789abcdef', 'x-user-id': 'alice' });
    try {
      await carol.callTool({ name: 'create_memory', arguments: { text: 'Carol swims on Mondays' } });
      await server.runBackgroundTasks();
      expect(await texts('carol', 'swims')).toEqual(['Carol swims on Mondays']);
      expect(await texts('alice', 'swims')).not.toContain('Carol swims on Mondays');
    } finally {
      await carol.close();
    }
  });

  it('--trust-user-header: warns at start, takes the user from that header only, 401 without it', async () => {
    const { child, url, stderr } = await startHttp(server, ['--trust-user-header', 'X-Authenticated-User']);
    children.push(child);
    expect(stderr.join('\n')).toMatch(/warning: --trust-user-header X-Authenticated-User: any process that reaches this port can act as any user/);
    expect((await post(url, { 'x-user-id': 'dave' })).status).toBe(401);
    const dave = await connect(url, { 'x-authenticated-user': 'dave' });
    try {
      await dave.callTool({ name: 'create_memory', arguments: { text: 'Dave cycles to work' } });
      await server.runBackgroundTasks();
      expect(await texts('dave', 'cycles')).toEqual(['Dave cycles to work']);
    } finally {
      await dave.close();
    }
  });
});

describe('adk-redis-mcp configuration errors', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [...cli, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  it('names the missing or wrong option and exits 2', async () => {
    expect(await run(['--backend', 'redis', '--url', 'http://x'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--backend must be one of redis-agent-memory, opensource-agent-memory'),
    });
    expect(await run(['--backend', 'opensource-agent-memory', '--url', 'http://x'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--user is required with stdio'),
    });
    expect(await run(['--backend', 'redis-agent-memory', '--url', 'http://x', '--user', 'a'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('"apiKey": is required'),
    });
  }, 120_000);

  it('refuses --http without a way to check callers, or with two, or a bad tokens file, and exits 2', async () => {
    const base = ['--backend', 'opensource-agent-memory', '--url', 'http://x', '--http', '0'];
    const none = await run(base);
    expect(none.code).toBe(2);
    for (const option of ['--tokens', '--user', 'ADK_REDIS_MCP_TOKEN', '--trust-user-header']) expect(none.stderr).toContain(option);
    expect(await run([...base, '--user', 'a', '--trust-user-header', 'X-User'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('not --user and --trust-user-header'),
    });
    expect(await run([...base, '--user', 'a'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('needs a bearer token in the environment variable ADK_REDIS_MCP_TOKEN'),
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'adk-redis-mcp-'));
    writeFileSync(path.join(dir, 'short.json'), JSON.stringify({ 'short-secret': 'alice' }));
    const short = await run([...base, '--tokens', path.join(dir, 'short.json')]);
    expect(short).toMatchObject({ code: 2, stderr: expect.stringContaining('token #1 must be at least 16 characters') });
    expect(short.stderr).not.toContain('short-secret');
    expect(await run([...base, '--tokens', path.join(dir, 'missing.json')])).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
    rmSync(dir, { recursive: true, force: true });
    expect(await run(['--backend', 'opensource-agent-memory', '--url', 'http://x', '--user', 'a', '--tokens', 'f'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('apply to --http only'),
    });
  }, 120_000);
});
