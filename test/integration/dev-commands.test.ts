import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Event } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uriOfBackend } from '../../src/cli/uris.js';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { adkRedisServing, adkRedisToEnd, partsOf } from '../helpers/adk-redis-cli.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/eventually.js';
import { closeIfStarted } from '../helpers/started.js';
import { backendTarget, REAL_AMS, suiteBackends, type Target } from '../helpers/targets.js';

const AGENTS = path.resolve(import.meta.dirname, '../fixtures/dev-agents');
const APP = 'recall_agent';

/** The environment a user sets for a backend: its API key, never in the URI. */
function keyEnv(t: Target): Record<string, string> {
  const key = t.config().apiKey;
  return key ? { AGENT_MEMORY_API_KEY: key } : {};
}

describe.each(suiteBackends(['opensource-agent-memory', 'redis-agent-memory'] as const))('adk-redis api_server and run on %s', (backend) => {
  let target: Target;
  let dir: string;
  beforeAll(async () => {
    target = await backendTarget(backend);
    dir = mkdtempSync(path.join(tmpdir(), 'adk-redis-dev-'));
    // Each user's own memory: the answers show which one the command's memory service found.
    const memory = new RedisLongTermMemoryService(target.config());
    await memory.addMemory({ appName: APP, userId: 'ann', memories: [{ content: { parts: [{ text: 'Ann is training to swim 2 km without stopping.' }] } }] });
    await memory.addMemory({ appName: APP, userId: 'test_user', memories: [{ content: { parts: [{ text: 'The test user runs 10 km on Sundays.' }] } }] });
    await target.settle();
  }, 240_000);
  afterAll(async () => {
    await closeIfStarted(target);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('api_server: a session created and a turn run through ADK HTTP API persist on the backend, and the turn recalls from it', async () => {
    const uri = uriOfBackend(target.config());
    const server = await adkRedisServing(['api_server', AGENTS, '--host', '127.0.0.1', '--port', '0', '--session_service_uri', uri], { env: keyEnv(target) });
    try {
      // The command names its backends once ADK has printed that it listens: a write of its own, after ADK's.
      const named = `sessions in ${backend === 'redis-agent-memory' ? 'Redis Agent Memory' : 'Agent Memory Server'} at `;
      await eventually('the command names its backends', () => server.output().includes(named), { withinMs: 30_000 });
      const created = await fetch(`${server.url}/apps/${APP}/users/ann/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ state: { 'user:units': 'km', plan: 'base' } }),
      });
      expect(created.status).toBe(200);
      const session = (await created.json()) as { id: string };
      const run = await fetch(`${server.url}/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          appName: APP,
          userId: 'ann',
          sessionId: session.id,
          newMessage: { role: 'user', parts: [{ text: 'How far do I want to swim?' }] },
        }),
      });
      expect(run.status).toBe(200);
      const events = (await run.json()) as Event[];
      expect(partsOf(events).at(-1)).toBe('I remember: Ann is training to swim 2 km without stopping.');

      // Read back with a fresh service of this package, as another process would.
      const stored = await new RedisSessionMemoryService(target.config()).getSession({ appName: APP, userId: 'ann', sessionId: session.id });
      expect(partsOf(stored!.events)).toEqual([
        'How far do I want to swim?',
        'call:load_memory',
        'response:load_memory',
        'I remember: Ann is training to swim 2 km without stopping.',
      ]);
      expect(stored!.state).toEqual({ 'user:units': 'km', plan: 'base' });
      // And ADK's own HTTP API reads it back from the backend too.
      const listed = (await (await fetch(`${server.url}/apps/${APP}/users/ann/sessions`)).json()) as { sessions: { id: string }[] };
      expect(listed.sessions.map((s) => s.id)).toEqual([session.id]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 180_000);

  it('run --replay: the replay file becomes a session on the backend, its queries answered from the backend memory', async () => {
    const replay = path.join(dir, 'replay.json');
    writeFileSync(replay, JSON.stringify({ state: { 'user:units': 'km' }, queries: ['When do I run?'] }));
    const uri = uriOfBackend(target.config());
    const ran = await adkRedisToEnd(['run', path.join(AGENTS, APP, 'agent.ts'), '--replay', replay, '--session_service_uri', uri], { env: keyEnv(target) });
    expect(ran.stderr).toContain('sessions in ');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('[user]: When do I run?');
    expect(ran.stdout).toContain('[recall_agent]: I remember: The test user runs 10 km on Sundays.');

    const service = new RedisSessionMemoryService(target.config());
    const { sessions } = await service.listSessions({ appName: APP, userId: 'test_user' });
    // adk run creates a session at start, and --replay a second one holding the file's state and queries.
    expect(sessions).toHaveLength(2);
    const read = await Promise.all(sessions.map((s) => service.getSession({ appName: APP, userId: 'test_user', sessionId: s.id })));
    const stored = read.find((s) => s!.events.length > 0);
    expect(read.filter((s) => s!.events.length === 0)).toHaveLength(1);
    expect(partsOf(stored!.events)).toEqual(['When do I run?', 'call:load_memory', 'response:load_memory', 'I remember: The test user runs 10 km on Sundays.']);
    // adk run's replay puts the file's state in the session, with the time it started (_time).
    expect(stored!.state['user:units']).toBe('km');
    expect(typeof stored!.state['_time']).toBe('string');
  }, 180_000);

  it('--memory_service_uri memory:// keeps memories apart from the session backend', async () => {
    const replay = path.join(dir, 'replay-apart.json');
    writeFileSync(replay, JSON.stringify({ state: {}, queries: ['When do I run?'] }));
    const uri = uriOfBackend(target.config());
    const ran = await adkRedisToEnd(
      ['run', path.join(AGENTS, APP, 'agent.ts'), '--replay', replay, '--session_service_uri', uri, '--memory_service_uri', 'memory://'],
      {
        env: keyEnv(target),
      },
    );
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain('memories in in memory');
    expect(ran.stdout).toContain('[recall_agent]: I remember nothing about that.');
  }, 180_000);

  it('fails at start, in one line naming the flag, on a wrong key, a missing store or a bad URI parameter; nothing is served', async () => {
    const uri = uriOfBackend(target.config());
    const cases: { args: string[]; env: Record<string, string>; says: RegExp }[] = [
      {
        args: ['--session_service_uri', `${uri}${uri.includes('?') ? '&' : '?'}bogus=1`],
        env: keyEnv(target),
        says: /"--session_service_uri": bogus is not a parameter/,
      },
      {
        args: ['--session_service_uri', uri, '--memory_service_uri', 'sqlite:///tmp/x.db'],
        env: keyEnv(target),
        says: /"--memory_service_uri": must be agent-memory-server\+/,
      },
    ];
    if (backend === 'redis-agent-memory') {
      cases.push(
        {
          args: ['--session_service_uri', uri],
          env: { AGENT_MEMORY_API_KEY: 'not-the-key' },
          says: /"--session_service_uri": Redis Agent Memory at .* refused the API key \(HTTP 401\)/,
        },
        {
          args: ['--session_service_uri', uri.replace(/store=[^&]+/, 'store=nostore')],
          env: keyEnv(target),
          says: /"--session_service_uri": Redis Agent Memory at .* has no store "nostore" \(HTTP 404\)/,
        },
        {
          args: ['--session_service_uri', uri.replace(/\?store=[^&]+&?/, '?').replace(/\?$/, '')],
          env: keyEnv(target),
          says: /"--session_service_uri": names no store: add \?store=<id> or set AGENT_MEMORY_STORE_ID/,
        },
      );
    }
    for (const c of cases) {
      const out = await adkRedisToEnd(['api_server', AGENTS, '--host', '127.0.0.1', '--port', '0', ...c.args], { env: c.env });
      expect(out.code, out.stderr).toBe(1);
      expect(out.stderr).toMatch(c.says);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stdout).not.toContain('ADK API Server started');
    }
  }, 180_000);
});

// Backend-free cases: run once, by npm test (the real-server run adds nothing to them).
describe.skipIf(REAL_AMS)('adk-redis dev commands: the command line', () => {
  it('fails at start on an unreachable backend, naming the flag', async () => {
    const port = await freePort();
    const out = await adkRedisToEnd(['api_server', AGENTS, '--port', '0', '--session_service_uri', `agent-memory-server+http://127.0.0.1:${port}`]);
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toMatch(
      new RegExp(`^adk-redis: adk-redis api_server: invalid option "--session_service_uri": Agent Memory Server at http://127.0.0.1:${port} did not answer`),
    );
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stdout).not.toContain('ADK API Server started');
  }, 60_000);

  it('exits 2 naming a flag adk does not have, or a bad value, and prints its options with --help', async () => {
    const unknown = await adkRedisToEnd(['web', AGENTS, '--sesion_service_uri', 'memory://']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--sesion_service_uri is not an option of adk-redis web');
    const port = await adkRedisToEnd(['api_server', '--port', 'eighty']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a whole number from 0 to 65535 (got "eighty")');
    const help = await adkRedisToEnd(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--memory_service_uri <uri>');
    expect(help.stdout).toContain('agent-memory-server+http://host:port');
  }, 60_000);

  it("runs with ADK's own session URIs too: sqlite through ADK's DatabaseSessionService", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'adk-redis-dev-sqlite-'));
    try {
      const replay = path.join(dir, 'replay.json');
      writeFileSync(replay, JSON.stringify({ state: {}, queries: ['hello'] }));
      const out = await adkRedisToEnd([
        'run',
        path.join(AGENTS, APP, 'agent.ts'),
        '--replay',
        replay,
        '--session_service_uri',
        `sqlite://${path.join(dir, 's.db')}`,
      ]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stderr).toContain(`sessions in sqlite://${path.join(dir, 's.db')}; memories in in memory`);
      expect(out.stdout).toContain('[recall_agent]: I remember nothing about that.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
