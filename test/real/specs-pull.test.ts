import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealAgentMemoryServer, type RealAgentMemoryServer } from '../../src/testing/index.js';
import { closeIfStarted } from '../helpers/started.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** A copy of the project's files (tracked and not ignored) as its own git repository, sharing node_modules. */
async function projectCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'adk-redis-copy-'));
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await copyFile(path.join(root, file), path.join(dir, file)).catch(() => undefined);
  }
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'copy');
  return dir;
}

describe("regenerating the Agent Memory Server client from the running server's own document", () => {
  let server: RealAgentMemoryServer;
  let copy: string;
  beforeAll(async () => {
    [server, copy] = await Promise.all([startRealAgentMemoryServer(), projectCopy()]);
  });
  afterAll(async () => {
    await closeIfStarted(server);
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('specs:pull, generate --check and typecheck all pass, and leave the copy unchanged', async () => {
    const npm = (...args: string[]) => run('npm', args, { cwd: copy, timeout: 240_000 });
    await npm('run', 'specs:pull', '--', '--backend', 'agent-memory-server', '--from', `${server.url}/openapi.json`);
    await npm('run', 'generate', '--', '--check');
    await npm('run', 'typecheck');
    const { stdout } = await run('git', ['status', '--short'], { cwd: copy });
    expect(stdout).toBe('');
  }, 300_000);
});
