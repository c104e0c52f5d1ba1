import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(root, 'node_modules', '.bin', 'tsx');
const demo = (args: string[]) =>
  run(TSX, ['examples/fitness-coach/demo.ts', ...args], { cwd: root, env: { ...process.env, GOOGLE_API_KEY: '', AGENT_MEMORY_URL: '' }, timeout: 240_000 });

describe('npm run demo -- --backend opensource-agent-memory --real', () => {
  it('recalls session 1 in session 2 with the real Agent Memory Server', async () => {
    const { stdout } = await demo(['--backend', 'opensource-agent-memory', '--real']);
    expect(stdout).toMatch(/data in the real Agent Memory Server 0\.15\.2 at http:\/\/127\.0\.0\.1:\d+ \(Redis 7\.4\.\d+, stand-in model\)/);
    expect(stdout).toMatch(
      /user: Is there an injury or knee problem I should watch\?\n.*search_memory.*\n {2}coach: Here is what I remember: [^;\n]*weak left knee/,
    );
    expect(stdout).toContain('recall across sessions: yes');
  }, 240_000);

  it("recalls with the server's own MCP tools (--mcp)", async () => {
    const { stdout } = await demo(['--backend', 'opensource-agent-memory', '--real', '--mcp']);
    expect(stdout).toMatch(/memory tools: Agent Memory Server MCP tools at http:\/\/127\.0\.0\.1:\d+\/fitness-coach\/mcp/);
    expect(stdout).toContain('(tool call create_long_term_memories');
    expect(stdout).toContain('recall across sessions: yes');
  }, 240_000);
});
