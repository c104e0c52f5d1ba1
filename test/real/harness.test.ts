import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStartFailure } from '../../src/testing/real-agent-memory-server/index.js';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { alive } from '../helpers/alive.js';
import { eventually } from '../helpers/eventually.js';
import { closeIfStarted } from '../helpers/started.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(root, 'node_modules', '.bin', 'tsx');

/** Runs a command with a plain environment and reports its exit code and output. */
async function outcome(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, args, { cwd: root, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('startRealAgentMemoryServer', () => {
  let server: RealAgentMemoryServer;
  beforeAll(async () => {
    server = await startRealAgentMemoryServer({ backgroundTasks: 'manual', apiKey: 'harness-token' });
  });
  afterAll(() => closeIfStarted(server));

  it('runs v0.15.2 on Redis Stack with only RediSearch and RedisJSON, counting tokens with tiktoken', () => {
    expect(server.versions.agentMemoryServer).toBe('0.15.2');
    expect(server.versions.redis).toMatch(/^7\.4\./);
    expect(Object.keys(server.versions.modules).sort()).toEqual(['ReJSON', 'search']);
    expect(server.versions.tiktoken).toBe(true);
  });

  it("turns on the server's token auth with apiKey", async () => {
    const list = `${server.url}/v1/working-memory/?namespace=auth`;
    expect((await fetch(list)).status).toBe(401);
    expect((await fetch(list, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(list, { headers: { authorization: 'Bearer harness-token' } })).status).toBe(200);
  });

  it('runs queued work only inside runBackgroundTasks in manual mode', async () => {
    const headers = { 'content-type': 'application/json', authorization: 'Bearer harness-token' };
    const put = await fetch(`${server.url}/v1/working-memory/held`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        namespace: 'manual',
        user_id: 'u',
        messages: [{ role: 'user', content: 'I keep bees on the roof', created_at: new Date().toISOString() }],
      }),
    });
    expect(put.status).toBe(200);
    const search = async () =>
      (
        (await (
          await fetch(`${server.url}/v1/long-term-memory/search`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ text: 'bees on the roof', user_id: { eq: 'u' }, namespace: { eq: 'manual' } }),
          })
        ).json()) as { memories: { text: string }[] }
      ).memories.map((m) => m.text);
    // The write queued the server's work (promotion, extraction); in manual mode it stays queued.
    await server.settled();
    await eventually('the write queued background work', async () => Object.keys((await server.backgroundTaskCounts()).waiting).length > 0);
    expect((await server.backgroundTaskCounts()).running).toEqual({});
    expect(await search()).toEqual([]);
    expect(server.model.calls.discrete ?? 0).toBe(0);
    await server.runBackgroundTasks();
    expect(await search()).toEqual(['I keep bees on the roof']);
    expect(server.model.calls.discrete).toBe(1);
  });

  it('refuses a deployment it cannot start, naming the option and the rule', async () => {
    await expect(startRealAgentMemoryServer({ apiProcesses: 0 })).rejects.toThrow('apiProcesses must be a whole number of at least 1, got 0');
    await expect(startRealAgentMemoryServer({ taskWorkers: 1.5 })).rejects.toThrow('taskWorkers must be a whole number, got 1.5');
    await expect(startRealAgentMemoryServer({ backgroundTasks: 'manual', taskWorkers: 1 })).rejects.toThrow('taskWorkers must be 0 in manual mode');
    await expect(startRealAgentMemoryServer({ redisPersistence: 'rdb' as 'aof' })).rejects.toThrow('redisPersistence must be "none" or "aof", got "rdb"');
  });

  it('refuses a setting the real server does not have', async () => {
    await expect(startRealAgentMemoryServer({ contextWindowMax: 400 })).rejects.toThrow(
      /contextWindowMax cannot be honoured.*pass contextWindowMax to RedisSessionMemoryService/,
    );
  });
});

describe('the harness leaves no process behind', () => {
  it('stops every process on close(), those of a deployment with several API processes and task workers too', async () => {
    const server = await startRealAgentMemoryServer({ mcp: true, apiProcesses: 2, taskWorkers: 2 });
    const { api, taskWorkers, redis, harness } = server.parts();
    const pids = [...api, ...taskWorkers, redis, harness, server.pids.mcp!];
    expect(new Set(pids).size).toBe(7);
    expect(pids.every(alive)).toBe(true);
    // Through the balancer, which sends each request to the next API process.
    const answered = await Promise.all([0, 1, 2, 3].map(() => fetch(`${server.url}/v1/health`).then((r) => r.status)));
    expect(answered).toEqual([200, 200, 200, 200]);
    expect(server.urls).toHaveLength(2);
    await server.close();
    await eventually('every process has ended', () => !pids.some(alive), { withinMs: 10_000 });
  });

  it('kills them when the Node process that started them is killed', async () => {
    const child = spawn(TSX, [path.join(import.meta.dirname, 'start-and-wait.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const { self, pids } = await new Promise<{ self: number; pids: number[] }>((resolve) =>
        child.stdout.on('data', (b: Buffer) => resolve(JSON.parse(b.toString()) as { self: number; pids: number[] })),
      );
      expect(pids.every(alive)).toBe(true);
      // Its folder: the one whose list of process groups holds these.
      const runDir = readdirSync(tmpdir())
        .filter((d) => d.startsWith('adk-redis-ams-'))
        .map((d) => path.join(tmpdir(), d))
        .find((d) => existsSync(path.join(d, 'pids')) && readFileSync(path.join(d, 'pids'), 'utf8').split('\n').includes(String(pids[0])));
      expect(runDir).toBeDefined();
      // The process running the script (tsx runs it in a child of its own).
      process.kill(self, 'SIGKILL');
      await eventually('every process has ended', () => !pids.some(alive), { withinMs: 15_000 });
      await eventually('their folder is gone', () => !existsSync(runDir!), { withinMs: 15_000 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('one-line errors where the real server cannot run', () => {
  let cache: string;
  beforeAll(() => {
    cache = mkdtempSync(path.join(tmpdir(), 'adk-redis-harness-'));
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('says there is no Python 3.12; npm run test:real fails on it only under CI=true', async () => {
    const env = { PATH: '/usr/bin:/bin', PYENV_ROOT: path.join(cache, 'no-pyenv'), ADK_REDIS_CACHE_DIR: cache };
    const local = await outcome(['scripts/test-real.ts'], env);
    expect(local.code).toBe(0);
    expect(local.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^test:real: not run: no Python 3\.12 found .*ADK_REDIS_PYTHON/)]);
    const ci = await outcome(['scripts/test-real.ts'], { ...env, CI: 'true' });
    expect(ci.code).toBe(1);
    expect(ci.stderr).toMatch(/no Python 3\.12 found/);
  });

  it('says the package index is unreachable', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const r = await outcome(['src/testing/real-agent-memory-server/cli.ts', '--port', '0'], {
      ADK_REDIS_CACHE_DIR: cache,
      PIP_INDEX_URL: `http://127.0.0.1:${closed}/simple`,
      PIP_RETRIES: '0',
      PIP_TIMEOUT: '2',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => !l.startsWith('ams:real: creating') && !l.startsWith('ams:real: installing') && l.trim())).toEqual([
      `ams:real: the Python package index is unreachable (http://127.0.0.1:${closed}/simple): pip could not install the pinned server packages`,
    ]);
  });

  it('says the port is in use', async () => {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { port } = srv.address() as net.AddressInfo;
    try {
      const r = await outcome(['src/testing/real-agent-memory-server/cli.ts', '--port', String(port)], { ADK_REDIS_CACHE_DIR: cache });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`ams:real: port ${port} is in use: stop what listens there or choose another port`);
    } finally {
      srv.close();
    }
  });

  it('says which Redis module could not load', () => {
    const printed =
      "123:M 01 Dec 2026 13:00:00.000 # Module /x/redisearch.so failed to load: It does not have execute permissions.\n123:M # Can't load module from /x/redisearch.so: server aborting";
    expect(redisStartFailure(printed)).toMatchObject({
      reason: 'redis-module',
      message: 'Redis could not load a module: Module /x/redisearch.so failed to load: It does not have execute permissions.',
    });
    expect(redisStartFailure('* Ready to accept connections tcp')).toBeUndefined();
  });
});
