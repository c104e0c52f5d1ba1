import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Event } from '@google/adk';
import { promisify } from 'node:util';
import { eventually } from './eventually.js';

const root = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(root, 'src', 'cli', 'main.ts');
/**
 * The command's source run by node itself with tsx's loader: one process, which gets the signals
 * sent to it. (The tsx launcher relays a Ctrl+C to its child and SIGKILLs it when the child has not
 * reported the signal within 30 ms, which a loaded machine turns into an exit of 130.)
 */
const NODE_ARGS = ['--import', pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, CLI];

/** What stored events say, one word per part: its text, or the tool it calls or answers. */
export function partsOf(events: Event[]): string[] {
  return events.flatMap((e) =>
    (e.content?.parts ?? []).map((p) => p.text ?? (p.functionCall ? `call:${p.functionCall.name}` : `response:${p.functionResponse?.name}`)),
  );
}

/** The environment a user's shell would give the command: nothing of this test process's. */
function userEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env };
}

/** `adk-redis …` run to its end, as a user would. */
export async function adkRedisToEnd(
  args: string[],
  { env = {}, cwd = root }: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...NODE_ARGS, ...args], { cwd, env: userEnv(env), timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ServingCommand {
  url: string;
  output(): string;
  /** Ctrl+C: SIGINT to the command's process group; resolves with the exit code, or the signal that ended it. */
  stop(): Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts a serving command (`web`, `api_server`) and waits for the URL ADK prints once it listens.
 * The child must lead its own process group (`detached: true`): stopping it is a terminal's
 * Ctrl+C, a SIGINT to the whole group, so a launcher (npx) and the command both get it.
 */
export async function serveWith(child: ChildProcess): Promise<ServingCommand> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  // An object, so each read sees the exit handler's write (a let would read as always false to the linter).
  const state = { gone: false };
  void exited.then(() => (state.gone = true));
  const listening = /access at (http:\/\/[^\s]+?)\.?\s/;
  try {
    await eventually('the dev server prints the URL it listens on', () => state.gone || listening.test(out), { withinMs: 90_000 });
  } catch (e) {
    process.kill(-child.pid!, 'SIGKILL');
    throw e;
  }
  if (state.gone) throw new Error(`the command exited before it listened:\n${out}`);
  return {
    url: listening.exec(out)![1]!,
    output: () => out,
    stop: async () => {
      if (!state.gone) process.kill(-child.pid!, 'SIGINT');
      const ended = await exited;
      // Nothing of the command outlives it (a launcher that dies first must not leave it serving).
      await eventually('no process of the command remains', () => !groupAlive(child.pid!), { withinMs: 30_000 });
      return ended;
    },
  };
}

/** `adk-redis <serve command> …` as a child process, listening once this resolves. */
export function adkRedisServing(args: string[], { env = {}, cwd = root }: { env?: Record<string, string>; cwd?: string } = {}): Promise<ServingCommand> {
  return serveWith(spawn(process.execPath, [...NODE_ARGS, ...args], { cwd, env: userEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}
