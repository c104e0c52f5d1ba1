import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(root, 'node_modules', '.bin', 'tsx');
const demo = (args: string[], env: Record<string, string> = {}) =>
  run(TSX, ['examples/fitness-coach/demo.ts', ...args], {
    cwd: root,
    env: { ...process.env, GOOGLE_API_KEY: '', AGENT_MEMORY_URL: '', ...env },
    timeout: 120_000,
  });

describe('npm run demo', () => {
  it.each(['redis-agent-memory', 'opensource-agent-memory'])(
    'recalls session 1 in session 2 on %s, offline',
    async (backend) => {
      const { stdout } = await demo([], { AGENT_MEMORY_BACKEND: backend });
      expect(stdout).toContain(`embedded ${backend} reference server`);
      expect(stdout).toContain('Here is what I remember: ');
      // The best match is about the knee: the stored fact, or the user's own words once the server has extracted them.
      expect(stdout).toMatch(
        /user: Is there an injury or knee problem I should watch\?\n.*search_memory.*\n {2}coach: Here is what I remember: [^;\n]*weak left knee/,
      );
      expect(stdout).toContain('long-term memories of alice: 3 facts (create_memory) + 6 message memories');
      expect(stdout).toContain('recall across sessions: yes');
    },
    120_000,
  );

  it('recalls across sessions with the memory tools served over MCP (--mcp)', async () => {
    const { stdout } = await demo(['--mcp'], { AGENT_MEMORY_BACKEND: 'redis-agent-memory' });
    expect(stdout).toContain('embedded opensource-agent-memory reference server');
    expect(stdout).toMatch(/memory tools: Agent Memory Server MCP tools at http:\/\/127\.0\.0\.1:\d+\/fitness-coach\/mcp/);
    expect(stdout).toContain('(tool call create_long_term_memories');
    expect(stdout).toMatch(
      /user: Is there an injury or knee problem I should watch\?\n.*search_long_term_memory.*\n {2}coach: Here is what I remember: [^;\n]*weak left knee/,
    );
    // The tool's memory, or the same fact merged with what the server extracted from session 1 (whichever it indexed first).
    expect(stdout).toMatch(/\[semantic\] [^\n]*weak left knee, so no downhill sprints/);
    expect(stdout).toContain('recall across sessions: yes');
  }, 120_000);

  it('shares one session between two worker processes without losing a turn', async () => {
    const { stdout } = await demo(['--processes', '2']);
    const pids = new Set([...stdout.matchAll(/\[pid (\d+)\]/g)].map((m) => m[1]));
    expect(pids.size).toBe(2);
    expect(stdout).toContain('6 user turns from 2 processes — every turn present, in order');
  }, 120_000);
});
