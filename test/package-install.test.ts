import { execFile, spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisSessionMemoryService } from '../src/services/session-service.js';
import { startReferenceServer, type ReferenceServer } from '../src/testing/index.js';
import { serveWith } from './helpers/adk-redis-cli.js';
import { eventually } from './helpers/eventually.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

/** A user's app: one Runner turn with both services against the reference server, then the copies of @google/adk it loaded. */
const APP = `
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { BaseLlm, BaseSessionService, LlmAgent, Runner } from '@google/adk';
import { RedisLongTermMemoryService, RedisSessionMemoryService } from 'adk-redis';
import { startReferenceServer } from 'adk-redis/testing';

const fromApp = realpathSync(createRequire(import.meta.url).resolve('@google/adk/package.json'));
const fromPackage = realpathSync(createRequire(realpathSync('node_modules/adk-redis/package.json')).resolve('@google/adk/package.json'));

class Echo extends BaseLlm {
  constructor() { super({ model: 'echo' }); }
  async *generateContentAsync() { yield { content: { role: 'model', parts: [{ text: 'hello from the agent' }] } }; }
  connect() { throw new Error('no live'); }
}
const server = await startReferenceServer({ backend: 'opensource-agent-memory', backgroundTasks: 'manual' });
try {
  const config = { backend: 'opensource-agent-memory', apiBaseUrl: server.url };
  const sessionService = new RedisSessionMemoryService(config);
  const memoryService = new RedisLongTermMemoryService(config);
  const runner = new Runner({ appName: 'app', agent: new LlmAgent({ name: 'agent', model: new Echo(), instruction: 'Say hi.' }), sessionService, memoryService });
  const s = await sessionService.createSession({ appName: 'app', userId: 'u' });
  for await (const _ of runner.runAsync({ userId: 'u', sessionId: s.id, newMessage: { role: 'user', parts: [{ text: 'hi' }] } })) void _;
  await memoryService.addSessionToMemory((await sessionService.getSession({ appName: 'app', userId: 'u', sessionId: s.id })));
  const read = await sessionService.getSession({ appName: 'app', userId: 'u', sessionId: s.id });
  console.log(JSON.stringify({ texts: read.events.map((e) => e.content?.parts?.[0]?.text), adkFromApp: fromApp, adkFromPackage: fromPackage, sameClass: sessionService instanceof BaseSessionService }));
} finally {
  await server.close();
}
`;

/**
 * An empty project with the packed package installed, as `npm install adk-redis` would leave it.
 * Tests run offline, so npm cannot resolve packages by name here: the user's separately installed
 * packages (@google/adk and the rest) are this project's install, linked in one by one, less
 * `without`; the tarball is unpacked beside them as npm would place it: node_modules/adk-redis.
 */
async function installPacked(dir: string, without: string[] = []): Promise<string> {
  // `npm test` builds before vitest runs, so the tarball holds the emitted package.
  const { stdout: packed } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root });
  const tarball = path.join(dir, packed.trim().split('\n').pop()!);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  const modules = path.join(dir, 'node_modules');
  await mkdir(path.join(modules, 'adk-redis'), { recursive: true });
  const link = async (name: string) => {
    if (name.startsWith('.') || name === 'adk-redis' || without.includes(name)) return;
    if (name.startsWith('@') && !name.includes('/') && without.some((w) => w.startsWith(`${name}/`))) {
      await mkdir(path.join(modules, name));
      for (const inner of await readdir(path.join(root, 'node_modules', name))) await link(`${name}/${inner}`);
      return;
    }
    await symlink(path.join(root, 'node_modules', name), path.join(modules, name));
  };
  for (const entry of await readdir(path.join(root, 'node_modules'))) await link(entry);
  await run('tar', ['-xzf', tarball, '-C', path.join(modules, 'adk-redis'), '--strip-components=1']);
  await mkdir(path.join(modules, '.bin'), { recursive: true });
  await symlink(path.join('..', 'adk-redis', 'dist/src/cli/main.js'), path.join(modules, '.bin', 'adk-redis'));
  // npm marks a bin executable when it links it.
  await chmod(path.join(modules, 'adk-redis', 'dist/src/cli/main.js'), 0o755);
  return modules;
}

describe('the packed package in an empty project', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs beside a separately installed @google/adk, runs a turn with both services, and shares one copy of @google/adk', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'adk-redis-install-'));
    const modules = await installPacked(dir);
    const manifest = JSON.parse(await readFile(path.join(modules, 'adk-redis/package.json'), 'utf8')) as {
      peerDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    // Peers, never dependencies: npm then installs no second copy of ADK, or of the OpenTelemetry API ADK traces with, under adk-redis.
    expect(manifest.peerDependencies).toEqual({ '@google/adk': '^2.0.0', '@google/adk-devtools': '^2.0.0', '@opentelemetry/api': '^1.9.0' });
    // adk's dev tools only for adk-redis web | api_server | run: npm installs no copy unasked.
    expect((manifest as { peerDependenciesMeta?: unknown }).peerDependenciesMeta).toEqual({ '@google/adk-devtools': { optional: true } });
    expect(Object.keys(manifest.dependencies ?? {})).not.toContain('@google/adk');
    expect(Object.keys(manifest.dependencies ?? {})).not.toContain('@opentelemetry/api');
    await writeFile(path.join(dir, 'app.mjs'), APP);

    const { stdout } = await run('node', ['app.mjs'], { cwd: dir });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { texts: string[]; adkFromApp: string; adkFromPackage: string; sameClass: boolean };
    expect(result.texts).toEqual(['hi', 'hello from the agent']);
    // One copy: the app and adk-redis load the same @google/adk module, so ADK's instanceof checks hold.
    expect(result.adkFromPackage).toBe(result.adkFromApp);
    expect(result.sameClass).toBe(true);

    // The adk-redis-mcp bin ships in the tarball, runs from it, and the toolset is exported.
    const bin = (manifest as { bin?: Record<string, string> }).bin?.['adk-redis-mcp'];
    expect(bin).toBe('./dist/src/mcp/cli.js');
    const { stdout: help } = await run('node', [path.join(modules, 'adk-redis', bin!), '--help'], { cwd: dir });
    expect(help).toContain('usage: adk-redis-mcp --backend');
    expect(await readFile(path.join(modules, 'adk-redis', bin!), 'utf8')).toMatch(/^#!\/usr\/bin\/env node/);
    // So does the adk-redis command (sessions copy/export/import, forget-user).
    const cli = (manifest as { bin?: Record<string, string> }).bin?.['adk-redis'];
    expect(cli).toBe('./dist/src/cli/main.js');
    const { stdout: usage } = await run('node', [path.join(modules, 'adk-redis', cli!), '--help'], { cwd: dir });
    expect(usage).toContain('usage: adk-redis web | api_server | run');
    expect(usage).toContain('adk-redis sessions copy   --from <uri> --to <uri> --app <name>');
    expect(await readFile(path.join(modules, 'adk-redis', cli!), 'utf8')).toMatch(/^#!\/usr\/bin\/env node/);
    const { stdout: exported } = await run(
      'node',
      ['--input-type=module', '-e', "import('adk-redis').then((m) => console.log(typeof m.createAgentMemoryMcpToolset, typeof m.createMemoryMcpServer))"],
      { cwd: dir },
    );
    expect(exported.trim()).toBe('function function');

    // The real-server harness ships with its pinned Python side, found from the installed package.
    for (const f of ['constraints.txt', 'redis-stack.txt', 'api.py', 'harness.py'])
      await readFile(path.join(modules, 'adk-redis/python/real-agent-memory-server', f));
    const { stdout: harness } = await run(
      'node',
      ['--input-type=module', '-e', "import('adk-redis/testing').then((m) => console.log(typeof m.startRealAgentMemoryServer, typeof m.startStandInModel))"],
      { cwd: dir },
    );
    expect(harness.trim()).toBe('function function');

    // npx adk-redis-ams: the real server's launcher as a bin, its errors named after it.
    const ams = (manifest as { bin?: Record<string, string> }).bin?.['adk-redis-ams'];
    expect(ams).toBe('./dist/src/testing/real-agent-memory-server/cli.js');
    expect(await readFile(path.join(modules, 'adk-redis', ams!), 'utf8')).toMatch(/^#!\/usr\/bin\/env node/);
    await mkdir(path.join(modules, '.bin'), { recursive: true });
    await symlink(path.join('..', 'adk-redis', ams!), path.join(modules, '.bin', 'adk-redis-ams'));
    const refused = await run('node', [path.join(modules, '.bin', 'adk-redis-ams'), '--port', 'nope'], { cwd: dir }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toBe('adk-redis-ams: --port must be a port number (0 picks a free one), got nope\n');
  }, 120_000);
});

describe('adk-redis api_server from the packed package, in an empty project', () => {
  const dirs: string[] = [];
  let server: ReferenceServer | undefined;
  afterAll(async () => {
    await server?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('npx adk-redis api_server serves an agents folder with @google/adk-devtools beside it; its turn is stored on the backend', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'adk-redis-dev-install-'));
    dirs.push(dir);
    await installPacked(dir);
    await cp(path.join(root, 'test/fixtures/dev-agents'), path.join(dir, 'agents'), { recursive: true });
    server = await startReferenceServer({ backend: 'opensource-agent-memory' });
    const uri = `agent-memory-server+${server.url}`;
    const serving = await serveWith(
      spawn('npx', ['adk-redis', 'api_server', 'agents', '--host', '127.0.0.1', '--port', '0', '--session_service_uri', uri], {
        cwd: dir,
        env: { PATH: process.env.PATH!, HOME: process.env.HOME!, npm_config_offline: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      }),
    );
    try {
      const session = (await (
        await fetch(`${serving.url}/apps/recall_agent/users/u/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      ).json()) as {
        id: string;
      };
      const run = await fetch(`${serving.url}/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appName: 'recall_agent', userId: 'u', sessionId: session.id, newMessage: { role: 'user', parts: [{ text: 'hello' }] } }),
      });
      expect(run.status).toBe(200);
      const stored = await new RedisSessionMemoryService({ backend: 'opensource-agent-memory', apiBaseUrl: server.url }).getSession({
        appName: 'recall_agent',
        userId: 'u',
        sessionId: session.id,
      });
      expect(stored!.events.map((e) => e.content?.parts?.[0]?.text ?? 'tool')).toEqual(['hello', 'tool', 'tool', 'I remember nothing about that.']);
    } finally {
      // Ctrl+C: npx ends by the signal or with the command's 0, as npm's own signal handling goes;
      // either way serveWith waits until no process of the group remains, and nothing listens.
      expect([0, 'SIGINT']).toContain(await serving.stop());
      await eventually('the server stops listening after Ctrl+C', () =>
        fetch(`${serving.url}/list-apps`).then(
          () => false,
          () => true,
        ),
      );
    }
  }, 180_000);

  it('without @google/adk-devtools installed, says which package to install and exits 1', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'adk-redis-dev-missing-'));
    dirs.push(dir);
    const modules = await installPacked(dir, ['@google/adk-devtools']);
    const refused = await run('node', [path.join(modules, '.bin', 'adk-redis'), 'web', '.', '--port', '0'], { cwd: dir }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toBe(
      "adk-redis: adk-redis web runs ADK's own dev tools: install them beside this package with `npm install --save-dev @google/adk-devtools`\n",
    );
  }, 120_000);
});
