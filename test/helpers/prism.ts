import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRISM = path.join(root, 'node_modules', '.bin', 'prism');

export const SPECS = {
  'redis-agent-memory': path.join(root, 'specs', 'redis-agent-memory.openapi.yaml'),
  'agent-memory-server': path.join(root, 'specs', 'agent-memory-server.openapi.yaml'),
} as const;

export interface PrismHandle {
  url: string;
  /** Everything Prism printed, for diagnosing a failed assertion. */
  log(): string;
  close(): Promise<void>;
}

/**
 * Starts `prism mock --errors` (or `prism proxy --errors <upstream>`) for a spec on an ephemeral
 * loopback port and resolves once it listens. With --errors Prism answers any request or
 * response that breaks the spec with an error, so a passing call proves conformance.
 */
export async function startPrism(spec: keyof typeof SPECS, upstream?: string): Promise<PrismHandle> {
  const port = await freePort();
  const args = upstream
    ? ['proxy', '--errors', '-h', '127.0.0.1', '-p', String(port), SPECS[spec], upstream]
    : ['mock', '--errors', '-h', '127.0.0.1', '-p', String(port), SPECS[spec]];
  const child = spawn(PRISM, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const collect = (b: Buffer) => (output += b.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prism did not start within 60s:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prism exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return { url: `http://127.0.0.1:${port}`, log: () => output, close: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}
