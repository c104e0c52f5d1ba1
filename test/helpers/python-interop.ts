// The Python side of the interop suite: its pinned environment (python/interop/constraints.txt,
// installed once into the ignored cache) and the long-lived driver process (python/interop/driver.py)
// the tests talk to over JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { RealServerUnavailableError, cacheRoot, findHarnessDir, findPython, pip, withInstallLock } from '../../src/testing/real-agent-memory-server/install.js';

const root = path.resolve(import.meta.dirname, '../..');
export const INTEROP_DIR = path.join(root, 'python', 'interop');

/** Installs (once) the interop environment and returns its Python. */
export async function ensureInteropEnvironment(log: (line: string) => void = () => {}): Promise<string> {
  const pins = readFileSync(path.join(INTEROP_DIR, 'constraints.txt'), 'utf8');
  const dir = path.join(cacheRoot(findHarnessDir()), 'interop', createHash('sha256').update(pins).digest('hex').slice(0, 16));
  const python = path.join(dir, 'venv', 'bin', 'python');
  const marker = path.join(dir, 'installed.json');
  if (existsSync(marker)) return python;
  return withInstallLock(dir, async () => {
    if (existsSync(marker)) return python;
    const base = await findPython();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`creating the interop Python environment with ${base} in ${dir}`);
    const venv = spawn(base, ['-m', 'venv', path.join(dir, 'venv')], { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => venv.on('exit', resolve));
    if (code !== 0) throw new RealServerUnavailableError('install-failed', 'python -m venv failed for the interop environment');
    log('installing adk-redis 0.0.10, google-adk, agent-memory-client and redis-agent-memory (python/interop/constraints.txt)');
    await pip(
      python,
      ['install', '-q', '--no-deps', '--require-hashes', '--only-binary=:all:', '-r', path.join(INTEROP_DIR, 'constraints.txt')],
      'install the pinned interop packages',
    );
    writeFileSync(marker, JSON.stringify({ python: base, installedAt: new Date().toISOString() }, null, 2));
    return python;
  });
}

/** The versions of the Python packages the suite meets, as installed. */
export function interopVersions(): Record<string, string> {
  const pins = readFileSync(path.join(INTEROP_DIR, 'constraints.txt'), 'utf8');
  const out: Record<string, string> = {};
  for (const name of ['adk-redis', 'google-adk', 'agent-memory-client', 'redis-agent-memory'])
    out[name] = new RegExp(`^${name}==(\\S+)`, 'm').exec(pins)?.[1] ?? 'unknown';
  return out;
}

/** The running driver: `call` sends one command and resolves with its value (or rejects with its error). */
export interface PythonDriver {
  call<T = unknown>(cmd: string, args: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
  stderr(): string;
}

export async function startPythonDriver(python: string): Promise<PythonDriver> {
  const child: ChildProcess = spawn(python, [path.join(INTEROP_DIR, 'driver.py')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + String(d)).slice(-20_000)));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the interop driver exited with ${code}: ${err.slice(-2000)}`)));
    lines.once('line', () => resolve());
  });
  await ready;
  lines.on('line', (line) => {
    const answer = JSON.parse(line) as { id: number; ok: boolean; value?: unknown; error?: string; trace?: string };
    const p = pending.get(answer.id);
    pending.delete(answer.id);
    if (answer.ok) p?.resolve(answer.value);
    else p?.reject(new Error(`${answer.error}\n${answer.trace ?? ''}`));
  });
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error(`the interop driver exited: ${err.slice(-2000)}`));
    pending.clear();
  });
  return {
    call: <T>(cmd: string, args: Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => {
        const id = ++next;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    stderr: () => err,
  };
}
