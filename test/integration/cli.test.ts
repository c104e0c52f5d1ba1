import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEvent, createEventActions, DatabaseSessionService } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uriOfBackend } from '../../src/cli/uris.js';
import { adkRedisToEnd } from '../helpers/adk-redis-cli.js';
import { backendTarget, type Target } from '../helpers/targets.js';
import { closeIfStarted } from '../helpers/started.js';

/** Runs `adk-redis …` as a user would, with only the environment given. */
const adkRedis = (args: string[], env: Record<string, string> = {}) => adkRedisToEnd(args, { env });

/** A URI of this package's form for a target (behind its Prism proxy); the API key stays in the environment. */
const uriOf = (t: Target): string => uriOfBackend(t.config());

describe('the adk-redis command', () => {
  let ram: Target;
  let ams: Target;
  let dir: string;
  let sqlite: string;
  beforeAll(async () => {
    [ram, ams] = await Promise.all([backendTarget('redis-agent-memory'), backendTarget('opensource-agent-memory')]);
    dir = mkdtempSync(path.join(tmpdir(), 'adk-redis-cli-'));
    sqlite = path.join(dir, 'sessions.db');
    const db = new DatabaseSessionService(`sqlite://${sqlite}`);
    for (let i = 0; i < 5; i++) {
      const s = await db.createSession({ appName: 'coach', userId: i % 2 ? 'bob' : 'ann', sessionId: `s${i}`, state: { 'user:units': 'km', day: i } });
      await db.appendEvent({
        session: s,
        event: createEvent({
          id: `e${i}`,
          invocationId: 'inv',
          author: 'user',
          timestamp: 1_780_000_000_000 + i,
          content: { role: 'user', parts: [{ text: `run ${i}` }] },
          actions: createEventActions({ stateDelta: { last: i } }),
        }),
      });
    }
  }, 240_000);
  afterAll(async () => {
    await closeIfStarted(ram);
    await closeIfStarted(ams);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its usage with --help, and exits 2 naming what is wrong with a bad command line', async () => {
    const help = await adkRedis(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('adk-redis sessions copy   --from <uri> --to <uri> --app <name> [--user <id>]');
    expect(help.stdout).toContain('agent-memory-server+http://host:port');
    const bad = await adkRedis(['sessions', 'copy', '--from', 'memory://']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('adk-redis: --app is required');
  });

  it('copies a sqlite file of ADK sessions into Agent Memory Server, exports them, imports them into Redis Agent Memory, and forgets a user', async () => {
    const env = { AGENT_MEMORY_API_KEY: ram.config().apiKey! };
    const copy = await adkRedis(['sessions', 'copy', '--from', `sqlite://${sqlite}`, '--to', uriOf(ams), '--app', 'coach'], {
      AGENT_MEMORY_API_KEY: 'no-auth-configured',
    });
    expect(copy.code, copy.stderr).toBe(0);
    expect(JSON.parse(copy.stdout)).toMatchObject({ sessions: { read: 5, created: 5 }, events: { copied: 5 }, users: 2, problems: [] });
    const again = await adkRedis(['sessions', 'copy', '--from', `sqlite://${sqlite}`, '--to', uriOf(ams), '--app', 'coach'], {
      AGENT_MEMORY_API_KEY: 'no-auth-configured',
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ sessions: { created: 0, unchanged: 5 }, events: { copied: 0, alreadyThere: 5 } });

    const file = path.join(dir, 'coach.jsonl');
    const exported = await adkRedis(['sessions', 'export', '--from', uriOf(ams), '--app', 'coach', '--out', file], {
      AGENT_MEMORY_API_KEY: 'no-auth-configured',
    });
    expect(exported.stderr).toContain('exported 5 session(s)');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);

    const imported = await adkRedis(['sessions', 'import', '--to', uriOf(ram), '--app', 'coach', '--in', file], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ sessions: { created: 5 }, events: { copied: 5 }, problems: [] });
    const read = await ram.service().getSession({ appName: 'coach', userId: 'bob', sessionId: 's3' });
    expect(read?.events.map((e) => e.id)).toEqual(['e3']);
    expect(read?.state).toMatchObject({ 'user:units': 'km', day: 3, last: 3 });

    const forgot = await adkRedis(['forget-user', '--url', uriOf(ram), '--app', 'coach', '--user', 'bob'], env);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(JSON.parse(forgot.stdout)).toMatchObject({ sessions: expect.arrayContaining(['s1', 's3']), userState: true });
    expect((await ram.service().listSessions({ appName: 'coach' })).sessions.map((s) => s.userId).sort()).toEqual(['ann', 'ann', 'ann']);
  }, 240_000);
});
